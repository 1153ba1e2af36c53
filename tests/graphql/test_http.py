"""GraphQL over HTTP: methods, media types, status codes, auth header, masking, environments."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from citygraph.app import create_app
from citygraph.config import Settings
from citygraph.domain import districts
from citygraph.security import jwt
from citygraph.services import Services
from tests.conftest import make_settings
from tests.graphql.conftest import GQL

GRAPHQL_RESPONSE = "application/graphql-response+json"


async def test_get_runs_queries_and_refuses_mutations(client: httpx.AsyncClient) -> None:
    ok = await client.get("/graphql", params={"query": "{ districts { id } }"})
    assert ok.status_code == 200
    assert ok.headers["content-type"] == "application/json; charset=utf-8"
    assert ok.json() == {"data": {"districts": []}}
    mutation = await client.get(
        "/graphql",
        params={"query": 'mutation { createDistrict(input: {title: "x"}) { id } }'},
        headers={"Accept": GRAPHQL_RESPONSE},
    )
    assert mutation.status_code == 405
    assert mutation.headers["allow"] == "POST"
    assert mutation.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    put = await client.put("/graphql", json={"query": "{ __typename }"})
    assert put.status_code == 405
    assert put.headers["allow"] == "GET, POST"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", '{"query": "{ __typename }"}'),
        ("application/x-www-form-urlencoded", "query=%7B__typename%7D"),
        ("application/graphql", "{ __typename }"),
        ("application/json; charset=latin-1", '{"query": "{ __typename }"}'),
    ],
)
async def test_only_json_bodies(client: httpx.AsyncClient, content_type: str, body: str) -> None:
    response = await client.post("/graphql", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 415
    assert response.json()["errors"][0]["message"].startswith("Unsupported")


@pytest.mark.parametrize(
    "body",
    ['{"query": ', "[]", '[{"query": "{ __typename }"}]', '"text"', "null", '{"query": 5}', "{}"],
)
async def test_malformed_requests_are_400(client: httpx.AsyncClient, body: str) -> None:
    response = await client.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "errors" in response.json()


async def test_body_limit(client: httpx.AsyncClient, settings: Settings) -> None:
    """Over the limit is 413 even for a query answered just before (and so in the response
    cache): the limit is about the request's size, whatever its answer would be."""
    padding = " " * settings.max_body_bytes
    for _ in range(2):
        answered = await client.post("/graphql", json={"query": "{ __typename }"})
        assert answered.json() == {"data": {"__typename": "Query"}}
        response = await client.post(
            "/graphql",
            content='{"query": "{ __typename }"' + padding + "}",
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 413, response.text


@pytest.mark.parametrize("name", ["CITYGRAPH_MAX_BODY_BYTES", "CITYGRAPH_GRAPHQL_MAX_BODY_BYTES"])
async def test_body_limit_setting(
    services: Services, database_url: str, tmp_path: Path, name: str
) -> None:
    """``max_body_bytes`` (and its former name) is the limit: at it 200, one byte more 413,
    refused by the request guard in GraphQL's error format, also once the query has been
    answered (and could be served from the response cache)."""
    settings = make_settings(database_url, tmp_path / "media", **{name: 200})
    assert settings.max_body_bytes == 200
    shared = services.sharing_connections(settings)
    transport = httpx.ASGITransport(app=create_app(settings, services=shared))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        query = '{"query": "{ __typename }"'

        async def post(size: int) -> httpx.Response:
            body = query + " " * (size - len(query) - 1) + "}"
            assert len(body) == size
            return await client.post(
                "/graphql", content=body, headers={"Content-Type": "application/json"}
            )

        refused = {"errors": [{"message": "Request body too large (limit 200 bytes)."}]}
        over = await post(201)
        assert over.status_code == 413
        assert over.headers["content-type"] == "application/json; charset=utf-8"
        assert over.json() == refused
        at_limit = await post(200)
        assert at_limit.status_code == 200
        assert at_limit.json() == {"data": {"__typename": "Query"}}
        again = await post(201)  # the same query, now answered before: still too large
        assert (again.status_code, again.json()) == (413, refused)


async def test_chunked_body_over_the_limit_is_413(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "{ __typename }"'
        for _ in range(settings.max_body_bytes // 65536 + 2):
            yield b" " * 65536
        yield b"}"

    response = await client.post(
        "/graphql", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


async def test_request_errors_by_media_type(client: httpx.AsyncClient) -> None:
    for query in ("{", "{ nope }", "query($id: Int!) { district(id: $id) { id } }"):
        as_json = await client.post("/graphql", json={"query": query})
        assert as_json.status_code == 200
        assert "data" not in as_json.json()
        assert as_json.json()["errors"]
        strict = await client.post(
            "/graphql", json={"query": query}, headers={"Accept": GRAPHQL_RESPONSE}
        )
        assert strict.status_code == 400
        assert strict.headers["content-type"] == f"{GRAPHQL_RESPONSE}; charset=utf-8"
        assert "data" not in strict.json()
    not_acceptable = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Accept": "text/xml"}
    )
    assert not_acceptable.status_code == 406


async def test_batching_is_off(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json=[{"query": "{ __typename }"}, {"query": "{ __typename }"}]
    )
    assert response.status_code == 400


async def test_tokens(gql: GQL, services: Services, staff_token: str, settings: Settings) -> None:
    query = "{ districts { id } }"
    for header in (f"JWT {staff_token}", f"Bearer {staff_token}", "Basic dXNlcjpwYXNz"):
        response = await gql.post(query, headers={"Authorization": header})
        assert response.status_code == 200, header
    refresh = jwt.encode(settings, "refresh", 1)
    for header, message in [
        ("JWT not-a-token", "Token is invalid or expired"),
        (f"Bearer {refresh}", "Token has wrong type"),
        ("JWT", "Authorization header must contain two space-delimited values"),
        ("JWT a b", "Authorization header must contain two space-delimited values"),
    ]:
        response = await gql.post(query, headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.json() == {
            "errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]
        }
        assert "bearer" in response.headers["www-authenticate"].lower()


async def test_unexpected_errors_are_masked_and_logged(
    gql: GQL, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*_args: object) -> list[object]:
        raise RuntimeError("SELECT secret FROM somewhere; password=hunter2")

    monkeypatch.setattr(districts, "find_districts", broken)
    with caplog.at_level(logging.ERROR, logger="citygraph.graphql"):
        response = await gql.post("{ districts { id } }", headers={"X-Request-ID": "req-42"})
    assert response.status_code == 200
    payload = response.json()
    assert payload["data"] is None
    (error,) = payload["errors"]
    assert error["message"] == "Internal server error"
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-42"}
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    (record,) = [r for r in caplog.records if r.name == "citygraph.graphql"]
    assert "req-42" in record.getMessage()
    assert record.exc_info is not None


@pytest.fixture
def production_client(services: Services, database_url: str, tmp_path: Path) -> httpx.AsyncClient:
    settings = make_settings(database_url, tmp_path / "media", CITYGRAPH_ENV="production")
    shared = services.sharing_connections(settings)
    app = create_app(settings, services=shared)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def test_production_hides_the_schema(production_client: httpx.AsyncClient) -> None:
    async with production_client as client:
        introspection = await client.post(
            "/graphql", json={"query": "{ __schema { types { name } } }"}
        )
        assert "data" not in introspection.json()
        assert "introspection" in introspection.json()["errors"][0]["message"].lower()
        typo = await client.post("/graphql", json={"query": "{ district { titel } }"})
        messages = [e["message"] for e in typo.json()["errors"]]
        assert messages
        assert not any("Did you mean" in m for m in messages)
        page = await client.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 404
        assert (await client.post("/graphql", json={"query": "{ __typename }"})).json() == {
            "data": {"__typename": "Query"}
        }


async def test_development_helps(client: httpx.AsyncClient) -> None:
    typo = await client.post("/graphql", json={"query": "{ districts { titel } }"})
    assert "Did you mean" in typo.json()["errors"][0]["message"]
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "GraphiQL" in page.text
    assert "cdn" not in page.text.lower()
    assert "unpkg" not in page.text.lower()
