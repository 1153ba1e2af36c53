"""Registration over GraphQL (HTTP), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import httpx
from sqlmodel import select

from citygraph.domain.messages import render
from citygraph.models import User
from citygraph.ratelimit import RateLimiter
from citygraph.services import Services
from tests.accounts.conftest import PASSWORD, Outbox, first_error, gql, make_user
from tests.support.mail import deliver_mail

REGISTER = """
mutation Register($u: String!, $p: String!, $e: String! = "") {
  registerAccount(username: $u, password: $p, email: $e) { id username email isActive isStaff }
}
"""
DUPLICATE_USERNAME = render("username.unique")


async def test_register_creates_an_inactive_account(
    client: httpx.AsyncClient, services: Services, outbox: Outbox
) -> None:
    body = await gql(client, REGISTER, {"u": "  Иван_Петров ", "p": PASSWORD})
    assert "errors" not in body, body
    profile = body["data"]["registerAccount"]
    assert profile["username"] == "Иван_Петров"
    assert (profile["email"], profile["isActive"], profile["isStaff"]) == ("", False, False)
    await deliver_mail(services)
    assert outbox.messages == []  # no address, no mail (as djoser: empty recipient list)
    async with services.sessions() as session:
        user = (await session.exec(select(User).where(User.username == "Иван_Петров"))).one()
    assert user.password.startswith("$2b$04$")  # bcrypt with the configured cost
    assert PASSWORD not in user.password


async def test_email_is_normalised_and_the_activation_mail_sent(
    client: httpx.AsyncClient, services: Services, outbox: Outbox
) -> None:
    body = await gql(client, REGISTER, {"u": "erin", "p": PASSWORD, "e": " Erin.X@EXAMPLE.COM "})
    assert body["data"]["registerAccount"]["email"] == "Erin.X@example.com"
    await deliver_mail(services)
    assert len(outbox.messages) == 1
    message = outbox.messages[0]
    assert message["To"] == "Erin.X@example.com"
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Здравствуйте, erin!" in text
    assert "Hello erin," in text
    assert len(outbox.links()) == 1


async def test_all_field_errors_at_once_in_the_originals_order(client: httpx.AsyncClient) -> None:
    body = await gql(client, REGISTER, {"u": "bad name", "p": "1", "e": "bad"})
    error = first_error(body)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    fields = error["extensions"]["fields"]
    assert list(fields) == ["email", "username"]  # password validators wait for valid fields
    assert fields == {"email": [render("email.invalid")], "username": [render("username.invalid")]}
    assert error["extensions"]["fieldCodes"] == {"email": ["invalid"], "username": ["invalid"]}

    body = await gql(client, REGISTER, {"u": "12345", "p": "12345"})
    assert first_error(body)["extensions"]["fields"] == {
        "password": [
            "The password is too similar to the username.",
            render("password_too_short", {"min_length": 8}),
            render("password_too_common"),
            render("password_entirely_numeric"),
        ]
    }
    body = await gql(client, REGISTER, {"u": "longpw", "p": "Zq9!" * 20})
    assert first_error(body)["extensions"]["fields"] == {
        "password": [render("password_too_long", {"max_bytes": 72})]
    }
    body = await gql(client, REGISTER, {"u": "blankpw", "p": "   "})
    assert first_error(body)["extensions"]["fields"] == {"password": [render("blank")]}


async def test_duplicate_usernames_are_case_sensitive(
    client: httpx.AsyncClient, services: Services
) -> None:
    await make_user(services, "alice")
    body = await gql(client, REGISTER, {"u": "alice", "p": "1"})
    assert first_error(body)["extensions"]["fields"] == {"username": [DUPLICATE_USERNAME]}
    body = await gql(client, REGISTER, {"u": "ａｌｉｃｅ", "p": PASSWORD})  # NFKC -> alice
    assert first_error(body)["extensions"]["fields"] == {"username": [DUPLICATE_USERNAME]}
    body = await gql(client, REGISTER, {"u": "ALICE", "p": PASSWORD})
    assert body["data"]["registerAccount"]["username"] == "ALICE"


async def test_twenty_concurrent_registrations_of_one_name(
    client: httpx.AsyncClient, services: Services, unique: str
) -> None:
    services.limiter = RateLimiter(
        services.settings.model_copy(update={"rate_limit_register": "1000/hour"})
    )
    name = f"racer{unique}"
    bodies = await asyncio.gather(
        *(gql(client, REGISTER, {"u": name, "p": PASSWORD}) for _ in range(20))
    )
    winners = [body for body in bodies if "errors" not in body]
    losers = [body for body in bodies if "errors" in body]
    assert len(winners) == 1, bodies
    for body in losers:
        error = first_error(body)
        assert error["extensions"]["code"] == "BAD_USER_INPUT", body
        assert error["extensions"]["fields"] == {"username": [DUPLICATE_USERNAME]}
    async with services.sessions() as session:
        rows = (await session.exec(select(User).where(User.username == name))).all()
    assert len(rows) == 1


async def test_smtp_outage_does_not_fail_registration(
    client: httpx.AsyncClient, services: Services
) -> None:
    from citygraph.mail import Mailer
    from tests.support.server import free_port

    services.mailer = Mailer(
        services.settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{free_port()}"})
    )
    body = await gql(client, REGISTER, {"u": "offline", "p": PASSWORD, "e": "o@example.com"})
    assert body["data"]["registerAccount"]["username"] == "offline"
