"""The mail outbox, on SQLite and PostgreSQL, with a real SMTP server (aiosmtpd).

Mail is written with the change that causes it, survives an SMTP outage, goes out once even
with several workers racing for it, and never holds a response while SMTP hangs.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from citygraph import cli
from citygraph.config import Settings
from citygraph.domain.unit import unit_of_work
from citygraph.mail import Mailer
from citygraph.models import OutboxMessage, OutboxStatus
from citygraph.outbox import depth, status_counts
from citygraph.outbox.worker import retry_delay
from citygraph.services import Services
from tests.accounts.conftest import PASSWORD, Outbox
from tests.conftest import make_settings, reset_database
from tests.support.mail import deliver_mail
from tests.support.server import free_port, live_server

REGISTER = "/auth/users/"


def smtp_settings(settings: Settings, port: int, **update: object) -> Settings:
    return settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}", **update})


async def rows(services: Services) -> list[OutboxMessage]:
    async with services.sessions() as session:
        return list((await session.exec(select(OutboxMessage).order_by("id"))).all())


@contextmanager
def smtp_on(port: int) -> Iterator[Outbox]:
    """An SMTP server on ``port`` for the duration of the block."""
    collected = Outbox()
    controller = Controller(collected, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield collected
    finally:
        controller.stop()


@asynccontextmanager
async def hung_smtp() -> AsyncIterator[tuple[int, list[int]]]:
    """A server that accepts connections and never says a word (yields port, connection count)."""
    connections: list[int] = []
    held: list[asyncio.StreamWriter] = []

    async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port: int = server.sockets[0].getsockname()[1]
    try:
        yield port, connections
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


async def wait_for(condition: Callable[[], object], seconds: float) -> None:
    """Poll ``condition()`` (sync or async) until true; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"not true after {seconds}s")
        await asyncio.sleep(0.05)


async def register(client: httpx.AsyncClient, username: str) -> httpx.Response:
    return await client.post(
        REGISTER,
        json={"username": username, "password": PASSWORD, "email": f"{username}@example.com"},
    )


async def test_mail_waits_in_the_outbox_through_an_smtp_outage(
    client: httpx.AsyncClient, services: Services, outbox: Outbox, smtp_server: tuple[Outbox, int]
) -> None:
    down = free_port()
    services.mailer = Mailer(smtp_settings(services.settings, down))
    response = await register(client, "offline")
    assert response.status_code == 201, response.text
    [row] = await rows(services)
    assert (row.recipient, row.status, row.attempts) == (
        "offline@example.com",
        OutboxStatus.PENDING,
        0,
    )
    assert await depth(services.engine) == 1

    report = await deliver_mail(services)
    assert (report.sent, report.retrying) == (0, 1)
    [row] = await rows(services)
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    assert row.last_error and "SMTPConnectError" in row.last_error  # kept for the operator
    assert row.next_attempt_at > row.created_at  # backed off

    services.mailer = Mailer(smtp_settings(services.settings, smtp_server[1]))
    report = await deliver_mail(services)
    assert report.sent == 1
    [message] = outbox.messages
    assert message["To"] == "offline@example.com"
    assert message["Message-ID"] == row.message_id  # the same on every attempt
    [row] = await rows(services)
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.SENT, 2, None)
    assert row.body == ""  # its one-time link does not stay in the database
    assert await depth(services.engine) == 0
    assert (await deliver_mail(services)).claimed == 0  # nothing is sent twice
    assert len(outbox.messages) == 1


async def test_a_rolled_back_change_sends_nothing(services: Services) -> None:
    with pytest.raises(RuntimeError):
        async with unit_of_work(services) as uow:
            uow.send_mail("ghost@example.com", "subject", "body")
            await uow.session.flush()
            raise RuntimeError("the change fails after the mail was queued")
    assert await rows(services) == []


async def test_given_up_mail_is_kept_listed_and_can_be_retried(
    services: Services, outbox: Outbox, smtp_server: tuple[Outbox, int]
) -> None:
    services.settings = services.settings.model_copy(update={"mail_max_attempts": 2})
    services.outbox.settings = services.settings
    services.mailer = Mailer(smtp_settings(services.settings, free_port()))
    async with unit_of_work(services) as uow:
        uow.send_mail("late@example.com", "Привет", "текст")
    assert (await deliver_mail(services)).retrying == 1
    assert (await deliver_mail(services)).failed == 1
    [row] = await rows(services)
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 2)
    assert await depth(services.engine) == 0
    assert (await status_counts(services.engine))[OutboxStatus.FAILED] == 1
    assert (await deliver_mail(services)).claimed == 0  # given up: a plain flush leaves it

    services.mailer = Mailer(smtp_settings(services.settings, smtp_server[1]))
    report = await services.outbox.flush(failed_too=True)
    assert report.sent == 1
    assert [m["Subject"] for m in outbox.messages] == ["Привет"]


def test_retry_delays_double_with_jitter() -> None:
    for attempts, ceiling in ((1, 30), (2, 60), (3, 120), (20, 3600)):
        delays = {retry_delay(attempts, 30.0) for _ in range(50)}
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays), (attempts, delays)
        assert len(delays) > 1  # jittered, so workers do not retry in step


@pytest.fixture
def fast(settings: Settings) -> Settings:
    """Workers that poll and retry quickly (the defaults are seconds)."""
    return settings.model_copy(update={"mail_poll_interval": 0.05, "mail_retry_delay": 0.2})


async def test_a_running_worker_delivers_once_smtp_returns(
    fast: Settings, services: Services
) -> None:
    port = free_port()
    with live_server(smtp_settings(fast, port, mail_max_attempts=50)) as base:
        async with httpx.AsyncClient(base_url=base) as client:
            response = await register(client, "patient")
            assert response.status_code == 201, response.text

            async def attempted() -> bool:
                return any(row.attempts >= 2 for row in await rows(services))

            await wait_for(attempted, 10)  # SMTP is down: the worker keeps trying
            with smtp_on(port) as smtp:
                await wait_for(lambda: smtp.messages, 10)
                [message] = smtp.messages
                assert message["To"] == "patient@example.com"
                [(uid, token)] = smtp.links()
                activated = await client.post(
                    "/auth/users/activation/", json={"uid": uid, "token": token}
                )
                assert activated.status_code == 204, activated.text
    [row] = await rows(services)
    assert row.status is OutboxStatus.SENT


async def test_two_workers_send_each_message_once(
    fast: Settings, services: Services, tmp_path: Path
) -> None:
    count = 60
    port = free_port()
    with smtp_on(port) as smtp:
        settings = smtp_settings(fast, port)
        # Two app instances (each with its worker) and this process's flush race for the mail.
        with live_server(settings), live_server(settings):
            async with unit_of_work(services) as uow:
                for number in range(count):
                    uow.send_mail(f"u{number}@example.com", f"message {number}", "body")
            services.mailer = Mailer(settings)
            await deliver_mail(services)
            await wait_for(lambda: len(smtp.messages) >= count, 20)
            await asyncio.sleep(0.5)  # time for a duplicate to arrive, were there one
        ids = [message["Message-ID"] for message in smtp.messages]
    assert len(ids) == count
    assert len(set(ids)) == count
    assert sorted(m["To"] for m in smtp.messages) == sorted(
        f"u{number}@example.com" for number in range(count)
    )
    assert {row.status for row in await rows(services)} == {OutboxStatus.SENT}
    assert {row.attempts for row in await rows(services)} == {1}


async def test_a_hung_smtp_server_does_not_hold_the_response(
    fast: Settings, services: Services
) -> None:
    async with hung_smtp() as (port, connections):
        settings = fast.model_copy(
            update={"smtp_url": f"smtp://127.0.0.1:{port}?timeout=3", "mail_retry_delay": 60.0}
        )
        with live_server(settings) as base:
            async with httpx.AsyncClient(base_url=base) as client:
                started = time.perf_counter()
                response = await register(client, "hasty")
                elapsed = time.perf_counter() - started
            assert response.status_code == 201, response.text
            assert elapsed < 2.5, elapsed  # less than one SMTP timeout (3 s)

            async def timed_out() -> bool:
                return any(row.last_error for row in await rows(services))

            await wait_for(timed_out, 10)
    assert connections  # the worker did try the hung server
    [row] = await rows(services)
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    assert row.last_error is not None and "Timeout" in row.last_error


def test_cli_lists_and_flushes(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    smtp_server: tuple[Outbox, int],
) -> None:
    settings = make_settings(database_url, tmp_path / "media")

    async def queue() -> None:
        services = Services.from_settings(settings)
        await reset_database(services)
        async with unit_of_work(services) as uow:
            uow.send_mail("cli@example.com", "Активация", "body")
        await services.aclose()

    asyncio.run(queue())
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("CITYGRAPH_SMTP_URL", f"smtp://127.0.0.1:{free_port()}")
    assert cli.main(["outbox"]) == 0
    out = capsys.readouterr().out
    assert "pending" in out and "cli@example.com" in out and "Активация" in out
    assert "1 pending, 0 sending, 0 sent, 0 failed" in out

    assert cli.main(["outbox", "flush"]) == 1  # SMTP is down: left for later
    captured = capsys.readouterr()
    assert "0 sent, 1 to retry" in captured.out
    assert "could not be delivered" in captured.err
    assert cli.main(["outbox"]) == 0
    assert "last error: SMTPConnectError" in capsys.readouterr().out

    smtp_server[0].messages.clear()
    monkeypatch.setenv("CITYGRAPH_SMTP_URL", f"smtp://127.0.0.1:{smtp_server[1]}")
    assert cli.main(["outbox", "flush"]) == 0
    assert "1 sent, 0 to retry, 0 given up; now 0 pending, 0 failed" in capsys.readouterr().out
    assert [m["To"] for m in smtp_server[0].messages] == ["cli@example.com"]


class SlowSmtp(Outbox):
    """Takes its time over each message, as a loaded mail server does."""

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        await asyncio.sleep(1.0)
        return await super().handle_DATA(server, session, envelope)


async def test_shutdown_lets_a_running_delivery_finish(fast: Settings, services: Services) -> None:
    port = free_port()
    slow = SlowSmtp()
    controller = Controller(slow, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings = smtp_settings(fast, port)
        worker_services = Services.from_settings(settings)
        worker_services.outbox.start()
        async with unit_of_work(worker_services) as uow:
            uow.send_mail("slow@example.com", "slow", "body")

        async def sending() -> bool:
            return any(row.status is OutboxStatus.SENDING for row in await rows(services))

        await wait_for(sending, 5)
        started = time.perf_counter()
        await worker_services.aclose()  # mid-send: waits for it (at most the grace)
        assert time.perf_counter() - started < 5
    finally:
        controller.stop()
    assert [m["To"] for m in slow.messages] == ["slow@example.com"]
    [row] = await rows(services)
    assert row.status is OutboxStatus.SENT  # not cut off, not left claimed
