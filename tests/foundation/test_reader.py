"""The reads' own asyncpg pool reaches the database that ``DATABASE_URL`` names, whatever
SQLAlchemy-only query parameters the URL carries."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from citygraph.db import create_engine
from citygraph.reader import Reader, asyncpg_dsn


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
    reader = Reader(engine)
    try:
        async with reader.connection() as driver:
            assert await driver.fetchval("SELECT 1") == 1
    finally:
        await reader.aclose()
        await engine.dispose()
