"""Which failures are an outage of the database: the one list the faces consult for 503.

A database that is down, restarting, refusing connections, out of pool slots, or (SQLite) locked
past its busy timeout is not a bug: nothing was changed and the client should retry. Every face
turns such an exception into ``ServiceUnavailable`` through :func:`database_unavailable` (REST's
and the admin's 503 with ``Retry-After``, GraphQL's ``SERVICE_UNAVAILABLE``); anything else stays
an unexpected error (500).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import exc as sa

from citygraph.domain.errors import ServiceUnavailable

#: Seconds a client is asked to wait before retrying after a database outage.
RETRY_AFTER: Final = 5

#: Driver and OS errors meaning "no usable connection to the database".
_CONNECTION_ERRORS: Final[tuple[type[BaseException], ...]] = (
    OSError,  # ConnectionRefusedError, ConnectionResetError, unreachable host, timeouts
    asyncpg.PostgresConnectionError,  # class 08: ConnectionDoesNotExistError, ...
    asyncpg.CannotConnectNowError,  # 57P03: starting up / shutting down
    asyncpg.AdminShutdownError,  # 57P01
    asyncpg.CrashShutdownError,  # 57P02
    asyncpg.TooManyConnectionsError,  # 53300
    asyncpg.ConnectionDoesNotExistError,
    sa.TimeoutError,  # the pool had no connection to give within its timeout
)
_SQLITE_BUSY = ("database is locked", "database table is locked")
#: asyncpg's words for a pooled connection the server closed under it (the compiled reads and the
#: REST lists talk to the driver directly, so SQLAlchemy never wraps this one).
_CLOSED_CONNECTION = "connection is closed"


def _chain(error: BaseException) -> Iterator[BaseException]:
    """``error``, its causes and contexts, and a wrapped driver error (``.orig``)."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for nxt in (current.__cause__, current.__context__, getattr(current, "orig", None)):
            if isinstance(nxt, BaseException):
                pending.append(nxt)


#: OSErrors of files, not of connections: bugs or configuration, not an outage.
_FILE_ERRORS: Final = (FileNotFoundError, FileExistsError, IsADirectoryError, NotADirectoryError)


def is_database_outage(error: BaseException) -> bool:
    for current in _chain(error):
        if isinstance(current, _FILE_ERRORS):
            continue
        if isinstance(current, sa.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, _CONNECTION_ERRORS):
            return True
        if isinstance(current, asyncpg.InterfaceError) and _CLOSED_CONNECTION in str(current):
            return True
        if isinstance(current, sa.OperationalError) and any(
            text in str(current.orig) for text in _SQLITE_BUSY
        ):
            return True
    return False


def database_unavailable(error: BaseException) -> ServiceUnavailable | None:
    """``ServiceUnavailable`` when ``error`` is a database outage, else ``None``."""
    if isinstance(error, ServiceUnavailable):
        return error
    if is_database_outage(error):
        return ServiceUnavailable("database", retry_after=RETRY_AFTER)
    return None
