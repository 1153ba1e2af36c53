"""Admin login: staff only, the APIs' credentials check and rate limit, a strict session cookie."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from citygraph.admin.auth import NOT_STAFF, SESSION_COOKIE, WRONG_CREDENTIALS
from citygraph.app import create_app
from citygraph.config import Settings
from citygraph.db import session_scope
from citygraph.domain import accounts, tokens
from citygraph.domain.errors import AuthenticationFailed
from citygraph.domain.unit import unit_of_work
from citygraph.models import User
from citygraph.security import passwords
from citygraph.services import Services
from tests.admin.conftest import BASE, PASSWORD, SAME_ORIGIN, login, make_user
from tests.conftest import make_settings


def session_cookie(response: httpx.Response) -> str:
    cookies = [v for v in response.headers.get_list("set-cookie") if v.startswith(SESSION_COOKIE)]
    assert len(cookies) == 1, response.headers
    return cookies[0]


async def test_anonymous_admin_redirects_to_login(client: httpx.AsyncClient) -> None:
    response = await client.get("/admin/")
    assert response.status_code == 302
    assert response.headers["location"].endswith("/admin/login")


async def test_login_page_uses_only_local_assets(client: httpx.AsyncClient) -> None:
    response = await client.get("/admin/login")
    assert response.status_code == 200
    urls = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert urls, response.text
    for url in urls:
        assert url.startswith((f"{BASE}/admin/", "/admin/")), url
    asset = await client.get("/admin/statics/css/tabler.min.css")
    assert asset.status_code == 200


async def test_staff_login_sets_a_strict_session_cookie(
    services: Services, client: httpx.AsyncClient
) -> None:
    await make_user(services, "editor", staff=True)
    response = await login(client, "editor")
    assert response.status_code == 302
    assert response.headers["location"] == f"{BASE}/admin/"
    cookie = session_cookie(response).lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "path=/admin;" in cookie
    assert "secure" not in cookie  # development: plain http on localhost
    page = await client.get("/admin/")
    assert page.status_code == 200
    assert "Districts" in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"


async def test_production_cookie_is_secure(
    services: Services, database_url: str, tmp_path: Path
) -> None:
    await make_user(services, "prod", staff=True)
    settings = make_settings(database_url, tmp_path / "media", CITYGRAPH_ENV="production")
    production = Services.from_settings(settings)
    try:
        app = create_app(settings, services=production)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="https://testserver"
        ) as client:
            response = await client.post(
                "/admin/login",
                data={"username": "prod", "password": PASSWORD},
                headers={"Origin": "https://testserver"},
            )
        assert response.status_code == 302
        assert "; secure" in session_cookie(response).lower()
    finally:
        await production.aclose()


async def test_non_staff_account_is_refused_with_a_clear_message(
    services: Services, client: httpx.AsyncClient
) -> None:
    await make_user(services, "reader", staff=False)
    response = await login(client, "reader")
    assert response.status_code == 403
    assert NOT_STAFF in response.text
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert (await client.get("/admin/")).status_code == 302


@pytest.mark.parametrize(
    ("active", "password"),
    [(False, PASSWORD), (True, "wrong-password")],
    ids=["inactive-staff", "wrong-password"],
)
async def test_inactive_or_wrong_password_is_refused(
    services: Services, client: httpx.AsyncClient, active: bool, password: str
) -> None:
    await make_user(services, "sleeper", staff=True, active=active)
    response = await login(client, "sleeper", password)
    assert response.status_code == 400
    assert WRONG_CREDENTIALS.split(".")[0] in response.text
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


async def test_unknown_user_gets_the_same_answer(client: httpx.AsyncClient) -> None:
    response = await login(client, "nobody")
    assert response.status_code == 400
    assert WRONG_CREDENTIALS.split(".")[0] in response.text


async def test_session_ends_when_staff_status_or_password_changes(
    services: Services, client: httpx.AsyncClient
) -> None:
    user = await make_user(services, "temp", staff=True)
    assert (await login(client, "temp")).status_code == 302
    assert (await client.get("/admin/")).status_code == 200
    async with session_scope(services.sessions) as session:
        row = await session.get(User, user.id)
        assert row is not None
        row.password = passwords.hash_password_sync("Another-pass-77", 4)
    assert (await client.get("/admin/")).status_code == 302

    assert (await login(client, "temp", "Another-pass-77")).status_code == 302
    async with session_scope(services.sessions) as session:
        row = await session.get(User, user.id)
        assert row is not None
        row.is_staff = False
    assert (await client.get("/admin/")).status_code == 302


async def test_logout_clears_the_session(services: Services, client: httpx.AsyncClient) -> None:
    await make_user(services, "leaver", staff=True)
    assert (await login(client, "leaver")).status_code == 302
    response = await client.get("/admin/logout")
    assert response.status_code == 302
    assert (await client.get("/admin/")).status_code == 302


async def test_tampered_session_cookie_is_ignored(
    services: Services, client: httpx.AsyncClient
) -> None:
    await make_user(services, "signed", staff=True)
    response = await login(client, "signed")
    value = client.cookies[SESSION_COOKIE]
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, "x" + value[1:], domain="testserver", path="/admin")
    assert (await client.get("/admin/")).status_code == 302
    assert response.status_code == 302


async def test_login_is_rate_limited_together_with_token_creation(
    database_url: str, tmp_path: Path
) -> None:
    settings: Settings = make_settings(
        database_url, tmp_path / "media", CITYGRAPH_RATE_LIMIT_LOGIN="3/minute"
    )
    services = Services.from_settings(settings)
    app = create_app(settings, services=services)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=BASE
        ) as client:
            for _ in range(2):
                assert (await login(client, "target", "guess")).status_code == 400
            # The third attempt for this username goes through the API's domain entry point.
            credentials = accounts.Credentials.parse(username="target", password="guess")
            with pytest.raises(AuthenticationFailed):
                async with unit_of_work(services, client_address="198.51.100.7") as uow:
                    await tokens.create_token_pair(uow, credentials)
            response = await login(client, "target", "guess")
            assert response.status_code == 429
            assert int(response.headers["retry-after"]) >= 1
            assert "Too many" in response.text or "throttled" in response.text
    finally:
        await services.aclose()


async def test_login_form_without_fields_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/admin/login", data={}, headers=SAME_ORIGIN)
    assert response.status_code == 400
