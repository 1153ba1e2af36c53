"""GraphQL account changes (djoser's user edits): e-mail, username, deletion, username reset."""

from __future__ import annotations

import re

import httpx

from citygraph.services import Services
from tests.accounts.conftest import (
    PASSWORD,
    Outbox,
    error_codes,
    first_error,
    gql,
    login,
    make_user,
)
from tests.support.mail import deliver_mail

ME = "{ me { id username email isActive } }"
CHANGE_EMAIL = "mutation($e: String!) { changeEmail(email: $e) { username email isActive } }"
DELETE = "mutation($p: String!) { deleteAccount(currentPassword: $p) }"
RENAME = (
    "mutation($p: String!, $n: String!) "
    "{ changeUsername(currentPassword: $p, newUsername: $n) { username } }"
)
USERS = "{ users { username } }"
REQUEST = "mutation($e: String!) { requestUsernameReset(email: $e) }"
CONFIRM = (
    "mutation($u: String!, $t: String!, $n: String!) "
    "{ confirmUsernameReset(uid: $u, token: $t, newUsername: $n) { username } }"
)
USERNAME_LINK = re.compile(
    r"https?://\S+?/(?:#/)?username/reset/confirm/(?P<uid>[^/\s]+)/(?P<token>[^/\s]+)"
)


async def test_change_email_deactivates_and_mails_the_new_address(
    client: httpx.AsyncClient, services: Services, outbox: Outbox
) -> None:
    await make_user(services, "erin", email="erin@example.com")
    token = (await login(client, "erin"))["access"]
    same = await gql(client, CHANGE_EMAIL, {"e": "erin@example.com"}, token=token)
    assert same["data"]["changeEmail"] == {
        "username": "erin",
        "email": "erin@example.com",
        "isActive": True,
    }
    await deliver_mail(services)
    assert outbox.messages == []
    bad = await gql(client, CHANGE_EMAIL, {"e": "nope"}, token=token)
    assert first_error(bad)["extensions"]["fields"] == {"email": ["Enter a valid email address."]}
    changed = await gql(client, CHANGE_EMAIL, {"e": " erin@new.example.com "}, token=token)
    assert changed["data"]["changeEmail"] == {
        "username": "erin",
        "email": "erin@new.example.com",
        "isActive": False,
    }
    await deliver_mail(services)
    assert [message["To"] for message in outbox.messages] == ["erin@new.example.com"]
    [(uid, activation)] = outbox.links()
    assert error_codes(await gql(client, ME, token=token)) == ["UNAUTHENTICATED"]
    activate = "mutation($u: String!, $t: String!) { activateAccount(uid: $u, token: $t) { id } }"
    assert "errors" not in await gql(client, activate, {"u": uid, "t": activation})
    assert (await gql(client, ME, token=token))["data"]["me"]["isActive"] is True
    assert error_codes(await gql(client, CHANGE_EMAIL, {"e": "x@example.com"})) == [
        "UNAUTHENTICATED"
    ]


async def test_change_username_and_list_users(
    client: httpx.AsyncClient, services: Services
) -> None:
    await make_user(services, "boss", staff=True)
    await make_user(services, "finn")
    token = (await login(client, "finn"))["access"]
    wrong = await gql(client, RENAME, {"p": "wrong", "n": "boss"}, token=token)
    assert first_error(wrong)["extensions"]["fields"] == {
        "currentPassword": ["Invalid password."],
        "newUsername": ["A user with that username already exists."],
    }
    done = await gql(client, RENAME, {"p": PASSWORD, "n": " finnegan "}, token=token)
    assert done["data"]["changeUsername"] == {"username": "finnegan"}
    assert (await gql(client, USERS, token=token))["data"]["users"] == [{"username": "finnegan"}]
    staff = (await login(client, "boss"))["access"]
    assert (await gql(client, USERS, token=staff))["data"]["users"] == [
        {"username": "boss"},
        {"username": "finnegan"},
    ]
    assert error_codes(await gql(client, USERS)) == ["UNAUTHENTICATED"]


async def test_delete_account(client: httpx.AsyncClient, services: Services) -> None:
    await make_user(services, "gwen")
    token = (await login(client, "gwen"))["access"]
    wrong = await gql(client, DELETE, {"p": "wrong"}, token=token)
    assert error_codes(wrong) == ["BAD_USER_INPUT"]
    assert first_error(wrong)["extensions"]["fields"] == {"currentPassword": ["Invalid password."]}
    assert (await gql(client, DELETE, {"p": PASSWORD}, token=token))["data"] == {
        "deleteAccount": True
    }
    # The deleted account's token names nobody any more.
    assert error_codes(await gql(client, ME, token=token)) == ["UNAUTHENTICATED"]


async def test_username_reset(
    client: httpx.AsyncClient, services: Services, outbox: Outbox
) -> None:
    await make_user(services, "hana", email="hana@example.com")
    await make_user(services, "ivan")
    assert (await gql(client, REQUEST, {"e": "nobody@example.com"}))["data"] == {
        "requestUsernameReset": True
    }
    await deliver_mail(services)
    assert outbox.messages == []
    assert "errors" not in await gql(client, REQUEST, {"e": "hana@example.com"})
    await deliver_mail(services)
    [message] = outbox.messages
    body = message.get_body(("plain",))
    assert body is not None
    match = USERNAME_LINK.search(body.get_content())
    assert match is not None
    variables = {"u": match["uid"], "t": match["token"]}
    taken = await gql(client, CONFIRM, {**variables, "n": "ivan"})
    assert first_error(taken)["extensions"]["fields"] == {
        "newUsername": ["A user with that username already exists."]
    }
    done = await gql(client, CONFIRM, {**variables, "n": "hanna"})
    assert done["data"]["confirmUsernameReset"] == {"username": "hanna"}
    again = await gql(client, CONFIRM, {**variables, "n": "hannah"})
    assert first_error(again)["extensions"]["fields"] == {
        "token": ["Invalid token for given user."]
    }
    await login(client, "hanna")
