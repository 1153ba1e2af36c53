"""The ``Authorization`` header on every endpoint: simplejwt's bodies, ``WWW-Authenticate``."""

from __future__ import annotations

import time

import httpx
import jwt as pyjwt
import pytest

from tests.compat.conftest import World
from tests.support.tokens import simplejwt_token

INVALID = (
    b'{"detail":"Given token not valid for any token type","code":"token_not_valid",'
    b'"messages":[{"token_class":"AccessToken","token_type":"access",'
    b'"message":"Token is invalid or expired"}]}'
)
WRONG_TYPE = INVALID.replace(b"Token is invalid or expired", b"Token has wrong type")
BAD_HEADER = (
    b'{"detail":"Authorization header must contain two space-delimited values",'
    b'"code":"bad_authorization_header"}'
)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("JWT abc.def.ghi", INVALID),
        ("JWT nonsense", INVALID),
        ("JWT", BAD_HEADER),
        ("JWT a b", BAD_HEADER),
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/disticts/", "/api/v1/profile/?id=2"])
async def test_bad_credentials_are_401_everywhere(
    client: httpx.AsyncClient, world: World, header: str, expected: bytes, path: str
) -> None:
    response = await client.get(path, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'JWT realm="api"'
    assert response.content == expected


async def test_token_kinds(client: httpx.AsyncClient, world: World) -> None:
    async def get(token: str) -> httpx.Response:
        return await client.get("/api/v1/disticts/", headers={"Authorization": f"JWT {token}"})

    assert (await get(world.refresh(world.alice))).content == WRONG_TYPE
    assert (await get(simplejwt_token(2, ttl=-10))).content == INVALID
    assert (
        await get(simplejwt_token(2, key="another-secret-that-is-long-enough-for-hs256-0123456789"))
    ).content == INVALID
    none_alg = pyjwt.encode(
        {"token_type": "access", "exp": int(time.time()) + 60, "jti": "x", "user_id": 2},
        "",
        algorithm="none",
    )
    assert (await get(none_alg)).content == INVALID
    assert (await get(simplejwt_token(2))).status_code == 200


@pytest.mark.parametrize(
    "header",
    ["Bearer {token}", "jwt {token}", "", "   ", "JWT  {token}", "Basic YWRtaW46eA=="],
)
async def test_other_keywords_are_anonymous(
    client: httpx.AsyncClient, world: World, header: str
) -> None:
    value = header.format(token=world.access(world.alice))
    public = await client.get("/api/v1/disticts/", headers={"Authorization": value})
    assert public.status_code == 200
    protected = await client.get("/api/v1/profile/?id=2", headers={"Authorization": value})
    if value.startswith("JWT "):
        assert protected.status_code == 200  # "JWT  token" still splits into two parts
    else:
        assert protected.status_code == 401
        assert protected.content == b'{"detail":"Authentication credentials were not provided."}'


async def test_authentication_runs_before_method_and_query(
    client: httpx.AsyncClient, world: World
) -> None:
    bad = {"Authorization": "JWT abc.def.ghi"}
    assert (await client.delete("/api/v1/disticts/", headers=bad)).content == INVALID
    assert (await client.options("/api/v1/disticts/", headers=bad)).content == INVALID
    assert (await client.get("/api/v1/places/", headers=bad)).status_code == 401
    assert (await client.post("/auth/users/activation/", json={}, headers=bad)).status_code == 401
    # The token views do not authenticate at all.
    login = await client.post(
        "/auth/jwt/create/",
        json={"username": "alice", "password": "Wonderland#2024"},
        headers=bad,
    )
    assert login.status_code == 200
