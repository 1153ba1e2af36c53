"""A fresh PostgreSQL database for the test session."""

from __future__ import annotations

import asyncio
import os
import uuid
from dataclasses import dataclass

import asyncpg
from sqlalchemy.engine import make_url

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass
class PostgresDatabase:
    url: str
    admin_url: str | None  # set when this session created the database and must drop it

    def drop(self) -> None:
        if self.admin_url is None:
            return
        name = make_url(self.url).database
        asyncio.run(execute(self.admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def execute(url: str, sql: str) -> None:
    connection = await asyncpg.connect(url.replace("+asyncpg", ""), timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def server_url() -> str:
    """A maintenance connection to the server that holds the test databases."""
    given = os.environ.get("CITYGRAPH_TEST_POSTGRES_URL")
    if given:
        return make_url(given).set(database="postgres").render_as_string(hide_password=False)
    return os.environ.get("CITYGRAPH_TEST_POSTGRES_SERVER", DEFAULT_SERVER)


def provision_postgres(*, fresh: bool = False) -> PostgresDatabase | None:
    """The run's database (``CITYGRAPH_TEST_POSTGRES_URL``) or, with ``fresh``, a new one.

    Under pytest-xdist every worker gets a new database on the same server: the workers run at
    the same time and each truncates the tables between its tests.
    """
    given = os.environ.get("CITYGRAPH_TEST_POSTGRES_URL")
    if given and not fresh and not os.environ.get("PYTEST_XDIST_WORKER"):
        return PostgresDatabase(url=given, admin_url=None)
    admin_url = server_url()
    name = f"citygraph_test_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(execute(admin_url, f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return None
    url = make_url(admin_url).set(drivername="postgresql+asyncpg", database=name)
    return PostgresDatabase(url=url.render_as_string(hide_password=False), admin_url=admin_url)
