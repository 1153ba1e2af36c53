"""The response cache: served from memory, revalidated with ETags, never stale after a write.

On SQLite and PostgreSQL: hits ask the database nothing; a write through any face is visible
in the very next response, also on another worker (same machine: the shared counter) and on
another machine (PostgreSQL's NOTIFY); requests with credentials, mutations and errors are
never kept; the ``Host`` header cannot put its URLs into what others receive in production.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from citygraph.app import create_app
from citygraph.domain import districts
from citygraph.domain.policy import SYSTEM
from citygraph.domain.unit import unit_of_work
from citygraph.security import jwt
from citygraph.services import Services
from tests.conftest import make_settings
from tests.reads.conftest import ReadGraph
from tests.support.server import live_server
from tests.support.sql import connections_used as recorded_statements
from tests.support.users import create_account

LISTS = ["/api/v1/disticts/", "/graphql?query={districts{id%20title}}"]
DISTRICTS_QUERY = {
    "query": "query Q($n: Int) { districts { id title places(first: $n) { totalCount } } }",
    "variables": {"n": 2},
}


def client_of(app: object, host: str = "testserver") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url=f"http://{host}")


async def add_district(services: Services, title: str) -> None:
    async with unit_of_work(services, actor=SYSTEM) as uow:
        await districts.create_district(uow, districts.DistrictForm.parse(title=title))


@pytest.mark.usefixtures("read_graph")
@pytest.mark.parametrize("path", LISTS)
async def test_hits_ask_nothing_and_revalidate(
    client: httpx.AsyncClient, services: Services, path: str
) -> None:
    first = await client.get(path)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "public, max-age=0, must-revalidate"
    assert first.headers["vary"] == "Accept, Authorization"
    with recorded_statements(services) as statements:
        second = await client.get(path)
        same = await client.get(path, headers={"If-None-Match": etag})
        other = await client.get(path, headers={"If-None-Match": '"something-else"'})
    assert statements == []
    assert (second.content, second.headers["etag"]) == (first.content, etag)
    assert (same.status_code, same.content, same.headers["etag"]) == (304, b"", etag)
    assert (other.status_code, other.content) == (200, first.content)
    assert second.headers["x-request-id"] != first.headers["x-request-id"]


@pytest.mark.usefixtures("read_graph")
async def test_graphql_posts_are_keyed_by_their_normalised_parameters(
    client: httpx.AsyncClient, services: Services
) -> None:
    body = json.dumps(DISTRICTS_QUERY)
    reordered = json.dumps({"variables": {"n": 2}, "query": DISTRICTS_QUERY["query"]})
    headers = {"Content-Type": "application/json"}
    first = await client.post("/graphql", content=body, headers=headers)
    with recorded_statements(services) as statements:
        again = await client.post("/graphql", content=reordered, headers=headers)
    assert statements == []
    assert again.content == first.content
    other = json.dumps({**DISTRICTS_QUERY, "variables": {"n": 3}})
    with recorded_statements(services) as statements:
        await client.post("/graphql", content=other, headers=headers)
    assert statements  # other variables, other entry


@pytest.mark.usefixtures("read_graph")
@pytest.mark.parametrize("path", LISTS)
async def test_a_write_is_visible_in_the_next_response(
    client: httpx.AsyncClient, services: Services, path: str
) -> None:
    before = await client.get(path)
    await client.get(path)  # cached now
    await add_district(services, "Новый округ")
    after = await client.get(path)
    assert "Новый округ" in after.text
    assert after.headers["etag"] != before.headers["etag"]
    stale = await client.get(path, headers={"If-None-Match": before.headers["etag"]})
    assert stale.status_code == 200


@pytest.mark.usefixtures("read_graph")
async def test_a_write_through_graphql_is_seen_by_every_face(
    client: httpx.AsyncClient, services: Services
) -> None:
    staff = await create_account(
        services, "boss", email="", password="Correct-Horse-9", active=True, staff=True
    )
    assert staff.id is not None
    for path in LISTS:
        await client.get(path)
    token = jwt.encode(services.settings, "access", staff.id)
    created = await client.post(
        "/graphql",
        json={"query": 'mutation { createDistrict(input: {title: "Через GraphQL"}) { id } }'},
        headers={"Authorization": f"JWT {token}"},
    )
    assert created.json()["data"]["createDistrict"]["id"]
    for path in LISTS:
        assert "Через GraphQL" in (await client.get(path)).text


async def test_other_workers_of_the_machine_see_a_write(
    settings: object, services: Services, read_graph: ReadGraph
) -> None:
    """Two apps (as two uvicorn workers) on one database share the machine's counter."""
    second = Services.from_settings(services.settings)
    try:
        async with (
            client_of(create_app(services.settings, services=services)) as one,
            client_of(create_app(services.settings, services=second)) as two,
        ):
            for client in (one, two):
                await client.get("/api/v1/disticts/")
            created = await one.post(
                "/graphql",
                json={"query": 'mutation { createDistrict(input: {title: "На первом"}) { id } }'},
                headers={"Authorization": f"JWT {await _staff_token(services)}"},
            )
            assert created.status_code == 200
            assert "На первом" in (await two.get("/api/v1/disticts/")).text
    finally:
        await second.aclose()


async def _staff_token(services: Services) -> str:
    staff = await create_account(
        services, "staffer", email="", password="Correct-Horse-9", active=True, staff=True
    )
    assert staff.id is not None
    return jwt.encode(services.settings, "access", staff.id)


@pytest.fixture
async def other_machine(
    services: Services, database_url: str, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """An app with a change counter of its own (another machine), listening to PostgreSQL."""
    settings = make_settings(database_url, tmp_path / "media", CITYGRAPH_RUNTIME_DIR=tmp_path)
    machine = Services.from_settings(settings)
    machine.changes.listen(settings.effective_database_url)
    moved = machine.changes.current()
    for _ in range(100):  # listening: the counter moves once connected
        if machine.changes.current() != moved:
            break
        await asyncio.sleep(0.05)
    async with client_of(create_app(settings, services=machine)) as client:
        yield client
    await machine.aclose()


@pytest.mark.usefixtures("read_graph")
@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_other_machines_hear_of_a_write_from_postgresql(
    services: Services, other_machine: httpx.AsyncClient, read_graph: ReadGraph
) -> None:
    await other_machine.get("/api/v1/disticts/")
    cached = await other_machine.get("/api/v1/disticts/")
    async with services.engine.begin() as connection:  # any writer: a script, psql
        await connection.execute(
            text("UPDATE districts SET title = 'Переименован' WHERE id = :id"),
            {"id": min(read_graph.district_ids)},
        )
    for _ in range(40):  # NOTIFY arrives within milliseconds
        fresh = await other_machine.get("/api/v1/disticts/")
        if fresh.content != cached.content:
            break
        await asyncio.sleep(0.05)
    assert "Переименован" in fresh.text


@pytest.mark.usefixtures("read_graph")
async def test_credentials_mutations_and_errors_are_never_kept(
    client: httpx.AsyncClient, services: Services
) -> None:
    token = await _staff_token(services)
    with recorded_statements(services) as statements:
        for _ in range(2):
            response = await client.get(
                "/api/v1/disticts/", headers={"Authorization": f"JWT {token}"}
            )
            assert "etag" not in response.headers
    assert len(statements) >= 2
    mutation = {"query": 'mutation { createDistrict(input: {title: "Дважды"}) { id } }'}
    for _ in range(2):
        await client.post("/graphql", json=mutation, headers={"Authorization": f"JWT {token}"})
        await client.post("/graphql", json=mutation)  # anonymous: refused, not remembered
    listed = await client.get("/api/v1/disticts/")
    assert listed.text.count("Дважды") == 2
    bad = {"query": "{ places(first: 500) { totalCount } }"}
    for _ in range(2):
        assert "etag" not in (await client.post("/graphql", json=bad)).headers


def test_the_host_header_cannot_poison_production(
    services: Services, database_url: str, read_graph: ReadGraph
) -> None:
    """A real server: its listening address, not the client's ``Host``, makes the URLs."""
    production = make_settings(
        database_url, services.settings.media_root, CITYGRAPH_ENV="production"
    )
    with live_server(production) as base, httpx.Client(base_url=base) as client:
        poisoned = client.get("/api/v1/disticts/", headers={"Host": "evil.example"})
        clean = client.get("/api/v1/disticts/")
    assert "evil.example" not in poisoned.text
    assert f"{base}/media/" in clean.text
    assert clean.content == poisoned.content
    with live_server(services.settings) as base, httpx.Client(base_url=base) as client:
        evil = client.get("/api/v1/disticts/", headers={"Host": "evil.example"})
        honest = client.get("/api/v1/disticts/")
    assert "http://evil.example/media/" in evil.text  # development: DRF's way, own cache key
    assert "evil.example" not in honest.text


async def test_the_cache_can_be_switched_off(
    services: Services, database_url: str, read_graph: ReadGraph
) -> None:
    settings = make_settings(
        database_url, services.settings.media_root, CITYGRAPH_RESPONSE_CACHE="off"
    )
    app = create_app(settings, services=services.sharing_connections(settings))
    async with client_of(app) as client:
        await client.get("/api/v1/disticts/")
        with recorded_statements(services) as statements:
            response = await client.get("/api/v1/disticts/")
    assert statements
    assert "etag" not in response.headers


@pytest.mark.usefixtures("read_graph")
async def test_variants_of_one_body_share_an_entry_that_a_write_refreshes(
    client: httpx.AsyncClient, services: Services
) -> None:
    """The bytes as sent are remembered with their normalised key: a repeat is keyed without
    decoding the JSON again, yet every variant (key order, whitespace) still shares the one
    entry, and the entry still goes stale with a write."""
    headers = {"Content-Type": "application/json"}
    compact = json.dumps(DISTRICTS_QUERY, separators=(",", ":"))
    spaced = json.dumps({"variables": {"n": 2}, "query": DISTRICTS_QUERY["query"]}, indent=2)
    first = await client.post("/graphql", content=compact, headers=headers)
    with recorded_statements(services) as statements:
        variant = await client.post("/graphql", content=spaced, headers=headers)
        repeat = await client.post("/graphql", content=compact, headers=headers)
    assert statements == []
    assert variant.content == repeat.content == first.content
    await add_district(services, "После записи")
    fresh = await client.post("/graphql", content=spaced, headers=headers)
    assert "После записи" in fresh.text
    with recorded_statements(services) as statements:
        again = await client.post("/graphql", content=compact, headers=headers)
    assert statements == []  # the variant's fresh answer
    assert again.content == fresh.content


@pytest.mark.usefixtures("read_graph")
async def test_remembered_keys_are_bounded_without_losing_entries(
    client: httpx.AsyncClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Forgetting the remembered keys (past their bound) only costs decoding again."""
    monkeypatch.setattr("citygraph.web.cache.MAX_ALIASES", 2)
    headers = {"Content-Type": "application/json"}
    bodies = [json.dumps(DISTRICTS_QUERY, indent=n) for n in range(4)]
    first = await client.post("/graphql", content=bodies[0], headers=headers)
    with recorded_statements(services) as statements:
        answers = [await client.post("/graphql", content=b, headers=headers) for b in bodies]
    assert statements == []
    assert {answer.content for answer in answers} == {first.content}


@pytest.mark.usefixtures("read_graph")
async def test_a_body_in_pieces_is_read_once_and_keyed_whole(
    client: httpx.AsyncClient, services: Services
) -> None:
    """The guard reads a body sent in pieces; the cache keys it by what the guard read."""
    body = json.dumps(DISTRICTS_QUERY).encode()

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 7):
            yield body[start : start + 7]

    headers = {"Content-Type": "application/json"}
    whole = await client.post("/graphql", content=body, headers=headers)
    with recorded_statements(services) as statements:
        cached = await client.post("/graphql", content=pieces(), headers=headers)
    assert statements == []
    assert (cached.status_code, cached.content) == (200, whole.content)
    assert cached.headers["etag"] == whole.headers["etag"]


@pytest.mark.usefixtures("read_graph")
async def test_every_accept_header_is_in_the_key(client: httpx.AsyncClient) -> None:
    """A face reads the first of several ``Accept`` headers: a request differing from a cached
    one in any of them is answered by the face, never with the other's representation."""
    graphql = "application/graphql-response+json"
    await client.post("/graphql", json=DISTRICTS_QUERY, headers={"Accept": "application/json"})
    both = [("Accept", graphql), ("Accept", "application/json")]
    answer = await client.post("/graphql", json=DISTRICTS_QUERY, headers=both)
    assert answer.headers["content-type"] == f"{graphql}; charset=utf-8"
    await client.get("/api/v1/disticts/", headers={"Accept": "application/json"})
    both = [("Accept", "application/json; indent=4"), ("Accept", "application/json")]
    indented = await client.get("/api/v1/disticts/", headers=both)
    assert indented.text.startswith("[\n    {")
