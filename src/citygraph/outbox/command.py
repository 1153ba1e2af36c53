"""``citygraph outbox``: list the mail not delivered yet; ``citygraph outbox flush`` sends it now;
``citygraph outbox prune`` deletes sent mail older than ``CITYGRAPH_OUTBOX_KEEP_SENT_DAYS``.

``flush`` tries every pending message once, whatever its next attempt's time, from this process
(a running server's workers may send some of them first: each message still goes out once);
``--failed`` first gives the given-up messages a fresh set of attempts. Exit status 1 when
anything is left undelivered after a flush. ``prune`` does now what every server's delivery
worker does hourly; failed and unsent mail is never pruned.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from citygraph.config import Settings
from citygraph.db import create_engine
from citygraph.mail import Mailer
from citygraph.models import OutboxMessage, OutboxStatus
from citygraph.outbox import store
from citygraph.outbox.worker import DeliveryWorker, PassReport


class OutboxNotEmpty(Exception):
    """A flush left messages undelivered (the command exits 1)."""


def _when(message: OutboxMessage) -> str:
    if message.status is OutboxStatus.FAILED:
        return "given up"
    return f"next {message.next_attempt_at:%Y-%m-%d %H:%M:%S}Z"


def listing(messages: list[OutboxMessage], counts: dict[OutboxStatus, int]) -> str:
    lines = [
        f"{message.id:>6}  {message.status.value:<8} {message.attempts:>2} attempts  "
        f"{_when(message):<22} {message.recipient}  {message.subject}"
        + (f"\n        last error: {message.last_error}" if message.last_error else "")
        for message in messages
    ]
    lines.append(", ".join(f"{count} {status.value}" for status, count in counts.items()))
    return "\n".join(lines)


def summary(report: PassReport, counts: dict[OutboxStatus, int]) -> str:
    return (
        f"outbox flush: {report.sent} sent, {report.retrying} to retry, {report.failed} given up"
        f"; now {counts[OutboxStatus.PENDING] + counts[OutboxStatus.SENDING]} pending, "
        f"{counts[OutboxStatus.FAILED]} failed"
    )


def cmd_outbox(settings: Settings, args: argparse.Namespace) -> None:
    async def run() -> tuple[str, bool]:
        engine = create_engine(settings.effective_database_url)
        try:
            if args.action == "prune":
                worker = DeliveryWorker(engine, settings, lambda: Mailer(settings))
                deleted = await worker.prune()
                days = settings.outbox_keep_sent_days
                return f"outbox prune: {deleted} sent messages older than {days} days deleted", True
            if args.action == "flush":
                mailer = Mailer(settings)
                worker = DeliveryWorker(engine, settings, lambda: mailer)
                report = await worker.flush(failed_too=args.failed)
                counts = await store.status_counts(engine)
                return summary(report, counts), report.retrying + report.failed == 0
            messages = await store.unsent(engine)
            return listing(messages, await store.status_counts(engine)), True
        finally:
            await engine.dispose()

    text, clean = asyncio.run(run())
    print(text)
    if not clean:
        raise OutboxNotEmpty("some mail could not be delivered; see `citygraph outbox`")


def register(sub: argparse._SubParsersAction[Any]) -> None:
    parser = sub.add_parser(
        "outbox",
        help="list undelivered mail, deliver it now, or delete old sent mail",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("action", nargs="?", choices=["list", "flush", "prune"], default="list")
    parser.add_argument(
        "--failed", action="store_true", help="flush: retry the given-up messages too"
    )
    parser.set_defaults(handler=cmd_outbox)
