"""Probes and the start page, over HTTP."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from citygraph.app import create_app
from citygraph.config import ConfigurationError, Settings
from tests.conftest import make_settings
from tests.support.pg import execute, provision_postgres


async def test_healthz_and_readyz(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ok"
    assert ready.headers["x-request-id"]


async def test_start_page_links_to_every_face(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    for link in ('href="/graphql"', 'href="/api/docs"', 'href="/admin/"'):
        assert link in page.text


async def _ready_status(app_client: httpx.AsyncClient) -> int:
    return (await app_client.get("/readyz")).status_code


@pytest.mark.postgres
async def test_readyz_follows_postgres_availability(tmp_path: Path) -> None:
    database = await asyncio.to_thread(provision_postgres, fresh=True)
    assert database is not None and database.admin_url is not None, "PostgreSQL unreachable"
    name = database.url.rsplit("/", 1)[1]
    app = create_app(make_settings(database.url, tmp_path))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert await _ready_status(client) == 200
            await execute(database.admin_url, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            await execute(
                database.admin_url,
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'",
            )
            down = await client.get("/readyz")
            assert down.status_code == 503
            assert down.json() == {"status": "unavailable", "reason": "database unreachable"}
            await execute(database.admin_url, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            assert await _ready_status(client) == 200
    finally:
        await app.state.services.aclose()
        await asyncio.to_thread(database.drop)


async def test_readyz_follows_sqlite_availability(tmp_path: Path) -> None:
    folder = tmp_path / "db"
    folder.mkdir()
    app = create_app(make_settings(f"sqlite+aiosqlite:///{folder / 'x.sqlite3'}", tmp_path))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert await _ready_status(client) == 200
            await app.state.services.engine.dispose()
            moved = folder.rename(tmp_path / "gone")
            assert await _ready_status(client) == 503
            moved.rename(folder)
            assert await _ready_status(client) == 200
    finally:
        await app.state.services.aclose()


def test_production_refuses_the_development_secret(tmp_path: Path) -> None:
    settings = Settings(CITYGRAPH_ENV="production", CITYGRAPH_MEDIA_ROOT=tmp_path)  # type: ignore[call-arg]
    with pytest.raises(ConfigurationError, match="CITYGRAPH_SECRET_KEY"):
        create_app(settings)
