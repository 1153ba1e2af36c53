"""Migrations build the models' schema from empty, identically on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa

from citygraph import migrate
from citygraph.db import create_engine
from citygraph.textfold import fold
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


TITLES = ["Парк «ЗАРЯДЬЕ»", "Straße 50%_off", "ΟΔΟΣ", "Café"]


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_folded_titles_are_filled_in_and_dropped_again(backend: str, tmp_path: Path) -> None:
    """0010 folds the titles already there with the Python rule; its downgrade removes them."""
    url, database = _fresh_url(backend, tmp_path)
    try:
        migrate.upgrade(url, "0006")
        asyncio.run(_insert_places(url))
        migrate.upgrade(url)
        assert asyncio.run(_folded(url)) == [fold(title) for title in TITLES]
        assert asyncio.run(_folded(url)) == ["парк «зарядье»", "strasse 50%_off", "οδοσ", "café"]
        migrate.downgrade(url, "0006")
        assert asyncio.run(migrate.schema_diff(url)) != []
        migrate.upgrade(url)
        assert asyncio.run(migrate.schema_diff(url)) == []
        assert asyncio.run(_folded(url)) == [fold(title) for title in TITLES]
    finally:
        if database is not None:
            database.drop()


async def _insert_places(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                sa.text("INSERT INTO districts (id, title, abbreviation) VALUES (1, 'Д', 'Д')")
            )
            for number, title in enumerate(TITLES, start=1):
                await connection.execute(
                    sa.text(
                        "INSERT INTO places (id, title, short_description, full_description, "
                        "longitude, latitude, type, district_id) "
                        "VALUES (:id, :title, '', '', 37.6, 55.7, 'park', 1)"
                    ),
                    {"id": number, "title": title},
                )
    finally:
        await engine.dispose()


async def _folded(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(sa.text("SELECT title_folded FROM places ORDER BY id"))
            return [row[0] for row in rows]
    finally:
        await engine.dispose()
