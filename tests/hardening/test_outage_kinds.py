"""Which failures count as a database outage (``domain.outages``): the drivers' own exception
types, as they reach the faces (wrapped by SQLAlchemy, chained by ``raise ... from``)."""

from __future__ import annotations

import errno

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import exc as sa

from citygraph.domain.errors import ServiceUnavailable
from citygraph.domain.outages import database_unavailable, is_database_outage


def wrapped(error: BaseException, *, invalidated: bool = False) -> sa.DBAPIError:
    return sa.DBAPIError("SELECT 1", None, error, connection_invalidated=invalidated)  # type: ignore[arg-type]


def chained(error: BaseException) -> RuntimeError:
    try:
        raise RuntimeError("while reading") from error
    except RuntimeError as outer:
        return outer


OUTAGES = [
    asyncpg.CannotConnectNowError("the database system is starting up"),
    asyncpg.AdminShutdownError("terminating connection due to administrator command"),
    asyncpg.CrashShutdownError("terminating connection due to crash"),
    asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    asyncpg.TooManyConnectionsError("sorry, too many clients already"),
    asyncpg.InterfaceError("connection is closed"),  # a raw driver call on a dropped connection
    ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"),
    ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"),
    OSError(errno.EHOSTUNREACH, "No route to host"),
    TimeoutError(),
    sa.TimeoutError("QueuePool limit of size 10 overflow 10 reached"),
    wrapped(ValueError("whatever the driver said"), invalidated=True),
    sa.OperationalError("INSERT", None, Exception("database is locked")),  # type: ignore[arg-type]
]
NOT_OUTAGES = [
    ValueError("a bug"),
    KeyError("missing"),
    FileNotFoundError(errno.ENOENT, "No such file"),
    sa.IntegrityError("INSERT", None, Exception("UNIQUE constraint failed")),  # type: ignore[arg-type]
    wrapped(asyncpg.UniqueViolationError("duplicate key")),
    asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
    sa.OperationalError("SELECT", None, Exception("no such table: x")),  # type: ignore[arg-type]
]


@pytest.mark.parametrize("error", OUTAGES, ids=lambda e: type(e).__name__)
def test_outages(error: BaseException) -> None:
    assert is_database_outage(error)
    assert is_database_outage(chained(error))
    assert is_database_outage(wrapped(error))
    unavailable = database_unavailable(chained(error))
    assert isinstance(unavailable, ServiceUnavailable)
    assert unavailable.what == "database"
    assert unavailable.retry_after > 0


@pytest.mark.parametrize("error", NOT_OUTAGES, ids=lambda e: type(e).__name__)
def test_not_outages(error: BaseException) -> None:
    assert not is_database_outage(error)
    assert not is_database_outage(chained(error))
    assert database_unavailable(error) is None
