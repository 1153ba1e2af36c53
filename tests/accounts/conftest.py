"""Accounts tests: a real SMTP server (aiosmtpd) on 127.0.0.1 and GraphQL-over-HTTP helpers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from citygraph.config import Settings
from citygraph.models import User
from citygraph.services import Services
from tests.conftest import make_settings
from tests.support.server import free_port
from tests.support.users import create_account

LINK = re.compile(
    r"https?://\S+#/(?P<kind>activate|password/reset/confirm)/(?P<uid>[^/\s]+)/(?P<token>[^/\s]+)"
)
PASSWORD = "Xy7!pQz9-long"


class Outbox:
    """aiosmtpd handler collecting every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def links(self, kind: str = "activate") -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for message in self.messages:
            body = message.get_body(("plain",))
            assert body is not None
            # Each message has the link twice (Russian and English text): keep one per message.
            links = {
                (match["uid"], match["token"])
                for match in LINK.finditer(body.get_content())
                if match["kind"] == kind
            }
            assert len(links) <= 1
            found.extend(links)
        return found


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[Outbox, int]]:
    outbox = Outbox()
    port = free_port()
    controller = Controller(outbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield outbox, port
    finally:
        controller.stop()


@pytest.fixture
def outbox(smtp_server: tuple[Outbox, int]) -> Outbox:
    smtp_server[0].messages.clear()
    return smtp_server[0]


@pytest.fixture
def settings(database_url: str, tmp_path: Path, smtp_server: tuple[Outbox, int]) -> Settings:
    return make_settings(
        database_url,
        tmp_path / "media",
        CITYGRAPH_SMTP_URL=f"smtp://127.0.0.1:{smtp_server[1]}",
    )


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    scheme: str = "JWT",
) -> dict[str, Any]:
    headers = {"Authorization": f"{scheme} {token}"} if token else {}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    body: dict[str, Any] = response.json()
    return body


def error_codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


def first_error(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("errors"), body
    error: dict[str, Any] = body["errors"][0]
    return error


async def make_user(
    services: Services,
    username: str,
    *,
    password: str = PASSWORD,
    email: str = "",
    active: bool = True,
    staff: bool = False,
) -> User:
    return await create_account(
        services, username, email=email, password=password, active=active, staff=staff
    )


LOGIN = """
mutation Login($u: String!, $p: String!) {
  createToken(username: $u, password: $p) { access refresh }
}
"""


async def login(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> dict[str, str]:
    body = await gql(client, LOGIN, {"u": username, "p": password})
    assert "errors" not in body, body
    pair: dict[str, str] = body["data"]["createToken"]
    return pair
