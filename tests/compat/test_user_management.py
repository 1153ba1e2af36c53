"""djoser's user management beyond registration: the list, header-token failures, account edits.

Expected bodies were taken from the reference build of the original stack (djoser 2.3.5,
simplejwt 5.4.0) with Django's test client.
"""

from __future__ import annotations

import httpx

from tests.compat.conftest import World

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
