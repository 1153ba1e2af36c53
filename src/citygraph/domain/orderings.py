"""Orderings of the public lists (``orderBy``) and the keyset cursors that page through them.

A list is ordered by id, title (Russian collation: ICU ``ru`` on PostgreSQL,
``collation.binary_key`` on SQLite), distance from a point, district or abbreviation, each
ascending or descending; the id always ends an ordering, so every ordering is total and a page
boundary is exact. A cursor holds the boundary row's sort values (keyset paging), not an
offset: rows inserted or deleted elsewhere in the list shift nothing, and a row deleted after
its cursor was handed out still marks its place.

Cursors are opaque URL-safe base64: of ``place:<id>`` under the default ordering (the cursors
the API has always handed out), otherwise of a JSON array ``[signature, value..., id]``, where
the signature names the ordering (``title:asc,id:asc``) so a cursor is refused under any other.
The database writes the cursors (``cursor_sql``), so the executor and the compiled reads hand
out the same bytes.
"""

from __future__ import annotations

import base64
import enum
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

import citygraph.collation  # noqa: F401  (registers cg_ru_key on SQLite connections)
from citygraph.db import sqlite_function
from citygraph.domain import geo
from citygraph.domain.pagination import ID_PREFIX, decode_cursor, id_of_cursor
from citygraph.domain.parsers import MAX_ID, choice, parse_latitude, parse_longitude, problem
from citygraph.jsonsql import Sql

MAX_ORDERS: Final = 5


class Direction(enum.StrEnum):
    ASC = "asc"
    DESC = "desc"


class PlaceOrderField(enum.StrEnum):
    ID = "id"
    TITLE = "title"
    DISTANCE = "distance"
    DISTRICT = "district"


class DistrictOrderField(enum.StrEnum):
    ID = "id"
    TITLE = "title"
    ABBREVIATION = "abbreviation"


#: The text columns sorted in Russian order, by field.
_TEXT_COLUMNS: Final = {"title": "title", "abbreviation": "abbreviation"}


@dataclass(frozen=True)
class Point:
    latitude: Decimal
    longitude: Decimal


@dataclass(frozen=True)
class Order:
    field: str
    direction: Direction = Direction.ASC
    origin: Point | None = None  # distance orderings only

    @property
    def signature(self) -> str:
        origin = f"@{self.origin.latitude},{self.origin.longitude}" if self.origin else ""
        return f"{self.field}{origin}:{self.direction.value}"


Ordering = tuple[Order, ...]
ID_ORDER: Final[Ordering] = (Order("id"),)


def signature(ordering: Ordering) -> str:
    return ",".join(order.signature for order in ordering)


# --- parsing --------------------------------------------------------------------------------------


def _order(raw: object, fields: type[enum.StrEnum]) -> Order:
    if not isinstance(raw, Mapping):
        raise problem("not_a_dict", datatype=type(raw).__name__)
    field = choice(fields)(raw.get("field"))
    direction = choice(Direction)(raw.get("direction") or Direction.ASC)
    origin = None
    if field == PlaceOrderField.DISTANCE:
        point = raw.get("origin")
        if not isinstance(point, Mapping):
            raise problem("distance_needs_a_point")
        origin = Point(
            parse_latitude(point.get("latitude")), parse_longitude(point.get("longitude"))
        )
    return Order(str(field), direction, origin)


def _ordering(raw: object, fields: type[enum.StrEnum]) -> Ordering:
    if raw is None:
        return ID_ORDER
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise problem("not_a_list", datatype=type(raw).__name__)
    if len(raw) > MAX_ORDERS:
        raise problem("max_terms", max_terms=MAX_ORDERS)
    orders: list[Order] = []
    for item in raw:
        order = _order(item, fields)
        orders.append(order)
        if order.field == "id":
            break  # the id is unique: nothing after it can change the order
    else:
        orders.append(Order("id"))
    return tuple(orders)


def parse_place_ordering(raw: object) -> Ordering:
    """``[PlaceOrder!]``: fields in turn, the id last (added when missing)."""
    return _ordering(raw, PlaceOrderField)


def parse_district_ordering(raw: object) -> Ordering:
    return _ordering(raw, DistrictOrderField)


# --- SQL ------------------------------------------------------------------------------------------


def russian_sql(sql: Sql, text_expr: str) -> str:
    """A text in Russian order (ICU on PostgreSQL, ``collation.binary_key`` on SQLite)."""
    if sql.postgres:
        return f'{text_expr} COLLATE "ru-x-icu"'
    return f"cg_ru_key({text_expr})"


def _sort_value(sql: Sql, alias: str, order: Order) -> str:
    """The value a row of ``alias`` sorts by under ``order``."""
    if order.field in _TEXT_COLUMNS:
        return russian_sql(sql, f"{alias}.{_TEXT_COLUMNS[order.field]}")
    if order.field == PlaceOrderField.DISTANCE:
        assert order.origin is not None
        lat, lon = repr(float(order.origin.latitude)), repr(float(order.origin.longitude))
        return geo.distance_sql(sql.dialect, f"{alias}.latitude", f"{alias}.longitude", lat, lon)
    if order.field == PlaceOrderField.DISTRICT:
        return f"{alias}.district_id"
    return f"{alias}.id"


def _kept_value(sql: Sql, alias: str, order: Order) -> str:
    """The value a cursor keeps (texts as they are: they are collated when compared)."""
    if order.field in _TEXT_COLUMNS:
        return f"{alias}.{_TEXT_COLUMNS[order.field]}"
    return _sort_value(sql, alias, order)


def _bound_value(sql: Sql, order: Order, value: object) -> str:
    if order.field in _TEXT_COLUMNS:
        return russian_sql(sql, sql.param(value, "text"))
    if order.field == PlaceOrderField.DISTANCE:
        return sql.param(value, "float8")
    return sql.param(value, "int")


def order_by_sql(sql: Sql, alias: str, ordering: Ordering, *, reverse: bool = False) -> str:
    """The ``ORDER BY`` list (``reverse``: the last row first)."""
    terms = []
    for order in ordering:
        descending = (order.direction is Direction.DESC) != reverse
        terms.append(f"{_sort_value(sql, alias, order)} {'DESC' if descending else 'ASC'}")
    return ", ".join(terms)


def after_sql(sql: Sql, alias: str, ordering: Ordering, values: Sequence[object]) -> str:
    """Rows of ``alias`` that come after the row whose sort values are ``values``.

    One row comparison when every order runs the same way (an index range on PostgreSQL and
    SQLite alike); otherwise the expanded ``a > x OR (a = x AND b > y) ...``.
    """
    mine = [_sort_value(sql, alias, order) for order in ordering]
    theirs = [
        _bound_value(sql, order, value) for order, value in zip(ordering, values, strict=True)
    ]
    directions = {order.direction for order in ordering}
    if len(directions) == 1:
        operator = ">" if Direction.ASC in directions else "<"
        if len(mine) == 1:
            return f"{mine[0]} {operator} {theirs[0]}"
        return f"({', '.join(mine)}) {operator} ({', '.join(theirs)})"
    clauses = []
    for index, order in enumerate(ordering):
        operator = ">" if order.direction is Direction.ASC else "<"
        equal = [f"{mine[i]} = {theirs[i]}" for i in range(index)]
        clauses.append(
            "(" + " AND ".join([*equal, f"{mine[index]} {operator} {theirs[index]}"]) + ")"
        )
    return "(" + " OR ".join(clauses) + ")"


def cursor_sql(sql: Sql, alias: str, ordering: Ordering) -> str:
    """The cursor of a row of ``alias`` under ``ordering``, as SQL text (not JSON)."""
    if ordering == ID_ORDER:
        if not sql.postgres:
            return f"cg_cursor({alias}.id)"
        encoded = f"encode(convert_to('place:' || ({alias}.id)::text, 'UTF8'), 'base64')"
        return f"translate({encoded}, E'+/\\n', '-_')"
    values = [_kept_value(sql, alias, order) for order in ordering]
    tag = sql.param(signature(ordering), "text")
    if not sql.postgres:
        return f"cg_keyset_cursor({', '.join([tag, *values])})"
    array = f"json_build_array({', '.join([tag, *values])})::text"
    return f"translate(encode(convert_to({array}, 'UTF8'), 'base64'), E'+/\\n', '-_')"


@sqlite_function("cg_keyset_cursor", -1)
def keyset_cursor(*values: object) -> str:
    """``cursor_sql`` on SQLite: the JSON array ``[signature, value..., id]`` in base64."""
    encoded = json.dumps(list(values), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(encoded).decode("ascii")


# --- cursors --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """A decoded cursor: the ordering it was made under and the row's sort values."""

    signature: str
    values: tuple[Any, ...]


def parse_cursor(raw: object) -> Cursor:
    """A cursor of any ordering (``invalid_cursor`` for anything that is not one)."""
    decoded = decode_cursor(raw)
    if decoded.startswith(ID_PREFIX):
        return Cursor(signature(ID_ORDER), (id_of_cursor(decoded),))
    try:
        found = json.loads(decoded)
    except ValueError:
        raise problem("invalid_cursor") from None
    if not isinstance(found, list) or not found or not isinstance(found[0], str):
        raise problem("invalid_cursor")
    return Cursor(found[0], tuple(found[1:]))


def optional_cursor(raw: object) -> Cursor | None:
    return None if raw is None else parse_cursor(raw)


def _fits(order: Order, value: object) -> bool:
    if order.field in _TEXT_COLUMNS:
        return isinstance(value, str)
    if isinstance(value, bool):
        return False
    if order.field == PlaceOrderField.DISTANCE:
        return isinstance(value, int | float)
    return isinstance(value, int) and 0 <= value <= MAX_ID


def cursor_values(ordering: Ordering, cursor: Cursor) -> tuple[Any, ...] | None:
    """The sort values ``cursor`` holds if it was made under ``ordering``, else None."""
    if cursor.signature != signature(ordering) or len(cursor.values) != len(ordering):
        return None
    if not all(_fits(order, value) for order, value in zip(ordering, cursor.values, strict=True)):
        return None
    return tuple(
        float(value) if order.field == PlaceOrderField.DISTANCE else value
        for order, value in zip(ordering, cursor.values, strict=True)
    )
