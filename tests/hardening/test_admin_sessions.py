"""Admin sessions end for good: a copy of the signed cookie taken before logout, deactivation or
a password change (through any face) is refused afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from starlette.applications import Starlette

from citygraph.app import create_app
from citygraph.config import Settings
from citygraph.models import User
from citygraph.security import jwt
from citygraph.services import Services
from tests.admin.conftest import PASSWORD, SAME_ORIGIN, login, make_user

COOKIE = "citygraph_admin"


@pytest.fixture
def app(settings: Settings, services: Services) -> Starlette:
    return create_app(settings, services=services)


def browser(app: Starlette, cookie: str | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        cookies={COOKIE: cookie} if cookie else None,
    )


async def admin_page(app: Starlette, cookie: str) -> int:
    """The status of the admin's index for a browser holding only ``cookie``."""
    async with browser(app, cookie) as other:
        response = await other.get("/admin/district/list")
        return response.status_code


@pytest.fixture
async def signed_in(
    app: Starlette, services: Services
) -> AsyncIterator[tuple[httpx.AsyncClient, User, str]]:
    user = await make_user(services, "operator", staff=True, superuser=True)
    async with browser(app) as client:
        response = await login(client, "operator")
        assert response.status_code == 302, response.text
        cookie = client.cookies.get(COOKIE)
        assert cookie
        yield client, user, cookie


async def test_copied_cookie_refused_after_logout(
    app: Starlette, signed_in: tuple[httpx.AsyncClient, User, str]
) -> None:
    client, _user, copy = signed_in
    assert await admin_page(app, copy) == 200
    response = await client.get("/admin/logout")
    assert response.status_code == 302
    assert await admin_page(app, copy) == 302  # back to the login page
    # ... and logging in again gives a new session that works
    response = await login(client, "operator")
    assert response.status_code == 302
    fresh = client.cookies.get(COOKIE)
    assert fresh
    assert await admin_page(app, fresh) == 200
    assert await admin_page(app, copy) == 302


async def _rest_password_change(app: Starlette, user: User, settings: Settings) -> None:
    assert user.id is not None
    async with browser(app) as api:
        response = await api.post(
            "/auth/users/set_password/",
            json={"new_password": "An0ther-Secret!", "current_password": PASSWORD},
            headers={"Authorization": f"JWT {jwt.encode(settings, 'access', user.id)}"},
        )
        assert response.status_code == 204, response.text


async def _graphql_deactivation(app: Starlette, user: User, settings: Settings) -> None:
    boss = await make_user(app.state.services, "boss", staff=True, superuser=True)
    assert boss.id is not None
    async with browser(app) as api:
        response = await api.post(
            "/graphql",
            json={
                "query": "mutation($id: Int!) { deactivateUser(id: $id) { id isActive } }",
                "variables": {"id": user.id},
            },
            headers={"Authorization": f"JWT {jwt.encode(settings, 'access', boss.id)}"},
        )
        assert response.status_code == 200, response.text
        assert "errors" not in response.json(), response.text


CHANGES: dict[str, Callable[[Starlette, User, Settings], Awaitable[None]]] = {
    "password": _rest_password_change,
    "deactivation": _graphql_deactivation,
}


@pytest.mark.parametrize("change", sorted(CHANGES))
async def test_copied_cookie_refused_after_account_change(
    app: Starlette,
    settings: Settings,
    signed_in: tuple[httpx.AsyncClient, User, str],
    change: str,
) -> None:
    _client, user, copy = signed_in
    assert await admin_page(app, copy) == 200
    await CHANGES[change](app, user, settings)
    assert await admin_page(app, copy) == 302


async def test_logout_moves_the_session_version_in_the_database(
    app: Starlette, services: Services, signed_in: tuple[httpx.AsyncClient, User, str]
) -> None:
    client, user, _copy = signed_in
    async with services.sessions() as session:
        before = (await session.get(User, user.id)).session_version  # type: ignore[union-attr]
    await client.get("/admin/logout", headers=SAME_ORIGIN)
    async with services.sessions() as session:
        after = (await session.get(User, user.id)).session_version  # type: ignore[union-attr]
    assert after == before + 1
