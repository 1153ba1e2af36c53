"""JSON text built by the database: compact, in a given key order, the same bytes as orjson.

The read paths (compiled GraphQL reads, the REST lists) ask one SQL statement for the finished
JSON text instead of rows to serialise in Python. Both databases build it by string
concatenation, so the output is exactly what ``orjson.dumps`` would write for the same values:
no spaces, keys in the order asked, UTF-8 text unescaped, ``"``/``\\``/control characters
escaped as orjson escapes them (``to_json`` on PostgreSQL and ``json_quote`` on SQLite agree
with it; ``tests/graphql/test_compiled.py`` checks that they keep agreeing).

A :class:`Sql` collects the bind parameters of one statement (``$n`` for asyncpg, ``:pn`` for
SQLite: both by number, so fragments may be assembled in any order) and offers the few
expressions the read graph needs; every method returns SQL text whose value is JSON text
(never NULL).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncConnection

Dialect = Literal["postgresql", "sqlite"]


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


@dataclass
class Sql:
    dialect: Dialect
    params: list[object] = field(default_factory=list)
    _aliases: int = 0
    _named: dict[str, str] = field(default_factory=dict)

    @property
    def postgres(self) -> bool:
        return self.dialect == "postgresql"

    def param(self, value: object, cast: str) -> str:
        """A bind parameter; ``cast`` is its PostgreSQL type (``int``, ``text``, ``float8``)."""
        self.params.append(value)
        if self.postgres:
            return f"${len(self.params)}::{cast}"
        return f":p{len(self.params)}"

    def bound(self) -> tuple[object, ...] | dict[str, object]:
        """The parameters as the driver takes them: positional (asyncpg), named (SQLite)."""
        if self.postgres:
            return tuple(self.params)
        return {f"p{n}": value for n, value in enumerate(self.params, start=1)}

    def named(self, name: str, value: object, cast: str) -> str:
        """A bind parameter used in several places, bound once (PostgreSQL) or repeated."""
        if not self.postgres:
            return self.param(value, cast)
        if name not in self._named:
            self._named[name] = self.param(value, cast)
        return self._named[name]

    def alias(self, prefix: str) -> str:
        self._aliases += 1
        return f"{prefix}{self._aliases}"

    # --- values ------------------------------------------------------------------------------

    def utf8(self, expr: str) -> str:
        """A text expression as its UTF-8 bytes: the driver hands them over as they are, where
        text would be decoded into a ``str`` only to be encoded again for the response (for a
        100-place list, the two cost more server time than the rest of the request)."""
        return f"convert_to({expr}, 'UTF8')" if self.postgres else f"CAST({expr} AS BLOB)"

    def concat(self, parts: Iterable[str]) -> str:
        return "(" + " || ".join(parts) + ")"

    def string(self, expr: str) -> str:
        """A JSON string of a non-null text expression."""
        return f"to_json({expr})::text" if self.postgres else f"json_quote({expr})"

    def nullable_string(self, expr: str) -> str:
        return f"COALESCE({self.string(expr)}, 'null')"

    def integer(self, expr: str) -> str:
        return f"({expr})::text" if self.postgres else f"CAST({expr} AS TEXT)"

    def coordinate(self, expr: str) -> str:
        """A coordinate as the ``Decimal`` scalar writes it: a string with exactly 6 decimals.

        PostgreSQL's ``NUMERIC(9, 6)`` prints 6 decimals; SQLite's ``REAL`` is printed with 6
        (the stored double is within an ulp of a 6-decimal value, so rounding cannot tip).
        """
        if self.postgres:
            return self.string(f"({expr})::text")
        return self.string(f"printf('%.6f', {expr})")

    def float_(self, expr: str) -> str:
        """A JSON number as orjson writes a float (shortest round-trip digits).

        PostgreSQL prints float8 that way too, but whole numbers without ``.0`` (``1500``), and
        it switches to exponents at other magnitudes than orjson: this is for values in
        ``[0, 1e15)`` with at most 6 decimals' worth of meaning, such as distances in metres.
        SQLite has no shortest form: ``cg_float`` (registered in ``db``) is orjson itself.
        """
        if not self.postgres:
            return f"cg_float({expr})"
        return (
            f"(CASE WHEN ({expr}) = trunc({expr}) THEN trunc({expr})::bigint::text || '.0' "
            f"ELSE ({expr})::text END)"
        )

    def boolean(self, condition: str) -> str:
        return f"(CASE WHEN {condition} THEN 'true' ELSE 'false' END)"

    # --- lists ---------------------------------------------------------------------------------

    def array(self, item: str, source: str, order_by: str) -> str:
        """A JSON array of ``item`` over the rows of ``source`` (a FROM clause), in order."""
        if self.postgres:
            aggregate = f"string_agg({item}, ',' ORDER BY {order_by})"
            return f"('[' || COALESCE((SELECT {aggregate} FROM {source}), '') || ']')"
        inner = self.alias("ordered")
        return (
            f"('[' || COALESCE((SELECT group_concat(item, ',') FROM "
            f"(SELECT {item} AS item FROM {source} ORDER BY {order_by}) AS {inner}), '') || ']')"
        )


async def fetch_all(
    connection: AsyncConnection, statement: str, params: tuple[object, ...] | dict[str, object]
) -> list[Sequence[Any]]:
    """Run ``statement`` with parameters as ``Sql.bound`` gives them (asyncpg's ``$n``,
    sqlite3's ``:pn``) through SQLAlchemy, in ``connection``'s transaction."""
    result = await connection.exec_driver_sql(statement, params)
    return list(result.all())
