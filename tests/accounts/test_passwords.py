"""Password change and reset (real SMTP), with the same validators and one-time links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from citygraph.domain import account_tokens
from citygraph.domain.errors import AuthenticationFailed
from citygraph.domain.messages import render
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

CHANGE = """
mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }
"""
REQUEST = "mutation($e: String!) { requestPasswordReset(email: $e) }"
CONFIRM = """
mutation($uid: String!, $token: String!, $n: String!) {
  confirmPasswordReset(uid: $uid, token: $token, newPassword: $n)
}
"""
NEW = "Borodino-1812-field"
INVALID_PASSWORD = render("invalid_password")
INVALID_TOKEN = render("invalid_token")
INVALID_UID = render("invalid_uid")
# Django's validators on "1234"/"123": too short, too common, entirely numeric.
SHORT_COMMON_NUMERIC = [
    render("password_too_short", {"min_length": 8}),
    render("password_too_common"),
    render("password_entirely_numeric"),
]


async def test_change_password(client: httpx.AsyncClient, services: Services) -> None:
    await make_user(services, "olga", email="olga.ivanova@example.com")
    token = (await login(client, "olga"))["access"]
    assert error_codes(await gql(client, CHANGE, {"c": PASSWORD, "n": NEW})) == ["UNAUTHENTICATED"]

    body = await gql(client, CHANGE, {"c": "wrong", "n": NEW}, token=token)
    assert first_error(body)["extensions"]["fields"] == {"currentPassword": [INVALID_PASSWORD]}
    body = await gql(client, CHANGE, {"c": PASSWORD, "n": "ivanova12"}, token=token)
    assert first_error(body)["extensions"]["fields"] == {
        "newPassword": ["The password is too similar to the email address."]
    }
    body = await gql(client, CHANGE, {"c": PASSWORD, "n": "1234"}, token=token)
    assert first_error(body)["extensions"]["fields"] == {"newPassword": SHORT_COMMON_NUMERIC}

    assert (await gql(client, CHANGE, {"c": PASSWORD, "n": NEW}, token=token))["data"] == {
        "changePassword": True
    }
    body = await gql(client, LOGIN, {"u": "olga", "p": PASSWORD})
    assert first_error(body)["message"] == render(AuthenticationFailed.default_id)
    await login(client, "olga", NEW)


async def test_reset_by_mail_works_once(
    client: httpx.AsyncClient, services: Services, outbox: Outbox
) -> None:
    await make_user(services, "fedor", email="fedor@example.com")
    await make_user(services, "dormant", email="dormant@example.com", active=False)
    for email in ("fedor@example.com", "nobody@example.com", "dormant@example.com"):
        assert (await gql(client, REQUEST, {"e": email}))["data"] == {"requestPasswordReset": True}
    await deliver_mail(services)
    assert [m["To"] for m in outbox.messages] == ["fedor@example.com"]
    text = outbox.messages[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Сброс пароля" in outbox.messages[0]["Subject"]
    assert "Hello fedor," in text
    [(uid, token)] = outbox.links("password/reset/confirm")

    body = await gql(client, CONFIRM, {"uid": uid, "token": token, "n": "fedor123"})
    assert first_error(body)["extensions"]["fields"] == {
        "newPassword": ["The password is too similar to the username."]
    }
    body = await gql(client, CONFIRM, {"uid": uid, "token": token, "n": NEW})
    assert body["data"] == {"confirmPasswordReset": True}
    await login(client, "fedor", NEW)

    again = await gql(client, CONFIRM, {"uid": uid, "token": token, "n": "Another-Pass-99"})
    assert first_error(again)["extensions"]["fields"] == {"token": [INVALID_TOKEN]}
    await login(client, "fedor", NEW)


async def test_reset_tampering_and_expiry(client: httpx.AsyncClient, services: Services) -> None:
    user = await make_user(services, "gleb", email="gleb@example.com")
    assert user.id is not None
    uid = account_tokens.encode_uid(user.id)
    secret = services.settings.secret_key
    token = account_tokens.make_token(user, secret)
    expired = account_tokens.make_token(
        user,
        secret,
        now=datetime.now(UTC) - timedelta(seconds=services.settings.account_token_lifetime + 5),
    )
    cases = [
        ({"uid": uid, "token": expired, "n": NEW}, {"token": [INVALID_TOKEN]}),
        ({"uid": uid, "token": token[:-1] + "x", "n": NEW}, {"token": [INVALID_TOKEN]}),
        ({"uid": "Zm9v", "token": token, "n": NEW}, {"uid": [INVALID_UID]}),
        # djoser checks the new password before the uid
        (
            {"uid": "Zm9v", "token": token, "n": "123"},
            {"newPassword": SHORT_COMMON_NUMERIC},
        ),
    ]
    for variables, fields in cases:
        body = await gql(client, CONFIRM, variables)
        assert error_codes(body) == ["BAD_USER_INPUT"], body
        assert first_error(body)["extensions"]["fields"] == fields
    # An activation-style token made before a password change no longer works.
    await gql(client, CONFIRM, {"uid": uid, "token": token, "n": NEW})
    body = await gql(client, CONFIRM, {"uid": uid, "token": token, "n": "Yet-Another-77"})
    assert first_error(body)["extensions"]["fields"] == {"token": [INVALID_TOKEN]}
