"""Accounts tests: a real SMTP server (aiosmtpd) on 127.0.0.1 and GraphQL-over-HTTP helpers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from citygraph.config import Settings
from citygraph.models import User
from citygraph.services import Services
from tests.conftest import make_settings
from tests.support.smtp import Outbox, smtp_outbox
from tests.support.users import create_account

PASSWORD = "Xy7!pQz9-long"


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[Outbox, int]]:
    with smtp_outbox() as server:
        yield server


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
