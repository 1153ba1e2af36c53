"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives, and the account links
in those messages."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.server import free_port

#: An account link as the default templates or djoser's (``#/...``) build it.
LINK = re.compile(
    r"(?P<url>https?://\S+?/(?:#/)?"
    r"(?P<kind>activate|password/reset/confirm|username/reset/confirm)"
    r"/(?P<uid>[^/\s]+)/(?P<token>[^/\s]+))"
)

#: Seconds a test waits for a server's delivery worker to send a message.
MAIL_WAIT = 20.0


class Outbox:
    """aiosmtpd handler collecting every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def matches(self, kind: str) -> list[re.Match[str]]:
        """One link of ``kind`` per message that has one (each names it in both languages)."""
        found: list[re.Match[str]] = []
        for message in self.messages:
            body = message.get_body(("plain",))
            assert body is not None
            links = [match for match in LINK.finditer(body.get_content()) if match["kind"] == kind]
            assert len({match["url"] for match in links}) <= 1
            found.extend(links[:1])
        return found

    def links(self, kind: str = "activate") -> list[tuple[str, str]]:
        return [(match["uid"], match["token"]) for match in self.matches(kind)]

    def urls(self, kind: str = "activate") -> list[str]:
        return [match["url"] for match in self.matches(kind)]

    async def wait_for_urls(self, kind: str, count: int = 1) -> list[str]:
        """``urls(kind)`` once ``count`` have arrived (a server's delivery worker sends them
        after the response); fails after ``MAIL_WAIT`` seconds."""
        deadline = time.monotonic() + MAIL_WAIT
        while len(found := self.urls(kind)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(found)} of {count} {kind} links in {MAIL_WAIT} s")
            await asyncio.sleep(0.05)
        return found


@contextmanager
def smtp_outbox() -> Iterator[tuple[Outbox, int]]:
    """A running SMTP server on a free port: its outbox and the port."""
    outbox = Outbox()
    port = free_port()
    controller = Controller(outbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield outbox, port
    finally:
        controller.stop()
