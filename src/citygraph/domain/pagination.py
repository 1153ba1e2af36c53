"""Forward cursor pagination over rows ordered by id (Relay's ``first``/``after``).

A cursor is opaque to clients: the URL-safe base64 of ``place:<id>``. Pages default to
``DEFAULT_PAGE_SIZE`` items; asking for more than ``MAX_PAGE_SIZE`` is an error, never silently
clamped, so a client cannot mistake a short page for the end of the list.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Generic, TypeVar

from citygraph.db import sqlite_function
from citygraph.domain.parsers import MAX_ID, Form, Id, parsed_by, problem

DEFAULT_PAGE_SIZE: Final = 20
MAX_PAGE_SIZE: Final = 100
_PREFIX = "place:"

T = TypeVar("T")


def encode_cursor(row_id: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{row_id}".encode()).decode("ascii")


@sqlite_function("cg_cursor", 1)
def _sql_cursor(row_id: int | None) -> str | None:
    """``encode_cursor`` for SQL (NULL in, NULL out), as the compiled reads ask SQLite."""
    return None if row_id is None else encode_cursor(row_id)


def parse_cursor(raw: object) -> Id:
    """The id a cursor stands for (``invalid_cursor`` for anything else).

    A cursor beyond the largest possible id is the end of every list: nothing follows it.
    """
    if not isinstance(raw, str) or not raw.isascii():
        raise problem("invalid_cursor")
    try:
        text = base64.urlsafe_b64decode(raw.encode("ascii")).decode("ascii")
    except (UnicodeError, binascii.Error, ValueError):
        raise problem("invalid_cursor") from None
    number = text.removeprefix(_PREFIX)
    if not text.startswith(_PREFIX) or not number.isdigit() or len(number) > 18:
        raise problem("invalid_cursor")
    return Id(min(int(number), MAX_ID))


def parse_first(raw: object) -> int:
    """A page size: 0..``MAX_PAGE_SIZE``."""
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise problem("integer.invalid")
    if raw < 0:
        raise problem("min_value", limit_value=0)
    if raw > MAX_PAGE_SIZE:
        raise problem("max_value", limit_value=MAX_PAGE_SIZE)
    return raw


def optional_cursor(raw: object) -> Id | None:
    return None if raw is None else parse_cursor(raw)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list ordered by id; cursors are those of the first and last item."""

    items: list[T]
    total_count: int
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


def make_page(
    rows: Sequence[T], ids: Sequence[int], *, first: int, total_count: int, before: int
) -> Page[T]:
    """Build a page from up to ``first + 1`` rows (the extra row only says there is more) and
    the number of matches at or before the ``after`` cursor."""
    items = list(rows[:first])
    item_ids = list(ids[:first])
    return Page(
        items=items,
        total_count=total_count,
        has_next_page=len(rows) > first,
        has_previous_page=before > 0,
        start_cursor=encode_cursor(item_ids[0]) if item_ids else None,
        end_cursor=encode_cursor(item_ids[-1]) if item_ids else None,
    )


@dataclass
class PageArgs(Form):
    """Relay's ``first``/``after`` on a connection field."""

    first: int = parsed_by(parse_first, default=DEFAULT_PAGE_SIZE)
    after: Id | None = parsed_by(optional_cursor, default=None)
