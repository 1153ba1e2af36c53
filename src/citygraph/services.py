"""The per-process objects every request needs, created once by ``create_app``."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from citygraph.changes import ChangeCounter
from citygraph.config import Settings
from citygraph.db import create_engine, create_sessionmaker
from citygraph.feed import ChangeFeed
from citygraph.mail import Mailer
from citygraph.metrics import Metrics
from citygraph.outbox import DeliveryWorker
from citygraph.ratelimit import RateLimiter
from citygraph.reader import Reader
from citygraph.storage import MediaStore, store_for


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    # Account e-mail (SMTP or the log) and login/registration rate limits (memory or Redis),
    # built from ``settings``; replace the attributes to substitute them. The media store
    # (folder or S3) is the one the domain reaches through ``store_for(settings)``. The
    # Prometheus instruments (``/metrics``) are this app's own.
    metrics: Metrics = field(init=False)
    mailer: Mailer = field(init=False)
    limiter: RateLimiter = field(init=False)
    changes: ChangeCounter = field(init=False)
    # Committed changes of places and districts, for subscriptions (``feed``).
    feed: ChangeFeed = field(init=False)
    store: MediaStore = field(init=False)
    # Driver connections for the compiled GraphQL reads and the REST lists.
    reader: Reader = field(init=False)
    # This process's mail delivery worker (started by the app's lifespan; ``flush`` without it).
    outbox: DeliveryWorker = field(init=False)

    def __post_init__(self) -> None:
        self.metrics = Metrics()
        self.metrics.watch_pool(self.engine)
        self.mailer = Mailer(self.settings)
        self.limiter = RateLimiter(self.settings, metrics=self.metrics)
        self.changes = ChangeCounter(
            self.settings.effective_database_url, self.settings.runtime_dir
        )
        self.feed = ChangeFeed(self.engine, self.changes)
        self.store = store_for(self.settings)
        self.reader = Reader(self.engine)
        self.outbox = DeliveryWorker(self.engine, self.settings, lambda: self.mailer)

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        engine = create_engine(settings.effective_database_url)
        return cls(settings=settings, engine=engine, sessions=create_sessionmaker(engine))

    def sharing_connections(self, settings: Settings) -> Services:
        """Other settings over this one's database connections (engine, sessions, reader),
        which stay this one's to close."""
        other = Services(settings=settings, engine=self.engine, sessions=self.sessions)
        other.reader = self.reader
        return other

    async def aclose(self) -> None:
        await self.outbox.aclose()
        await self.changes.aclose()
        await self.limiter.aclose()
        await self.store.aclose()
        await self.reader.aclose()
        await self.engine.dispose()
