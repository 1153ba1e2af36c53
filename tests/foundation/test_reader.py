"""The reads' own pool reaches the database that ``DATABASE_URL`` names, whatever
SQLAlchemy-only query parameters the URL carries; it reuses clean connections, drops the others,
bounds its size and waits no longer than its timeout."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from citygraph import reader
from citygraph.db import create_engine
from citygraph.reader import Reader, ReadPool, asyncpg_dsn


def test_the_dialects_parameters_become_asyncpgs() -> None:
    url = make_url(
        "postgresql+asyncpg://app:s%40cret@db.example:6432/city"
        "?ssl=require&prepared_statement_cache_size=0&application_name=citygraph"
    )
    dsn = make_url(asyncpg_dsn(url))
    assert dsn.drivername == "postgresql"
    assert (dsn.username, dsn.password, dsn.host, dsn.port) == ("app", "s@cret", "db.example", 6432)
    assert dict(dsn.query) == {"sslmode": "require", "application_name": "citygraph"}
    explicit = make_url("postgresql+asyncpg://db/city?ssl=require&sslmode=verify-full")
    assert dict(make_url(asyncpg_dsn(explicit)).query) == {"sslmode": "verify-full"}


async def test_a_url_with_dialect_parameters_still_reads(postgres_url: str) -> None:
    engine = create_engine(f"{postgres_url}?ssl=disable&prepared_statement_cache_size=100")
    reads = Reader(engine)
    try:
        async with reads.connection() as driver:
            assert await driver.fetchval("SELECT 1") == 1
    finally:
        await reads.aclose()
        await engine.dispose()


# --- the reads' pool ----------------------------------------------------------------------------


async def _backend_pid(driver: Any) -> int:
    pid: int = await driver.fetchval("SELECT pg_backend_pid()")
    return pid


async def test_a_returned_connection_is_reused(postgres_url: str) -> None:
    pool = ReadPool(asyncpg_dsn(make_url(postgres_url)), 2)
    try:
        first = await pool.acquire()
        pid = await _backend_pid(first)
        pool.release(first)
        second = await pool.acquire()
        assert await _backend_pid(second) == pid
        pool.release(second)
    finally:
        await pool.close()


async def test_a_connection_in_a_transaction_or_after_a_failure_is_dropped(
    postgres_url: str,
) -> None:
    pool = ReadPool(asyncpg_dsn(make_url(postgres_url)), 1)
    try:
        in_transaction = await pool.acquire()
        await in_transaction.execute("BEGIN")
        pid = await _backend_pid(in_transaction)
        pool.release(in_transaction)
        assert in_transaction.is_closed()
        failed = await pool.acquire()
        assert await _backend_pid(failed) != pid
        pool.release(failed, discard=True)
        assert failed.is_closed()
        again = await pool.acquire()  # the one slot is free again
        assert not again.is_closed()
        pool.release(again)
    finally:
        await pool.close()


async def test_waiting_for_a_slot_times_out_then_gets_the_returned_connection(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader, "ACQUIRE_TIMEOUT", 0.2)
    pool = ReadPool(asyncpg_dsn(make_url(postgres_url)), 1)
    try:
        held = await pool.acquire()
        with pytest.raises(TimeoutError):
            await pool.acquire()
        waiting = asyncio.ensure_future(pool.acquire())
        await asyncio.sleep(0.05)
        assert not waiting.done()
        pool.release(held)
        assert await waiting is held
        pool.release(held)
    finally:
        await pool.close()


async def test_idle_connections_are_closed_after_a_while(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader, "INACTIVE_SECONDS", 0.1)
    pool = ReadPool(asyncpg_dsn(make_url(postgres_url)), 2)
    try:
        driver = await pool.acquire()
        pool.release(driver)
        assert not driver.is_closed()
        await asyncio.sleep(0.3)
        assert driver.is_closed()
        fresh = await pool.acquire()
        assert fresh is not driver
        pool.release(fresh)
    finally:
        await pool.close()
