"""The ``outbox`` table's statements: write, claim, settle, count and prune messages."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from citygraph.mail import new_message_id
from citygraph.models import OutboxMessage, OutboxStatus

_table: sa.Table = OutboxMessage.__table__  # type: ignore[attr-defined]
_c = _table.c
#: How much of an error's text is kept on the row.
ERROR_TEXT_LIMIT = 1000


def new_message(recipient: str, subject: str, body: str, now: datetime) -> OutboxMessage:
    """A pending message, due now, with its ``Message-ID`` fixed for every attempt."""
    return OutboxMessage(
        message_id=new_message_id(),
        recipient=recipient,
        subject=subject,
        body=body,
        created_at=now,
        next_attempt_at=now,
    )


def _once(engine: AsyncEngine, pick: sa.Select[tuple[int]]) -> sa.Select[tuple[int]]:
    """The ids ``pick`` selects, for an ``UPDATE``/``DELETE … WHERE id IN (…)`` to change.

    On PostgreSQL the rows are locked, skipping those another worker holds, in a materialized
    CTE: evaluated once. As a plain ``IN`` subquery PostgreSQL may rescan it for each row,
    skip the rows this very statement already changed, and so pass the ``LIMIT`` (a claim of
    10 took every due row). SQLite runs an uncorrelated subquery once.
    """
    if engine.dialect.name != "postgresql":
        return pick
    picked = pick.with_for_update(skip_locked=True).cte("picked").prefix_with("MATERIALIZED")
    return sa.select(picked.c.id)


@dataclass(frozen=True)
class Claimed:
    """A message this worker holds until ``lease_until``; settled with ``claim``."""

    id: int
    claim: str
    message_id: str
    recipient: str
    subject: str
    body: str
    attempts: int
    created_at: datetime


async def claim(
    engine: AsyncEngine,
    now: datetime,
    lease: timedelta,
    limit: int,
    *,
    due_only: bool = True,
    after_id: int = 0,
) -> list[Claimed]:
    """Claim up to ``limit`` messages for one worker: none is ever held by two at once.

    Due messages are pending ones whose time has come and claimed ones whose lease lapsed (their
    worker died). ``due_only=False`` takes pending messages whatever their time (a flush).
    """
    lapsed = sa.and_(_c.status == OutboxStatus.SENDING, _c.next_attempt_at <= now)
    pending = _c.status == OutboxStatus.PENDING
    if due_only:
        pending = sa.and_(pending, _c.next_attempt_at <= now)
    claimable = sa.and_(sa.or_(pending, lapsed), _c.id > after_id)
    pick = sa.select(_c.id).where(claimable).order_by(_c.next_attempt_at, _c.id).limit(limit)
    ids = _once(engine, pick)
    token = secrets.token_hex(16)
    statement = (
        sa.update(_table)
        # The condition again: on SQLite the whole statement is the claim (one writer at a time).
        .where(_c.id.in_(ids.scalar_subquery()), claimable)
        .values(
            status=OutboxStatus.SENDING,
            claim=token,
            attempts=_c.attempts + 1,
            next_attempt_at=now + lease,
        )
        .returning(
            _c.id,
            _c.message_id,
            _c.recipient,
            _c.subject,
            _c.body,
            _c.attempts,
            _c.created_at,
        )
    )
    async with engine.connect() as connection:
        # A read first: an idle poll never takes SQLite's write lock.
        if (await connection.execute(sa.select(_c.id).where(claimable).limit(1))).first() is None:
            return []
    async with engine.begin() as connection:
        rows = (await connection.execute(statement)).all()
    claimed = [
        Claimed(
            id=row.id,
            claim=token,
            message_id=row.message_id,
            recipient=row.recipient,
            subject=row.subject,
            body=row.body,
            attempts=row.attempts,
            created_at=row.created_at,
        )
        for row in rows
    ]
    return sorted(claimed, key=lambda message: message.id)


async def mark_sent(engine: AsyncEngine, message: Claimed, now: datetime) -> bool:
    """Record a delivery; False when the claim had lapsed and been taken over.

    The body is dropped: it holds one-time account links, which have no business staying in
    the database once the mail has gone (recipient, subject and times remain)."""
    return await _settle(
        engine,
        message,
        status=OutboxStatus.SENT,
        sent_at=now,
        last_error=None,
        next_attempt_at=now,
        body="",
    )


async def mark_failed_attempt(
    engine: AsyncEngine, message: Claimed, error: str, retry_at: datetime | None
) -> bool:
    """Schedule the next attempt at ``retry_at``, or give the message up (``None``)."""
    if retry_at is None:
        return await _settle(
            engine, message, status=OutboxStatus.FAILED, last_error=error[:ERROR_TEXT_LIMIT]
        )
    return await _settle(
        engine,
        message,
        status=OutboxStatus.PENDING,
        next_attempt_at=retry_at,
        last_error=error[:ERROR_TEXT_LIMIT],
    )


async def _settle(engine: AsyncEngine, message: Claimed, **values: object) -> bool:
    statement = (
        sa.update(_table)
        .where(
            _c.id == message.id,
            _c.claim == message.claim,
            _c.status == OutboxStatus.SENDING,
        )
        .values(claim=None, **values)
    )
    async with engine.begin() as connection:
        result = await connection.execute(statement)
    return bool(result.rowcount)


async def retry_failed(engine: AsyncEngine, now: datetime) -> int:
    """Give every failed message a fresh set of attempts, due now; returns how many."""
    statement = (
        sa.update(_table)
        .where(_c.status == OutboxStatus.FAILED)
        .values(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now)
    )
    async with engine.begin() as connection:
        result = await connection.execute(statement)
    return int(result.rowcount)


#: Rows one pruning statement deletes at most: a short write, even on SQLite's single writer.
PRUNE_BATCH = 500


async def prune_sent(engine: AsyncEngine, sent_before: datetime, limit: int = PRUNE_BATCH) -> int:
    """Delete up to ``limit`` messages sent before ``sent_before``; returns how many went.

    Only sent rows qualify: failed and unsent mail is kept, whatever its age. Several workers
    may prune at once: on PostgreSQL each skips the rows another is deleting, on SQLite the
    statements take turns, and a row deleted by another is simply not counted twice.
    """
    # A sent row's ``next_attempt_at`` is its ``sent_at`` (``mark_sent``): the condition on it
    # walks the (status, next_attempt_at) index; the one on ``sent_at`` states the rule.
    old = sa.and_(
        _c.status == OutboxStatus.SENT,
        _c.next_attempt_at < sent_before,
        _c.sent_at < sent_before,
    )
    ids = _once(engine, sa.select(_c.id).where(old).order_by(_c.next_attempt_at).limit(limit))
    async with engine.connect() as connection:
        # A read first: a worker finding nothing to prune never takes SQLite's write lock.
        if (await connection.execute(sa.select(_c.id).where(old).limit(1))).first() is None:
            return 0
    statement = sa.delete(_table).where(_c.id.in_(ids.scalar_subquery()), old)
    async with engine.begin() as connection:
        result = await connection.execute(statement)
    return int(result.rowcount)


async def prune_all_sent(
    engine: AsyncEngine,
    sent_before: datetime,
    *,
    batch: int = PRUNE_BATCH,
    stop: Callable[[], bool] = lambda: False,
) -> int:
    """Prune batch by batch until none is left or ``stop()``; returns how many went."""
    total = 0
    while not stop():
        deleted = await prune_sent(engine, sent_before, batch)
        total += deleted
        if deleted < batch:
            break
    return total


async def unsent(engine: AsyncEngine, limit: int = 1000) -> list[OutboxMessage]:
    """Messages not delivered yet (pending, being sent or failed), oldest first."""
    statement = sa.select(_table).where(_c.status != OutboxStatus.SENT).order_by(_c.id).limit(limit)
    async with engine.connect() as connection:
        rows = (await connection.execute(statement)).all()
    return [OutboxMessage(**row._asdict()) for row in rows]


async def status_counts(engine: AsyncEngine) -> dict[OutboxStatus, int]:
    """How many messages are in each state (every state present, zero included)."""
    statement = sa.select(_c.status, sa.func.count()).group_by(_c.status)
    async with engine.connect() as connection:
        rows = (await connection.execute(statement)).all()
    counts = dict.fromkeys(OutboxStatus, 0)
    counts.update({OutboxStatus(status): count for status, count in rows})
    return counts


async def depth(engine: AsyncEngine) -> int:
    """The outbox depth, for metrics: messages still to deliver (pending or being sent)."""
    statement = (
        sa.select(sa.func.count())
        .select_from(_table)
        .where(_c.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))
    )
    async with engine.connect() as connection:
        return int((await connection.execute(statement)).scalar_one())
