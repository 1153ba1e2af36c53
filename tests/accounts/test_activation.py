"""Activation: the mailed link (real SMTP), its single use, tampering and expiry; staff switches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from citygraph.domain import account_tokens
from citygraph.domain.errors import AuthenticationFailed
from citygraph.domain.messages import render
from citygraph.models import User
from citygraph.services import Services
from tests.accounts.conftest import (
    LOGIN,
    PASSWORD,
    Outbox,
    error_codes,
    first_error,
    gql,
    login,
    make_user,
)
from tests.support.mail import deliver_mail
from tests.support.users import create_account

REGISTER = """
mutation($u: String!, $e: String!) {
  registerAccount(username: $u, password: "Xy7!pQz9-long", email: $e) { id }
}
"""
ACTIVATE = """
mutation($uid: String!, $token: String!) {
  activateAccount(uid: $uid, token: $token) { username isActive }
}
"""
RESEND = "mutation($e: String!) { resendActivation(email: $e) }"
ME = "{ me { id username isActive } }"


INVALID_TOKEN = render("invalid_token")
INVALID_UID = render("invalid_uid")
NO_ACTIVE_ACCOUNT = render(AuthenticationFailed.default_id)


async def register(client: httpx.AsyncClient, username: str, email: str) -> int:
    body = await gql(client, REGISTER, {"u": username, "e": email})
    assert "errors" not in body, body
    user_id: int = body["data"]["registerAccount"]["id"]
    return user_id


async def test_mailed_link_activates_once(
    client: httpx.AsyncClient, services: Services, outbox: Outbox
) -> None:
    await register(client, "masha", "masha@example.com")
    await deliver_mail(services)
    body = await gql(client, LOGIN, {"u": "masha", "p": PASSWORD})
    assert first_error(body)["message"] == NO_ACTIVE_ACCOUNT

    [(uid, token)] = outbox.links()
    body = await gql(client, ACTIVATE, {"uid": uid, "token": token})
    assert body["data"]["activateAccount"] == {"username": "masha", "isActive": True}
    pair = await login(client, "masha")
    assert (await gql(client, ME, token=pair["access"]))["data"]["me"]["username"] == "masha"

    again = await gql(client, ACTIVATE, {"uid": uid, "token": token})
    assert error_codes(again) == ["FORBIDDEN"]
    assert first_error(again)["message"] == render("stale_token")


async def test_tampered_and_foreign_links_are_refused(
    client: httpx.AsyncClient, services: Services, outbox: Outbox
) -> None:
    await register(client, "petya", "petya@example.com")
    await register(client, "vasya", "vasya@example.com")
    await deliver_mail(services)
    (uid_p, token_p), (uid_v, _token_v) = outbox.links()
    ts, digest = token_p.split("-")
    flipped = digest[:-1] + ("0" if digest[-1] != "0" else "1")
    cases = [
        ({"uid": uid_p, "token": f"{ts}-{flipped}"}, {"token": [INVALID_TOKEN]}),
        ({"uid": uid_v, "token": token_p}, {"token": [INVALID_TOKEN]}),  # someone else's token
        ({"uid": "!!", "token": token_p}, {"uid": [INVALID_UID]}),
        ({"uid": account_tokens.encode_uid(999_999), "token": token_p}, {"uid": [INVALID_UID]}),
        ({"uid": uid_p, "token": "garbage"}, {"token": [INVALID_TOKEN]}),
    ]
    for variables, fields in cases:
        body = await gql(client, ACTIVATE, variables)
        assert error_codes(body) == ["BAD_USER_INPUT"], body
        assert first_error(body)["extensions"]["fields"] == fields
    body = await gql(client, ACTIVATE, {"uid": uid_p, "token": token_p})
    assert body["data"]["activateAccount"]["isActive"] is True


async def test_expired_link_is_refused(client: httpx.AsyncClient, services: Services) -> None:
    user = await make_user(services, "late", email="late@example.com", active=False)
    assert user.id is not None
    lifetime = services.settings.account_token_lifetime
    old = datetime.now(UTC) - timedelta(seconds=lifetime + 5)
    expired = account_tokens.make_token(user, services.settings.secret_key, now=old)
    fresh_enough = account_tokens.make_token(
        user, services.settings.secret_key, now=old + timedelta(seconds=60)
    )
    uid = account_tokens.encode_uid(user.id)
    body = await gql(client, ACTIVATE, {"uid": uid, "token": expired})
    assert first_error(body)["extensions"]["fields"] == {"token": [INVALID_TOKEN]}
    body = await gql(client, ACTIVATE, {"uid": uid, "token": fresh_enough})
    assert body["data"]["activateAccount"]["isActive"] is True


async def test_resend_activation_reveals_nothing(
    client: httpx.AsyncClient, services: Services, outbox: Outbox
) -> None:
    await register(client, "sleepy", "sleepy@example.com")
    await make_user(services, "awake", email="awake@example.com", active=True)
    await deliver_mail(services)
    outbox.messages.clear()
    for email in ("sleepy@example.com", "nobody@example.com", "awake@example.com"):
        assert (await gql(client, RESEND, {"e": email}))["data"] == {"resendActivation": True}
    await deliver_mail(services)
    assert [m["To"] for m in outbox.messages] == ["sleepy@example.com"]
    [(uid, token)] = outbox.links()
    body = await gql(client, ACTIVATE, {"uid": uid, "token": token})
    assert body["data"]["activateAccount"]["isActive"] is True
    body = await gql(client, RESEND, {"e": "not an address"})
    assert first_error(body)["extensions"]["fields"] == {"email": ["Enter a valid email address."]}


STAFF_SWITCH = "mutation($id: Int!) { on: activateUser(id: $id) { id isActive } }"
STAFF_OFF = "mutation($id: Int!) { deactivateUser(id: $id) { id isActive } }"


async def test_staff_activate_and_deactivate(client: httpx.AsyncClient, services: Services) -> None:
    boss = await make_user(services, "boss", staff=True)
    plain = await make_user(services, "plain")
    sleeper: User = await make_user(services, "sleeper", active=False)
    assert boss.id and plain.id and sleeper.id
    staff_token = (await login(client, "boss"))["access"]
    plain_token = (await login(client, "plain"))["access"]

    assert error_codes(await gql(client, STAFF_SWITCH, {"id": sleeper.id})) == ["UNAUTHENTICATED"]
    body = await gql(client, STAFF_SWITCH, {"id": sleeper.id}, token=plain_token)
    assert error_codes(body) == ["FORBIDDEN"]

    body = await gql(client, STAFF_SWITCH, {"id": sleeper.id}, token=staff_token)
    assert body["data"]["on"] == {"id": sleeper.id, "isActive": True}
    for missing in (999_999, 0, -1):  # none exists; 0 and -1 cannot
        body = await gql(client, STAFF_SWITCH, {"id": missing}, token=staff_token)
        assert error_codes(body) == ["NOT_FOUND"], body
    body = await gql(client, STAFF_SWITCH, {"id": "abc"}, token=staff_token)
    assert "data" not in body  # an Int argument: refused before anything runs
    assert body["errors"][0]["message"].startswith("Variable '$id' has invalid value")

    yourself = await gql(client, STAFF_OFF, {"id": boss.id}, token=staff_token)
    assert error_codes(yourself) == ["FORBIDDEN"]
    assert first_error(yourself)["message"] == "You cannot deactivate your own account."
    # The one account policy: only a superuser may switch a superuser's account.
    root = await create_account(
        services, "root", email="", password=PASSWORD, active=True, staff=True, superuser=True
    )
    body = await gql(client, STAFF_OFF, {"id": root.id}, token=staff_token)
    assert error_codes(body) == ["FORBIDDEN"]
    assert first_error(body)["message"] == render("superuser_only")
    body = await gql(client, STAFF_OFF, {"id": plain.id}, token=staff_token)
    assert body["data"]["deactivateUser"]["isActive"] is False
    assert error_codes(await gql(client, ME, token=plain_token)) == ["UNAUTHENTICATED"]
    body = await gql(client, LOGIN, {"u": "plain", "p": PASSWORD})
    assert first_error(body)["message"] == NO_ACTIVE_ACCOUNT
