"""``/auth/jwt/create|refresh|verify/`` and token interchangeability with simplejwt 5.4.0."""

from __future__ import annotations

import re

import httpx
import jwt as pyjwt
import pytest

from tests.compat.conftest import ALICE_PASSWORD, CAROL_PASSWORD, World
from tests.conftest import TEST_SECRET
from tests.support.tokens import simplejwt_token

NO_ACCOUNT = b'{"detail":"No active account found with the given credentials"}'
INVALID = b'{"detail":"Token is invalid or expired","code":"token_not_valid"}'


@pytest.mark.parametrize(
    ("username", "password"),
    [("nobody", "x"), ("alice", "wrong"), ("carol", CAROL_PASSWORD), ("Alice", ALICE_PASSWORD)],
)
async def test_create_refuses(
    client: httpx.AsyncClient, world: World, username: str, password: str
) -> None:
    response = await client.post(
        "/auth/jwt/create/", json={"username": username, "password": password}
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'JWT realm="api"'
    assert response.content == NO_ACCOUNT


async def test_create_refresh_verify(client: httpx.AsyncClient, world: World) -> None:
    created = await client.post(
        "/auth/jwt/create/", data={"username": "alice", "password": ALICE_PASSWORD}
    )
    assert created.status_code == 200
    assert re.fullmatch(rb'\{"refresh":"[\w.-]+","access":"[\w.-]+"\}', created.content)
    pair = created.json()
    refreshed = await client.post("/auth/jwt/refresh/", json={"refresh": pair["refresh"]})
    assert refreshed.status_code == 200
    assert re.fullmatch(rb'\{"access":"[\w.-]+"\}', refreshed.content)
    for token in (pair["access"], pair["refresh"], refreshed.json()["access"]):
        verified = await client.post("/auth/jwt/verify/", json={"token": token})
        assert (verified.status_code, verified.content) == (200, b"{}")
    wrong = await client.post("/auth/jwt/refresh/", json={"refresh": pair["access"]})
    assert wrong.status_code == 401
    assert wrong.content == b'{"detail":"Token has wrong type","code":"token_not_valid"}'


@pytest.mark.parametrize(
    ("path", "payload", "status", "expected"),
    [
        (
            "/auth/jwt/create/",
            {"username": "alice"},
            400,
            b'{"password":["This field is required."]}',
        ),
        (
            "/auth/jwt/create/",
            {},
            400,
            b'{"username":["This field is required."],"password":["This field is required."]}',
        ),
        (
            "/auth/jwt/create/",
            {"username": None, "password": None},
            400,
            b'{"username":["This field may not be null."],'
            b'"password":["This field may not be null."]}',
        ),
        (
            "/auth/jwt/create/",
            {"username": "", "password": ""},
            400,
            b'{"username":["This field may not be blank."],'
            b'"password":["This field may not be blank."]}',
        ),
        (
            "/auth/jwt/create/",
            [],
            400,
            b'{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}',
        ),
        ("/auth/jwt/refresh/", {}, 400, b'{"refresh":["This field is required."]}'),
        (
            "/auth/jwt/refresh/",
            {"refresh": ""},
            400,
            b'{"refresh":["This field may not be blank."]}',
        ),
        (
            "/auth/jwt/refresh/",
            {"refresh": None},
            400,
            b'{"refresh":["This field may not be null."]}',
        ),
        ("/auth/jwt/refresh/", {"refresh": "garbage"}, 401, INVALID),
        ("/auth/jwt/refresh/", {"refresh": 5}, 401, INVALID),
        ("/auth/jwt/verify/", {}, 400, b'{"token":["This field is required."]}'),
        ("/auth/jwt/verify/", {"token": ""}, 400, b'{"token":["This field may not be blank."]}'),
        ("/auth/jwt/verify/", {"token": "garbage"}, 401, INVALID),
    ],
)
async def test_token_endpoint_errors(
    client: httpx.AsyncClient,
    world: World,
    path: str,
    payload: object,
    status: int,
    expected: bytes,
) -> None:
    response = await client.post(path, json=payload)
    assert (response.status_code, response.content) == (status, expected)


async def test_expired_and_foreign_tokens(client: httpx.AsyncClient, world: World) -> None:
    expired = simplejwt_token(2, token_type="refresh", ttl=-5)
    assert (await client.post("/auth/jwt/refresh/", json={"refresh": expired})).content == INVALID
    assert (await client.post("/auth/jwt/verify/", json={"token": expired})).content == INVALID
    inactive = simplejwt_token(3, token_type="refresh")
    response = await client.post("/auth/jwt/refresh/", json={"refresh": inactive})
    assert response.status_code == 401
    assert response.content == b'{"detail":"No active account found for the given token."}'


async def test_a_simplejwt_token_works_here(client: httpx.AsyncClient, world: World) -> None:
    """Minted with pyjwt in simplejwt 5.4.0's layout and the shared secret (no citygraph code)."""
    access = simplejwt_token(world.alice.id)
    response = await client.get("/auth/users/me/", headers={"Authorization": f"JWT {access}"})
    assert response.content == b'{"email":"alice@example.com","id":2,"username":"alice"}'
    refresh = simplejwt_token(world.alice.id, token_type="refresh", ttl=86400)
    refreshed = await client.post("/auth/jwt/refresh/", json={"refresh": refresh})
    assert refreshed.status_code == 200


async def test_our_tokens_follow_simplejwt_rules(client: httpx.AsyncClient, world: World) -> None:
    """What simplejwt 5.4.0 checks: HS256 over the secret, typed claims, uuid4-hex jti."""
    pair = (
        await client.post(
            "/auth/jwt/create/", json={"username": "alice", "password": ALICE_PASSWORD}
        )
    ).json()
    for kind, lifetime in (("access", 300), ("refresh", 86400)):
        token = pair[kind]
        assert pyjwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
        claims = pyjwt.decode(token, TEST_SECRET, algorithms=["HS256"])
        assert list(claims) == ["token_type", "exp", "iat", "jti", "user_id"]
        assert claims["token_type"] == kind
        assert claims["user_id"] == world.alice.id
        assert re.fullmatch(r"[0-9a-f]{32}", claims["jti"])
        assert claims["exp"] - claims["iat"] == lifetime
