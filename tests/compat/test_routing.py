"""Paths, trailing slashes, 404 pages, methods, ``Allow``, ``OPTIONS`` and content negotiation."""

from __future__ import annotations

import httpx
import pytest

from compat import metadata
from compat.errors import NOT_FOUND_PAGE
from tests.compat.conftest import World

pytestmark = pytest.mark.usefixtures("world")


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/api/v1/disticts", "/api/v1/disticts/"),
        ("/api/v1/places?district_id=1&x=%D0%96", "/api/v1/places/?district_id=1&x=%D0%96"),
        ("/api/v1/district_create", "/api/v1/district_create/"),
        ("/api/v1/profile", "/api/v1/profile/"),
        ("/auth/users", "/auth/users/"),
        ("/auth/users/me", "/auth/users/me/"),
        ("/auth/users/activation", "/auth/users/activation/"),
        ("/auth/users/2", "/auth/users/2/"),
    ],
)
async def test_missing_slash_is_a_relative_301(
    client: httpx.AsyncClient, method: str, path: str, location: str
) -> None:
    response = await client.request(method, path, headers={"Host": "example.com:8080"})
    assert response.status_code == 301
    assert response.headers["location"] == location
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.content == b""


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/districts/",
        "/api/v1/districts",
        "/nope/",
        "/api/v1/",
        "/api/v1//disticts/",
        "/API/V1/DISTICTS/",
        "/%D0%96/",
        "/auth/users/a.b/",
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST", "OPTIONS"])
async def test_unknown_paths_get_djangos_404_page(
    client: httpx.AsyncClient, path: str, method: str
) -> None:
    response = await client.request(method, path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.content == NOT_FOUND_PAGE
    assert len(response.content) == 179


async def test_missing_media_file_is_the_same_404_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/media/districts/none.png")
    assert response.status_code == 404
    assert response.content == NOT_FOUND_PAGE


async def test_other_faces_keep_their_own_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).status_code == 200
    response = await client.get("/graphql/nope")
    assert response.content != NOT_FOUND_PAGE


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/api/v1/disticts/", "GET, HEAD, OPTIONS"),
        ("/api/v1/places/?district_id=1", "GET, HEAD, OPTIONS"),
    ],
)
@pytest.mark.parametrize("method", ["POST", "PATCH", "FOO"])
async def test_wrong_method_is_405_with_allow(
    client: httpx.AsyncClient, path: str, allow: str, method: str
) -> None:
    response = await client.request(method, path, json={})
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.headers["content-type"] == "application/json"
    assert response.content == f'{{"detail":"Method \\"{method}\\" not allowed."}}'.encode()


@pytest.mark.parametrize("path", ["/auth/jwt/create/", "/auth/jwt/refresh/", "/auth/jwt/verify/"])
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_token_endpoints_are_post_only(
    client: httpx.AsyncClient, path: str, method: str
) -> None:
    response = await client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST, OPTIONS"
    assert response.content == f'{{"detail":"Method \\"{method}\\" not allowed."}}'.encode()


async def test_head_keeps_length_and_drops_body(client: httpx.AsyncClient) -> None:
    get = await client.get("/api/v1/disticts/")
    head = await client.head("/api/v1/disticts/")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(get.content))
    assert head.headers["allow"] == "GET, HEAD, OPTIONS"
    missing = await client.head("/api/v1/places/")
    assert missing.status_code == 400
    assert missing.content == b""


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/disticts/", metadata.DISTRICT_LIST),
        ("/api/v1/places/", metadata.PLACE_LIST),
        ("/auth/jwt/create/", metadata.TOKEN_OBTAIN_PAIR),
        ("/auth/jwt/refresh/", metadata.TOKEN_REFRESH),
        ("/auth/jwt/verify/", metadata.TOKEN_VERIFY),
    ],
)
async def test_options_metadata_for_anyone(
    client: httpx.AsyncClient, path: str, body: bytes
) -> None:
    response = await client.options(path)
    assert response.status_code == 200
    assert response.content == body


async def test_options_metadata_exact_bytes(client: httpx.AsyncClient, world: World) -> None:
    response = await client.options("/api/v1/disticts/")
    assert response.content == (
        b'{"name":"District List","description":"","renders":["application/json","text/html"],'
        b'"parses":["application/json","application/x-www-form-urlencoded",'
        b'"multipart/form-data"]}'
    )
    staff = await client.options("/api/v1/district_create/", headers=world.auth(world.admin))
    assert staff.status_code == 200
    assert staff.headers["allow"] == "POST, OPTIONS"
    assert staff.content == (
        b'{"name":"District Create","description":"","renders":["application/json","text/html"],'
        b'"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"],'
        b'"actions":{"POST":{"id":{"type":"integer","required":false,"read_only":true,'
        b'"label":"ID"},"title":{"type":"string","required":true,"read_only":false,'
        b'"label":"Title","max_length":100},"abbreviation":{"type":"string","required":false,'
        b'"read_only":false,"label":"Abbreviation","max_length":10},"image":{"type":"image upload",'
        b'"required":false,"read_only":false,"label":"Image","max_length":100}}}}'
    )
    users = await client.options("/auth/users/")
    assert users.status_code == 401
    own = await client.options("/api/v1/profile/?id=2", headers=world.auth(world.alice))
    assert own.content == metadata.PROFILE
    other = await client.options("/api/v1/profile/", headers=world.auth(world.alice))
    assert other.status_code == 403


async def test_djoser_jwt_patterns_are_unanchored(client: httpx.AsyncClient) -> None:
    credentials = {"username": "alice", "password": "Wonderland#2024"}
    assert (await client.post("/auth/jwt/create", json=credentials)).status_code == 200
    wrong = await client.post("/auth/jwt/create/anything", json={**credentials, "password": "x"})
    assert wrong.status_code == 401
    assert wrong.content == b'{"detail":"No active account found with the given credentials"}'
    other = await client.get("/auth/jwt/createXYZ")
    assert other.status_code == 405
    assert other.content == b'{"detail":"Method \\"GET\\" not allowed."}'


async def test_content_negotiation(client: httpx.AsyncClient) -> None:
    xml = await client.get("/api/v1/disticts/", headers={"Accept": "application/xml"})
    assert xml.status_code == 406
    assert xml.content == b'{"detail":"Could not satisfy the request Accept header."}'
    fmt = await client.get("/api/v1/disticts/?format=xml")
    assert fmt.status_code == 404
    assert fmt.content == b'{"detail":"Not found."}'
    encoded = await client.get("/api/v1/disticts/?%66ormat=xml")  # Django decodes the key too
    assert (encoded.status_code, encoded.content) == (404, fmt.content)
    for _ in range(2):  # a remembered Accept header answers as it did the first time
        again = await client.get("/api/v1/disticts/", headers={"Accept": "application/xml"})
        assert (again.status_code, again.content) == (406, xml.content)
    star = await client.get("/api/v1/places/?district_id=2", headers={"Accept": "*/*"})
    assert star.status_code == 200
    indented = await client.get(
        "/api/v1/places/?district_id=2", headers={"Accept": "application/json; indent=4"}
    )
    assert indented.content.startswith(b'[\n    {\n        "id": 3,\n        "images": [],')


async def test_docs_page_uses_local_assets(client: httpx.AsyncClient) -> None:
    page = await client.get("/api/docs")
    assert page.status_code == 200
    assert b"/api/docs/static/swagger-ui-bundle.js" in page.content
    assert b"https://" not in page.content and b"//cdn" not in page.content
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-standalone-preset.js"):
        assert (await client.get(f"/api/docs/static/{asset}")).status_code == 200
