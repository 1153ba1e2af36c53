"""The change feed: places and districts created, updated or deleted, for live subscriptions.

A unit of work publishes a change once its transaction has committed (``domain.unit``). How it
reaches the subscribers depends on the database:

- on PostgreSQL it travels as a ``NOTIFY`` on the change counter's channel
  (``changes.CHANNEL``), and every process — this one included — hears it through the counter's
  one listening connection and hands it to its own subscribers: workers and machines need
  nothing else. The listener reconnects after an outage (changes made meanwhile are not
  replayed: a subscription is a live view, not a log);
- on SQLite there is one process, so a change goes straight to this process's subscribers.

Each subscriber has a bounded backlog: one that falls that far behind is told so and dropped
rather than letting memory grow without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from citygraph.changes import CHANNEL, ChangeCounter

log = logging.getLogger("citygraph.feed")

#: Changes a subscriber may have waiting before it is dropped as too slow.
BACKLOG = 1000


class Entity(StrEnum):
    PLACE = "place"
    DISTRICT = "district"


class ChangeKind(StrEnum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    DELETED = "DELETED"


@dataclass(frozen=True)
class Change:
    """One committed change: what, how, which id, and the districts it concerns (a place's
    district; both districts when a place moved)."""

    entity: Entity
    kind: ChangeKind
    id: int
    district_ids: tuple[int, ...] = ()

    def encode(self) -> str:
        return orjson.dumps(
            {
                "feed": self.entity.value,
                "kind": self.kind.value,
                "id": self.id,
                "districts": list(self.district_ids),
            }
        ).decode()

    @classmethod
    def decode(cls, payload: str) -> Change | None:
        """The change a notification carries, or None (the counter's trigger, or garbage)."""
        if not payload.startswith("{"):
            return None
        try:
            data = orjson.loads(payload)
            return cls(
                Entity(data["feed"]),
                ChangeKind(data["kind"]),
                int(data["id"]),
                tuple(int(pk) for pk in data["districts"]),
            )
        except (orjson.JSONDecodeError, KeyError, ValueError, TypeError):
            log.warning("ignored a malformed change notification: %.200s", payload)
            return None


class FellBehind(Exception):
    """A subscriber did not take its changes fast enough and was dropped."""


class Subscriber:
    """One subscription's queue of changes of one entity."""

    def __init__(self, entity: Entity, backlog: int) -> None:
        self.entity = entity
        self._queue: asyncio.Queue[Change | None] = asyncio.Queue(backlog + 1)
        self._backlog = backlog
        self._dropped = False

    def offer(self, change: Change) -> None:
        if self._dropped or change.entity is not self.entity:
            return
        if self._queue.qsize() >= self._backlog:
            self._dropped = True
            self._queue.put_nowait(None)
            return
        self._queue.put_nowait(change)

    async def next(self) -> Change:
        change = await self._queue.get()
        if change is None:
            raise FellBehind
        return change


class ChangeFeed:
    """Publish committed changes; subscribe to them (see the module docstring)."""

    def __init__(self, engine: AsyncEngine, counter: ChangeCounter, backlog: int = BACKLOG):
        self.engine = engine
        self.backlog = backlog
        self.remote = engine.dialect.name == "postgresql"
        self._subscribers: set[Subscriber] = set()
        if self.remote:
            counter.on_notification(self.receive)

    async def publish(self, change: Change) -> None:
        if not self.remote:
            self.fan_out(change)
            return
        async with self.engine.connect() as connection:
            await connection.execute(
                text("SELECT pg_notify(:channel, :payload)"),
                {"channel": CHANNEL, "payload": change.encode()},
            )
            await connection.commit()

    def receive(self, payload: str) -> None:
        """A notification from PostgreSQL (any process's change, ours included)."""
        change = Change.decode(payload)
        if change is not None:
            self.fan_out(change)

    def fan_out(self, change: Change) -> None:
        for subscriber in list(self._subscribers):
            subscriber.offer(change)

    @contextlib.contextmanager
    def subscribe(self, entity: Entity) -> Iterator[Subscriber]:
        subscriber = Subscriber(entity, self.backlog)
        self._subscribers.add(subscriber)
        try:
            yield subscriber
        finally:
            self._subscribers.discard(subscriber)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)
