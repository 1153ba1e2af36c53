"""djoser's user management beyond registration: the list, header-token failures, account edits.

Expected bodies were taken from the reference build of the original stack (djoser 2.3.5,
simplejwt 5.4.0) with Django's test client.
"""

from __future__ import annotations

import time
import uuid

import httpx
import jwt as pyjwt

from tests.compat.conftest import World
from tests.compat.test_auth_errors import simplejwt_token
from tests.conftest import TEST_SECRET

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
