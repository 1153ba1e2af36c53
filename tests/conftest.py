"""Shared fixtures: the real app over HTTP, on a real SQLite file and a real PostgreSQL database.

Every test that takes ``backend`` (directly or through ``services``/``client``) runs twice: once on
SQLite and once on PostgreSQL. PostgreSQL comes from ``CITYGRAPH_TEST_POSTGRES_URL`` (``.ci/run``
creates a fresh database per run) or, failing that, a database this session creates on the local
server and drops at the end. Without a reachable server the PostgreSQL runs skip locally and fail
in CI (``CI=true``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from citygraph import migrate
from citygraph.app import create_app
from citygraph.config import Settings
from citygraph.services import Services
from tests.support.pg import PostgresDatabase, provision_postgres

IN_CI = os.environ.get("CI", "").lower() == "true"
TEST_SECRET = "test-secret-key-for-citygraph-tests-0123456789"
TABLES = (
    "place_images",
    "places",
    "districts",
    "token_blacklist",
    "users",
    "outbox",
    "persisted_queries",
    "change_log",
)


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("db") / "citygraph-test.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[PostgresDatabase | None]:
    database = provision_postgres()
    if database is None:
        yield None
        return
    migrate.upgrade(database.url)
    yield database
    database.drop()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, sqlite_url: str, postgres_database: PostgresDatabase | None) -> str:
    if backend == "sqlite":
        return sqlite_url
    return _reachable(postgres_database)


def _reachable(postgres_database: PostgresDatabase | None) -> str:
    if postgres_database is None:
        message = "PostgreSQL is not reachable (set CITYGRAPH_TEST_POSTGRES_URL)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return postgres_database.url


@pytest.fixture
def postgres_url(postgres_database: PostgresDatabase | None) -> str:
    """The run's PostgreSQL database, for tests that are about PostgreSQL itself."""
    return _reachable(postgres_database)


def make_settings(database_url: str, media_root: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "DATABASE_URL": database_url,
        "CITYGRAPH_SECRET_KEY": TEST_SECRET,
        "CITYGRAPH_MEDIA_ROOT": media_root,
        "CITYGRAPH_BCRYPT_ROUNDS": 4,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path / "media")


async def reset_database(services: Services) -> None:
    async with services.engine.begin() as connection:
        if services.engine.dialect.name == "postgresql":
            await connection.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
        else:
            for table in TABLES:
                await connection.execute(text(f"DELETE FROM {table}"))
            # RESTART IDENTITY's counterpart: the AUTOINCREMENT counters start again too.
            await connection.execute(text("DELETE FROM sqlite_sequence"))


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    services = Services.from_settings(settings)
    await reset_database(services)
    yield services
    await services.aclose()


@pytest.fixture
async def client(settings: Settings, services: Services) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, services=services)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:8]
