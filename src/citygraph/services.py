"""The per-process objects every request needs, created once by ``create_app``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import HTTPConnection

from citygraph.config import Settings
from citygraph.db import create_engine, create_sessionmaker


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    # Optional collaborators that later layers attach (mailer, rate limiter...).
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        engine = create_engine(settings.effective_database_url)
        return cls(settings=settings, engine=engine, sessions=create_sessionmaker(engine))

    async def aclose(self) -> None:
        await self.engine.dispose()


def get_services(conn: HTTPConnection) -> Services:
    services: Services = conn.app.state.services
    return services
