"""Subscriptions: ``placeChanged`` and ``districtChanged``, fed by the change feed (``feed``).

A subscription holds no database session while it waits: each change is resolved in a unit of
work of its own (``LiveContext.event``), so the node and everything selected under it are read
as they are when the change arrives (a node deleted meanwhile is null). The transports are
``ws`` (graphql-transport-ws) and ``sse`` (graphql-sse); both run ``Schema.subscribe``, so the
same limits (depth, aliases, tokens, introspection) validate subscriptions as queries.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Annotated, Any, TypeVar

import strawberry
from graphql import GraphQLError
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import HTTPConnection

from citygraph.config import Settings
from citygraph.domain.districts import districts_by_ids
from citygraph.domain.parsers import Id, parse_id
from citygraph.domain.places import places_by_ids
from citygraph.domain.unit import UnitOfWork
from citygraph.feed import Change, ChangeKind, Entity, FellBehind, Subscriber
from citygraph.graphql.context import GraphQLContext, RequestFinished
from citygraph.graphql.errors import INTERNAL_MESSAGE, INTERNAL_SERVER_ERROR
from citygraph.graphql.loaders import Loaders
from citygraph.graphql.types import DistrictNode, PlaceNode
from citygraph.models import User
from citygraph.services import Services

T = TypeVar("T")
log = logging.getLogger("citygraph.graphql.live")

FELL_BEHIND = "Too many changes were waiting for this subscription: subscribe again."


@strawberry.enum(name="ChangeKind", description="What happened to an object.")
class ChangeKindEnum(enum.Enum):
    CREATED = strawberry.enum_value(ChangeKind.CREATED.value, description="It was created.")
    UPDATED = strawberry.enum_value(
        ChangeKind.UPDATED.value,
        description="It was changed (for a place: its fields, its district or its images).",
    )
    DELETED = strawberry.enum_value(ChangeKind.DELETED.value, description="It was deleted.")


@strawberry.type(description="A place was created, updated or deleted.")
class PlaceChange:
    kind: ChangeKindEnum = strawberry.field(description="What happened.")
    id: int = strawberry.field(description="The place's id (also when it was deleted).")
    district_ids: list[int] = strawberry.field(
        description="The districts concerned: the place's, or its old and new one when it moved."
    )
    node: PlaceNode | None = strawberry.field(
        description="The place as it is now; null when it was deleted (or deleted since)."
    )


@strawberry.type(description="A district was created, updated or deleted.")
class DistrictChange:
    kind: ChangeKindEnum = strawberry.field(description="What happened.")
    id: int = strawberry.field(description="The district's id (also when it was deleted).")
    node: DistrictNode | None = strawberry.field(
        description="The district as it is now; null when it was deleted (or deleted since)."
    )


class LiveContext(GraphQLContext):
    """A subscription's context: no unit of work between changes, a fresh one per change."""

    def __init__(
        self, services: Services, connection: HTTPConnection, base_url: str, actor: User | None
    ) -> None:
        self.services = services
        self.actor = actor
        self.request = connection
        self.base_url = base_url
        self._unit: UnitOfWork | None = None
        self._lock = asyncio.Lock()
        self._closed = False
        self.loaders = Loaders(self.read)
        # Set once the subscription listens to the feed: changes committed after that reach it.
        self.listening = asyncio.Event()

    async def started(self, first: asyncio.Future[Any]) -> None:
        """Wait until the subscription listens, or ``first`` (its first result) is there."""
        waiter = asyncio.ensure_future(self.listening.wait())
        try:
            await asyncio.wait({first, waiter}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()

    @property
    def uow(self) -> UnitOfWork:
        if self._unit is None:
            raise RequestFinished
        return self._unit

    @uow.setter
    def uow(self, unit: UnitOfWork) -> None:
        self._unit = unit

    @property
    def settings(self) -> Settings:
        return self.services.settings

    async def read(self, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        async with self._lock:
            return await work(self.uow)

    @contextlib.asynccontextmanager
    async def event(self, work: Callable[[UnitOfWork], Awaitable[T]]) -> AsyncIterator[T]:
        """One change's resolution: ``work`` (the changed row) and then everything selected
        under it, in one unit and on one connection, released afterwards.

        ``work`` is tried twice: after a database outage the first use of a pooled connection
        fails and replaces the pool, so a subscription outlives outages. A second failure ends
        the subscription with a masked error (logged).
        """
        for attempt in range(2):
            session = self.services.sessions()
            unit = UnitOfWork(session, self.services, actor=self.actor)
            try:
                found = await work(unit)
            except (SQLAlchemyError, OSError):
                await _close(session)
                if attempt == 0:
                    log.warning("a subscription's read failed; trying again", exc_info=True)
                    continue
                log.exception("a subscription's read failed twice")
                raise GraphQLError(
                    INTERNAL_MESSAGE, extensions={"code": INTERNAL_SERVER_ERROR}
                ) from None
            break
        self._unit = unit
        self.loaders = Loaders(self.read)
        try:
            yield found
        finally:
            self._unit = None
            await _close(session)

    async def changes(self, entity: Entity, district_id: Id | None) -> AsyncGenerator[Change]:
        """The feed's changes of ``entity`` (concerning ``district_id`` when given)."""

        with self.services.feed.subscribe(entity) as subscriber:
            self.listening.set()
            while True:
                change = await _next(subscriber)
                if district_id is None or district_id in change.district_ids:
                    yield change


async def _close(session: AsyncSession) -> None:
    """End a read-only unit; a connection lost meanwhile is the pool's business, not an error."""
    try:
        await session.close()
    except (SQLAlchemyError, OSError):
        log.debug("closing a subscription's session failed", exc_info=True)


async def _next(subscriber: Subscriber) -> Change:
    try:
        return await subscriber.next()
    except FellBehind:
        raise GraphQLError(FELL_BEHIND, extensions={"code": "TOO_MANY_REQUESTS"}) from None


F = TypeVar("F", bound=Callable[..., Any])


def described_subscription(*, description: str) -> Callable[[F], F]:
    """``strawberry.subscription(description=...)``, typed for mypy."""
    decorator: Callable[[F], F] = strawberry.subscription(description=description)
    return decorator


R = TypeVar("R")


def _rows(
    by_ids: Callable[[AsyncSession, list[Id]], Awaitable[dict[int, R]]], change: Change
) -> Callable[[UnitOfWork], Awaitable[dict[int, R]]]:
    """Read the changed row (none for a deletion: no database round trip)."""

    async def read(uow: UnitOfWork) -> dict[int, R]:
        if change.kind is ChangeKind.DELETED:
            return {}
        return await by_ids(uow.session, [Id(change.id)])

    return read


def live_context(info: strawberry.Info) -> LiveContext:
    ctx = info.context
    if not isinstance(ctx, LiveContext):  # pragma: no cover - the transports build it
        raise TypeError("subscriptions run with a LiveContext")
    return ctx


@strawberry.type(description="Live updates: changes of places and districts once committed.")
class Subscription:
    @described_subscription(
        description="Every place created, updated (fields, district, images) or deleted from "
        "now on, whoever made the change (GraphQL, REST, the admin, any worker)."
    )
    async def place_changed(
        self,
        info: strawberry.Info,
        district_id: Annotated[
            int | None,
            strawberry.argument(
                description="Only changes concerning this district (a place that moved "
                "concerns its old and its new district)."
            ),
        ] = None,
    ) -> AsyncGenerator[PlaceChange, None]:
        live = live_context(info)
        wanted = parse_id(district_id) if district_id is not None else None
        async with contextlib.aclosing(live.changes(Entity.PLACE, wanted)) as changes:
            async for change in changes:
                async with live.event(_rows(places_by_ids, change)) as rows:
                    row = rows.get(change.id)
                    yield PlaceChange(
                        kind=ChangeKindEnum(change.kind.value),
                        id=change.id,
                        district_ids=list(change.district_ids),
                        node=PlaceNode.from_row(row) if row else None,
                    )

    @described_subscription(
        description="Every district created, updated or deleted from now on (a district's "
        "places changing is `placeChanged`)."
    )
    async def district_changed(self, info: strawberry.Info) -> AsyncGenerator[DistrictChange, None]:
        live = live_context(info)
        async with contextlib.aclosing(live.changes(Entity.DISTRICT, None)) as changes:
            async for change in changes:
                async with live.event(_rows(districts_by_ids, change)) as rows:
                    row = rows.get(change.id)
                    yield DistrictChange(
                        kind=ChangeKindEnum(change.kind.value),
                        id=change.id,
                        node=DistrictNode.from_row(row) if row else None,
                    )
