"""Driver connections for the reads that need nothing of SQLAlchemy: the compiled GraphQL reads
and the REST lists, which send one statement and take back JSON text.

On PostgreSQL, checking a connection out of SQLAlchemy's pool and reaching its asyncpg connection
(greenlet hand-off, pool bookkeeping, reset on return) cost about three times the CPU of the
query itself (about 150 µs against 56 µs per districts list, measured in one process); these
reads take asyncpg connections from a small pool of their own instead (``ReadPool``), without
a reset on release (they change no session state; a connection returned inside a transaction
is dropped).
On SQLite they use the engine's connections: aiosqlite hands every call to its thread anyway.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

#: Connections of the reads' pool per process, beside the engine's 10 (+10 overflow).
POOL_SIZE = 10
#: Seconds to wait for a free connection, as SQLAlchemy's pool does (then: an outage, 503).
ACQUIRE_TIMEOUT = 30.0
#: Seconds an idle connection is kept open (asyncpg's pool default).
INACTIVE_SECONDS = 300.0


#: Query parameters of a SQLAlchemy asyncpg URL that its dialect turns into connect arguments:
#: asyncpg's DSN would send them to the server as settings, which it refuses.
_DIALECT_ONLY = ("prepared_statement_cache_size", "prepared_statement_name_func")


def asyncpg_dsn(url: URL) -> str:
    """``DATABASE_URL`` as asyncpg's own DSN: the dialect's ``ssl=`` is the DSN's ``sslmode=``."""
    query = {k: v for k, v in url.query.items() if k not in _DIALECT_ONLY and k != "ssl"}
    if "ssl" in url.query:
        query.setdefault("sslmode", url.query["ssl"])
    plain = url.set(drivername="postgresql", query=query)
    return plain.render_as_string(hide_password=False)


class ReadPool:
    """Up to ``size`` asyncpg connections, opened on first need, handed out last in, first out.

    asyncpg's own pool cost about 60 µs of CPU per checkout and return (measured beside a bare
    connection's ``fetch``): a proxy object, a future and an inactivity timer per checkout, and
    a task per return (``asyncio.shield``). These reads leave no session state behind, so a
    return is a list append, done synchronously, and cannot be lost to a cancellation. A
    connection returned closed or inside a transaction (a stream cut short) is dropped, never
    reused; idle connections are closed after ``INACTIVE_SECONDS``, as asyncpg's pool does.
    """

    def __init__(self, dsn: str, size: int) -> None:
        self._dsn = dsn
        self._slots = asyncio.Semaphore(size)
        #: Idle connections and when each was returned, the latest last.
        self._idle: list[tuple[Any, float]] = []
        self._sweep: asyncio.TimerHandle | None = None
        self._closed = False

    async def acquire(self) -> Any:
        """A connection within ``ACQUIRE_TIMEOUT`` seconds, waiting for a slot and connecting
        included (then ``TimeoutError``: an outage, 503)."""
        if self._closed:
            raise asyncpg.InterfaceError("the reads' pool is closed")
        deadline = asyncio.get_running_loop().time() + ACQUIRE_TIMEOUT
        # The timeout's timer only when there is something to wait for: a free slot is taken
        # without suspending.
        if self._slots.locked():
            async with asyncio.timeout_at(deadline):
                await self._slots.acquire()
        else:
            await self._slots.acquire()
        try:
            while self._idle:
                connection = self._idle.pop()[0]
                if not connection.is_closed():
                    return connection
            async with asyncio.timeout_at(deadline):
                return await asyncpg.connect(self._dsn)
        except BaseException:
            self._slots.release()
            raise

    def release(self, connection: Any, *, discard: bool = False) -> None:
        """Take ``connection`` back (synchronous: nothing to await, nothing to cancel).
        ``discard``: its last use failed or was cut short (a query may still be running)."""
        try:
            if discard or self._closed or connection.is_closed() or connection.is_in_transaction():
                connection.terminate()
                return
            loop = asyncio.get_running_loop()
            self._idle.append((connection, loop.time()))
            if self._sweep is None:
                self._sweep = loop.call_later(INACTIVE_SECONDS, self._close_inactive)
        finally:
            self._slots.release()

    def _close_inactive(self) -> None:
        self._sweep = None
        loop = asyncio.get_running_loop()
        since = loop.time() - INACTIVE_SECONDS
        stale = [connection for connection, returned in self._idle if returned <= since]
        self._idle = [(c, returned) for c, returned in self._idle if returned > since]
        for connection in stale:
            connection.terminate()
        if self._idle:
            self._sweep = loop.call_later(INACTIVE_SECONDS, self._close_inactive)

    async def close(self) -> None:
        """Close the idle connections; those in use are closed when they come back."""
        self._closed = True
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None
        idle, self._idle = self._idle, []
        for connection, _returned in idle:
            try:
                await connection.close(timeout=5)
            except Exception:  # already broken: nothing left to close politely
                connection.terminate()

    def terminate(self) -> None:
        """Drop every idle connection at once (the pool's loop is gone)."""
        self._closed = True
        idle, self._idle = self._idle, []
        for connection, _returned in idle:
            connection.terminate()


class Reader:
    """``connection()`` yields a driver connection (asyncpg's, or aiosqlite's on SQLite);
    ``acquire()`` and ``release()`` are the same without a context manager, for a caller that
    holds the connection beyond one block (a streamed list)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._dsn: str | None = None
        if engine.url.get_backend_name() == "postgresql":
            self._dsn = asyncpg_dsn(engine.url)
        self._pool: ReadPool | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        #: Connections handed out so far (SQLAlchemy's pool events do not see these).
        self.checkouts = 0

    @property
    def pooled(self) -> bool:
        """Whether ``acquire()`` may be used (PostgreSQL); else only ``connection()``."""
        return self._dsn is not None

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        if self._dsn is None:
            self.checkouts += 1
            async with self.engine.connect() as connected:
                raw = await connected.get_raw_connection()
                yield raw.driver_connection
            return
        driver = await self.acquire()
        try:
            yield driver
        except BaseException:
            self.release(driver, discard=True)
            raise
        self.release(driver)

    async def acquire(self) -> Any:
        """An asyncpg connection of the reads' pool (PostgreSQL only); give it back with
        ``release``."""
        self.checkouts += 1
        pool = self._pool
        if pool is None or self._loop is not asyncio.get_running_loop():
            pool = self._new_pool()
        return await pool.acquire()

    def release(self, driver: Any, *, discard: bool = False) -> None:
        """Give back a connection of ``acquire``; ``discard`` it when its use failed or was
        cut short (its state is unknown: it is closed, not reused)."""
        assert self._pool is not None
        self._pool.release(driver, discard=discard)

    def _new_pool(self) -> ReadPool:
        """A pool for this event loop (tests run several loops in one process). No connection
        is opened before the first read needs one, so a database that is down now does not
        keep the app from starting."""
        assert self._dsn is not None
        self._pool, self._loop = ReadPool(self._dsn, POOL_SIZE), asyncio.get_running_loop()
        return self._pool

    async def aclose(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None and self._loop is asyncio.get_running_loop():
            await pool.close()
        elif pool is not None:
            pool.terminate()
