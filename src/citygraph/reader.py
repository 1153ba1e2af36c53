"""Driver connections for the reads that need nothing of SQLAlchemy: the compiled GraphQL reads
and the REST lists, which send one statement and take back JSON text.

On PostgreSQL, checking a connection out of SQLAlchemy's pool and reaching its asyncpg connection
(greenlet hand-off, pool bookkeeping, reset on return) cost about three times the CPU of the
query itself (about 150 µs against 56 µs per districts list, measured in one process); these
reads take asyncpg connections from an asyncpg pool of their own instead, without the reset
query on release (they change no session state; a transaction left open is still rolled back).
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


async def _keep_state(_connection: Any) -> None:
    """The reads set nothing on a session, so a released connection needs no reset query."""


class Reader:
    """``connection()`` yields a driver connection (asyncpg's, or aiosqlite's on SQLite)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._dsn: str | None = None
        if engine.url.get_backend_name() == "postgresql":
            self._dsn = asyncpg_dsn(engine.url)
        self._pool: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._creating: asyncio.Lock | None = None
        #: Connections handed out so far (SQLAlchemy's pool events do not see these).
        self.checkouts = 0

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        self.checkouts += 1
        if self._dsn is None:
            async with self.engine.connect() as connected:
                raw = await connected.get_raw_connection()
                yield raw.driver_connection
            return
        pool = await self._get_pool()
        # asyncio.timeout rather than acquire(timeout=): asyncpg's wait_for makes a task per call.
        async with asyncio.timeout(ACQUIRE_TIMEOUT):
            driver = await pool.acquire()
        try:
            yield driver
        finally:
            await pool.release(driver)

    async def _get_pool(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._pool is not None and self._loop is loop:
            return self._pool
        if self._creating is None or self._loop is not loop:
            self._creating, self._loop, self._pool = asyncio.Lock(), loop, None
        async with self._creating:
            if self._pool is None:
                # min_size=0: no connection is opened before the first read needs one, and a
                # database that is down now does not keep the pool (or the app) from starting.
                self._pool = await asyncpg.create_pool(
                    self._dsn, min_size=0, max_size=POOL_SIZE, reset=_keep_state
                )
        return self._pool

    async def aclose(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None and self._loop is asyncio.get_running_loop():
            await pool.close()
        elif pool is not None:
            pool.terminate()
