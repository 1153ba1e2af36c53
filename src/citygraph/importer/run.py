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


#: What tells the source's row from another one with the same id: the columns compared when
#: the id is already in citygraph (equal: imported before; different: someone else's row).
IDENTITY: dict[str, tuple[str, ...]] = {
    "users": ("username",),
    "districts": ("title",),
    "places": ("title", "district_id"),
    "images": ("image",),
}
SINGULAR = {"users": "account", "districts": "district", "places": "place", "images": "image"}


@dataclass
class _Known:
    """What the target holds: ``taken`` ids with their identity, per kind; ``ours``, the ids
    holding the source's rows (imported by this run or an earlier one); the usernames."""

    taken: dict[str, dict[int, tuple[Any, ...]]]
    ours: dict[str, set[int]]
    usernames: dict[str, int]


async def _known(connection: AsyncConnection) -> _Known:
    taken: dict[str, dict[int, tuple[Any, ...]]] = {}
    for kind, table in TARGETS.items():
        columns = [table.c.id, *(table.c[name] for name in IDENTITY[kind])]
        result = await connection.execute(sa.select(*columns))
        taken[kind] = {int(row[0]): tuple(row[1:]) for row in result}
    usernames = {identity[0]: ident for ident, identity in taken["users"].items()}
    return _Known(taken, {kind: set() for kind in TARGETS}, usernames)


def _identity(kind: str, row: Row) -> tuple[Any, ...]:
    """The source row's identity as citygraph stores it (titles trimmed, as the forms do)."""
    values = (row[name] for name in IDENTITY[kind])
    if kind in ("districts", "places"):
        return tuple(value.strip() if isinstance(value, str) else value for value in values)
    return tuple(values)


def _mapper(kind: str, known: _Known) -> Callable[[Row], mapping.Mapped]:
    if kind == "users":
        return mapping.user
    if kind == "districts":
        return mapping.district
    if kind == "places":
        return lambda row: mapping.place(row, known.ours["districts"])
    return lambda row: mapping.image(row, known.ours["places"])


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
        taken, ours = self.known.taken[kind], self.known.ours[kind]
        mapper = _mapper(kind, self.known)
        async for batch in read_rows(self.source, self.tables.name(kind), COLUMNS[kind]):
            rows: list[Row] = []
            for source_row in batch:
                report.read += 1
                ident = source_row["id"]
                if ident in taken:
                    await self._present(kind, source_row, report)
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
            ours.update(row["id"] for row in rows)
            if rows and self.target is not None:
                await self.target.execute(sa.insert(TARGETS[kind]), rows)
            report.imported += len(rows)
            self.progress(len(batch))

    async def _present(self, kind: str, source_row: Row, report: TableReport) -> None:
        """A row whose id citygraph has: the same row imported before (left as it is, its
        missing files completed), or another row that holds the id (skipped, reported)."""
        ident = source_row["id"]
        if self.known.taken[kind][ident] != _identity(kind, source_row):
            report.skipped.append(
                (ident, f"id {ident} holds another {SINGULAR[kind]} in citygraph; left as it is")
            )
            return
        report.present += 1
        self.known.ours[kind].add(ident)
        for key in mapping.files(source_row):
            await self.media.copy(key)

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
