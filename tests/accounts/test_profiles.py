"""``me``/``user`` over GraphQL and the REST profile rules in ``profiles_for``."""

from __future__ import annotations

import httpx
import pytest

from citygraph.domain import accounts
from citygraph.domain.errors import InvalidInput, NotAuthenticated, PermissionDenied
from citygraph.domain.policy import Actor
from citygraph.domain.unit import unit_of_work
from citygraph.models import User
from citygraph.services import Services
from tests.accounts.conftest import error_codes, gql, login, make_user

USER = """
query($id: Int!) { user(id: $id) { id username email dateJoined isActive isStaff } }
"""


async def test_me_and_user_permissions(client: httpx.AsyncClient, services: Services) -> None:
    alice = await make_user(services, "alice", email="alice@example.com")
    bob = await make_user(services, "bob")
    await make_user(services, "admin", staff=True)
    assert alice.id and bob.id
    alice_token = (await login(client, "alice"))["access"]
    staff_token = (await login(client, "admin"))["access"]

    assert await gql(client, "{ me { id } }") == {"data": {"me": None}}  # anonymous: no one
    me = (await gql(client, "{ me { id username email isStaff } }", token=alice_token))["data"]
    assert me == {
        "me": {
            "id": alice.id,
            "username": "alice",
            "email": "alice@example.com",
            "isStaff": False,
        }
    }

    own = await gql(client, USER, {"id": alice.id}, token=alice_token)
    assert own["data"]["user"]["username"] == "alice"
    assert own["data"]["user"]["dateJoined"]
    body = await gql(client, USER, {"id": bob.id}, token=alice_token)
    assert error_codes(body) == ["FORBIDDEN"], body
    assert body["data"] == {"user": None}
    assert error_codes(await gql(client, USER, {"id": alice.id})) == ["UNAUTHENTICATED"]

    body = await gql(client, USER, {"id": bob.id}, token=staff_token)
    assert body["data"]["user"]["username"] == "bob"
    for missing in (999_999, 2**31 - 1, 0, -1):
        body = await gql(client, USER, {"id": missing}, token=staff_token)
        assert error_codes(body) == ["NOT_FOUND"], body
    for not_an_int in ("abc", "99999999999999999999999", 2**31):
        body = await gql(client, USER, {"id": not_an_int}, token=staff_token)
        assert "data" not in body, body  # refused by the Int type before anything runs
        assert body["errors"][0]["message"].startswith("Variable '$id' has invalid value")


async def profiles(services: Services, actor: Actor, raw_id: str | None) -> list[User]:
    async with unit_of_work(services, actor=actor) as uow:
        return await accounts.profiles_for(uow, raw_id)


async def test_profiles_for_follows_the_rest_contract(services: Services) -> None:
    alice = await make_user(services, "alice")
    staff = await make_user(services, "admin", staff=True)
    assert alice.id is not None
    with pytest.raises(NotAuthenticated):
        await profiles(services, None, str(alice.id))
    assert [u.id for u in await profiles(services, alice, str(alice.id))] == [alice.id]
    for raw in (None, "abc", f"0{alice.id}", f"{alice.id}.0", str(staff.id)):
        with pytest.raises(PermissionDenied):
            await profiles(services, alice, raw)

    with pytest.raises(InvalidInput) as caught:
        await profiles(services, staff, None)
    assert caught.value.messages() == {"id": ["This field is required."]}
    for raw in ("abc", "", "1.5"):
        with pytest.raises(InvalidInput) as caught:
            await profiles(services, staff, raw)
        assert caught.value.messages() == {"id": ["A valid integer is required."]}
    with pytest.raises(InvalidInput) as caught:
        await profiles(services, staff, "1" * 1001)
    assert caught.value.messages() == {"id": ["String value too large."]}
    for raw in ("999999", "0", "-1", "1" * 30):
        assert await profiles(services, staff, raw) == []
    found = await profiles(services, staff, f" {alice.id}.00 ")
    assert [u.username for u in found] == ["alice"]
