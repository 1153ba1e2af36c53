"""JWT create/refresh/verify/logout over GraphQL, blacklist and rotation, simplejwt tokens."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import jwt as pyjwt
import pytest
from sqlmodel import delete, select

from citygraph.db import session_scope
from citygraph.domain import accounts, tokens
from citygraph.domain.errors import AuthenticationFailed
from citygraph.domain.messages import render
from citygraph.domain.unit import unit_of_work
from citygraph.models import BlacklistedToken, User
from citygraph.security import jwt, passwords
from citygraph.services import Services
from tests.accounts.conftest import (
    LOGIN,
    PASSWORD,
    error_codes,
    first_error,
    gql,
    login,
    make_user,
)
from tests.conftest import TEST_SECRET
from tests.support.tokens import simplejwt_token

REFRESH = "mutation($r: String!) { refreshToken(refresh: $r) { access refresh } }"
VERIFY = "mutation($t: String!) { verifyToken(token: $t) }"
LOGOUT = "mutation($r: String!) { logout(refresh: $r) }"
ME = "{ me { id username } }"
WRONG_TYPE = render("token_wrong_type")
INVALID_OR_EXPIRED = render("token_not_valid")
BLACKLISTED = render("token_blacklisted")


async def test_one_message_for_every_login_failure(
    client: httpx.AsyncClient, services: Services
) -> None:
    await make_user(services, "alice")
    await make_user(services, "carol", active=False)
    for username, password in (
        ("nobody", "x"),
        ("alice", "wrong"),
        ("carol", PASSWORD),
        ("ALICE", PASSWORD),
    ):
        body = await gql(client, LOGIN, {"u": username, "p": password})
        assert error_codes(body) == ["UNAUTHENTICATED"]
        assert first_error(body)["message"] == render("no_active_account")
    # PostgreSQL could not even be asked about this name: refused at the boundary, as DRF's
    # CharField refuses it on /auth/jwt/create/ (a field error, never a 500).
    body = await gql(client, LOGIN, {"u": "ali\x00ce", "p": PASSWORD})
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert first_error(body)["extensions"]["fields"] == {
        "username": [render("null_characters_not_allowed")]
    }
    pair = await login(client, "  alice ", f" {PASSWORD} ")  # DRF trims both fields
    claims = pyjwt.decode(pair["access"], TEST_SECRET, algorithms=["HS256"])
    assert claims["token_type"] == "access"
    assert claims["exp"] - claims["iat"] == 300


async def test_refresh_verify_logout(client: httpx.AsyncClient, services: Services) -> None:
    await make_user(services, "boris")
    pair = await login(client, "boris")
    body = await gql(client, REFRESH, {"r": pair["refresh"]})
    fresh = body["data"]["refreshToken"]
    assert fresh["refresh"] is None  # ROTATE_REFRESH_TOKENS off: only an access token
    refresh_claims = pyjwt.decode(pair["refresh"], TEST_SECRET, algorithms=["HS256"])
    access_claims = pyjwt.decode(fresh["access"], TEST_SECRET, algorithms=["HS256"])
    assert access_claims["iat"] == refresh_claims["iat"]  # simplejwt copies iat
    assert (await gql(client, ME, token=fresh["access"]))["data"]["me"]["username"] == "boris"

    body = await gql(client, REFRESH, {"r": pair["access"]})
    assert first_error(body)["message"] == WRONG_TYPE
    for token in (pair["access"], pair["refresh"]):
        assert (await gql(client, VERIFY, {"t": token}))["data"] == {"verifyToken": True}
    body = await gql(client, VERIFY, {"t": "garbage"})
    assert first_error(body)["message"] == INVALID_OR_EXPIRED

    assert (await gql(client, LOGOUT, {"r": pair["refresh"]}))["data"] == {"logout": True}
    assert (await gql(client, LOGOUT, {"r": pair["refresh"]}))["data"] == {"logout": True}
    body = await gql(client, REFRESH, {"r": pair["refresh"]})
    assert first_error(body)["message"] == BLACKLISTED
    body = await gql(client, VERIFY, {"t": pair["refresh"]})
    assert first_error(body)["message"] == BLACKLISTED
    body = await gql(client, LOGOUT, {"r": pair["access"]})
    assert first_error(body)["message"] == WRONG_TYPE


async def test_rotation_blacklists_the_old_refresh_token_exactly_once(
    client: httpx.AsyncClient, services: Services
) -> None:
    services.settings.rotate_refresh_tokens = True
    await make_user(services, "rita")
    pair = await login(client, "rita")
    bodies = await asyncio.gather(*(gql(client, REFRESH, {"r": pair["refresh"]}) for _ in range(5)))
    ok = [body for body in bodies if "errors" not in body]
    assert len(ok) == 1, bodies
    rotated = ok[0]["data"]["refreshToken"]["refresh"]
    assert rotated and rotated != pair["refresh"]
    for body in bodies:
        if "errors" in body:
            assert first_error(body)["message"] == BLACKLISTED
    body = await gql(client, REFRESH, {"r": rotated})
    assert body["data"]["refreshToken"]["refresh"]


async def test_refused_tokens(client: httpx.AsyncClient, services: Services) -> None:
    user = await make_user(services, "gone")
    other = await make_user(services, "later")
    assert user.id and other.id
    pair = await login(client, "gone")
    old = datetime.now(UTC) - timedelta(days=2)
    expired_refresh = jwt.encode(services.settings, "refresh", user.id, now=old)
    assert first_error(await gql(client, REFRESH, {"r": expired_refresh}))["message"] == (
        INVALID_OR_EXPIRED
    )
    foreign = simplejwt_token(
        user.id, token_type="refresh", key="another-secret-key-0123456789abcdef"
    )
    assert error_codes(await gql(client, REFRESH, {"r": foreign})) == ["UNAUTHENTICATED"]
    none_alg = pyjwt.encode(
        {"token_type": "access", "exp": 2**40, "jti": "x", "user_id": user.id},
        None,  # type: ignore[arg-type]
        algorithm="none",
    )
    assert error_codes(await gql(client, ME, token=none_alg)) == ["UNAUTHENTICATED"]

    # Deactivated, then deleted: refresh refused, access refused.
    later_pair = await login(client, "later")
    async with session_scope(services.sessions) as session:
        row = await session.get(User, other.id)
        assert row is not None
        row.is_active = False
        await session.exec(delete(User).where(User.id == user.id))  # type: ignore[arg-type]
    for refresh in (pair["refresh"], later_pair["refresh"]):
        body = await gql(client, REFRESH, {"r": refresh})
        assert first_error(body)["message"] == render("no_active_account_for_token")
    for access in (pair["access"], later_pair["access"]):
        assert error_codes(await gql(client, ME, token=access)) == ["UNAUTHENTICATED"]


@pytest.mark.parametrize("scheme", ["JWT", "Bearer"])
async def test_simplejwt_minted_token_is_accepted(
    client: httpx.AsyncClient, services: Services, scheme: str
) -> None:
    user = await make_user(services, "legacy")
    assert user.id is not None
    body = await gql(client, ME, token=simplejwt_token(user.id, token_type="access"), scheme=scheme)
    assert body["data"]["me"] == {"id": user.id, "username": "legacy"}
    body = await gql(
        client, REFRESH, {"r": simplejwt_token(user.id, token_type="refresh", ttl=86400)}
    )
    assert body["data"]["refreshToken"]["access"]
    body = await gql(
        client, ME, token=simplejwt_token(user.id, token_type="refresh"), scheme=scheme
    )
    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_prune_blacklist(services: Services) -> None:
    settings = services.settings
    now = datetime.now(UTC)
    async with session_scope(services.sessions) as session:
        session.add(BlacklistedToken(jti="old", user_id=1, expires_at=now - timedelta(minutes=1)))
        session.add(BlacklistedToken(jti="new", user_id=1, expires_at=now + timedelta(hours=1)))
    async with unit_of_work(services) as uow:
        assert await tokens.prune_blacklist(uow) == 1
    async with services.sessions() as session:
        left = (await session.exec(select(BlacklistedToken.jti))).all()
    assert list(left) == ["new"]
    assert settings.refresh_token_lifetime == 86400


async def test_unknown_usernames_cost_a_bcrypt_check(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    rounds = 8
    services.settings = services.settings.model_copy(update={"bcrypt_rounds": rounds})
    await make_user(services, "known")
    checked: list[str] = []
    real_check = passwords.check_password_sync

    def spy(password: str, hashed: str) -> bool:
        checked.append(hashed[:7])
        return real_check(password, hashed)

    monkeypatch.setattr(passwords, "check_password_sync", spy)
    credentials = accounts.Credentials.parse(username="nobody-at-all", password="x")
    with pytest.raises(AuthenticationFailed):
        async with unit_of_work(services, client_address="192.0.2.1") as uow:
            await accounts.log_in(uow, credentials)
    assert checked == [f"$2b${rounds:02d}$"]  # one real bcrypt check at the configured cost
