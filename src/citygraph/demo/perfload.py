"""Writes the benchmark data set (``perfdata``) into citygraph's own tables, fast.

Everything happens in one transaction: a failure leaves the database as it was. PostgreSQL gets
the rows through asyncpg's binary ``COPY`` (twice as fast as ``executemany`` for the
large set); SQLite through ``executemany`` in chunks. Afterwards the id sequences are moved past
the inserted ids, so rows created later through the APIs get fresh ids, and the planner
statistics are refreshed so the first benchmark queries see the real table sizes.

No image files are written: the rows point at paths under the media root that do not exist.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from citygraph.demo import perfdata
from citygraph.models import PLACE_SEARCH, District, Place, PlaceImage
from citygraph.textfold import fold

DISTRICTS: sa.Table = District.__table__  # type: ignore[attr-defined]
PLACES: sa.Table = Place.__table__  # type: ignore[attr-defined]
IMAGES: sa.Table = PlaceImage.__table__  # type: ignore[attr-defined]
TABLES = (DISTRICTS, PLACES, IMAGES)  # in foreign-key order
DISTRICT_COLUMNS = perfdata.DistrictRow._fields
#: A place row as ``perfdata`` makes it, then its folded title (``_with_folded_titles``).
PLACE_COLUMNS = (*perfdata.PlaceRow._fields, "title_folded")
IMAGE_COLUMNS = perfdata.ImageRow._fields
SQLITE_CHUNK = 5_000
SQLITE_MASTER = sa.table("sqlite_master", sa.column("type"), sa.column("name"), sa.column("sql"))
SQLITE_SEQUENCE = sa.table("sqlite_sequence", sa.column("name"), sa.column("seq"))

Progress = Callable[[int], object]
"""Called with the number of rows just written."""


class PerfLoadRefused(Exception):
    """The database is not ready for the data set (not migrated, or not empty)."""


@dataclass(frozen=True)
class LoadReport:
    scale: perfdata.Scale
    seed: int
    districts: int
    places: int
    images: int
    removed: tuple[int, int, int]  # rows deleted by ``replace``


async def load_perf_data(
    engine: AsyncEngine,
    scale: perfdata.Scale,
    *,
    seed: int = perfdata.DEFAULT_SEED,
    replace: bool = False,
    progress: Progress | None = None,
) -> LoadReport:
    """Load the ``scale`` data set; refuse a database that has districts, places or images
    unless ``replace`` (which deletes those rows first, and nothing else)."""
    step = progress or (lambda _rows: None)
    async with engine.begin() as connection:
        existing = await _row_counts(connection)
        if any(existing) and not replace:
            raise PerfLoadRefused(
                f"the database already has {existing[0]} districts, {existing[1]} places and "
                f"{existing[2]} images; pass --replace to delete them first (users are kept)"
            )
        if any(existing):
            await _clear(connection)
        write = _copy if connection.dialect.name == "postgresql" else _insert_many
        await write(connection, DISTRICTS, DISTRICT_COLUMNS, perfdata.districts())
        step(len(perfdata.DISTRICTS))
        for batch in perfdata.place_batches(scale, seed):
            await write(connection, PLACES, PLACE_COLUMNS, _with_folded_titles(batch.places))
            await write(connection, IMAGES, IMAGE_COLUMNS, batch.images)
            step(len(batch.places) + len(batch.images))
        await _advance_sequences(connection)
    await _analyze(engine)
    counts = perfdata.row_counts(scale)
    return LoadReport(scale, seed, *counts, removed=existing)


async def _row_counts(connection: AsyncConnection) -> tuple[int, int, int]:
    missing = await connection.run_sync(
        lambda sync: [t.name for t in TABLES if not sa.inspect(sync).has_table(t.name)]
    )
    if missing:
        raise PerfLoadRefused(f"table {missing[0]!r} does not exist: run `citygraph migrate` first")
    counts = [
        (await connection.execute(sa.select(sa.func.count()).select_from(table))).scalar_one()
        for table in TABLES
    ]
    return counts[0], counts[1], counts[2]


async def _clear(connection: AsyncConnection) -> None:
    if connection.dialect.name == "postgresql":
        names = ", ".join(table.name for table in TABLES)
        await connection.execute(sa.text(f"TRUNCATE {names}"))
        return
    for table in reversed(TABLES):
        await connection.execute(table.delete())


def _with_folded_titles(places: Sequence[perfdata.PlaceRow]) -> list[tuple[Any, ...]]:
    """The rows with ``title_folded`` appended: ``COPY`` bypasses the models' column default."""
    return [(*place, fold(place.title)) for place in places]


async def _copy(
    connection: AsyncConnection,
    table: sa.Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
) -> None:
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection  # asyncpg's, inside the transaction begun above
    await driver.copy_records_to_table(table.name, records=rows, columns=list(columns))


async def _insert_many(
    connection: AsyncConnection,
    table: sa.Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
) -> None:
    for start in range(0, len(rows), SQLITE_CHUNK):
        chunk = rows[start : start + SQLITE_CHUNK]
        await connection.execute(
            table.insert(), [dict(zip(columns, row, strict=True)) for row in chunk]
        )


async def _advance_sequences(connection: AsyncConnection) -> None:
    """Make the next generated id of each table its largest id + 1."""
    for table in TABLES:
        top = sa.select(sa.func.max(table.c.id)).scalar_subquery()
        if connection.dialect.name == "postgresql":
            sequence = sa.func.pg_get_serial_sequence(table.name, "id")
            await connection.execute(
                sa.select(sa.func.setval(sequence, sa.func.coalesce(top, 1), top.is_not(None)))
            )
        elif await _sqlite_autoincrement(connection, table.name):
            # SQLite picks max(rowid) + 1 by itself, except for AUTOINCREMENT tables: their
            # high-water mark in sqlite_sequence would survive the rows --replace deleted.
            await connection.execute(
                SQLITE_SEQUENCE.delete().where(SQLITE_SEQUENCE.c.name == table.name)
            )
            await connection.execute(SQLITE_SEQUENCE.insert().values(name=table.name, seq=top))


async def _sqlite_autoincrement(connection: AsyncConnection, name: str) -> bool:
    found = await connection.execute(
        sa.select(SQLITE_MASTER.c.name).where(
            SQLITE_MASTER.c.type == "table",
            SQLITE_MASTER.c.name == name,
            sa.func.upper(SQLITE_MASTER.c.sql).contains("AUTOINCREMENT"),
        )
    )
    return found.first() is not None


async def _analyze(engine: AsyncEngine) -> None:
    """Statistics for the planner; on PostgreSQL also the visibility map and hint bits, which
    the first reads of freshly copied rows would otherwise write (and autovacuum would chase
    while the benchmark measures)."""
    if engine.dialect.name == "postgresql":
        autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        async with autocommit.connect() as connection:
            names = [t.name for t in TABLES]
            # and the triggers' copy of places title search counts in, in a schema that has it
            # (0011; the benchmarks load older schemas too)
            copy = sa.select(sa.func.to_regclass(PLACE_SEARCH))
            if (await connection.execute(copy)).scalar() is not None:
                names.append(PLACE_SEARCH)
            await connection.execute(sa.text(f"VACUUM (ANALYZE) {', '.join(names)}"))
        return
    async with engine.begin() as connection:
        await connection.execute(sa.text("ANALYZE"))
