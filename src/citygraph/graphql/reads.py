"""Compiled reads at request time: which documents compile, their statements, running them.

A document takes the executor's path the first time it is seen: strawberry parses and validates
it with every limit, so nothing is validated twice here. A document that passed validation and
is a query gets a plan (``compiler.plan_for``); from then on each request with it is compiled
with its variables (the statement is cached per variables and media base) and answered with the
database's JSON, never touching the executor. Requests that do not compile (a field outside the
read graph, arguments the domain forms refuse) keep taking the executor's path.

Every statement is costed with its variables first (``cost``): over the limit, the request is
the executor's, which refuses it with ``QUERY_TOO_COSTLY`` before running anything.

``CITYGRAPH_COMPILED_READS=off`` turns this off (every request executes; the differential test
compares the two paths).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, Generic, TypeVar

import orjson
from graphql import GraphQLEnumType, GraphQLError, GraphQLSchema, build_schema, parse
from sqlalchemy.ext.asyncio import AsyncConnection
from strawberry.types import ExecutionResult

from citygraph.graphql.compiler import NotCompilable, Plan, Statement, compile_query, plan_for
from citygraph.graphql.cost import operation_cost
from citygraph.graphql.enums import ENUMS
from citygraph.graphql.scalars import parse_decimal, parse_decimal_literal
from citygraph.jsonsql import Dialect
from citygraph.reader import Reader

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

PLAN_CACHE_SIZE = 256
STATEMENT_CACHE_SIZE = 1024
#: The plan of a document known not to compile (a mutation, or invalid).
NO_PLAN = None


class LRU(Generic[K, V]):
    """A small least-recently-used map."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def __contains__(self, key: K) -> bool:
        return key in self._items

    def get(self, key: K) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        if len(self._items) > self.size:
            self._items.popitem(last=False)


def read_schema(sdl: str) -> GraphQLSchema:
    """The schema as graphql-core sees it, for coercing variables and arguments while
    compiling: built from the SDL, with the custom scalars' own parsing and the enums' values
    as the resolvers' inputs carry them."""
    schema = build_schema(sdl)
    decimal = schema.type_map["Decimal"]
    decimal.parse_value = parse_decimal  # type: ignore[attr-defined]
    decimal.parse_literal = parse_decimal_literal  # type: ignore[attr-defined]
    for name, python_enum in ENUMS.items():
        enum_type = schema.type_map[name]
        assert isinstance(enum_type, GraphQLEnumType)
        for value_name, value in enum_type.values.items():
            value.value = python_enum[value_name].value
    return schema


def _is_request_error(result: ExecutionResult) -> bool:
    return bool(result.errors) and any(error.path is None for error in result.errors or ())


class CompiledReads:
    def __init__(
        self,
        sdl: str,
        reader: Reader,
        *,
        enabled: bool,
        max_cost: int,
        list_size: int,
    ) -> None:
        self.schema = read_schema(sdl)
        self.reader = reader
        self.enabled = enabled
        self.max_cost = max_cost
        self.list_size = list_size
        self.dialect: Dialect = "sqlite" if reader.engine.dialect.name == "sqlite" else "postgresql"
        self._plans: LRU[tuple[str, str | None], Plan | None] = LRU(PLAN_CACHE_SIZE)
        self._statements: LRU[tuple[object, ...], Statement | NotCompilable] = LRU(
            STATEMENT_CACHE_SIZE
        )

    def learn(self, query: str | None, operation_name: str | None, result: ExecutionResult) -> None:
        """Remember, after the executor ran ``query``, whether it is a valid query operation
        (so it can compile next time, and its answers can be cached)."""
        if query is None or (query, operation_name) in self._plans:
            return
        plan = NO_PLAN
        if not _is_request_error(result):
            try:
                plan = plan_for(parse(query), operation_name)
            except GraphQLError:  # pragma: no cover - strawberry parsed it already
                plan = NO_PLAN
        self._plans.put((query, operation_name), plan)

    def is_query(self, query: str | None, operation_name: str | None) -> bool:
        """A document already seen to be a valid query operation (reads only)."""
        return query is not None and self._plans.get((query, operation_name)) is not None

    def statement(
        self,
        query: str | None,
        operation_name: str | None,
        variables: dict[str, object] | None,
        media_base: str,
    ) -> Statement | None:
        """The statement answering this request, or None: the executor's turn."""
        if not self.enabled or query is None:
            return None
        plan = self._plans.get((query, operation_name))
        if plan is None:
            return None
        key = (
            query,
            operation_name,
            orjson.dumps(variables, option=orjson.OPT_SORT_KEYS),
            media_base,
        )
        found = self._statements.get(key)
        if found is None:
            try:
                self.check_cost(plan, variables)
                found = compile_query(
                    self.schema, plan, variables, dialect=self.dialect, media_base=media_base
                )
            except NotCompilable as exc:
                found = exc
            self._statements.put(key, found)
        return None if isinstance(found, NotCompilable) else found

    def check_cost(self, plan: Plan, variables: dict[str, object] | None) -> None:
        """Too costly with these variables: the executor's turn (it reports the error)."""
        cost = operation_cost(
            self.schema, plan.operation, plan.fragments, variables, list_size=self.list_size
        )
        if cost > self.max_cost:
            raise NotCompilable

    async def run(self, statement: Statement, connection: AsyncConnection | None = None) -> bytes:
        """The response body: ``{"data": ...}`` around the statement's JSON text; on the
        reader's own connection unless the request already holds one."""
        if connection is None:
            async with self.reader.connection() as driver:
                data = await self._fetch(driver, statement)
        else:
            raw = await connection.get_raw_connection()
            data = await self._fetch(raw.driver_connection, statement)
        return b'{"data":' + data + b"}"

    async def _fetch(self, driver: Any, statement: Statement) -> bytes:
        """The driver itself runs it: SQLAlchemy's statement layer costs a measurable share of
        a compiled read's time, and this statement needs nothing of it."""
        if self.dialect == "postgresql":
            assert isinstance(statement.params, tuple)
            data: bytes = await driver.fetchval(statement.sql, *statement.params)
            return data
        cursor = await driver.execute(statement.sql, statement.params)
        try:
            row = await cursor.fetchone()
        finally:
            await cursor.close()
        return bytes(row[0])
