"""Moving id generators past the imported ids, so the next row citygraph creates gets a new id.

PostgreSQL: each table's sequence is set to the largest id unless it is already further
(``setval`` is not transactional, so it runs last, just before the commit; a sequence moved by a
failed import only skips ids). SQLite: a table declared ``AUTOINCREMENT`` keeps its counter in
``sqlite_sequence``, raised the same way; other tables take ``max(rowid) + 1`` by themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

_POSTGRES = sa.text(
    "SELECT setval(CAST(pg_get_serial_sequence(:table, 'id') AS regclass), :top) "
    "WHERE :top > COALESCE(pg_sequence_last_value("
    "CAST(pg_get_serial_sequence(:table, 'id') AS regclass)), 0)"
)
_SQLITE_HAS_SEQUENCE = sa.text(
    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'"
)
_SQLITE = sa.text("UPDATE sqlite_sequence SET seq = :top WHERE name = :table AND seq < :top")


async def _top(connection: AsyncConnection, table: str) -> int | None:
    query: sa.Select[Any] = sa.select(sa.func.max(sa.column("id"))).select_from(sa.table(table))
    value: object = (await connection.execute(query)).scalar_one()
    return None if value is None else int(str(value))


async def advance(connection: AsyncConnection, tables: Iterable[str]) -> None:
    """Raise the id generator of each of ``tables`` to at least its largest id."""
    dialect = connection.dialect.name
    has_sequence_table = dialect == "sqlite" and bool(
        (await connection.execute(_SQLITE_HAS_SEQUENCE)).scalar_one()
    )
    for table in tables:
        top = await _top(connection, table)
        if top is None:
            continue
        if dialect == "postgresql":
            await connection.execute(_POSTGRES, {"table": table, "top": top})
        elif has_sequence_table:
            await connection.execute(_SQLITE, {"table": table, "top": top})
