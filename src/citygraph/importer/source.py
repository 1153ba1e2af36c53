"""Where the original Django service's rows are: its database, and which tables hold them.

The source is a SQLite file (opened read-only) or a PostgreSQL URL. The app label of the
original's models is not known in advance, so its tables are found by their columns: a table
qualifies when it has every column citygraph imports (``auth_user`` is preferred for the
accounts when several tables qualify). ``--users-table`` and friends name them explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from citygraph.db import normalize_url


class SourceError(Exception):
    """The source cannot be opened or its tables cannot be told apart: one line for the user."""


#: The columns each kind of table must have (what the import reads), by kind.
COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "users": (
        "id",
        "username",
        "email",
        "password",
        "is_active",
        "is_staff",
        "is_superuser",
        "date_joined",
        "last_login",
    ),
    "districts": ("id", "title", "abbreviation", "image"),
    "places": (
        "id",
        "title",
        "short_description",
        "full_description",
        "longitude",
        "latitude",
        "type",
        "district_id",
    ),
    "images": ("id", "image", "place_id"),
}
KINDS: Final = tuple(COLUMNS)
#: Django's own name for the accounts table, preferred when a custom user table also matches.
PREFERRED: Final = {"users": "auth_user"}


@dataclass(frozen=True)
class SourceTables:
    """The source table of each kind (``users``, ``districts``, ``places``, ``images``)."""

    users: str
    districts: str
    places: str
    images: str

    def name(self, kind: str) -> str:
        return str(getattr(self, kind))


def source_url(source: str) -> str:
    """The async URL of ``source``: a PostgreSQL/SQLite URL, or a path to a SQLite file."""
    if "://" in source:
        try:
            url = normalize_url(source)
            backend = make_url(url).get_backend_name()
        except ArgumentError as exc:
            raise SourceError("SOURCE is neither a database URL nor a SQLite file") from exc
        if backend not in ("sqlite", "postgresql"):
            raise SourceError(f"unsupported source database {backend!r} (SQLite or PostgreSQL)")
        return url
    path = Path(source)
    if not path.is_file():
        raise SourceError(f"source database {source} is not a file")
    return f"sqlite+aiosqlite:///file:{path.resolve()}?mode=ro&uri=true"


def open_source(source: str) -> AsyncEngine:
    """An engine on the source. On PostgreSQL each connection reads one snapshot (``REPEATABLE
    READ``), so an original that keeps serving during the import is read consistently: no place
    without its district. A re-run picks up what was written meanwhile."""
    url = source_url(source)
    if make_url(url).get_backend_name() == "postgresql":
        return create_async_engine(url, isolation_level="REPEATABLE READ")
    return create_async_engine(url)


def _columns(connection: sa.Connection) -> dict[str, set[str]]:
    inspector = sa.inspect(connection)
    return {
        table: {column["name"] for column in inspector.get_columns(table)}
        for table in inspector.get_table_names()
    }


def choose(kind: str, tables: dict[str, set[str]], explicit: str | None) -> str:
    """The table of ``kind``: ``explicit`` when given (it must have the columns), else the
    only table with every column of that kind."""
    needed = set(COLUMNS[kind])
    if explicit is not None:
        if explicit not in tables:
            raise SourceError(f"{kind} table {explicit!r} is not in the source database")
        missing = needed - tables[explicit]
        if missing:
            raise SourceError(
                f"{kind} table {explicit!r} lacks the columns {', '.join(sorted(missing))}"
            )
        return explicit
    candidates = sorted(table for table, columns in tables.items() if needed <= columns)
    if len(candidates) > 1 and PREFERRED.get(kind) in candidates:
        return PREFERRED[kind]
    if len(candidates) != 1:
        found = ", ".join(candidates) if candidates else "none"
        raise SourceError(
            f"cannot tell which table holds the {kind} (candidates: {found}); "
            f"name it with --{kind}-table"
        )
    return candidates[0]


async def discover(connection: AsyncConnection, explicit: dict[str, str | None]) -> SourceTables:
    tables = await connection.run_sync(_columns)
    return SourceTables(**{kind: choose(kind, tables, explicit.get(kind)) for kind in KINDS})
