"""Login/registration rate limits: per address, per username, per aliased field, across apps."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from citygraph.app import create_app
from citygraph.config import Settings
from citygraph.ratelimit import RateLimiter
from citygraph.services import Services
from tests.accounts.conftest import LOGIN, error_codes, first_error, gql, make_user
from tests.conftest import IN_CI
from tests.support.redis import redis_url
from tests.support.server import free_port

# .ci/run points this at its own database number; a missing Redis fails in CI, skips elsewhere.
REDIS_URL = redis_url()


def client_for(app: object, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 50000))  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def limited(
    services: Services, login: str = "3/minute", register: str = "2/minute", mail: str = "5/hour"
) -> None:
    services.limiter = RateLimiter(
        services.settings.model_copy(
            update={
                "rate_limit_login": login,
                "rate_limit_register": register,
                "rate_limit_mail": mail,
            }
        )
    )


def test_mail_limit_default() -> None:
    assert Settings(CITYGRAPH_SECRET_KEY="x" * 50).rate_limit_mail == "5/hour"  # type: ignore[call-arg]


async def test_hit_returns_the_wait_instead_of_raising() -> None:
    settings = Settings(CITYGRAPH_SECRET_KEY="x" * 50, CITYGRAPH_RATE_LIMIT_LOGIN="2/minute")  # type: ignore[call-arg]
    limiter = RateLimiter(settings)
    keys: list[tuple[str, str | None]] = [("address", "10.9.0.1"), ("username", "alice")]
    assert await limiter.hit("login", keys) is None
    assert await limiter.hit("login", keys) is None
    wait = await limiter.hit("login", keys)
    assert wait is not None and 0 < wait <= 60
    # A None value skips its key; alice's own budget is spent from any address.
    assert await limiter.hit("login", [("address", None), ("username", "alice")]) is not None
    assert await limiter.hit("login", [("address", "10.9.0.2"), ("username", "bob")]) is None


async def test_unreachable_redis_fails_open(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(  # type: ignore[call-arg]
        CITYGRAPH_SECRET_KEY="x" * 50,
        CITYGRAPH_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
        CITYGRAPH_RATE_LIMIT_LOGIN="1/minute",
    )
    limiter = RateLimiter(settings)
    try:
        for _ in range(3):
            assert await limiter.hit("login", [("username", "alice")]) is None
    finally:
        await limiter.aclose()
    assert "rate-limit storage failed" in caplog.text


async def test_mail_limit_per_address_and_per_email(settings: Settings, services: Services) -> None:
    """resend_activation, reset_password and reset_username share one budget."""
    limited(services, mail="3/minute")
    app = create_app(settings, services=services)
    async with client_for(app, "10.0.0.1") as one, client_for(app, "10.0.0.2") as two:
        for path in ("resend_activation", "reset_password", "reset_username"):
            sent = await one.post(f"/auth/users/{path}/", json={"email": "v@example.com"})
            assert sent.status_code == 204
        refused = await one.post("/auth/users/reset_password/", json={"email": "w@example.com"})
        assert refused.status_code == 429
        wait = int(refused.headers["retry-after"])
        assert 0 < wait <= 60
        assert refused.content == (
            b'{"detail":"Request was throttled. Expected available in %d seconds."}' % wait
        )
        # Another address, the same (case-folded) target: refused too.
        body = await gql(two, 'mutation { requestPasswordReset(email: "V@example.com") }')
        assert error_codes(body) == ["TOO_MANY_REQUESTS"]
        fresh = await two.post("/auth/users/resend_activation/", json={"email": "z@example.com"})
        assert fresh.status_code == 204
        # Invalid addresses are refused before counting.
        invalid = await two.post("/auth/users/reset_username/", json={"email": "bad"})
        assert invalid.status_code == 400


async def test_login_limit_per_address_and_per_username(
    settings: Settings, services: Services
) -> None:
    limited(services)
    await make_user(services, "alice")
    app = create_app(settings, services=services)
    async with client_for(app, "10.0.0.1") as one, client_for(app, "10.0.0.2") as two:
        for name in ("a1", "a2", "a3"):
            assert error_codes(await gql(one, LOGIN, {"u": name, "p": "x"})) == ["UNAUTHENTICATED"]
        body = await gql(one, LOGIN, {"u": "alice", "p": "Xy7!pQz9-long"})
        error = first_error(body)
        assert error["extensions"]["code"] == "TOO_MANY_REQUESTS"
        assert 0 < error["extensions"]["retryAfter"] <= 60
        # Another address may still log in as alice...
        assert "errors" not in await gql(two, LOGIN, {"u": "alice", "p": "Xy7!pQz9-long"})
        # ...until alice's own counter is spent, whatever the address.
        await gql(two, LOGIN, {"u": "alice", "p": "x"})
        await gql(two, LOGIN, {"u": "alice", "p": "x"})
        body = await gql(two, LOGIN, {"u": "alice", "p": "Xy7!pQz9-long"})
        assert error_codes(body) == ["TOO_MANY_REQUESTS"]


async def test_every_aliased_field_counts(settings: Settings, services: Services) -> None:
    limited(services)
    await make_user(services, "alias")
    app = create_app(settings, services=services)
    fields = " ".join(
        f'a{i}: createToken(username: "alias", password: "Xy7!pQz9-long") {{ access }}'
        for i in range(5)
    )
    async with client_for(app, "10.0.0.3") as client:
        body = await gql(client, f"mutation {{ {fields} }}")
        # Mutations run in order: three fields log in, the fourth and fifth are refused (each
        # result is nullable, so one refusal does not void the others), and the limit holds
        # for the next request too.
        assert error_codes(body) == ["TOO_MANY_REQUESTS", "TOO_MANY_REQUESTS"], body
        assert [error["path"] for error in body["errors"]] == [["a3"], ["a4"]]
        assert [bool(body["data"][f"a{i}"]) for i in range(5)] == [True, True, True, False, False]
        body = await gql(client, LOGIN, {"u": "alias", "p": "Xy7!pQz9-long"})
        assert error_codes(body) == ["TOO_MANY_REQUESTS"]


async def test_registration_limit(settings: Settings, services: Services) -> None:
    limited(services)
    app = create_app(settings, services=services)
    query = (
        'mutation($u: String!) { registerAccount(username: $u, password: "Xy7!pQz9-long") { id } }'
    )
    async with client_for(app, "10.0.0.4") as client:
        assert "errors" not in await gql(client, query, {"u": "reg1"})
        assert error_codes(await gql(client, query, {"u": "bad name"})) == ["BAD_USER_INPUT"]
        assert error_codes(await gql(client, query, {"u": "reg3"})) == ["TOO_MANY_REQUESTS"]


@pytest.fixture
async def redis_prefix(settings: Settings) -> AsyncIterator[str]:
    prefix = f"citygraph-test-{uuid.uuid4().hex[:8]}"
    limiter = RateLimiter(settings.model_copy(update={"redis_url": REDIS_URL}), key_prefix=prefix)
    if not await limiter.storage.check():
        message = f"Redis is not reachable at {REDIS_URL}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    yield prefix
    await limiter.reset()  # deletes this prefix's keys only
    await limiter.aclose()


async def test_two_app_instances_share_the_limit_through_redis(
    settings: Settings, services: Services, redis_prefix: str
) -> None:
    shared = settings.model_copy(update={"redis_url": REDIS_URL, "rate_limit_login": "3/minute"})
    second = Services.from_settings(shared)
    try:
        for instance in (services, second):
            instance.limiter = RateLimiter(shared, key_prefix=redis_prefix)
        app_one = create_app(shared, services=services)
        app_two = create_app(shared, services=second)
        async with client_for(app_one, "10.0.0.5") as one, client_for(app_two, "10.0.0.5") as two:
            assert error_codes(await gql(one, LOGIN, {"u": "x", "p": "y"})) == ["UNAUTHENTICATED"]
            assert error_codes(await gql(two, LOGIN, {"u": "x", "p": "y"})) == ["UNAUTHENTICATED"]
            assert error_codes(await gql(one, LOGIN, {"u": "z", "p": "y"})) == ["UNAUTHENTICATED"]
            assert error_codes(await gql(two, LOGIN, {"u": "w", "p": "y"})) == ["TOO_MANY_REQUESTS"]
            assert error_codes(await gql(one, LOGIN, {"u": "v", "p": "y"})) == ["TOO_MANY_REQUESTS"]
    finally:
        await second.aclose()
