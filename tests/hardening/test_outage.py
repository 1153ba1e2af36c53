"""A database outage is a 503 with ``Retry-After`` on every face, anonymous or signed in, and
service resumes within a second of the database coming back (a real PostgreSQL behind a TCP
proxy the test stops and restarts)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from citygraph.app import create_app
from citygraph.models import User
from citygraph.security import jwt
from citygraph.services import Services
from tests.conftest import make_settings, reset_database
from tests.hardening.proxy import TcpProxy
from tests.support.users import create_account

pytestmark = pytest.mark.postgres

REST_503 = {"detail": "The service is temporarily unavailable; try again shortly."}
GRAPHQL_503 = "The service is temporarily unavailable; try again shortly."


class Outage:
    def __init__(self, proxy: TcpProxy, client: httpx.AsyncClient, token: str) -> None:
        self.proxy = proxy
        self.client = client
        self.auth = {"Authorization": f"JWT {token}"}


@pytest.fixture
async def outage(postgres_url: str, tmp_path: Path) -> AsyncIterator[Outage]:
    url = make_url(postgres_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    settings = make_settings(proxied, tmp_path / "media", CITYGRAPH_RESPONSE_CACHE=False)
    services = Services.from_settings(settings)
    await reset_database(services)
    staff: User = await create_account(
        services, "staff", email="staff@example.com", password="x-Pass-123", active=True, staff=True
    )
    assert staff.id is not None
    token = jwt.encode(settings, "access", staff.id)
    app = create_app(settings, services=services)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        try:
            yield Outage(proxy, client, token)
        finally:
            if proxy._server is None:
                await proxy.start()
            await services.aclose()
            await proxy.stop()


LIST = "GET, HEAD, OPTIONS"
ACTION = "POST, OPTIONS"
INSTANCE = "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"


def assert_rest_503(response: httpx.Response, allow: str) -> None:
    """DRF's 503, with the headers DRF puts on every answer of the route (``Allow``, ``Vary``)."""
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["retry-after"]) > 0
    assert response.headers["x-request-id"]
    assert response.headers["allow"] == allow
    assert response.headers["vary"] == "Accept"
    assert response.json() == REST_503


def assert_graphql_503(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert int(response.headers["retry-after"]) > 0
    assert "allow" not in response.headers  # REST's answer headers stay REST's
    errors = response.json()["errors"]
    assert errors, response.text
    for error in errors:
        assert error["message"] == GRAPHQL_503
        assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"


async def requests_during_outage(o: Outage) -> None:
    c = o.client
    # REST: anonymous read, signed-in read, signed-in write, login
    assert_rest_503(await c.get("/api/v1/disticts/"), LIST)
    assert_rest_503(await c.get("/api/v1/places/?district_id=1"), LIST)
    assert_rest_503(await c.get("/auth/users/me/", headers=o.auth), INSTANCE)
    assert_rest_503(
        await c.post("/api/v1/district_create/", json={"title": "Новый"}, headers=o.auth), ACTION
    )
    assert_rest_503(
        await c.post("/auth/jwt/create/", json={"username": "staff", "password": "x-Pass-123"}),
        ACTION,
    )
    # GraphQL: the compiled read (anonymous), the executor (signed in), a mutation (anonymous)
    assert_graphql_503(await c.post("/graphql", json={"query": "{ districts { id title } }"}))
    assert_graphql_503(await c.get("/graphql", params={"query": "{ districts { id } }"}))
    assert_graphql_503(await c.post("/graphql", json={"query": "{ me { id } }"}, headers=o.auth))
    assert_graphql_503(
        await c.post(
            "/graphql",
            json={"query": 'mutation { createToken(username: "staff", password: "x") { access } }'},
        )
    )


async def test_outage_then_recovery(outage: Outage) -> None:
    c = outage.client
    assert (await c.get("/api/v1/disticts/")).status_code == 200  # the pool holds connections
    assert (await c.post("/graphql", json={"query": "{ me { id } }"}, headers=outage.auth)).json()[
        "data"
    ]["me"]["id"]

    await outage.proxy.stop()
    await requests_during_outage(outage)
    await requests_during_outage(outage)  # still down: no connection left to reuse either

    await outage.proxy.start()
    started = time.monotonic()
    while (await c.get("/api/v1/disticts/")).status_code != 200:
        assert time.monotonic() - started < 1.0, "not recovered within a second"
        await asyncio.sleep(0.02)
    recovered = time.monotonic() - started
    print(f"recovered {recovered * 1000:.0f} ms after the database came back")
    assert recovered < 1.0
    assert (await c.get("/auth/users/me/", headers=outage.auth)).status_code == 200
    response = await c.post("/graphql", json={"query": "{ me { id } }"}, headers=outage.auth)
    assert response.status_code == 200
    assert response.json()["data"]["me"]["id"]
    response = await c.post("/graphql", json={"query": "{ districts { id } }"})
    assert response.status_code == 200
