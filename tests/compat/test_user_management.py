"""djoser's user management beyond registration: the list, header-token failures, account edits.

Expected bodies were taken from the reference build of the original stack (djoser 2.3.5,
simplejwt 5.4.0) with Django's test client.
"""

from __future__ import annotations

import time
import uuid

import httpx
import jwt as pyjwt

from citygraph.db import session_scope
from citygraph.domain import account_tokens
from citygraph.models import User
from tests.compat.conftest import (
    ADMIN_PASSWORD,
    ALICE_PASSWORD,
    CAROL_PASSWORD,
    World,
    make_user,
)
from tests.conftest import TEST_SECRET
from tests.support.tokens import simplejwt_token

ALL_USERS = (
    b'[{"email":"admin@example.com","id":1,"username":"admin"},'
    b'{"email":"alice@example.com","id":2,"username":"alice"},'
    b'{"email":"carol@example.com","id":3,"username":"carol"}]'
)


async def test_staff_list_every_user_others_only_themselves(
    client: httpx.AsyncClient, world: World
) -> None:
    staff = await client.get("/auth/users/", headers=world.auth(world.admin))
    assert (staff.status_code, staff.content) == (200, ALL_USERS)
    # No pagination and no ordering parameters in the original: they are ignored.
    params = await client.get("/auth/users/?limit=1&ordering=-id", headers=world.auth(world.admin))
    assert params.content == ALL_USERS
    mine = await client.get("/auth/users/", headers=world.auth(world.alice))
    assert mine.content == b'[{"email":"alice@example.com","id":2,"username":"alice"}]'
    anonymous = await client.get("/auth/users/")
    assert anonymous.status_code == 401


async def test_header_token_of_a_missing_or_inactive_user(
    client: httpx.AsyncClient, world: World
) -> None:
    async def me(token: str) -> httpx.Response:
        return await client.get("/auth/users/me/", headers={"Authorization": f"JWT {token}"})

    inactive = await me(world.access(world.carol))
    assert (inactive.status_code, inactive.content) == (
        401,
        b'{"detail":"User is inactive","code":"user_inactive"}',
    )
    assert inactive.headers["www-authenticate"] == 'JWT realm="api"'
    not_found = b'{"detail":"User not found","code":"user_not_found"}'
    for user_id in (99999, None, "abc", 2**70):
        missing = await me(simplejwt_token(user_id))
        assert (missing.status_code, missing.content) == (401, not_found), user_id
    # Public endpoints authenticate too.
    public = await client.get(
        "/api/v1/disticts/", headers={"Authorization": f"JWT {simplejwt_token(99999)}"}
    )
    assert (public.status_code, public.content) == (401, not_found)
    now = int(time.time())
    anonymous_token = pyjwt.encode(
        {"token_type": "access", "exp": now + 60, "iat": now, "jti": uuid.uuid4().hex},
        TEST_SECRET,
        algorithm="HS256",
    )
    unnamed = await me(anonymous_token)
    assert (unnamed.status_code, unnamed.content) == (
        401,
        b'{"detail":"Token contained no recognizable user identification",'
        b'"code":"token_not_valid"}',
    )


INSTANCE_ALLOW = "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"
INVALID_USERNAME = (
    b'"Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ '
    b'characters."'
)
ALICE_ME = b'{"email":"alice@example.com","id":2,"username":"alice"}'


async def test_update_me(client: httpx.AsyncClient, world: World) -> None:
    alice = world.auth(world.alice)
    cases: list[tuple[object, int, bytes]] = [
        ({"email": "alice@example.com"}, 200, ALICE_ME),
        ({"username": "zzz", "id": 99}, 200, ALICE_ME),  # read-only fields are ignored
        ({}, 200, ALICE_ME),
        ({"email": "bad"}, 400, b'{"email":["Enter a valid email address."]}'),
        ({"email": None}, 400, b'{"email":["This field may not be null."]}'),
        (
            {"email": "a\x00@b.com"},
            400,
            b'{"email":["Null characters are not allowed.","Enter a valid email address."]}',
        ),
        (
            {"email": "a" * 250 + "@b.com"},
            400,
            b'{"email":["Ensure this field has no more than 254 characters."]}',
        ),
        (
            ["x"],
            400,
            b'{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}',
        ),
    ]
    for method in ("PUT", "PATCH"):
        for body, status, expected in cases:
            response = await client.request(method, "/auth/users/me/", json=body, headers=alice)
            assert (response.status_code, response.content) == (status, expected), (method, body)
            assert response.headers["allow"] == INSTANCE_ALLOW
    anonymous = await client.put("/auth/users/me/", json={"email": "x@example.com"})
    assert anonymous.status_code == 401
    # A new address (stored as given, trimmed) deactivates the account until re-activated.
    changed = await client.patch(
        "/auth/users/me/", json={"email": "  New@EXAMPLE.com "}, headers=alice
    )
    assert changed.content == b'{"email":"New@EXAMPLE.com","id":2,"username":"alice"}'
    again = await client.get("/auth/users/me/", headers=alice)
    assert (again.status_code, again.content) == (
        401,
        b'{"detail":"User is inactive","code":"user_inactive"}',
    )


async def test_update_by_id(client: httpx.AsyncClient, world: World) -> None:
    alice, admin = world.auth(world.alice), world.auth(world.admin)
    hidden = await client.patch("/auth/users/1/", json={"email": "x@example.com"}, headers=alice)
    assert (hidden.status_code, hidden.content) == (404, b'{"detail":"Not found."}')
    own = await client.patch("/auth/users/2/", json={"email": "alice@example.com"}, headers=alice)
    assert (own.status_code, own.content) == (200, ALICE_ME)
    staff = await client.put("/auth/users/3/", json={"email": "carol2@example.com"}, headers=admin)
    assert staff.content == b'{"email":"carol2@example.com","id":3,"username":"carol"}'
    unknown = await client.put("/auth/users/999/", json={"email": "c@example.com"}, headers=admin)
    assert unknown.content == b'{"detail":"No User matches the given query."}'
    letters = await client.put("/auth/users/abc/", json={}, headers=admin)
    assert (letters.status_code, letters.content) == (404, b'{"detail":"Not found."}')
    assert letters.headers["allow"] == INSTANCE_ALLOW


async def test_delete_account(client: httpx.AsyncClient, world: World) -> None:
    alice, admin = world.auth(world.alice), world.auth(world.admin)
    cases: list[tuple[dict[str, object] | None, bytes]] = [
        ({}, b'{"current_password":["This field is required."]}'),
        (None, b'{"current_password":["This field is required."]}'),
        ({"current_password": ""}, b'{"current_password":["This field may not be blank."]}'),
        ({"current_password": None}, b'{"current_password":["This field may not be null."]}'),
        ({"current_password": "wrong"}, b'{"current_password":["Invalid password."]}'),
    ]
    for body, expected in cases:
        response = (
            await client.request("DELETE", "/auth/users/me/", json=body, headers=alice)
            if body is not None
            else await client.delete("/auth/users/me/", headers=alice)
        )
        assert (response.status_code, response.content) == (400, expected), body
    other = await client.request(
        "DELETE", "/auth/users/1/", json={"current_password": ALICE_PASSWORD}, headers=alice
    )
    assert (other.status_code, other.content) == (
        403,
        b'{"detail":"You do not have permission to perform this action."}',
    )
    # Staff delete others with their *own* password.
    theirs = await client.request(
        "DELETE", "/auth/users/3/", json={"current_password": CAROL_PASSWORD}, headers=admin
    )
    assert theirs.content == b'{"current_password":["Invalid password."]}'
    gone = await client.request(
        "DELETE", "/auth/users/3/", json={"current_password": ADMIN_PASSWORD}, headers=admin
    )
    assert (gone.status_code, gone.content) == (204, b"")
    missing = await client.request(
        "DELETE", "/auth/users/3/", json={"current_password": ADMIN_PASSWORD}, headers=admin
    )
    assert missing.content == b'{"detail":"No User matches the given query."}'
    mine = await client.request(
        "DELETE",
        "/auth/users/me/",
        json={"current_password": f"  {ALICE_PASSWORD} "},
        headers=alice,
    )
    assert (mine.status_code, mine.content) == (204, b"")
    after = await client.get("/auth/users/me/", headers=alice)
    assert (after.status_code, after.content) == (
        401,
        b'{"detail":"User not found","code":"user_not_found"}',
    )
    listed = await client.get("/auth/users/", headers=admin)
    assert listed.content == b'[{"email":"admin@example.com","id":1,"username":"admin"}]'


async def test_set_username(client: httpx.AsyncClient, world: World) -> None:
    alice = world.auth(world.alice)
    url = "/auth/users/set_username/"
    good = ALICE_PASSWORD
    cases: list[tuple[dict[str, object], bytes]] = [
        (
            {},
            b'{"current_password":["This field is required."],'
            b'"new_username":["This field is required."]}',
        ),
        (
            {"current_password": "wrong", "new_username": "admin"},
            b'{"current_password":["Invalid password."],'
            b'"new_username":["A user with that username already exists."]}',
        ),
        (
            {"current_password": "", "new_username": "bad name"},
            b'{"current_password":["This field may not be blank."],"new_username":['
            + INVALID_USERNAME
            + b"]}",
        ),
        (
            {"current_password": good, "new_username": "admin"},
            b'{"new_username":["A user with that username already exists."]}',
        ),
        (
            {"current_password": good, "new_username": "alice"},  # its own name too
            b'{"new_username":["A user with that username already exists."]}',
        ),
        (
            {"current_password": good, "new_username": "bad name"},
            b'{"new_username":[' + INVALID_USERNAME + b"]}",
        ),
        (
            {"current_password": good, "new_username": "x" * 151 + " "},
            b'{"new_username":["Ensure this field has no more than 150 characters."]}',
        ),
        (
            {"current_password": good, "new_username": None},
            b'{"new_username":["This field may not be null."]}',
        ),
        (
            {"current_password": good, "new_username": ""},
            b'{"new_username":["This field may not be blank."]}',
        ),
        # Deliberate difference: NFKC as at registration, so this is "admin" (djoser: 204).
        (
            {"current_password": good, "new_username": "ａｄｍｉｎ"},
            b'{"new_username":["A user with that username already exists."]}',
        ),
    ]
    for body, expected in cases:
        response = await client.post(url, json=body, headers=alice)
        assert (response.status_code, response.content) == (400, expected), body
        assert response.headers["allow"] == "POST, OPTIONS"
    anonymous = await client.post(url, json={"current_password": "x", "new_username": "ok"})
    assert anonymous.status_code == 401
    assert (await client.get(url, headers=alice)).status_code == 405
    done = await client.post(
        url, json={"current_password": good, "new_username": "  alicia "}, headers=alice
    )
    assert (done.status_code, done.content) == (204, b"")
    me = await client.get("/auth/users/me/", headers=alice)
    assert me.content == b'{"email":"alice@example.com","id":2,"username":"alicia"}'


async def test_reset_username(client: httpx.AsyncClient, world: World) -> None:
    url = "/auth/users/reset_username/"
    for body, status, expected in [
        ({"email": "nobody@example.com"}, 204, b""),
        ({"email": "alice@example.com"}, 204, b""),  # the original: a 500 (no confirm URL)
        ({}, 400, b'{"email":["This field is required."]}'),
        ({"email": "bad"}, 400, b'{"email":["Enter a valid email address."]}'),
    ]:
        response = await client.post(url, json=body)
        assert (response.status_code, response.content) == (status, expected), body
    confirm = "/auth/users/reset_username_confirm/"
    uid = account_tokens.encode_uid(2)
    token = account_tokens.make_token(world.alice, world.services.settings.secret_key)
    for body, expected in [
        ({}, b'{"new_username":["This field is required."]}'),
        ({"new_username": "ok1"}, b'{"uid":["Invalid user id or user doesn\'t exist."]}'),
        (
            {"new_username": "admin", "uid": uid},
            b'{"new_username":["A user with that username already exists."]}',
        ),
        (
            {"new_username": None, "uid": None, "token": None},
            b'{"new_username":["This field may not be null."]}',
        ),
        ({"new_username": "ok2", "uid": uid}, b'{"token":["Invalid token for given user."]}'),
        (
            {"new_username": "bad name", "uid": uid, "token": token},
            b'{"new_username":[' + INVALID_USERNAME + b"]}",
        ),
    ]:
        response = await client.post(confirm, json=body)
        assert (response.status_code, response.content) == (400, expected), body
    body = {"uid": uid, "token": token, "new_username": " alicia "}
    done = await client.post(confirm, json=body)
    assert (done.status_code, done.content) == (204, b"")
    me = await client.get("/auth/users/me/", headers=world.auth(world.alice))
    assert me.content == b'{"email":"alice@example.com","id":2,"username":"alicia"}'
    reused = await client.post(confirm, json={**body, "new_username": "alice2"})
    assert reused.content == b'{"token":["Invalid token for given user."]}'
    anonymous_get = await client.get(confirm)
    assert anonymous_get.status_code == 401


async def test_options_of_the_new_actions(client: httpx.AsyncClient, world: World) -> None:
    fields = (
        b'"actions":{"POST":{"email":{"type":"email","required":false,"read_only":false,'
        b'"label":"Email address","max_length":254},"id":{"type":"integer","required":false,'
        b'"read_only":true,"label":"ID"},"username":{"type":"string","required":false,'
        b'"read_only":true,"label":"Username","help_text":"Required. 150 characters or fewer. '
        b'Letters, digits and @/./+/-/_ only."}}}}'
    )
    head = (
        b'"description":"","renders":["application/json","text/html"],"parses":["application/json"'
        b',"application/x-www-form-urlencoded","multipart/form-data"],'
    )
    for action, name in (
        ("set_username", b"Set username"),
        ("reset_username", b"Reset username"),
        ("reset_username_confirm", b"Reset username confirm"),
    ):
        response = await client.options(f"/auth/users/{action}/", headers=world.auth(world.admin))
        assert response.content == b'{"name":"' + name + b'",' + head + fields
        assert response.headers["allow"] == "POST, OPTIONS"
    detail = await client.options("/auth/users/2/", headers=world.auth(world.admin))
    assert detail.headers["allow"] == INSTANCE_ALLOW
    assert b'"name":"User Instance"' in detail.content


async def test_only_superusers_change_a_superuser(client: httpx.AsyncClient, world: World) -> None:
    """Deliberate difference: djoser lets any staff member edit or delete any account."""
    clerk = await make_user(
        world.services, "clerk", "clerk@example.com", "Clerk#Pass-55", active=True, staff=True
    )
    assert clerk.is_superuser  # the fixture's helper makes staff superusers; demote this one
    async with session_scope(world.services.sessions) as session:
        row = await session.get(User, clerk.id)
        assert row is not None
        row.is_superuser = False
    headers = world.auth(clerk)
    refused = b'{"detail":"Only a superuser may change a superuser account."}'
    edit = await client.patch("/auth/users/1/", json={"email": "x@example.com"}, headers=headers)
    assert (edit.status_code, edit.content) == (403, refused)
    delete = await client.request(
        "DELETE", "/auth/users/1/", json={"current_password": "Clerk#Pass-55"}, headers=headers
    )
    assert (delete.status_code, delete.content) == (403, refused)
    plain = await client.patch("/auth/users/2/", json={"email": "a2@example.com"}, headers=headers)
    assert plain.content == b'{"email":"a2@example.com","id":2,"username":"alice"}'
