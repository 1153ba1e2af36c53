"""A page of a filtered, ordered list as SQL: the one place both read paths take it from.

:class:`Listing` says which rows (a condition on a row alias: ``filters``), in which order and
after which row (``orderings``); its methods write the SQL of the page, of the total and of
whether rows precede the page. The executor's resolvers run them and load the rows they name
(``fetch_page``); the compiled reads build the response's JSON around the very same SQL
(``graphql.compiler``), so both paths page alike by construction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from citygraph.domain.orderings import Ordering, after_sql, cursor_sql, order_by_sql
from citygraph.jsonsql import Dialect, Sql, fetch_all

#: A condition on the rows of a table, given the statement's parameters and the row's alias.
Condition = Callable[[Sql, str], str]


def everything(_sql: Sql, _alias: str) -> str:
    return "TRUE"


@dataclass(frozen=True)
class Listing:
    table: str
    where: Condition
    ordering: Ordering
    first: int | None = None  # None: every row
    after: tuple[Any, ...] | None = None
    #: On PostgreSQL, a narrower table holding every column ``where`` reads, one row per row
    #: of ``table`` (kept by triggers): the total is counted there.
    count_table: str | None = None

    def _condition(self, sql: Sql, alias: str, *, after: bool) -> str:
        condition = self.where(sql, alias)
        if after and self.after is not None:
            condition = f"{condition} AND {after_sql(sql, alias, self.ordering, self.after)}"
        return condition

    def rows_sql(self, sql: Sql, alias: str, limit: int | None, columns: str = "*") -> str:
        """The page's rows (``limit``: ``first`` for the page, ``first + 1`` to see beyond,
        None for every row)."""
        return (
            f"SELECT {columns} FROM {self.table} AS {alias} "
            f"WHERE {self._condition(sql, alias, after=True)} "
            f"ORDER BY {self.order_by(sql, alias)}" + ("" if limit is None else f" LIMIT {limit}")
        )

    def order_by(self, sql: Sql, alias: str, *, reverse: bool = False) -> str:
        return order_by_sql(sql, alias, self.ordering, reverse=reverse)

    def cursor(self, sql: Sql, alias: str) -> str:
        return cursor_sql(sql, alias, self.ordering)

    def count_sql(self, sql: Sql) -> str:
        """The number of matching rows, whatever the page."""
        q = sql.alias("q")
        table = self.count_table if self.count_table is not None and sql.postgres else self.table
        return f"(SELECT count(*) FROM {table} AS {q} WHERE {self.where(sql, q)})"

    def before_sql(self, sql: Sql) -> str:
        """Whether any match comes at or before the ``after`` row (Relay's hasPreviousPage)."""
        if self.after is None:
            return "FALSE"
        q = sql.alias("q")
        before = f"NOT {after_sql(sql, q, self.ordering, self.after)}"
        return f"EXISTS (SELECT 1 FROM {self.table} AS {q} WHERE {self.where(sql, q)} AND {before})"


@dataclass(frozen=True)
class FetchedPage:
    """The ids and cursors of up to ``first + 1`` rows, the total and whether rows precede."""

    ids: list[int]
    cursors: list[str]
    total_count: int
    has_previous: bool


async def fetch_page(session: AsyncSession, listing: Listing) -> FetchedPage:
    """Run a listing: one statement for the page, one for the total and what precedes it."""
    connection = await session.connection()
    dialect = _dialect(connection)
    sql = Sql(dialect)
    p = sql.alias("p")
    columns = f"{p}.id, {listing.cursor(sql, p)}"
    limit = None if listing.first is None else listing.first + 1
    rows = await fetch_all(connection, listing.rows_sql(sql, p, limit, columns), sql.bound())
    sql = Sql(dialect)
    statement = f"SELECT {listing.count_sql(sql)}, {listing.before_sql(sql)}"
    ((total, before),) = await fetch_all(connection, statement, sql.bound())
    return FetchedPage(
        ids=[row[0] for row in rows],
        cursors=[row[1] for row in rows],
        total_count=int(total),
        has_previous=bool(before),
    )


async def fetch_rows(
    session: AsyncSession, listing: Listing, columns: Callable[[Sql, str], str]
) -> list[Sequence[Any]]:
    """The listing's rows (``columns`` of each, given the row alias), in order."""
    connection = await session.connection()
    sql = Sql(_dialect(connection))
    p = sql.alias("p")
    statement = listing.rows_sql(sql, p, listing.first, columns(sql, p))
    return await fetch_all(connection, statement, sql.bound())


def _dialect(connection: AsyncConnection) -> Dialect:
    return "postgresql" if connection.dialect.name == "postgresql" else "sqlite"
