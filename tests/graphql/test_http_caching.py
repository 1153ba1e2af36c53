"""HTTP caching of ``/graphql`` on SQLite and PostgreSQL: anonymous GET queries carry an ETag and
``Cache-Control`` that lets browsers and CDNs keep them and revalidate (304); a write through
any worker makes the next answer fresh (a new ETag); answers to credentials, mutations, errors
and POSTs are never publicly cacheable."""

from __future__ import annotations

import httpx
import pytest

from citygraph.app import create_app
from citygraph.config import Settings
from citygraph.services import Services
from tests.graphql.conftest import make_user, seed

PUBLIC = "public, max-age=0, must-revalidate"
QUERY = {"query": "{ districts { id title placeCount } }"}


async def test_anonymous_get_revalidates_with_304(
    client: httpx.AsyncClient, services: Services
) -> None:
    await seed(services, districts=2, places_per_district=1)
    first = await client.get("/graphql", params=QUERY)
    assert first.status_code == 200
    assert first.headers["cache-control"] == PUBLIC
    assert first.headers["vary"] == "Accept, Authorization"
    etag = first.headers["etag"]
    again = await client.get("/graphql", params=QUERY, headers={"If-None-Match": etag})
    assert (again.status_code, again.content) == (304, b"")
    assert (again.headers["etag"], again.headers["cache-control"]) == (etag, PUBLIC)
    other_media = await client.get(
        "/graphql",
        params=QUERY,
        headers={"If-None-Match": etag, "Accept": "application/graphql-response+json"},
    )
    assert other_media.status_code == 200  # another representation, another tag
    assert other_media.headers["etag"] != etag


async def test_a_write_on_another_worker_makes_the_next_answer_fresh(
    client: httpx.AsyncClient, settings: Settings, services: Services
) -> None:
    await seed(services, districts=1, places_per_district=0)
    before = await client.get("/graphql", params=QUERY)
    token = await make_user(services, "boss", staff=True)
    worker_b = Services.from_settings(settings)  # another worker: its own memory and engine
    try:
        transport = httpx.ASGITransport(app=create_app(settings, services=worker_b))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as b:
            created = await b.post(
                "/graphql",
                json={"query": 'mutation { createDistrict(input: {title: "Новый"}) { id } }'},
                headers={"Authorization": f"JWT {token}"},
            )
    finally:
        await worker_b.aclose()
    assert created.json()["data"]["createDistrict"]["id"]
    assert created.headers["cache-control"] == "private, no-store"
    after = await client.get(
        "/graphql", params=QUERY, headers={"If-None-Match": before.headers["etag"]}
    )
    assert after.status_code == 200
    assert "Новый" in after.text
    assert after.headers["etag"] != before.headers["etag"]
    revalidated = await client.get(
        "/graphql", params=QUERY, headers={"If-None-Match": after.headers["etag"]}
    )
    assert revalidated.status_code == 304


async def test_answers_to_credentials_are_never_public(
    client: httpx.AsyncClient, services: Services, user_token: str
) -> None:
    await seed(services, districts=1, places_per_district=0)
    anonymous = await client.get("/graphql", params=QUERY)
    headers = {"Authorization": f"JWT {user_token}", "If-None-Match": anonymous.headers["etag"]}
    for params in (QUERY, {"query": "{ me { username } }"}):
        response = await client.get("/graphql", params=params, headers=headers)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "private, no-store"
        assert "etag" not in response.headers


@pytest.mark.parametrize(
    ("method", "body", "expected"),
    [
        ("POST", QUERY, "private, no-cache"),
        ("GET", {"query": "{ districts { nope } }"}, "no-store"),
        ("GET", {"query": "{ places(first: 1000) { totalCount } }"}, "no-store"),
    ],
)
async def test_posts_and_errors_are_not_publicly_cacheable(
    client: httpx.AsyncClient, method: str, body: dict[str, str], expected: str
) -> None:
    if method == "POST":
        response = await client.post("/graphql", json=body)
    else:
        response = await client.get("/graphql", params=body)
    assert response.headers["cache-control"] == expected
