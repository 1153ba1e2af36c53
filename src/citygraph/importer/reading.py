"""Reading the source tables in id order, in batches, without loading a whole table at once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

BATCH_SIZE = 2000

Row = dict[str, Any]


def _table(name: str, columns: Sequence[str]) -> sa.TableClause:
    return sa.table(name, *(sa.column(column) for column in columns))


async def count_rows(connection: AsyncConnection, name: str) -> int:
    query = sa.select(sa.func.count()).select_from(_table(name, ["id"]))
    return int((await connection.execute(query)).scalar_one())


async def read_rows(
    connection: AsyncConnection, name: str, columns: Sequence[str], *, batch: int = BATCH_SIZE
) -> AsyncIterator[list[Row]]:
    """Every row of ``name`` (only ``columns``), ordered by id, ``batch`` rows at a time."""
    table = _table(name, columns)
    query = sa.select(*table.columns).order_by(table.c.id)
    result = await connection.stream(query.execution_options(yield_per=batch))
    async for partition in result.mappings().partitions(batch):
        yield [dict(row) for row in partition]
