"""Counting what a piece of code asks the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from citygraph.services import Services


@contextmanager
def recorded_statements(services: Services) -> Iterator[list[str]]:
    """The SQL statements sent through ``services.engine`` while the block runs, in order."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(services.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(services.engine.sync_engine, "before_cursor_execute", record)


@contextmanager
def connections_used(services: Services) -> Iterator[list[object]]:
    """Every connection checked out of ``services.engine``'s pool or the reader's while the block
    runs (the reader's are counted when the block ends)."""
    used: list[object] = []

    def checkout(dbapi_connection: Any, *_args: Any) -> None:
        used.append(dbapi_connection)

    reader_before = services.reader.checkouts
    event.listen(services.engine.sync_engine, "checkout", checkout)
    try:
        yield used
    finally:
        event.remove(services.engine.sync_engine, "checkout", checkout)
        used.extend(["reader"] * (services.reader.checkouts - reader_before))
