"""Forward cursor pagination (Relay's ``first``/``after``) and the cursors of the id order.

A cursor is opaque to clients: under the default order, by id, the URL-safe base64 of
``place:<id>`` (other orders' cursors: ``orderings``). Pages default to
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
ID_PREFIX = "place:"
MAX_CURSOR_LENGTH = 4096

T = TypeVar("T")


def encode_cursor(row_id: int) -> str:
    return base64.urlsafe_b64encode(f"{ID_PREFIX}{row_id}".encode()).decode("ascii")


@sqlite_function("cg_cursor", 1)
def _sql_cursor(row_id: int | None) -> str | None:
    """``encode_cursor`` for SQL (NULL in, NULL out), as the compiled reads ask SQLite."""
    return None if row_id is None else encode_cursor(row_id)


def decode_cursor(raw: object) -> str:
    """The text inside a cursor of any order (``invalid_cursor`` if it is not base64 text)."""
    if not isinstance(raw, str) or not raw.isascii() or len(raw) > MAX_CURSOR_LENGTH:
        raise problem("invalid_cursor")
    try:
        return base64.urlsafe_b64decode(raw.encode("ascii")).decode("utf-8")
    except (UnicodeError, binascii.Error, ValueError):
        raise problem("invalid_cursor") from None


def id_of_cursor(text: str) -> Id:
    """The id a decoded id-order cursor stands for.

    A cursor beyond the largest possible id is the end of every list: nothing follows it.
    """
    number = text.removeprefix(ID_PREFIX)
    if not text.startswith(ID_PREFIX) or not number.isdigit() or len(number) > 18:
        raise problem("invalid_cursor")
    return Id(min(int(number), MAX_ID))


def parse_cursor(raw: object) -> Id:
    """The id an id-order cursor stands for (``invalid_cursor`` for anything else)."""
    return id_of_cursor(decode_cursor(raw))


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
    """One page of a list, each item with its cursor."""

    items: list[T]
    cursors: list[str]
    total_count: int
    has_next_page: bool
    has_previous_page: bool

    @property
    def start_cursor(self) -> str | None:
        return self.cursors[0] if self.cursors else None

    @property
    def end_cursor(self) -> str | None:
        return self.cursors[-1] if self.cursors else None


def make_page(
    rows: Sequence[T], cursors: Sequence[str], *, first: int, total_count: int, has_previous: bool
) -> Page[T]:
    """Build a page from up to ``first + 1`` rows (the extra row only says there is more)."""
    return Page(
        items=list(rows[:first]),
        cursors=list(cursors[:first]),
        total_count=total_count,
        has_next_page=len(rows) > first,
        has_previous_page=has_previous,
    )


@dataclass
class PageArgs(Form):
    """Relay's ``first``/``after`` on a connection field."""

    first: int = parsed_by(parse_first, default=DEFAULT_PAGE_SIZE)
    after: Id | None = parsed_by(optional_cursor, default=None)
