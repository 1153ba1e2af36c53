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
from typing import Generic, TypeVar

from citygraph.domain.errors import InvalidInput

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
INVALID_CURSOR = "Invalid cursor."
_PREFIX = "place:"

T = TypeVar("T")


def encode_cursor(row_id: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{row_id}".encode()).decode("ascii")


def decode_cursor(cursor: str, field: str = "after") -> int:
    """The id a cursor stands for; ``InvalidInput`` on ``field`` for anything else."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii")
    except (UnicodeError, binascii.Error, ValueError):
        raise InvalidInput.single(field, INVALID_CURSOR) from None
    number = text.removeprefix(_PREFIX)
    if not text.startswith(_PREFIX) or not number.isdigit() or len(number) > 18:
        raise InvalidInput.single(field, INVALID_CURSOR)
    return int(number)


def check_page_size(first: int, field: str = "first") -> int:
    if first < 0:
        raise InvalidInput.single(field, "Ensure this value is greater than or equal to 0.")
    if first > MAX_PAGE_SIZE:
        raise InvalidInput.single(
            field, f"Ensure this value is less than or equal to {MAX_PAGE_SIZE}."
        )
    return first


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
    rows: Sequence[T], ids: Sequence[int], *, first: int, total_count: int, after: int | None
) -> Page[T]:
    """Build a page from up to ``first + 1`` rows (the extra row only says there is more)."""
    items = list(rows[:first])
    item_ids = list(ids[:first])
    return Page(
        items=items,
        total_count=total_count,
        has_next_page=len(rows) > first,
        has_previous_page=after is not None,
        start_cursor=encode_cursor(item_ids[0]) if item_ids else None,
        end_cursor=encode_cursor(item_ids[-1]) if item_ids else None,
    )
