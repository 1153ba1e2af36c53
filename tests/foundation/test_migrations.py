"""Migrations build the models' schema from empty, identically on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from citygraph import migrate
from tests.support.pg import PostgresDatabase, provision_postgres


def _fresh_url(backend: str, tmp_path: Path) -> tuple[str, PostgresDatabase | None]:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'fresh.sqlite3'}", None
    database = provision_postgres(fresh=True)
    if database is None:
        pytest.fail("PostgreSQL is not reachable")
    return database.url, database


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_migrations_from_empty_match_models(backend: str, tmp_path: Path) -> None:
    url, database = _fresh_url(backend, tmp_path)
    try:
        migrate.upgrade(url)
        assert asyncio.run(migrate.schema_diff(url)) == []
        migrate.downgrade(url)
        assert asyncio.run(migrate.schema_diff(url)) != []
        migrate.upgrade(url)
        assert asyncio.run(migrate.schema_diff(url)) == []
    finally:
        if database is not None:
            database.drop()
