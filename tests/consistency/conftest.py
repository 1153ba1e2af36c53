"""Every face of one rule: REST, GraphQL and the admin asked the same thing, answers compared.

A face's answer is reduced to a :class:`Decision` (allowed, unauthenticated, denied, not found,
invalid, throttled...), so that "the same input reaches the same decision" can be asserted
across faces whose wording and status codes differ by design (djoser hides other accounts with
a 404, GraphQL says ``FORBIDDEN``, the admin flashes a message).
"""

from __future__ import annotations

import enum
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlmodel import select

from citygraph.app import create_app
from citygraph.config import Settings
from citygraph.models import User
from citygraph.security import jwt
from citygraph.services import Services
from tests.support.users import create_account

BASE = "http://testserver"
SAME_ORIGIN = {"Origin": BASE}
PASSWORD = "Correct-Horse-9"


class Decision(enum.StrEnum):
    ALLOWED = "allowed"
    UNAUTHENTICATED = "unauthenticated"
    DENIED = "denied"
    NOT_FOUND = "not found"
    INVALID = "invalid"
    THROTTLED = "throttled"
    TOO_LARGE = "too large"


GRAPHQL_CODES = {
    "UNAUTHENTICATED": Decision.UNAUTHENTICATED,
    "FORBIDDEN": Decision.DENIED,
    "NOT_FOUND": Decision.NOT_FOUND,
    "BAD_USER_INPUT": Decision.INVALID,
    "TOO_MANY_REQUESTS": Decision.THROTTLED,
}


def rest_decision(response: httpx.Response) -> Decision:
    """djoser/simplejwt's answers as decisions; another account hidden as 404 is a denial."""
    status = response.status_code
    if status < 300:
        return Decision.ALLOWED
    if status == 401:
        return Decision.UNAUTHENTICATED
    if status == 403:
        return Decision.DENIED
    if status == 404:
        hidden = response.content == b'{"detail":"Not found."}'
        return Decision.DENIED if hidden else Decision.NOT_FOUND
    if status == 400:
        return Decision.INVALID
    if status == 429:
        return Decision.THROTTLED
    if status == 413:
        return Decision.TOO_LARGE
    raise AssertionError(f"unexpected REST answer {status}: {response.text}")


def graphql_decision(response: httpx.Response, field: str) -> Decision:
    if response.status_code == 401:
        return Decision.UNAUTHENTICATED
    if response.status_code == 413:
        return Decision.TOO_LARGE
    if response.status_code == 400:  # the request itself refused (e.g. JSON it cannot take)
        return Decision.INVALID
    assert response.status_code == 200, response.text
    payload = response.json()
    if payload.get("errors"):
        (error,) = payload["errors"]
        return GRAPHQL_CODES[error["extensions"]["code"]]
    assert payload["data"][field] is not None, payload
    return Decision.ALLOWED


@dataclass
class Account:
    user: User
    password: str

    @property
    def id(self) -> int:
        assert self.user.id is not None
        return self.user.id


@dataclass
class Faces:
    """One app, three faces: REST and GraphQL as clients send them, the admin as a browser."""

    client: httpx.AsyncClient
    services: Services

    @property
    def settings(self) -> Settings:
        return self.services.settings

    def token(self, account: Account | None) -> dict[str, str]:
        if account is None:
            return {}
        return {"Authorization": f"JWT {jwt.encode(self.settings, 'access', account.id)}"}

    async def rest(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        actor: Account | None = None,
    ) -> httpx.Response:
        content = json.dumps(body) if body is not None else None
        headers = {**self.token(actor), "Content-Type": "application/json"}
        return await self.client.request(method, path, content=content, headers=headers)

    async def graphql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        actor: Account | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        body = json.dumps({"query": query, "variables": variables or {}})
        sent = {**self.token(actor), "Content-Type": "application/json", **(headers or {})}
        return await self.client.post("/graphql", content=body, headers=sent)

    @asynccontextmanager
    async def admin_client(self, actor: Account) -> AsyncIterator[httpx.AsyncClient]:
        """A separate browser, signed in to the admin as ``actor``."""
        app = create_app(self.settings, services=self.services)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as browser:
            response = await browser.post(
                "/admin/login",
                data={"username": actor.user.username, "password": actor.password},
                headers=SAME_ORIGIN,
            )
            assert response.status_code == 302, response.text
            yield browser

    async def user(self, user_id: int) -> User | None:
        async with self.services.sessions() as session:
            return (await session.exec(select(User).where(User.id == user_id))).first()


@pytest.fixture
def faces(client: httpx.AsyncClient, services: Services) -> Faces:
    return Faces(client, services)


async def make_account(
    services: Services,
    username: str,
    *,
    active: bool = True,
    staff: bool = False,
    superuser: bool = False,
) -> Account:
    user = await create_account(
        services,
        username,
        email=f"{username}@example.com",
        password=PASSWORD,
        active=active,
        staff=staff,
        superuser=superuser,
    )
    return Account(user, PASSWORD)
