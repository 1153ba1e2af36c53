"""Fixtures for the admin over HTTP: accounts, a logged-in staff client, image bytes."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from html import unescape

import httpx
import pytest
from PIL import Image

from citygraph.models import User
from citygraph.services import Services
from tests.support.users import create_account

BASE = "http://testserver"
SAME_ORIGIN = {"Origin": BASE}
PASSWORD = "Correct-Horse-9"


def png(color: str = "red", size: tuple[int, int] = (12, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


async def make_user(
    services: Services,
    username: str,
    *,
    staff: bool = False,
    active: bool = True,
    superuser: bool = False,
    email: str = "",
    password: str = PASSWORD,
) -> User:
    return await create_account(
        services,
        username,
        email=email or f"{username}@example.com",
        password=password,
        active=active,
        staff=staff,
        superuser=superuser,
    )


async def login(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> httpx.Response:
    return await client.post(
        "/admin/login", data={"username": username, "password": password}, headers=SAME_ORIGIN
    )


def field_errors(html: str) -> list[str]:
    """The messages sqladmin renders under form fields."""
    found = re.findall(r'<div class="invalid-feedback">([^<]*)</div>', html)
    return [unescape(message).strip() for message in found]


@dataclass
class Admin:
    client: httpx.AsyncClient
    user: User
    services: Services

    async def post(
        self, path: str, data: dict[str, str], files: dict[str, object] | None = None
    ) -> httpx.Response:
        return await self.client.post(path, data=data, files=files, headers=SAME_ORIGIN)  # type: ignore[arg-type]

    async def delete(self, identity: str, *pks: int | None) -> httpx.Response:
        joined = ",".join(str(pk) for pk in pks)
        return await self.client.delete(
            f"/admin/{identity}/delete?pks={joined}", headers=SAME_ORIGIN
        )

    async def action(self, identity: str, name: str, *pks: int | None) -> httpx.Response:
        joined = ",".join(str(pk) for pk in pks)
        return await self.client.get(
            f"/admin/{identity}/action/{name}?pks={joined}",
            headers={"Referer": f"{BASE}/admin/{identity}/list"},
        )


@pytest.fixture
async def staff(services: Services, client: httpx.AsyncClient) -> Admin:
    """A logged-in superuser (staff) session."""
    user = await make_user(services, "operator", staff=True, superuser=True)
    response = await login(client, "operator")
    assert response.status_code == 302, response.text
    return Admin(client, user, services)
