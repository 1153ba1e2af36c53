"""The response-size cap: a clean GraphQL error instead of a body over the limit, on both read
paths, and never cached."""

from __future__ import annotations

from pathlib import Path

import pytest

from citygraph.config import Settings
from citygraph.services import Services
from tests.conftest import make_settings
from tests.graphql.conftest import GQL, seed

LIMIT = 3000
QUERY = "{ places(first: 100) { edges { node { id title fullDescription } } } }"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(
        database_url, tmp_path / "media", CITYGRAPH_GRAPHQL_MAX_RESPONSE_BYTES=LIMIT
    )


async def test_a_response_over_the_cap_is_one_error(gql: GQL, services: Services) -> None:
    await seed(services, districts=2, places_per_district=30, images_per_place=0)
    small = await gql("{ places(first: 2) { edges { node { id } } } }")
    assert "errors" not in small
    for path in ("executor", "compiled", "cache"):  # the second time the document compiles
        response = await gql.post(QUERY)
        assert response.status_code == 200, path
        assert len(response.content) < 500
        payload = response.json()
        assert payload["data"] is None
        [error] = payload["errors"]
        assert error["extensions"]["code"] == "RESPONSE_TOO_LARGE"
        assert error["extensions"]["maxBytes"] == LIMIT
        assert error["extensions"]["size"] > LIMIT
        assert "etag" not in response.headers  # not kept by the response cache


async def test_a_response_at_the_cap_is_sent(gql: GQL, services: Services) -> None:
    await seed(services, districts=1, places_per_district=2, images_per_place=0)
    for _ in range(2):
        response = await gql.post(QUERY)
        assert "errors" not in response.json()
        assert len(response.content) <= LIMIT
