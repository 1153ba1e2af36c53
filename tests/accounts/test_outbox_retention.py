"""Sent mail leaves the outbox after its retention, on SQLite and PostgreSQL, with real rows.

Messages are really delivered (aiosmtpd) or really refused (a closed port) at a moved clock, so
``sent_at`` and the retry schedule are the ones production writes.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from citygraph import cli
from citygraph.domain.unit import unit_of_work
from citygraph.mail import Mailer
from citygraph.models import OutboxMessage, OutboxStatus
from citygraph.outbox import store
from citygraph.outbox.worker import PRUNE_INTERVAL
from citygraph.services import Services
from tests.accounts.conftest import Outbox
from tests.conftest import make_settings, reset_database
from tests.support.server import free_port

START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def statuses(services: Services) -> dict[str, OutboxStatus]:
    """Every row's subject and status."""
    async with services.sessions() as session:
        rows = (await session.exec(select(OutboxMessage).order_by("id"))).all()
    return {row.subject: row.status for row in rows}


async def queue(services: Services, *subjects: str) -> None:
    async with unit_of_work(services) as uow:
        for subject in subjects:
            uow.send_mail(f"{subject}@example.com", subject, "body")


def smtp(services: Services, port: int) -> None:
    services.mailer = Mailer(
        services.settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}"})
    )


@pytest.fixture
def clock(services: Services) -> Clock:
    clock = Clock(START)
    services.outbox.clock = clock
    return clock


async def sent_at(services: Services, clock: Clock, port: int, *subjects: str) -> None:
    """Queue ``subjects`` and deliver them at ``clock``'s time."""
    await queue(services, *subjects)
    smtp(services, port)
    report = await services.outbox.flush()
    assert report.sent == len(subjects), report


async def test_sent_mail_goes_after_its_retention_and_failed_or_unsent_mail_stays(
    services: Services, clock: Clock, outbox: Outbox, smtp_server: tuple[Outbox, int]
) -> None:
    await sent_at(services, clock, smtp_server[1], "old1", "old2")
    clock.now = START + timedelta(days=3)
    await sent_at(services, clock, smtp_server[1], "recent")

    # One message given up, one waiting for its retry: both refused by a closed port.
    services.settings = services.settings.model_copy(update={"mail_max_attempts": 1})
    services.outbox.settings = services.settings
    smtp(services, free_port())
    await queue(services, "failed")
    assert (await services.outbox.flush()).failed == 1
    services.settings = services.settings.model_copy(update={"mail_max_attempts": 8})
    services.outbox.settings = services.settings
    await queue(services, "pending")
    assert (await services.outbox.flush()).retrying == 1
    assert len(outbox.messages) == 3

    clock.now = START + WEEK  # exactly 7 days: kept
    assert await services.outbox.prune() == 0
    clock.now = START + WEEK + timedelta(seconds=1)
    assert await services.outbox.prune() == 2
    assert await statuses(services) == {
        "recent": OutboxStatus.SENT,
        "failed": OutboxStatus.FAILED,
        "pending": OutboxStatus.PENDING,
    }

    clock.now = START + timedelta(days=400)  # however old, failed and unsent mail stays
    assert await services.outbox.prune() == 1
    assert await services.outbox.prune() == 0
    assert await statuses(services) == {
        "failed": OutboxStatus.FAILED,
        "pending": OutboxStatus.PENDING,
    }


async def test_the_retention_is_a_setting(
    services: Services, clock: Clock, smtp_server: tuple[Outbox, int]
) -> None:
    await sent_at(services, clock, smtp_server[1], "a", "b")
    clock.now = START + timedelta(days=2)
    services.outbox.settings = services.settings.model_copy(update={"outbox_keep_sent_days": 3})
    assert await services.outbox.prune() == 0
    services.outbox.settings = services.settings.model_copy(update={"outbox_keep_sent_days": 1})
    assert await services.outbox.prune() == 2


async def test_one_statement_deletes_a_bounded_batch(
    services: Services, clock: Clock, smtp_server: tuple[Outbox, int]
) -> None:
    subjects = [f"m{number}" for number in range(7)]
    await sent_at(services, clock, smtp_server[1], *subjects)
    cutoff = START + timedelta(seconds=1)
    assert await store.prune_sent(services.engine, cutoff, limit=3) == 3
    assert len(await statuses(services)) == 4
    # Batch after batch until none is left: 3 + 1 (fewer than a batch: done).
    assert await store.prune_all_sent(services.engine, cutoff, batch=3) == 4
    assert await statuses(services) == {}
    assert await store.prune_all_sent(services.engine, cutoff, batch=3) == 0


async def test_the_worker_prunes_at_most_once_per_interval(
    services: Services, clock: Clock, smtp_server: tuple[Outbox, int]
) -> None:
    await sent_at(services, clock, smtp_server[1], "first")
    clock.now = START + WEEK + timedelta(minutes=1)
    assert await services.outbox.prune_if_due() == 1  # the first round after starting

    clock.now = START  # more mail, sent a week before the next look
    await sent_at(services, clock, smtp_server[1], "second")
    clock.now = START + WEEK + timedelta(minutes=1) + PRUNE_INTERVAL - timedelta(seconds=1)
    assert await services.outbox.prune_if_due() == 0  # not yet: within the interval
    assert set(await statuses(services)) == {"second"}
    clock.now += timedelta(seconds=1)
    assert await services.outbox.prune_if_due() == 1
    assert await statuses(services) == {}


async def test_the_running_worker_prunes_by_itself(
    services: Services, clock: Clock, smtp_server: tuple[Outbox, int]
) -> None:
    await sent_at(services, clock, smtp_server[1], "old")
    clock.now = START + WEEK + timedelta(hours=1)
    services.outbox.start()
    try:
        for _ in range(100):
            if not await statuses(services):
                break
            await asyncio.sleep(0.05)
    finally:
        await services.outbox.aclose()
    assert await statuses(services) == {}


async def test_workers_pruning_side_by_side_delete_each_row_once(
    services: Services, clock: Clock, smtp_server: tuple[Outbox, int]
) -> None:
    count = 40
    await sent_at(services, clock, smtp_server[1], *(f"m{number}" for number in range(count)))
    others = [Services.from_settings(services.settings) for _ in range(3)]
    try:
        cutoff = START + timedelta(seconds=1)
        deleted = await asyncio.gather(
            *(store.prune_all_sent(other.engine, cutoff, batch=4) for other in others),
            store.prune_all_sent(services.engine, cutoff, batch=4),
        )
    finally:
        for other in others:
            await other.aclose()
    # Skipped rows (PostgreSQL) may end a round early; one more round finds whatever is left.
    rest = await store.prune_all_sent(services.engine, cutoff, batch=4)
    assert sum(deleted) + rest == count
    assert await statuses(services) == {}


def test_cli_prunes_and_says_how_many_went(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    smtp_server: tuple[Outbox, int],
) -> None:
    settings = make_settings(
        database_url, tmp_path / "media", CITYGRAPH_SMTP_URL=f"smtp://127.0.0.1:{smtp_server[1]}"
    )
    now = datetime.now(UTC)

    async def prepare() -> None:
        services = Services.from_settings(settings)
        await reset_database(services)
        clock = Clock(now - timedelta(days=10))
        services.outbox.clock = clock
        await sent_at(services, clock, smtp_server[1], "ten days")
        clock.now = now - timedelta(days=2)
        await sent_at(services, clock, smtp_server[1], "two days")
        smtp(services, free_port())
        await queue(services, "unsent")
        assert (await services.outbox.flush()).retrying == 1
        await services.aclose()

    asyncio.run(prepare())
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("CITYGRAPH_OUTBOX_KEEP_SENT_DAYS", "30")
    assert cli.main(["outbox", "prune"]) == 0
    assert capsys.readouterr().out == "outbox prune: 0 sent messages older than 30 days deleted\n"

    monkeypatch.delenv("CITYGRAPH_OUTBOX_KEEP_SENT_DAYS")  # the default: 7 days
    assert cli.main(["outbox", "prune"]) == 0
    assert capsys.readouterr().out == "outbox prune: 1 sent messages older than 7 days deleted\n"

    monkeypatch.setenv("CITYGRAPH_OUTBOX_KEEP_SENT_DAYS", "0")
    assert cli.main(["outbox", "prune"]) == 0
    assert capsys.readouterr().out == "outbox prune: 1 sent messages older than 0 days deleted\n"
    assert cli.main(["outbox"]) == 0
    assert "1 pending, 0 sending, 0 sent, 0 failed" in capsys.readouterr().out

    monkeypatch.setenv("CITYGRAPH_OUTBOX_KEEP_SENT_DAYS", "-1")
    assert cli.main(["outbox", "prune"]) == 2  # a configuration error, not a traceback
    assert "CITYGRAPH_OUTBOX_KEEP_SENT_DAYS" in capsys.readouterr().err


async def test_a_claim_takes_at_most_its_batch(services: Services) -> None:
    """The bound the pruning statement shares with the claim (``store._once``)."""
    await queue(services, *(f"m{number}" for number in range(7)))
    due, lease = datetime.now(UTC) + timedelta(seconds=1), timedelta(minutes=1)
    first = await store.claim(services.engine, due, lease, 3)
    assert len(first) == 3
    rest = await store.claim(services.engine, due, lease, 10)
    assert len(rest) == 4
    assert {message.id for message in first}.isdisjoint(message.id for message in rest)
