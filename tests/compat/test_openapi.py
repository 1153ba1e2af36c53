"""The compat layer's OpenAPI 3.1 document: valid, complete, and true (schemathesis)."""

from __future__ import annotations

import os

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from openapi_spec_validator import validate

from citygraph.config import Settings
from compat import openapi
from compat.routes import ENDPOINTS, JWT_ENDPOINTS
from tests.compat.conftest import World
from tests.support.server import live_server

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.response_schema_conformance,
]
#: Generated requests per operation: 25 by default, fewer in CI (``.ci/run``).
MAX_EXAMPLES = int(os.environ.get("CITYGRAPH_OPENAPI_EXAMPLES", "25"))


async def test_document_is_valid_openapi_31(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    document = response.json()
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_document_covers_every_endpoint() -> None:
    documented = set(openapi.PATHS)
    served = {path.replace("{pk:djoser_lookup}", "{id}") for path, _ in ENDPOINTS}
    served |= {f"{path}/" for path, _ in JWT_ENDPOINTS}
    assert documented == served


@pytest.mark.usefixtures("world")
def test_schemathesis_finds_nothing(settings: Settings, world: World) -> None:
    """Every operation, ``MAX_EXAMPLES`` generated requests each, deterministic: no 5xx, and
    every status, content type, header and body is the one the document announces."""
    headers = world.auth(world.admin)
    with live_server(settings) as base_url:
        schema = schemathesis.openapi.from_url(f"{base_url}/api/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
        assert len(operations) == 25
        for operation in operations:

            @given(case=operation.as_strategy())
            @hypothesis_settings(
                max_examples=MAX_EXAMPLES,
                derandomize=True,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def run(case: schemathesis.Case) -> None:  # type: ignore[type-arg]
                case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)

            run()
