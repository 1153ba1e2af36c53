"""Staff create accounts in the admin, with registration's rules and the account policy.

An active account logs in at once; an inactive one with an address gets the activation link by
real SMTP (aiosmtpd on 127.0.0.1), as after a registration. Refused forms write nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from citygraph.config import Settings
from citygraph.models import ChangeLog, User
from citygraph.services import Services
from tests.admin.conftest import Admin, field_errors, login, make_user
from tests.conftest import make_settings
from tests.support.mail import deliver_mail
from tests.support.smtp import Outbox, smtp_outbox

NEW_PASSWORD = "Lantern-Ocean-73"


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[tuple[Outbox, int]]:
    with smtp_outbox() as running:
        yield running


@pytest.fixture
def outbox(smtp_server: tuple[Outbox, int]) -> Outbox:
    smtp_server[0].messages.clear()
    return smtp_server[0]


@pytest.fixture
def settings(database_url: str, tmp_path: Path, smtp_server: tuple[Outbox, int]) -> Settings:
    return make_settings(
        database_url, tmp_path / "media", CITYGRAPH_SMTP_URL=f"smtp://127.0.0.1:{smtp_server[1]}"
    )


def new_user_form(**overrides: str) -> dict[str, str]:
    return {
        "username": "courier",
        "email": "courier@example.com",
        "password": NEW_PASSWORD,
        "password_again": NEW_PASSWORD,
        "is_active": "y",
        "save": "Save",
    } | overrides


async def accounts_named(services: Services, username: str) -> list[User]:
    async with services.sessions() as session:
        return list((await session.exec(select(User).where(User.username == username))).all())


async def test_the_create_form_asks_what_a_registration_asks(staff: Admin) -> None:
    page = await staff.client.get("/admin/user/create")
    assert page.status_code == 200
    for name in ("username", "email", "password", "password_again", "is_active", "is_staff"):
        assert f'name="{name}"' in page.text
    assert 'name="new_password"' not in page.text
    edit = await staff.client.get(f"/admin/user/edit/{staff.user.id}")
    assert 'name="new_password"' in edit.text
    assert 'name="username"' not in edit.text


async def test_staff_create_an_active_account_that_logs_in(
    staff: Admin, services: Services, client: httpx.AsyncClient, outbox: Outbox
) -> None:
    response = await staff.post("/admin/user/create", new_user_form())
    assert response.status_code == 302, response.text
    (user,) = await accounts_named(services, "courier")
    assert (user.email, user.is_active, user.is_staff, user.is_superuser) == (
        "courier@example.com",
        True,
        False,
        False,
    )
    assert user.password.startswith("$2b$")
    await deliver_mail(services)
    assert outbox.messages == []  # active: nothing to confirm
    token = await client.post(
        "/auth/jwt/create/", json={"username": "courier", "password": NEW_PASSWORD}
    )
    assert token.status_code == 200, token.text
    async with services.sessions() as session:
        (entry,) = (await session.exec(select(ChangeLog))).all()
    assert (entry.action, entry.kind, entry.object_repr, entry.object_id) == (
        "added",
        "user",
        "courier",
        user.id,
    )


async def test_an_inactive_account_is_sent_its_activation_link(
    staff: Admin, services: Services, outbox: Outbox
) -> None:
    form = new_user_form(username="latecomer", email="late@example.com")
    del form["is_active"]
    response = await staff.post("/admin/user/create", form | {"is_staff": "y"})
    assert response.status_code == 302, response.text
    (user,) = await accounts_named(services, "latecomer")
    assert (user.is_active, user.is_staff) == (False, True)
    await deliver_mail(services)
    assert [message["To"] for message in outbox.messages] == ["late@example.com"]
    assert len(outbox.links("activate")) == 1
    # It is waiting on the start page.
    assert 'data-user="latecomer"' in (await staff.client.get("/admin/")).text


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"username": "operator"}, "username", "A user with that username already exists."),
        ({"username": "bad name!"}, "username", "Enter a valid username."),
        ({"email": "not-an-address"}, "email", "Enter a valid email address."),
        (
            {"password": "x7Rq!", "password_again": "x7Rq!"},
            "password",
            "This password is too short. It must contain at least 8 characters.",
        ),
        (
            {"password_again": "Something-Else-42"},
            "password_again",
            "The two password fields didn’t match.",
        ),
    ],
)
async def test_refused_forms_write_nothing(
    staff: Admin,
    services: Services,
    outbox: Outbox,
    overrides: dict[str, str],
    field: str,
    message: str,
) -> None:
    response = await staff.post("/admin/user/create", new_user_form(**overrides))
    assert response.status_code == 400, response.text
    assert any(error.startswith(message[:30]) for error in field_errors(response.text)), (
        field_errors(response.text)
    )
    assert f'name="{field}"' in response.text
    async with services.sessions() as session:
        users = (await session.exec(select(User.username))).all()
        log = (await session.exec(select(ChangeLog))).all()
    assert sorted(users) == ["operator"]
    assert log == []
    await deliver_mail(services)
    assert outbox.messages == []


async def test_only_staff_reach_the_create_form(
    services: Services, client: httpx.AsyncClient
) -> None:
    await make_user(services, "plain", staff=False)
    assert (await login(client, "plain")).status_code == 403
    page = await client.get("/admin/user/create")
    assert page.status_code == 302
    assert page.headers["location"].endswith("/admin/login")
