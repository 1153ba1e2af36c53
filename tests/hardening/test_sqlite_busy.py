"""SQLite locked past its busy timeout is an outage too: 503 with ``Retry-After``, not a 500."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from citygraph.app import create_app
from citygraph.security import jwt
from citygraph.services import Services
from tests.conftest import make_settings, reset_database
from tests.support.users import create_account


@pytest.fixture
async def sqlite_client(
    sqlite_url: str, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    settings = make_settings(sqlite_url, tmp_path / "media", CITYGRAPH_RESPONSE_CACHE=False)
    services = Services.from_settings(settings)
    await reset_database(services)
    staff = await create_account(
        services, "staff", email="staff@example.com", password="x-Pass-123", active=True, staff=True
    )
    assert staff.id is not None
    app = create_app(settings, services=services)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        yield client, jwt.encode(settings, "access", staff.id)
    await services.aclose()


async def test_write_while_another_process_holds_the_lock(
    sqlite_client: tuple[httpx.AsyncClient, str], sqlite_url: str
) -> None:
    client, token = sqlite_client
    auth = {"Authorization": f"JWT {token}"}
    holder = sqlite3.connect(make_url(sqlite_url).database or "", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another writer, holding the lock
        response = await client.post(
            "/api/v1/district_create/", json={"title": "Заблокированный"}, headers=auth
        )
        assert response.status_code == 503, response.text
        assert response.json() == {
            "detail": "The service is temporarily unavailable; try again shortly."
        }
        assert int(response.headers["retry-after"]) > 0
        # DRF's headers of the route, on the boundary's answer too
        assert (response.headers["allow"], response.headers["vary"]) == ("POST, OPTIONS", "Accept")
        response = await client.post(
            "/graphql",
            json={"query": 'mutation { createDistrict(input: {title: "Б"}) { id } }'},
            headers=auth,
        )
        assert response.status_code == 503, response.text
        assert response.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    response = await client.post(
        "/api/v1/district_create/", json={"title": "Свободный"}, headers=auth
    )
    assert response.status_code == 201, response.text
