"""Loading the small set into real SQLite and PostgreSQL databases (the large one is measured by
``make bench-large``, not tested: it takes seconds)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from citygraph.db import create_engine, session_scope
from citygraph.demo import perfdata, perfload
from citygraph.models import District, Place, PlaceImage, PlaceType
from citygraph.services import Services
from citygraph.textfold import fold
from tests.perfdata.rig import DIGESTS, SAMPLE_IMAGES, SAMPLE_PLACES, digest
from tests.support.users import create_account

Rows = dict[str, list[tuple[object, ...]]]


async def read_back(engine: AsyncEngine) -> Rows:
    """Every row of the three tables in id order, values as the app reads them: the rig's
    columns (a place's derived ``title_folded`` is checked by ``folded_titles``)."""
    rows: Rows = {}
    columns = (perfdata.DistrictRow._fields, perfdata.PlaceRow._fields, perfdata.ImageRow._fields)
    async with engine.connect() as connection:
        for name, table, names in zip(
            ("districts", "places", "images"), perfload.TABLES, columns, strict=True
        ):
            selected = sa.select(*(table.c[column] for column in names))
            result = await connection.execute(selected.order_by(table.c.id))
            rows[name] = [
                tuple(str(v) if isinstance(v, PlaceType) else v for v in row) for row in result
            ]
    return rows


async def test_small_set_is_the_rigs_rows(services: Services) -> None:
    report = await perfload.load_perf_data(services.engine, "small")
    assert (report.districts, report.places, report.images) == (12, 1200, 3600)
    assert report.removed == (0, 0, 0)

    rows = await read_back(services.engine)
    assert [len(rows[name]) for name in ("districts", "places", "images")] == [12, 1200, 3600]
    assert {name: digest(table) for name, table in rows.items()} == DIGESTS["small"]
    for number, expected in SAMPLE_PLACES.items():
        assert rows["places"][number - 1] == expected
    for number, expected in SAMPLE_IMAGES.items():
        assert rows["images"][number - 1] == expected
    assert isinstance(rows["places"][0][4], Decimal)
    assert await folded_titles(services.engine) == 1200


async def folded_titles(engine: AsyncEngine) -> int:
    """How many places were loaded with ``title_folded`` = ``fold(title)`` (all of them, or
    this fails)."""
    places = perfload.PLACES
    async with engine.connect() as connection:
        rows = (await connection.execute(sa.select(places.c.title, places.c.title_folded))).all()
    assert [folded for _title, folded in rows] == [fold(title) for title, _folded in rows]
    assert any(folded != title for title, folded in rows)
    return len(rows)


async def test_loading_twice_gives_the_same_rows(services: Services) -> None:
    await perfload.load_perf_data(services.engine, "small")
    first = await read_back(services.engine)
    report = await perfload.load_perf_data(services.engine, "small", replace=True)
    assert report.removed == (12, 1200, 3600)
    assert await read_back(services.engine) == first


async def test_refuses_a_database_with_data_and_changes_nothing(services: Services) -> None:
    async with session_scope(services.sessions) as session:
        session.add(District(title="Свой округ", abbreviation="СО"))
    before = await read_back(services.engine)

    with pytest.raises(perfload.PerfLoadRefused, match=r"1 districts, 0 places.*--replace"):
        await perfload.load_perf_data(services.engine, "small")
    assert await read_back(services.engine) == before


async def test_replace_removes_only_districts_places_and_images(services: Services) -> None:
    user = await create_account(
        services, "keeper", email="keeper@example.com", password="x", active=True, staff=False
    )
    await perfload.load_perf_data(services.engine, "small", seed=7)
    await perfload.load_perf_data(services.engine, "small", replace=True)

    rows = await read_back(services.engine)
    assert digest(rows["places"]) == DIGESTS["small"]["places"]
    async with services.engine.connect() as connection:
        users = (await connection.execute(sa.text("SELECT username FROM users"))).scalars().all()
    assert users == [user.username]


async def test_rows_created_afterwards_get_the_next_ids(services: Services) -> None:
    await perfload.load_perf_data(services.engine, "small", seed=7)
    await perfload.load_perf_data(services.engine, "small", replace=True)
    async with session_scope(services.sessions) as session:
        district = District(title="Новый округ", abbreviation="НО")
        session.add(district)
        await session.flush()
        assert district.id is not None
        place = Place(
            title="Новое место",
            longitude=Decimal("37.6"),
            latitude=Decimal("55.7"),
            district_id=district.id,
        )
        session.add(place)
        await session.flush()
        assert place.id is not None
        image = PlaceImage(image="places/new.jpg", place_id=place.id)
        session.add(image)
        await session.flush()
    assert (district.id, place.id, image.id) == (13, 1201, 3601)


async def test_an_unmigrated_database_is_refused(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/empty.sqlite3")
    try:
        with pytest.raises(perfload.PerfLoadRefused, match="citygraph migrate"):
            await perfload.load_perf_data(engine, "small")
    finally:
        await engine.dispose()


SQLITE_AUTOINCREMENT_SCHEMA = (
    "CREATE TABLE districts (id INTEGER PRIMARY KEY AUTOINCREMENT, title VARCHAR(100) NOT NULL,"
    " abbreviation VARCHAR(10) NOT NULL, image VARCHAR(255))",
    "CREATE TABLE places (id INTEGER PRIMARY KEY AUTOINCREMENT, title VARCHAR(200) NOT NULL,"
    " title_folded TEXT NOT NULL, short_description VARCHAR(300) NOT NULL,"
    " full_description TEXT NOT NULL,"
    " longitude FLOAT NOT NULL, latitude FLOAT NOT NULL, type VARCHAR(32) NOT NULL,"
    " district_id INTEGER NOT NULL REFERENCES districts (id))",
    "CREATE TABLE place_images (id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " image VARCHAR(255) NOT NULL, place_id INTEGER NOT NULL REFERENCES places (id))",
)


async def test_sqlite_autoincrement_tables_continue_after_the_loaded_ids(tmp_path: Path) -> None:
    """A database whose tables use AUTOINCREMENT (e.g. created by hand or by another tool) keeps
    a high-water mark in sqlite_sequence; after --replace it must follow the loaded ids."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/autoincrement.sqlite3")
    try:
        async with engine.begin() as connection:
            for statement in SQLITE_AUTOINCREMENT_SCHEMA:
                await connection.execute(sa.text(statement))
            await connection.execute(
                sa.text("INSERT INTO districts (id, title, abbreviation) VALUES (900, 'x', 'x')")
            )
        await perfload.load_perf_data(engine, "small", replace=True)
        async with engine.begin() as connection:
            sequence: dict[str, int] = dict(
                (await connection.execute(sa.text("SELECT name, seq FROM sqlite_sequence"))).all()
            )
            new_id = (
                await connection.execute(
                    sa.text(
                        "INSERT INTO districts (title, abbreviation) VALUES ('y', 'y') RETURNING id"
                    )
                )
            ).scalar_one()
        assert sequence == {"districts": 12, "places": 1200, "place_images": 3600}
        assert new_id == 13
    finally:
        await engine.dispose()
