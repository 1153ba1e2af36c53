"""``me``/``profile`` over GraphQL and the REST profile rules in ``profiles_for``."""

from __future__ import annotations

import httpx
import pytest

from citygraph.domain import accounts
from citygraph.domain.errors import InvalidInput, NotAuthenticated, PermissionDenied
from citygraph.services import Services
from tests.accounts.conftest import error_codes, gql, login, make_user

PROFILE = """
query($id: ID!) { profile(id: $id) { id username email dateJoined isActive isStaff } }
"""


async def test_me_and_profile_permissions(client: httpx.AsyncClient, services: Services) -> None:
    alice = await make_user(services, "alice", email="alice@example.com")
    bob = await make_user(services, "bob")
    await make_user(services, "admin", staff=True)
    assert alice.id and bob.id
    alice_token = (await login(client, "alice"))["access"]
    staff_token = (await login(client, "admin"))["access"]

    assert error_codes(await gql(client, "{ me { id } }")) == ["UNAUTHENTICATED"]
    me = (await gql(client, "{ me { id username email isStaff } }", token=alice_token))["data"]
    assert me == {
        "me": {
            "id": str(alice.id),
            "username": "alice",
            "email": "alice@example.com",
            "isStaff": False,
        }
    }

    own = await gql(client, PROFILE, {"id": alice.id}, token=alice_token)
    assert own["data"]["profile"]["username"] == "alice"
    assert own["data"]["profile"]["dateJoined"]
    for other in (bob.id, 999_999, "abc"):
        body = await gql(client, PROFILE, {"id": other}, token=alice_token)
        assert error_codes(body) == ["FORBIDDEN"], body
    assert error_codes(await gql(client, PROFILE, {"id": alice.id})) == ["UNAUTHENTICATED"]

    body = await gql(client, PROFILE, {"id": bob.id}, token=staff_token)
    assert body["data"]["profile"]["username"] == "bob"
    for missing in (999_999, "abc", "99999999999999999999999"):
        body = await gql(client, PROFILE, {"id": missing}, token=staff_token)
        assert error_codes(body) == ["NOT_FOUND"], body


async def test_profiles_for_follows_the_rest_contract(services: Services) -> None:
    alice = await make_user(services, "alice")
    staff = await make_user(services, "admin", staff=True)
    assert alice.id is not None
    async with services.sessions() as session:
        with pytest.raises(NotAuthenticated):
            await accounts.profiles_for(session, None, str(alice.id))
        assert [u.id for u in await accounts.profiles_for(session, alice, str(alice.id))] == [
            alice.id
        ]
        for raw in (None, "abc", f"0{alice.id}", f"{alice.id}.0", str(staff.id)):
            with pytest.raises(PermissionDenied):
                await accounts.profiles_for(session, alice, raw)

        with pytest.raises(InvalidInput) as caught:
            await accounts.profiles_for(session, staff, None)
        assert caught.value.fields == {"id": ["This field is required."]}
        for raw in ("abc", "", "1.5"):
            with pytest.raises(InvalidInput) as caught:
                await accounts.profiles_for(session, staff, raw)
            assert caught.value.fields == {"id": ["A valid integer is required."]}
        with pytest.raises(InvalidInput) as caught:
            await accounts.profiles_for(session, staff, "1" * 1001)
        assert caught.value.fields == {"id": ["String value too large."]}
        for raw in ("999999", "0", "-1", "1" * 30):
            assert await accounts.profiles_for(session, staff, raw) == []
        found = await accounts.profiles_for(session, staff, f" {alice.id}.00 ")
        assert [u.username for u in found] == ["alice"]
