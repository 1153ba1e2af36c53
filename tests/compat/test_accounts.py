"""djoser's user endpoints and ``/api/v1/profile/``: the documented examples and DRF's errors."""

from __future__ import annotations

import json

import httpx
import pytest

from citygraph.domain import account_tokens
from tests.compat.conftest import ALICE_PASSWORD, World

FORBIDDEN = b'{"detail":"You do not have permission to perform this action."}'
NOT_AUTHENTICATED = b'{"detail":"Authentication credentials were not provided."}'
GOOD = "Xy7!pQz9-long"


async def test_documented_registration(client: httpx.AsyncClient, world: World) -> None:
    created = await client.post("/auth/users/", json={"username": "dave", "password": GOOD})
    assert created.status_code == 201
    assert created.content == b'{"email":"","username":"dave","id":4}'
    duplicate = await client.post("/auth/users/", json={"username": "alice", "password": GOOD})
    assert duplicate.status_code == 400
    assert duplicate.content == b'{"username":["A user with that username already exists."]}'
    inactive = await client.post("/auth/jwt/create/", json={"username": "dave", "password": GOOD})
    assert inactive.status_code == 401


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({}, b'{"username":["This field is required."],"password":["This field is required."]}'),
        ({"username": "x1"}, b'{"password":["This field is required."]}'),
        (
            {"username": None, "email": None, "password": "x"},
            b'{"email":["This field may not be null."],"username":["This field may not be null."]}',
        ),
        (
            {"username": "", "email": "", "password": "x"},
            b'{"username":["This field may not be blank."]}',
        ),
        (
            {"username": "bad name", "email": "bad", "password": "1"},
            b'{"email":["Enter a valid email address."],"username":["Enter a valid username. This '
            b'value may contain only letters, numbers, and @/./+/-/_ characters."]}',
        ),
        (
            {"username": "alice", "password": "1"},
            b'{"username":["A user with that username already exists."]}',
        ),
        (
            {"username": "12345", "password": "12345"},
            b'{"password":["The password is too similar to the username.","This password is too '
            b'short. It must contain at least 8 characters.","This password is too common.",'
            b'"This password is entirely numeric."]}',
        ),
        (
            {"username": "pw5", "email": "magnificent@example.com", "password": "magnificent1"},
            b'{"password":["The password is too similar to the email address."]}',
        ),
        (
            {"username": "u" * 151, "password": GOOD},
            b'{"username":["Ensure this field has no more than 150 characters."]}',
        ),
        ({"username": "pw9", "password": None}, b'{"password":["This field may not be null."]}'),
        # Transport errors (null, missing, blank, not a string) and value errors together.
        (
            {"username": None, "email": "bad", "password": "x"},
            b'{"email":["Enter a valid email address."],'
            b'"username":["This field may not be null."]}',
        ),
        (
            {"username": None, "email": "bad"},
            b'{"email":["Enter a valid email address."],"username":["This field may not be null."]'
            b',"password":["This field is required."]}',
        ),
        (
            {"email": None, "username": "bad name", "password": "1"},
            b'{"email":["This field may not be null."],"username":["Enter a valid username. This '
            b'value may contain only letters, numbers, and @/./+/-/_ characters."]}',
        ),
        (
            {"email": "bad", "username": "alice"},
            b'{"email":["Enter a valid email address."],"username":["A user with that username '
            b'already exists."],"password":["This field is required."]}',
        ),
        (
            {"email": "bad", "username": "u" * 151, "password": ""},
            b'{"email":["Enter a valid email address."],"username":["Ensure this field has no more '
            b'than 150 characters."],"password":["This field may not be blank."]}',
        ),
        (
            {"email": 5, "username": "alice", "password": ["x"]},
            b'{"email":["Enter a valid email address."],"username":["A user with that username '
            b'already exists."],"password":["Not a valid string."]}',
        ),
        (
            {"email": "bad", "username": True, "password": "x"},
            b'{"email":["Enter a valid email address."],"username":["Not a valid string."]}',
        ),
        # NUL and lone surrogates are validators: reported with the field's other messages.
        (
            {"username": "\ud800", "password": "x"},
            b'{"username":["Enter a valid username. This value may contain only letters, numbers, '
            b'and @/./+/-/_ characters.","Surrogate characters are not allowed: U+D800."]}',
        ),
        (
            {"username": "ok1", "email": "a\x00@b.com", "password": "\udfff"},
            b'{"email":["Null characters are not allowed.","Enter a valid email address."],'
            b'"password":["Surrogate characters are not allowed: U+DFFF."]}',
        ),
        ({"username": "pw7", "password": "   "}, b'{"password":["This field may not be blank."]}'),
    ],
)
async def test_registration_errors(
    client: httpx.AsyncClient, world: World, payload: dict[str, object], expected: bytes
) -> None:
    content = json.dumps(payload)  # ASCII-escaped, so lone surrogates can be sent
    headers = {"Content-Type": "application/json"}
    response = await client.post("/auth/users/", content=content, headers=headers)
    assert (response.status_code, response.content) == (400, expected)


async def test_registration_shapes(client: httpx.AsyncClient, world: World) -> None:
    sneaky = await client.post(
        "/auth/users/",
        json={"username": "sneaky", "password": GOOD, "is_staff": True, "is_active": True, "id": 1},
    )
    assert sneaky.content == b'{"email":"","username":"sneaky","id":4}'
    form = await client.post(
        "/auth/users/", data={"username": "formuser", "password": GOOD, "email": "f@example.com"}
    )
    assert form.content == b'{"email":"f@example.com","username":"formuser","id":5}'
    cyrillic = await client.post(
        "/auth/users/",
        json={"username": "Иван_Петров", "email": "Ivan@EXAMPLE.COM", "password": GOOD},
    )
    assert (
        cyrillic.content == '{"email":"Ivan@example.com","username":"Иван_Петров","id":6}'.encode()
    )
    number = await client.post("/auth/users/", json={"username": 424242, "password": GOOD})
    assert number.content == b'{"email":"","username":"424242","id":7}'
    plain = await client.post(
        "/auth/users/", content=b"username=x", headers={"Content-Type": "text/plain"}
    )
    assert plain.status_code == 415
    assert plain.content == b'{"detail":"Unsupported media type \\"text/plain\\" in request."}'
    broken = await client.post(
        "/auth/users/", content=b'{"username": ', headers={"Content-Type": "application/json"}
    )
    assert broken.content == (
        b'{"detail":"JSON parse error - Expecting value: line 1 column 14 (char 13)"}'
    )


async def test_activation_flow(client: httpx.AsyncClient, world: World) -> None:
    uid = account_tokens.encode_uid(3)
    token = account_tokens.make_token(world.carol, world.services.settings.secret_key)
    missing = await client.post("/auth/users/activation/", json={})
    assert missing.content == (
        b'{"uid":["This field is required."],"token":["This field is required."]}'
    )
    only_uid = await client.post("/auth/users/activation/", json={"uid": "!!!"})
    assert only_uid.content == b'{"token":["This field is required."]}'
    bad_uid = await client.post("/auth/users/activation/", json={"uid": "!!!", "token": token})
    assert bad_uid.content == b'{"uid":["Invalid user id or user doesn\'t exist."]}'
    bad_token = await client.post("/auth/users/activation/", json={"uid": uid, "token": "abc-1"})
    assert bad_token.content == b'{"token":["Invalid token for given user."]}'
    done = await client.post("/auth/users/activation/", json={"uid": uid, "token": token})
    assert (done.status_code, done.content) == (204, b"")
    assert "content-type" not in done.headers
    again = await client.post("/auth/users/activation/", data={"uid": uid, "token": token})
    assert (again.status_code, again.content) == (403, b'{"detail":"Stale token for given user."}')
    get = await client.get("/auth/users/activation/")
    assert (get.status_code, get.content) == (401, NOT_AUTHENTICATED)
    signed_in = await client.get("/auth/users/activation/", headers=world.auth(world.alice))
    assert signed_in.status_code == 405


async def test_resend_and_reset(client: httpx.AsyncClient, world: World) -> None:
    for path in ("/auth/users/resend_activation/", "/auth/users/reset_password/"):
        ok = await client.post(path, json={"email": "who@example.com"})
        assert (ok.status_code, ok.content) == (204, b"")
        missing = await client.post(path, json={})
        assert missing.content == b'{"email":["This field is required."]}'
        invalid = await client.post(path, json={"email": "bad"})
        assert invalid.content == b'{"email":["Enter a valid email address."]}'
        blank = await client.post(path, json={"email": ""})
        assert blank.content == b'{"email":["This field may not be blank."]}'
    confirm = await client.post("/auth/users/reset_password_confirm/", json={})
    assert confirm.content == (
        b'{"uid":["This field is required."],"token":["This field is required."],'
        b'"new_password":["This field is required."]}'
    )
    weak = await client.post(
        "/auth/users/reset_password_confirm/",
        json={"uid": "xx", "token": "bad", "new_password": "123"},
    )
    assert weak.content == (
        b'{"new_password":["This password is too short. It must contain at least 8 characters.",'
        b'"This password is too common.","This password is entirely numeric."]}'
    )
    uid = account_tokens.encode_uid(2)
    token = account_tokens.make_token(world.alice, world.services.settings.secret_key)
    body = {"uid": uid, "token": token, "new_password": "Another#Pass-22"}
    done = await client.post("/auth/users/reset_password_confirm/", json=body)
    assert (done.status_code, done.content) == (204, b"")
    reused = await client.post("/auth/users/reset_password_confirm/", json=body)
    assert reused.content == b'{"token":["Invalid token for given user."]}'


async def test_set_password(client: httpx.AsyncClient, world: World) -> None:
    url = "/auth/users/set_password/"
    anonymous = await client.post(url, json={"new_password": "x", "current_password": "y"})
    assert (anonymous.status_code, anonymous.content) == (401, NOT_AUTHENTICATED)
    auth = world.auth(world.alice)
    missing = await client.post(url, json={}, headers=auth)
    assert missing.content == (
        b'{"new_password":["This field is required."],'
        b'"current_password":["This field is required."]}'
    )
    wrong = await client.post(
        url, json={"new_password": "1", "current_password": "wrong"}, headers=auth
    )
    assert wrong.content == b'{"current_password":["Invalid password."]}'
    done = await client.post(
        url,
        json={"new_password": "Brand#New-Pass-1", "current_password": ALICE_PASSWORD},
        headers=auth,
    )
    assert (done.status_code, done.content) == (204, b"")
    login = await client.post(
        "/auth/jwt/create/", json={"username": "alice", "password": "Brand#New-Pass-1"}
    )
    assert login.status_code == 200


async def test_profile(client: httpx.AsyncClient, world: World) -> None:
    alice, admin = world.auth(world.alice), world.auth(world.admin)

    async def get(query: str, headers: dict[str, str]) -> tuple[int, bytes]:
        response = await client.get(f"/api/v1/profile/{query}", headers=headers)
        return response.status_code, response.content

    assert await get("?id=2", {}) == (401, NOT_AUTHENTICATED)
    assert await get("?id=2", alice) == (200, b'[{"id":2,"username":"alice"}]')
    assert await get("?id=1&id=2", alice) == (200, b'[{"id":2,"username":"alice"}]')
    for query in ("?id=1", "", "?id=abc", "?id=", "?id=99999", "?id=02", "?id=2.0", "?id=2&id=1"):
        assert await get(query, alice) == (403, FORBIDDEN), query
    assert await get("", admin) == (400, b'{"id":["This field is required."]}')
    assert await get("?id=abc", admin) == (400, b'{"id":["A valid integer is required."]}')
    assert await get("?id=1.5", admin) == (400, b'{"id":["A valid integer is required."]}')
    assert await get("?id=" + "1" * 1001, admin) == (400, b'{"id":["String value too large."]}')
    assert await get("?id=3", admin) == (200, b'[{"id":3,"username":"carol"}]')
    assert await get("?id=2.0", admin) == (200, b'[{"id":2,"username":"alice"}]')
    for query in ("?id=99999", "?id=0", "?id=-5", "?id=99999999999999999999999"):
        assert await get(query, admin) == (200, b"[]"), query
    post = await client.post("/api/v1/profile/?id=2", json={}, headers=alice)
    assert post.status_code == 405
    post_other = await client.post("/api/v1/profile/", json={}, headers=alice)
    assert post_other.status_code == 403
    staff_post = await client.post("/api/v1/profile/", json={}, headers=admin)
    assert staff_post.status_code == 405


async def test_djoser_user_views(client: httpx.AsyncClient, world: World) -> None:
    alice, admin = world.auth(world.alice), world.auth(world.admin)
    me = await client.get("/auth/users/me/", headers=alice)
    assert me.content == b'{"email":"alice@example.com","id":2,"username":"alice"}'
    assert (await client.get("/auth/users/me/")).content == NOT_AUTHENTICATED
    mine = await client.get("/auth/users/", headers=alice)
    assert mine.content == b'[{"email":"alice@example.com","id":2,"username":"alice"}]'
    assert (await client.get("/auth/users/")).status_code == 401
    detail = await client.get("/auth/users/2/", headers=alice)
    assert detail.content == b'{"email":"alice@example.com","id":2,"username":"alice"}'
    hidden = await client.get("/auth/users/1/", headers=alice)
    assert (hidden.status_code, hidden.content) == (404, b'{"detail":"Not found."}')
    staff = await client.get("/auth/users/2/", headers=admin)
    assert staff.status_code == 200
    unknown = await client.get("/auth/users/999999/", headers=admin)
    assert unknown.content == b'{"detail":"No User matches the given query."}'
    letters = await client.get("/auth/users/abc/", headers=admin)
    assert letters.content == b'{"detail":"Not found."}'
    wrong = await client.post("/auth/users/2/", json={}, headers=alice)
    assert wrong.status_code == 405
