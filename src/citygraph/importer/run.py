"""``import_django``: the whole import, in one transaction of the target database.

Order: accounts, districts, places, images (each after what it refers to). For every source
row whose id citygraph does not have yet, the row is mapped (``mapping``), its media files are
copied (``media``), and it is inserted with its id. Rows whose id is already there are left as
they are, so a second run changes nothing and a run after the source grew adds only the new
rows. The id generators are moved past the imported ids before the commit (``sequences``).
Any failure rolls the transaction back and removes the files this run copied.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from citygraph.importer import mapping
from citygraph.importer.media import MediaCopier
from citygraph.importer.reading import Row, count_rows, read_rows
from citygraph.importer.sequences import advance
from citygraph.importer.source import COLUMNS, KINDS, SourceTables, discover, open_source
from citygraph.importer.summary import ImportSummary, TableReport
from citygraph.models import District, Place, PlaceImage, User
from citygraph.storage.base import MediaStore

TARGETS: dict[str, sa.Table] = {
    "users": User.__table__,  # type: ignore[attr-defined]
    "districts": District.__table__,  # type: ignore[attr-defined]
    "places": Place.__table__,  # type: ignore[attr-defined]
    "images": PlaceImage.__table__,  # type: ignore[attr-defined]
}


@dataclass
class ImportOptions:
    source: str
    media_root: Path
    dry_run: bool = False
    tables: dict[str, str | None] = field(default_factory=dict)  # kind -> explicit source name


@dataclass
class _Known:
    """Ids the target has, per kind (grown as rows are imported), and its usernames."""

    existing: dict[str, set[int]]
    usernames: dict[str, int]


async def _ids(connection: AsyncConnection, table: sa.Table) -> set[int]:
    return {int(ident) for ident in (await connection.execute(sa.select(table.c.id))).scalars()}


async def _known(connection: AsyncConnection) -> _Known:
    users = TARGETS["users"]
    names = await connection.execute(sa.select(users.c.username, users.c.id))
    return _Known(
        existing={kind: await _ids(connection, table) for kind, table in TARGETS.items()},
        usernames={name: int(ident) for name, ident in names},
    )


def _mapper(kind: str, known: _Known) -> Callable[[Row], mapping.Mapped]:
    if kind == "users":
        return mapping.user
    if kind == "districts":
        return mapping.district
    if kind == "places":
        return lambda row: mapping.place(row, known.existing["districts"])
    return lambda row: mapping.image(row, known.existing["places"])


class _Importer:
    def __init__(
        self,
        source: AsyncConnection,
        target: AsyncConnection | None,
        tables: SourceTables,
        media: MediaCopier,
        known: _Known,
        progress: Callable[[int], Any],
    ) -> None:
        self.source, self.target, self.tables = source, target, tables
        self.media, self.known, self.progress = media, known, progress

    async def table(self, kind: str, report: TableReport) -> None:
        existing = self.known.existing[kind]
        mapper = _mapper(kind, self.known)
        async for batch in read_rows(self.source, self.tables.name(kind), COLUMNS[kind]):
            rows: list[Row] = []
            for source_row in batch:
                report.read += 1
                ident = source_row["id"]
                if ident in existing:  # imported before: left as it is, its files completed
                    report.present += 1
                    for key in mapping.files(source_row):
                        await self.media.copy(key)
                    continue
                try:
                    mapped = mapper(source_row)
                    if kind == "users":
                        self._check_username(mapped.row)
                except mapping.Skip as exc:
                    report.skipped.append((ident, str(exc)))
                    continue
                for key in mapped.files:
                    await self.media.copy(key)
                rows.append(mapped.row)
            for row in rows:
                existing.add(row["id"])
            if rows and self.target is not None:
                await self.target.execute(sa.insert(TARGETS[kind]), rows)
            report.imported += len(rows)
            self.progress(len(batch))

    def _check_username(self, row: Row) -> None:
        owner = self.known.usernames.get(row["username"])
        if owner is not None:
            raise mapping.Skip(f"username {row['username']!r} belongs to citygraph account {owner}")
        self.known.usernames[row["username"]] = row["id"]


async def count_source(options: ImportOptions) -> tuple[SourceTables, int]:
    """The source's tables and how many rows they hold together (for the progress bar)."""
    engine = open_source(options.source)
    try:
        async with engine.connect() as connection:
            tables = await discover(connection, options.tables)
            total = 0
            for kind in KINDS:
                total += await count_rows(connection, tables.name(kind))
            return tables, total
    finally:
        await engine.dispose()


async def import_django(
    options: ImportOptions,
    engine: AsyncEngine,
    store: MediaStore,
    *,
    progress: Callable[[int], Any] = lambda _rows: None,
) -> ImportSummary:
    """Import the source into ``engine``'s database and ``store`` (see the module docstring)."""
    started = time.perf_counter()
    source_engine = open_source(options.source)
    media = MediaCopier(store, options.media_root, dry_run=options.dry_run)
    try:
        async with source_engine.connect() as source:
            tables = await discover(source, options.tables)
            summary = ImportSummary(
                {kind: TableReport(tables.name(kind)) for kind in KINDS}, dry_run=options.dry_run
            )
            try:
                async with engine.connect() as target:
                    transaction = await target.begin()
                    known = await _known(target)
                    writer = None if options.dry_run else target
                    importer = _Importer(source, writer, tables, media, known, progress)
                    for kind in KINDS:
                        await importer.table(kind, summary.tables[kind])
                    if options.dry_run:
                        await transaction.rollback()
                    else:
                        await advance(target, [table.name for table in TARGETS.values()])
                        await transaction.commit()
            except BaseException:
                await media.discard()
                raise
    finally:
        await source_engine.dispose()
    summary.files_copied = len(media.copied)
    summary.files_present = media.present
    summary.missing_files = media.missing
    summary.seconds = time.perf_counter() - started
    return summary
