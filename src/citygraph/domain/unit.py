"""The unit of work: what one request (or one command) hands to every domain operation.

Each face builds one per request — REST per request, GraphQL per request with a commit per
mutation field, the admin per form or action, the command line per command — and passes it
first to every domain function. It holds the session, the acting user, the settings, the clock
and the rate limiter, and it alone commits.

Side effects wait for the outcome. Mail is a row of the outbox written in the transaction itself
(``send_mail``), sent by a delivery worker once committed. An operation registers
``after_commit`` actions (file removal) that run only once the transaction has committed, and
``on_rollback`` actions (removing a file written for a row that never came to be) that run when
it does not. Domain operations only flush; they never commit, roll back or talk to SMTP.

A commit that changed districts, places or images moves the change counter (``changes``) before
the face answers, so cached responses of the read graph are never served after it. Operations
``publish`` what they changed for live subscriptions (``feed``); it goes out after the commit.
What a staff actor changes is written to the change log in the same transaction (``changelog``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType

from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from citygraph import outbox
from citygraph.config import Settings
from citygraph.domain import changelog
from citygraph.domain.policy import Actor
from citygraph.feed import Change
from citygraph.models import District, Place, PlaceImage
from citygraph.ratelimit import RateLimiter
from citygraph.services import Services

log = logging.getLogger("citygraph.unit")

Action = Callable[[], Awaitable[None]]
_PUBLIC = (District, Place, PlaceImage)
_PUBLIC_CHANGED = "citygraph.public_changed"


@event.listens_for(Session, "before_flush")
def _note_public_changes(session: Session, _context: object, _instances: object) -> None:
    """Remember that this transaction writes the public read graph."""
    if any(isinstance(obj, _PUBLIC) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info[_PUBLIC_CHANGED] = True


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class UnitOfWork:
    """``session`` is opened on first use: a request that never reaches the database (an
    anonymous read answered by the reader, a refused permission) pays nothing for it."""

    _session: AsyncSession | None
    services: Services
    actor: Actor = None
    client_address: str | None = None
    # The URL the request was served at (trusted host only): the base of links in e-mails when
    # no public URL is configured. None on the command line.
    site_url: str | None = None
    clock: Callable[[], datetime] = utcnow
    _after_commit: list[Action] = field(default_factory=list, repr=False)
    _on_rollback: list[Action] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        if self._session is not None:
            self._attach(self._session)

    def _attach(self, session: AsyncSession) -> None:
        # The change log reads the actor at flush time (a face may set it after creating us).
        changelog.attach(session, lambda: self.actor, self.now)

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            self._session = self.services.sessions()
            self._attach(self._session)
        return self._session

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def limiter(self) -> RateLimiter:
        return self.services.limiter

    def now(self) -> datetime:
        return self.clock()

    def after_commit(self, action: Action) -> None:
        """Run ``action`` once this unit's transaction has committed (never if it does not)."""
        self._after_commit.append(action)

    def on_rollback(self, action: Action) -> None:
        """Run ``action`` if this unit's transaction ends without committing."""
        self._on_rollback.append(action)

    def send_mail(self, to: str, subject: str, body: str) -> None:
        """Mail ``to`` once the change that causes the message has committed.

        The message is a row of the outbox, written in this unit's transaction; after the
        commit the process's delivery worker is woken to send it (never while the face waits).
        """
        self.session.add(outbox.new_message(to, subject, body, self.now()))

        async def wake() -> None:
            self.services.outbox.wake()

        self.after_commit(wake)

    def publish(self, change: Change) -> None:
        """Tell subscribers about ``change`` once this unit has committed it."""

        async def publish() -> None:
            await self.services.feed.publish(change)

        self.after_commit(publish)

    async def commit(self) -> None:
        session = self._session
        if session is not None:
            try:
                await session.commit()
            except BaseException:
                await self.rollback()
                raise
            if session.sync_session.info.pop(_PUBLIC_CHANGED, False):
                self.services.changes.bump()
        actions, self._after_commit, self._on_rollback = self._after_commit, [], []
        await _run(actions, "after commit")

    async def rollback(self) -> None:
        session = self._session
        try:
            if session is not None:
                session.sync_session.info.pop(_PUBLIC_CHANGED, None)
                await session.rollback()
        finally:
            actions, self._after_commit, self._on_rollback = self._on_rollback, [], []
            await _run(actions, "after rollback")


async def _run(actions: list[Action], when: str) -> None:
    """Side effects must not turn a settled transaction into an error: failures are logged."""
    for action in actions:
        try:
            await action()
        except Exception:
            log.exception("an action %s failed", when)


def unit_of_work(
    services: Services,
    *,
    actor: Actor = None,
    client_address: str | None = None,
    site_url: str | None = None,
) -> UnitScope:
    """A unit that commits when the block succeeds and rolls back on any error."""
    uow = UnitOfWork(None, services, actor=actor, client_address=client_address, site_url=site_url)
    return UnitScope(uow)


class UnitScope:
    """``async with unit_of_work(...) as uow``: a class rather than ``@asynccontextmanager``,
    whose generator and wrapper cost more than the rest of an anonymous read's unit."""

    __slots__ = ("uow",)

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def __aenter__(self) -> UnitOfWork:
        return self.uow

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        uow = self.uow
        try:
            if exc_type is None:
                await uow.commit()
            else:
                await uow.rollback()
        finally:
            if uow._session is not None:
                await uow._session.close()
