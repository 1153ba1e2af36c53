"""Compiled reads: a query over districts, places and images as one SQL statement.

Hasura and PostGraphile are fast because they do not resolve fields one by one in the
application: they turn the selection set into SQL that builds the JSON inside the database.
This does the same for the read graph. :func:`compile_query` walks a parsed, validated query
with its variables — fields collected as graphql-core's executor collects them (aliases,
fragments, ``@skip``/``@include``, merged duplicates) — and returns one ``SELECT`` whose only
value is the JSON text of the response's ``data``, byte for byte what the executor would
have encoded (``tests/graphql/test_compiled.py`` runs both on generated queries).

Arguments go through the same domain forms as the resolvers (``PageArgs``, ``PlaceQuery``,
``NearbyQuery``, ``DistrictQuery``), whose listings (``domain.listing``) write the lists' SQL for
both paths; anything the compiler does not handle — another root field, an argument the
forms refuse (the executor reports those errors), introspection — raises
:class:`NotCompilable`, and the request takes the executor's path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLIncludeDirective,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_argument_values,
    get_directive_values,
    get_variable_values,
)
from graphql.execution.values import VariableValues

from citygraph.domain.districts import DistrictQuery
from citygraph.domain.listing import Listing
from citygraph.domain.orderings import ID_ORDER
from citygraph.domain.pagination import PageArgs
from citygraph.domain.parsers import Form, parse_id
from citygraph.domain.places import NearbyQuery, PlaceQuery
from citygraph.graphql.filtering import snake_keys
from citygraph.jsonsql import Dialect, Sql, literal

Grouped = dict[str, list[FieldNode]]
#: The SQL of one field of an object type, given its name and its (merged) nodes.
FieldSql = Callable[[str, list[FieldNode]], str]


class NotCompilable(Exception):
    """This request is for the executor."""


@dataclass(frozen=True)
class Plan:
    """A query operation, parsed and validated once, ready to compile with any variables."""

    operation: OperationDefinitionNode
    fragments: Mapping[str, FragmentDefinitionNode]


def plan_for(document: DocumentNode, operation_name: str | None) -> Plan | None:
    """The plan of a validated document's query operation, or None (a mutation, ambiguity)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [op for op in operations if op.name and op.name.value == operation_name]
    if len(operations) != 1 or operations[0].operation is not OperationType.QUERY:
        return None
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return Plan(operations[0], fragments)


@dataclass(frozen=True)
class Statement:
    sql: str
    params: tuple[object, ...] | dict[str, object]


def compile_query(
    schema: GraphQLSchema,
    plan: Plan,
    variables: Mapping[str, Any] | None,
    *,
    dialect: Dialect,
    media_base: str,
) -> Statement:
    """The statement whose value is the ``data`` JSON of ``plan`` run with ``variables``, as
    UTF-8 bytes.

    ``media_base`` is the absolute URL prefix of stored files (``.../media/``).
    """
    definitions = plan.operation.variable_definitions or ()
    coerced = get_variable_values(schema, definitions, dict(variables or {}))
    if isinstance(coerced, list):  # variable errors: the executor words them
        raise NotCompilable
    compiler = _Compiler(schema, plan, coerced, Sql(dialect), media_base)
    data = compiler.query(plan.operation.selection_set)
    return Statement(f"SELECT {compiler.sql.utf8(data)}", compiler.sql.bound())


def _key_json(key: str) -> str:
    return orjson.dumps(key).decode()


class _Compiler:
    def __init__(
        self,
        schema: GraphQLSchema,
        plan: Plan,
        variables: VariableValues,
        sql: Sql,
        media_base: str,
    ) -> None:
        self.schema = schema
        self.plan = plan
        self.variables = variables
        self.sql = sql
        self.media_base = media_base

    # --- the executor's field collection ------------------------------------------------------

    def _included(self, node: FieldNode | FragmentSpreadNode | InlineFragmentNode) -> bool:
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        if skip and skip["if"] is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (include and include["if"] is False)

    def collect(self, type_name: str, selection_sets: list[SelectionSetNode]) -> Grouped:
        grouped: Grouped = {}
        visited: set[str] = set()

        def visit(selection_set: SelectionSetNode) -> None:
            for selection in selection_set.selections:
                if not self._included(selection):  # type: ignore[arg-type]
                    continue
                if isinstance(selection, FieldNode):
                    key = selection.alias.value if selection.alias else selection.name.value
                    grouped.setdefault(key, []).append(selection)
                elif isinstance(selection, InlineFragmentNode):
                    condition = selection.type_condition
                    if condition is None or condition.name.value == type_name:
                        visit(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.plan.fragments.get(name)
                    if name in visited or fragment is None:
                        continue
                    visited.add(name)
                    if fragment.type_condition.name.value == type_name:
                        visit(fragment.selection_set)

        for selection_set in selection_sets:
            visit(selection_set)
        return grouped

    def subfields(self, type_name: str, nodes: list[FieldNode]) -> Grouped:
        return self.collect(type_name, [n.selection_set for n in nodes if n.selection_set])

    def arguments(self, parent: str, nodes: list[FieldNode]) -> dict[str, Any]:
        parent_type = self.schema.get_type(parent)
        assert isinstance(parent_type, GraphQLObjectType)
        field: GraphQLField = parent_type.fields[nodes[0].name.value]
        return get_argument_values(field, nodes[0], self.variables)

    @staticmethod
    def parsed(form: Form) -> Any:
        """A domain form's values, or :class:`NotCompilable` (the executor reports problems)."""
        if form.problems:
            raise NotCompilable
        return form

    # --- objects --------------------------------------------------------------------------------

    def obj(
        self, type_name: str, grouped: Grouped, field: Callable[[str, list[FieldNode]], str]
    ) -> str:
        parts: list[str] = []
        for index, (key, nodes) in enumerate(grouped.items()):
            parts.append(literal(("{" if index == 0 else ",") + _key_json(key) + ":"))
            name = nodes[0].name.value
            parts.append(literal(f'"{type_name}"') if name == "__typename" else field(name, nodes))
        parts.append(literal("}" if parts else "{}"))
        return self.sql.concat(parts)

    def query(self, selection_set: SelectionSetNode) -> str:
        return self.obj("Query", self.collect("Query", [selection_set]), self.query_field)

    def query_field(self, name: str, nodes: list[FieldNode]) -> str:
        sql = self.sql
        if name == "districts":
            query: DistrictQuery = self.parsed(DistrictQuery.parse(**self._snake(nodes)))
            listing = query.listing()
            d = sql.alias("d")
            item = self.district(d, self.subfields("District", nodes))
            return sql.array(
                item, f"({listing.rows_sql(sql, d, None)}) AS {d}", listing.order_by(sql, d)
            )
        if name in ("district", "place"):
            pk = parse_id(self.arguments("Query", nodes)["id"])
            if name == "district":
                d = sql.alias("d")
                item = self.district(d, self.subfields("District", nodes))
                row = f"SELECT {item} FROM districts AS {d} WHERE {d}.id = {sql.param(pk, 'int')}"
            else:
                p = sql.alias("p")
                item = self.place(p, self.subfields("Place", nodes))
                row = f"SELECT {item} FROM places AS {p} WHERE {p}.id = {sql.param(pk, 'int')}"
            return f"COALESCE(({row}), 'null')"
        if name == "places":
            places: PlaceQuery = self.parsed(PlaceQuery.parse(**self._snake(nodes)))
            return self.connection(nodes, places.listing())
        if name == "placesNear":
            near: NearbyQuery = self.parsed(NearbyQuery.parse(**self._snake(nodes)))
            return self.nearby(nodes, near)
        raise NotCompilable

    def _snake(self, nodes: list[FieldNode]) -> dict[str, Any]:
        arguments: dict[str, Any] = snake_keys(self.arguments("Query", nodes))
        return arguments

    def district(self, d: str, grouped: Grouped) -> str:
        sql = self.sql

        def field(name: str, nodes: list[FieldNode]) -> str:
            if name == "id":
                return sql.integer(f"{d}.id")
            if name in ("title", "abbreviation"):
                return sql.string(f"{d}.{name}")
            if name == "image":
                url = self.media_url(f"{d}.image")
                return f"(CASE WHEN {d}.image IS NULL THEN 'null' ELSE {url} END)"
            if name == "placeCount":
                return sql.integer(
                    f"(SELECT count(*) FROM places AS q WHERE q.district_id = {d}.id)"
                )
            if name == "places":
                page: PageArgs = self.parsed(PageArgs.parse(**self.arguments("District", nodes)))
                listing = Listing(
                    "places",
                    lambda _sql, p: f"{p}.district_id = {d}.id",
                    ID_ORDER,
                    first=page.first,
                    after=None if page.after is None else (page.after,),
                )
                return self.connection(nodes, listing)
            raise NotCompilable

        return self.obj("District", grouped, field)

    def place(self, p: str, grouped: Grouped) -> str:
        sql = self.sql
        columns = {
            "title": "title",
            "shortDescription": "short_description",
            "fullDescription": "full_description",
        }

        def field(name: str, nodes: list[FieldNode]) -> str:
            if name == "id":
                return sql.integer(f"{p}.id")
            if name in columns:
                return sql.string(f"{p}.{columns[name]}")
            if name in ("latitude", "longitude"):
                return sql.coordinate(f"{p}.{name}")
            if name == "type":
                return sql.string(f"upper({p}.type)")
            if name == "district":
                d = sql.alias("d")
                item = self.district(d, self.subfields("District", nodes))
                return f"(SELECT {item} FROM districts AS {d} WHERE {d}.id = {p}.district_id)"
            if name == "images":
                i = sql.alias("i")
                item = self.image(i, self.subfields("PlaceImage", nodes))
                source = f"place_images AS {i} WHERE {i}.place_id = {p}.id"
                return sql.array(item, source, f"{i}.id")
            raise NotCompilable

        return self.obj("Place", grouped, field)

    def image(self, i: str, grouped: Grouped) -> str:
        sql = self.sql

        def field(name: str, nodes: list[FieldNode]) -> str:
            if name == "id":
                return sql.integer(f"{i}.id")
            if name == "image":
                return self.media_url(f"{i}.image")
            if name == "place":
                p = sql.alias("p")
                item = self.place(p, self.subfields("Place", nodes))
                return f"(SELECT {item} FROM places AS {p} WHERE {p}.id = {i}.place_id)"
            raise NotCompilable

        return self.obj("PlaceImage", grouped, field)

    def media_url(self, path: str) -> str:
        base = self.sql.named("media_base", self.media_base, "text")
        return self.sql.string(f"{base} || {path}")

    # --- lists of places ----------------------------------------------------------------------

    def connection(self, nodes: list[FieldNode], listing: Listing) -> str:
        """A ``PlaceConnection``: a page of ``listing`` (the SQL the executor's path runs)."""
        sql = self.sql
        first = listing.first
        assert first is not None

        def edges(edge_nodes: list[FieldNode]) -> str:
            p = sql.alias("p")
            grouped = self.subfields("PlaceEdge", edge_nodes)

            def edge_field(name: str, nodes: list[FieldNode]) -> str:
                if name == "cursor":
                    return sql.string(listing.cursor(sql, p))
                if name == "node":
                    return self.place(p, self.subfields("Place", nodes))
                raise NotCompilable

            item = self.obj("PlaceEdge", grouped, edge_field)
            rows = f"({listing.rows_sql(sql, p, first)}) AS {p}"
            return sql.array(item, rows, listing.order_by(sql, p))

        def page_info(info_nodes: list[FieldNode]) -> str:
            def info_field(name: str, _nodes: list[FieldNode]) -> str:
                if name == "hasNextPage":
                    q, x = sql.alias("q"), sql.alias("x")
                    rows = f"(SELECT count(*) FROM ({listing.rows_sql(sql, q, first + 1)}) AS {x})"
                    return sql.boolean(f"{rows} > {first}")
                if name == "hasPreviousPage":
                    return sql.boolean(listing.before_sql(sql))
                if name in ("startCursor", "endCursor"):
                    q, x = sql.alias("q"), sql.alias("x")
                    order = listing.order_by(sql, x, reverse=name == "endCursor")
                    found = (
                        f"(SELECT {listing.cursor(sql, x)} FROM ({listing.rows_sql(sql, q, first)})"
                        f" AS {x} ORDER BY {order} LIMIT 1)"
                    )
                    return sql.nullable_string(found)
                raise NotCompilable

            return self.obj("PageInfo", self.subfields("PageInfo", info_nodes), info_field)

        def connection_field(name: str, field_nodes: list[FieldNode]) -> str:
            if name == "edges":
                return edges(field_nodes)
            if name == "pageInfo":
                return page_info(field_nodes)
            if name == "totalCount":
                return sql.integer(listing.count_sql(sql))
            raise NotCompilable

        return self.obj(
            "PlaceConnection", self.subfields("PlaceConnection", nodes), connection_field
        )

    def nearby(self, nodes: list[FieldNode], query: NearbyQuery) -> str:
        """``[NearbyPlace!]!``: the first places within the radius, nearest first (ties: id)."""
        sql = self.sql
        if query.first == 0:
            return literal("[]")
        listing = query.listing()
        p = sql.alias("p")

        def nearby_field(name: str, field_nodes: list[FieldNode]) -> str:
            if name == "place":
                return self.place(p, self.subfields("Place", field_nodes))
            if name == "distanceMeters":
                return sql.float_(query.distance(sql, p))
            raise NotCompilable

        item = self.obj("NearbyPlace", self.subfields("NearbyPlace", nodes), nearby_field)
        return sql.array(
            item, f"({listing.rows_sql(sql, p, query.first)}) AS {p}", listing.order_by(sql, p)
        )
