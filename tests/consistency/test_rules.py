"""One rule, one decision on every face: login limits, id bounds, body size, encoding, text.

Each test sends the same input through REST, GraphQL and (where it takes that input) the admin,
on SQLite and PostgreSQL. The seven defects of the "one rule, one place" issue are here:
1. the login limit bypassed with spaces around the username (``test_login_limit_*``);
2. ids beyond 32 bits answering 500 on PostgreSQL (``test_ids_*``);
3. staff locking out a superuser through GraphQL (``test_staff_cannot_deactivate_a_superuser``,
   and every row of ``test_policy``);
4. no REST body limit (``test_body_limit``);
5. invalid UTF-8 in a GraphQL JSON body answering a plain-text 500 (``test_undecodable_json``);
6. lone surrogates reaching the database, PyJWT and Redis (``test_lone_surrogates_*``);
7. the username limit checked before NFKC normalisation (``test_username_length_after_nfkc``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from citygraph.app import create_app
from citygraph.config import Settings
from citygraph.ratelimit import RateLimiter
from citygraph.services import Services
from tests.conftest import IN_CI
from tests.consistency.conftest import (
    PASSWORD,
    SAME_ORIGIN,
    Decision,
    Faces,
    graphql_decision,
    make_account,
    rest_decision,
)
from tests.support.redis import redis_url

REDIS_URL = redis_url()
LOGIN = "mutation($u: String!, $p: String!) { createToken(username: $u, password: $p) { access } }"
FACES = ("rest", "graphql", "admin")


def client_for(app: object, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 50000))  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def log_in(face: str, client: httpx.AsyncClient, username: str, password: str) -> Decision:
    """One login attempt through ``face``, as its decision."""
    if face == "rest":
        body = json.dumps({"username": username, "password": password})
        response = await client.post(
            "/auth/jwt/create/", content=body, headers={"Content-Type": "application/json"}
        )
        return rest_decision(response)
    if face == "graphql":
        body = json.dumps({"query": LOGIN, "variables": {"u": username, "p": password}})
        response = await client.post(
            "/graphql", content=body, headers={"Content-Type": "application/json"}
        )
        return graphql_decision(response, "createToken")
    response = await client.post(
        "/admin/login",
        data={"username": username, "password": password},
        headers=SAME_ORIGIN,
    )
    return {
        302: Decision.ALLOWED,
        400: Decision.UNAUTHENTICATED,
        429: Decision.THROTTLED,
    }[response.status_code]


# --- 1. the login limit, whatever the face and the spelling ------------------------------------


@pytest.mark.parametrize("spent_on", FACES)
async def test_login_limit_holds_across_faces_and_spellings(
    settings: Settings, services: Services, spent_on: str
) -> None:
    await make_account(services, "alice", staff=True)  # staff: the admin would let her in
    services.limiter = RateLimiter(settings.model_copy(update={"rate_limit_login": "3/minute"}))
    app = create_app(settings, services=services)
    for attempt in range(3):  # wrong passwords from three addresses: alice's budget is spent
        async with client_for(app, f"10.1.0.{attempt}") as client:
            assert await log_in(spent_on, client, "alice", "wrong") == Decision.UNAUTHENTICATED
    spellings = ["alice", " alice", "alice ", "  alice", "ALICE", "ａｌｉｃｅ"]
    for number, (face, spelling) in enumerate(
        (face, spelling) for face in FACES for spelling in spellings
    ):
        async with client_for(app, f"10.2.{number}.1") as client:
            decision = await log_in(face, client, spelling, PASSWORD)
        assert decision == Decision.THROTTLED, (face, spelling)


async def test_login_spellings_share_one_budget(settings: Settings, services: Services) -> None:
    """Spent with spaces around the name on each face in turn, the budget is alice's."""
    await make_account(services, "alice", staff=True)
    services.limiter = RateLimiter(settings.model_copy(update={"rate_limit_login": "3/minute"}))
    app = create_app(settings, services=services)
    for number, (face, spelling) in enumerate(
        zip(FACES, [" alice", "alice ", "  alice"], strict=False)
    ):
        async with client_for(app, f"10.3.{number}.1") as client:
            assert await log_in(face, client, spelling, "wrong") == Decision.UNAUTHENTICATED
    async with client_for(app, "10.3.9.1") as client:
        assert await log_in("rest", client, "alice", PASSWORD) == Decision.THROTTLED


# --- 2. ids: one bound, no 500 on either database -----------------------------------------------

BEYOND = 3_000_000_000  # beyond PostgreSQL's INTEGER
LAST = 2_147_483_647  # the largest id a row can have (and none has here)


async def test_ids_beyond_the_columns_name_nothing(faces: Faces, services: Services) -> None:
    staff = await make_account(services, "boss", staff=True, superuser=True)
    for user_id in (LAST, BEYOND, 2**63, 10**30):
        response = await faces.rest("GET", f"/auth/users/{user_id}/", actor=staff)
        assert response.status_code == 404
        assert response.content == b'{"detail":"No User matches the given query."}'
        for path in (f"/api/v1/profile/?id={user_id}", f"/api/v1/places/?district_id={user_id}"):
            response = await faces.rest("GET", path, actor=staff)
            assert (response.status_code, response.content) == (200, b"[]")
    for field in ("user", "activateUser", "deactivateUser"):
        operation = "query" if field == "user" else "mutation"
        document = f"{operation}($id: Int!) {{ {field}(id: $id) {{ id }} }}"
        response = await faces.graphql(document, {"id": LAST}, actor=staff)
        assert graphql_decision(response, field) == Decision.NOT_FOUND
        beyond = await faces.graphql(document, {"id": BEYOND}, actor=staff)
        assert beyond.status_code == 200
        assert "32-bit" in beyond.json()["errors"][0]["message"]  # GraphQL's Int says no
    for field in ("district", "place"):
        response = await faces.graphql(f"{{ {field}(id: {LAST}) {{ id }} }}")
        assert response.json() == {"data": {field: None}}
    async with faces.admin_client(staff) as browser:
        assert (await browser.get(f"/admin/user/details/{BEYOND}")).status_code == 404
        action = await browser.get(
            f"/admin/user/action/activate?pks={BEYOND}",
            headers={"Referer": "http://testserver/admin/user/list"},
        )
        assert action.status_code == 302
        assert "No User matches" in (await browser.get("/admin/user/list")).text


async def test_ids_in_forged_cursors_end_every_list(faces: Faces) -> None:
    import base64

    forged = base64.urlsafe_b64encode(b"place:999999999999").decode()
    for document in (
        "query($a: String) { places(after: $a) { edges { cursor } pageInfo { hasNextPage } } }",
        "query($a: String) { districts { places(after: $a) { edges { cursor } } } }",
    ):
        response = await faces.graphql(document, {"a": forged})
        assert response.status_code == 200
        assert "errors" not in response.json()


async def test_ids_in_tokens_and_links_name_nobody(faces: Faces, services: Services) -> None:
    from citygraph.domain import account_tokens
    from citygraph.security import jwt

    token = jwt.encode(services.settings, "access", BEYOND)
    response = await faces.client.get("/auth/users/me/", headers={"Authorization": f"JWT {token}"})
    assert response.status_code == 401
    graphql = await faces.graphql("{ me { id } }", headers={"Authorization": f"JWT {token}"})
    assert graphql.status_code == 401
    uid = account_tokens.encode_uid(BEYOND)
    activation = await faces.rest("POST", "/auth/users/activation/", {"uid": uid, "token": "x-y"})
    assert activation.content == b'{"uid":["Invalid user id or user doesn\'t exist."]}'


# --- 3. staff cannot lock a superuser out, on any face -------------------------------------------


async def test_staff_cannot_deactivate_a_superuser(faces: Faces, services: Services) -> None:
    helper = await make_account(services, "helper", staff=True)
    boss = await make_account(services, "boss", staff=True, superuser=True)
    document = "mutation($id: Int!) { deactivateUser(id: $id) { id } }"
    response = await faces.graphql(document, {"id": boss.id}, actor=helper)
    assert graphql_decision(response, "deactivateUser") == Decision.DENIED
    patch = await faces.rest(
        "PATCH", f"/auth/users/{boss.id}/", {"email": "x@example.com"}, actor=helper
    )
    assert rest_decision(patch) == Decision.DENIED
    login = await faces.rest(
        "POST", "/auth/jwt/create/", {"username": "boss", "password": PASSWORD}
    )
    assert login.status_code == 200


# --- 4. one body limit in front of every face ----------------------------------------------------

FACE_PATHS = {
    "rest": "/auth/jwt/create/",
    "graphql": "/graphql",
    "admin": "/admin/login",
}


def assert_face_format(face: str, response: httpx.Response) -> None:
    assert response.headers["x-request-id"]
    if face == "rest":
        assert response.headers["content-type"] == "application/json"
        assert set(response.json()) == {"detail"}
    elif face == "graphql":
        assert response.headers["content-type"].startswith("application/json")
        assert response.json()["errors"][0]["message"]
    else:
        assert response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("face", FACES)
@pytest.mark.parametrize("chunked", [False, True])
async def test_body_limit(faces: Faces, settings: Settings, face: str, chunked: bool) -> None:
    body = b'{"username": "' + b"a" * settings.max_body_bytes + b'", "password": "x"}'
    content_type = "application/json"
    if face == "admin":
        body = b"username=" + b"a" * settings.max_body_bytes + b"&password=x"
        content_type = "application/x-www-form-urlencoded"

    async def stream() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 65536):
            yield body[start : start + 65536]

    headers = {"Content-Type": content_type, **SAME_ORIGIN}
    response = await faces.client.post(
        FACE_PATHS[face], content=stream() if chunked else body, headers=headers
    )
    assert response.status_code == 413
    assert_face_format(face, response)


async def test_body_limit_multipart_counts_the_file(faces: Faces, services: Services) -> None:
    staff = await make_account(services, "boss", staff=True, superuser=True)
    limit = services.settings.max_body_bytes + services.settings.max_upload_bytes
    huge = b"\x89PNG" + b"\0" * limit
    response = await faces.client.post(
        "/api/v1/district_create/",
        data={"title": "Huge"},
        files={"image": ("huge.png", huge, "image/png")},
        headers=faces.token(staff),
    )
    assert response.status_code == 413
    assert_face_format("rest", response)


# --- 5. body decoding -------------------------------------------------------------------------


@pytest.mark.parametrize("face", FACES)
@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b'{"query": "{ __typename \xff\xfe }"}'),
        ("application/json; charset=utf-8", b'{"username": "\xc3", "password": "x"}'),
        ("application/json; charset=no-such-charset", b'{"username": "a", "password": "x"}'),
        # ASCII, yet not UTF-16 (an odd length): only UTF-8 skips decoding an ASCII body.
        ("application/json; charset=utf-16", b'{"username": "a"}'),
    ],
)
async def test_undecodable_json(faces: Faces, face: str, content_type: str, body: bytes) -> None:
    headers = {"Content-Type": content_type, **SAME_ORIGIN}
    response = await faces.client.post(FACE_PATHS[face], content=body, headers=headers)
    assert response.status_code == 400
    assert_face_format(face, response)


async def test_undecodable_json_in_production(
    faces: Faces, database_url: str, tmp_path: object
) -> None:
    from pathlib import Path

    from tests.conftest import make_settings

    settings = make_settings(
        database_url, Path(str(tmp_path)) / "media", CITYGRAPH_ENV="production"
    )
    shared = faces.services.sharing_connections(settings)
    app = create_app(settings, services=shared)
    async with client_for(app, "127.0.0.1") as client:
        response = await client.post(
            "/graphql",
            content=b'{"query": "{ __typename \xff\xfe }"}',
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 400
    assert_face_format("graphql", response)


# --- 6. lone surrogates never reach the database, PyJWT or Redis --------------------------------


@pytest.fixture
async def redis_limiter(settings: Settings, services: Services) -> AsyncIterator[None]:
    """The services' rate limiter on a real Redis (under a prefix of this test's own)."""
    shared = settings.model_copy(update={"redis_url": REDIS_URL})
    limiter = RateLimiter(shared, key_prefix=f"citygraph-test-{uuid.uuid4().hex[:8]}")
    if not await limiter.storage.check():
        if IN_CI:
            pytest.fail(f"Redis is not reachable at {REDIS_URL}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    services.limiter = limiter
    yield
    await limiter.reset()
    await limiter.aclose()


@pytest.mark.usefixtures("redis_limiter")
async def test_lone_surrogates_in_accounts(faces: Faces) -> None:
    lone = "\ud800"
    register = await faces.rest("POST", "/auth/users/", {"username": lone, "password": "x" * 12})
    assert register.status_code == 400
    assert b"Surrogate characters are not allowed: U+D800." in register.content
    login = await faces.rest("POST", "/auth/jwt/create/", {"username": lone, "password": "x"})
    assert login.status_code == 400
    for document, field in [
        (
            "mutation($s: String!) { registerAccount(username: $s, password: $s) { id } }",
            "registerAccount",
        ),
        (
            "mutation($s: String!) { createToken(username: $s, password: $s) { access } }",
            "createToken",
        ),
    ]:
        response = await faces.graphql(document, {"s": lone})
        assert graphql_decision(response, field) == Decision.INVALID


async def test_lone_surrogates_in_searches_and_tokens(faces: Faces) -> None:
    """JSON may carry an escaped lone surrogate (both faces read it, as DRF does); the search
    parser refuses it, and a token holding one is no token (PyJWT never sees it)."""
    lone = "\ud800"
    search = await faces.graphql(
        "query($s: String) { places(search: $s) { totalCount } }", {"s": lone}
    )
    assert graphql_decision(search, "places") == Decision.INVALID
    for field, argument in [
        ("verifyToken", "token"),
        ("refreshToken", "refresh"),
        ("logout", "refresh"),
    ]:
        selection = " { access }" if field == "refreshToken" else ""
        document = f"mutation($t: String!) {{ {field}({argument}: $t){selection} }}"
        response = await faces.graphql(document, {"t": lone})
        assert graphql_decision(response, field) == Decision.UNAUTHENTICATED
    for path, name in [("/auth/jwt/verify/", "token"), ("/auth/jwt/refresh/", "refresh")]:
        response = await faces.rest("POST", path, {name: lone})
        assert response.status_code == 400
        assert b"Surrogate characters are not allowed" in response.content


# --- 7. the username limit counts the stored (NFKC) name -------------------------------------


async def test_username_length_after_nfkc(faces: Faces) -> None:
    name = "\ufb00" * 76  # 76 characters typed, 152 once NFKC turns each "ﬀ" into "ff"
    rest = await faces.rest("POST", "/auth/users/", {"username": name, "password": "Lo0ng-Enough!"})
    assert rest.status_code == 400
    assert rest.json() == {"username": ["Ensure this field has no more than 150 characters."]}
    document = (
        'mutation($u: String!) { registerAccount(username: $u, password: "Lo0ng-Enough!") { id } }'
    )
    response = await faces.graphql(document, {"u": name})
    assert graphql_decision(response, "registerAccount") == Decision.INVALID
    assert response.json()["errors"][0]["extensions"]["fieldCodes"] == {"username": ["max_length"]}
