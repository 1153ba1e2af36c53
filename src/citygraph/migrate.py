"""Programmatic Alembic: upgrade to head and compare the live schema with the models."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from citygraph import models
from citygraph.db import create_engine, normalize_url


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", "citygraph:migrations")
    config.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Upgrade the database at ``url``; safe to call from sync code only (it runs its own loop)."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def include_object(_object: Any, name: str | None, type_: str, *_args: Any) -> bool:
    """Leave out of comparisons what only the migrations declare (``DATABASE_ONLY_INDEXES``,
    ``DATABASE_ONLY_TABLES``)."""
    if type_ == "table":
        return name not in models.DATABASE_ONLY_TABLES
    return not (type_ == "index" and name in models.DATABASE_ONLY_INDEXES)


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "compare_server_default": True,
            "include_object": include_object,
        },
    )
    return list(compare_metadata(context, models.metadata))


async def schema_diff(url: str) -> list[Any]:
    """What Alembic's autogenerate would change to make the database match the models."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_diff)
    finally:
        await engine.dispose()
