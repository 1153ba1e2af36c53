"""The delivery worker: one per process, sending the outbox's due mail after the responses."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiosmtplib
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from citygraph.config import Settings
from citygraph.mail import Mailer
from citygraph.outbox import store
from citygraph.outbox.store import Claimed

log = logging.getLogger("citygraph.outbox")

BATCH = 10  # messages claimed (and sent concurrently) at once
MAX_RETRY_DELAY = 3600.0
SHUTDOWN_GRACE = 5.0
SETTLE_MARGIN = 15.0  # stop retrying to record an outcome this long before the lease ends
SEND_ERRORS = (aiosmtplib.SMTPException, OSError, TimeoutError)
#: How often one worker deletes expired sent messages (``CITYGRAPH_OUTBOX_KEEP_SENT_DAYS``).
PRUNE_INTERVAL = timedelta(hours=1)
_random = secrets.SystemRandom()


def utcnow() -> datetime:
    return datetime.now(UTC)


def retry_delay(attempts: int, first: float) -> float:
    """Seconds before the next attempt: doubling from ``first``, at most an hour, with jitter
    (between half and all of it) so that workers do not retry a recovered server in step."""
    delay = min(MAX_RETRY_DELAY, first * 2.0 ** (attempts - 1))
    jitter: float = _random.uniform(0.5, 1.0)
    return delay * jitter


@dataclass
class PassReport:
    """What one pass over the outbox did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    lost_claims: int = 0

    def add(self, other: PassReport) -> None:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.lost_claims += other.lost_claims

    @property
    def claimed(self) -> int:
        return self.sent + self.retrying + self.failed + self.lost_claims


class DeliveryWorker:
    """Claims due messages, sends them and settles them; woken after commits, polls otherwise.

    ``mailer`` is looked up for every pass, so replacing ``Services.mailer`` takes effect.
    ``clock`` gives the time written on rows and compared with them (tests move it).
    """

    def __init__(
        self,
        engine: AsyncEngine,
        settings: Settings,
        mailer: Callable[[], Mailer],
        clock: Callable[[], datetime] = utcnow,
    ):
        self.engine = engine
        self.settings = settings
        self._mailer = mailer
        self.clock = clock
        self._pruned_at: datetime | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._pass_lock = asyncio.Lock()
        self._stopping = False

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        """Run the worker on the current loop until ``aclose`` (once per process)."""
        if self._task is None:
            self._stopping = False
            self._task = asyncio.get_running_loop().create_task(self._run(), name="mail-outbox")

    def wake(self) -> None:
        """Look for due mail now (called after a commit that wrote some)."""
        self._wake.set()

    async def aclose(self, grace: float = SHUTDOWN_GRACE) -> None:
        """Let a running pass finish for up to ``grace`` seconds, then cancel it.

        Cancelling mid-statement would leave SQLite's write lock to be cleaned up by the engine's
        disposal ("database is locked" for the next process); a claim cut short lapses after its
        lease and the message goes out later."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._wake.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait({task}, timeout=grace)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self.run_pass()
                await self.prune_if_due()
            except (SQLAlchemyError, OSError) as exc:
                log.warning(
                    "mail outbox: database unavailable (%s), trying again", type(exc).__name__
                )
            except Exception:
                log.exception("mail outbox: the delivery pass failed")
            if self._stopping:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.mail_poll_interval)
            self._wake.clear()

    # --- passes -------------------------------------------------------------------------------

    @property
    def lease(self) -> timedelta:
        """How long a claim holds: longer than a send may take (``Mailer.send_timeout``)."""
        return timedelta(seconds=self._mailer().send_timeout + 60)

    async def run_pass(self) -> PassReport:
        """Send every message due now, batch by batch."""
        report = PassReport()
        async with self._pass_lock:
            while not self._stopping:
                batch = await store.claim(self.engine, self.clock(), self.lease, BATCH)
                if not batch:
                    break
                report.add(await self._send_batch(batch))
        return report

    async def flush(self, *, failed_too: bool = False) -> PassReport:
        """Try every undelivered message once now, due or not (``citygraph outbox flush``);
        ``failed_too`` first gives given-up messages a fresh set of attempts."""
        report = PassReport()
        if failed_too:
            await store.retry_failed(self.engine, self.clock())
        after_id = 0
        async with self._pass_lock:
            while True:
                batch = await store.claim(
                    self.engine, self.clock(), self.lease, BATCH, due_only=False, after_id=after_id
                )
                if not batch:
                    return report
                after_id = batch[-1].id
                report.add(await self._send_batch(batch))

    async def prune_if_due(self) -> int:
        """Delete expired sent messages, at most once per ``PRUNE_INTERVAL`` in this worker.

        Every worker of every machine does so on its own schedule; the statements are batched
        and safe to run side by side (``store.prune_sent``), so no coordination is needed."""
        now = self.clock()
        last = self._pruned_at
        if last is not None and last <= now < last + PRUNE_INTERVAL:
            return 0
        self._pruned_at = now
        deleted = await self.prune(now)
        if deleted:
            log.info("mail outbox: deleted %d sent messages past their retention", deleted)
        return deleted

    async def prune(self, now: datetime | None = None) -> int:
        """Delete every message sent more than ``CITYGRAPH_OUTBOX_KEEP_SENT_DAYS`` before
        ``now``; returns how many went (``citygraph outbox prune``)."""
        now = self.clock() if now is None else now
        cutoff = now - timedelta(days=self.settings.outbox_keep_sent_days)
        return await store.prune_all_sent(self.engine, cutoff, stop=lambda: self._stopping)

    async def _send_batch(self, batch: list[Claimed]) -> PassReport:
        reports = await asyncio.gather(*(self._send_one(message) for message in batch))
        total = PassReport()
        for report in reports:
            total.add(report)
        return total

    async def _send_one(self, message: Claimed) -> PassReport:
        mailer = self._mailer()
        email = mailer.build(
            message.recipient,
            message.subject,
            message.body,
            message_id=message.message_id,
            date=message.created_at,
        )
        try:
            await mailer.deliver(email)
        except SEND_ERRORS as exc:
            return await self._failed(message, exc)
        if await self._settle(lambda: store.mark_sent(self.engine, message, self.clock())):
            log.info("mail outbox: sent %s to %s", message.message_id, message.recipient)
            return PassReport(sent=1)
        log.warning("mail outbox: %s was sent after its claim lapsed", message.message_id)
        return PassReport(lost_claims=1)

    async def _settle(self, settle: Callable[[], Awaitable[bool]]) -> bool:
        """Record an attempt's outcome, retrying through a database outage while the claim's
        lease lasts: a sent message whose row stayed claimed would go out again later."""
        deadline = time.monotonic() + self.lease.total_seconds() - SETTLE_MARGIN
        while True:
            try:
                return await settle()
            except (SQLAlchemyError, OSError) as exc:
                if self._stopping or time.monotonic() > deadline:
                    raise
                log.warning("mail outbox: cannot record a delivery yet (%s)", type(exc).__name__)
                await asyncio.sleep(1)

    async def _failed(self, message: Claimed, exc: BaseException) -> PassReport:
        error = f"{type(exc).__name__}: {exc}".strip().removesuffix(":")
        if message.attempts >= self.settings.mail_max_attempts:
            await self._settle(lambda: store.mark_failed_attempt(self.engine, message, error, None))
            log.error(
                "mail outbox: gave up on %s to %s after %d attempts: %s",
                message.message_id,
                message.recipient,
                message.attempts,
                error,
            )
            return PassReport(failed=1)
        delay = retry_delay(message.attempts, self.settings.mail_retry_delay)
        retry_at = self.clock() + timedelta(seconds=delay)
        await self._settle(lambda: store.mark_failed_attempt(self.engine, message, error, retry_at))
        log.warning(
            "mail outbox: attempt %d for %s to %s failed (%s); next in %.0fs",
            message.attempts,
            message.message_id,
            message.recipient,
            error,
            delay,
        )
        return PassReport(retrying=1)
