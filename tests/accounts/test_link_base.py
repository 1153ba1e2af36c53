"""Where the links in account e-mails point: the public URL, else the address the request was
served at — a trusted one only in production — on every face that sends mail."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import httpx
import pytest

from citygraph.app import create_app
from citygraph.services import Services
from tests.accounts.conftest import PASSWORD
from tests.conftest import make_settings, reset_database
from tests.support.mail import deliver_mail
from tests.support.smtp import Outbox

REGISTER = """
mutation($u: String!, $p: String!, $e: String!) {
  registerAccount(username: $u, password: $p, email: $e) { id }
}
"""
Client = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def client_with(
    database_url: str, tmp_path: Path, smtp_server: tuple[Outbox, int], outbox: Outbox
) -> Client:
    @asynccontextmanager
    async def make(base_url: str, **overrides: object) -> AsyncIterator[httpx.AsyncClient]:
        settings = make_settings(
            database_url,
            tmp_path / "media",
            CITYGRAPH_SMTP_URL=f"smtp://127.0.0.1:{smtp_server[1]}",
            **overrides,
        )
        services = Services.from_settings(settings)
        await reset_database(services)
        transport = httpx.ASGITransport(app=create_app(settings, services=services))
        try:
            async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
                yield client
            await deliver_mail(services)  # what the server's delivery worker would do
        finally:
            await services.aclose()

    return make


async def register(client: httpx.AsyncClient, face: str, **headers: str) -> None:
    if face == "graphql":
        variables = {"u": "mila", "p": PASSWORD, "e": "mila@example.com"}
        response = await client.post(
            "/graphql", json={"query": REGISTER, "variables": variables}, headers=headers
        )
        assert "errors" not in response.json(), response.json()
    else:
        response = await client.post(
            "/auth/users/",
            json={"username": "mila", "password": PASSWORD, "email": "mila@example.com"},
            headers=headers,
        )
        assert response.status_code == 201, response.text


@pytest.mark.parametrize("face", ["graphql", "rest"])
async def test_the_serving_address_in_development(
    client_with: Client, outbox: Outbox, face: str
) -> None:
    async with client_with("http://guide.local:8123") as client:
        await register(client, face)
    [link] = outbox.urls("activate")
    assert link.startswith("http://guide.local:8123/activate/")


@pytest.mark.parametrize("face", ["graphql", "rest"])
async def test_the_public_url_wins(client_with: Client, outbox: Outbox, face: str) -> None:
    async with client_with(
        "http://127.0.0.1:8000", CITYGRAPH_PUBLIC_URL="https://guide.example/"
    ) as client:
        await register(client, face)
    [link] = outbox.urls("activate")
    assert link.startswith("https://guide.example/activate/")


@pytest.mark.parametrize(
    ("env", "expected"), [("development", "evil.example"), ("production", "127.0.0.1:8000")]
)
async def test_production_never_uses_a_host_the_client_chose(
    client_with: Client, outbox: Outbox, env: str, expected: str
) -> None:
    """Any host is allowed (``CITYGRAPH_ALLOWED_HOSTS=*``): in production the link names the
    address the server listens on, not the ``Host`` header a client sent."""
    async with client_with("http://127.0.0.1:8000", CITYGRAPH_ENV=env) as client:
        await register(client, "graphql", Host="evil.example")
    [link] = outbox.urls("activate")
    assert link.startswith(f"http://{expected}/activate/"), link


async def test_production_with_allowed_hosts_uses_the_allowed_host(
    client_with: Client, outbox: Outbox
) -> None:
    async with client_with(
        "http://127.0.0.1:8000",
        CITYGRAPH_ENV="production",
        CITYGRAPH_ALLOWED_HOSTS="guide.example",
    ) as client:
        await register(client, "rest", Host="guide.example")
        refused = await client.post(
            "/graphql", json={"query": "{ me { id } }"}, headers={"Host": "evil.example"}
        )
        assert refused.status_code == 400
    [link] = outbox.urls("activate")
    assert link.startswith("http://guide.example/activate/"), link


async def test_a_frontend_of_ones_own(client_with: Client, outbox: Outbox) -> None:
    async with client_with(
        "http://127.0.0.1:8000",
        CITYGRAPH_FRONTEND_URL="https://app.example",
        CITYGRAPH_ACTIVATION_URL="#/activate/{uid}/{token}",
    ) as client:
        await register(client, "graphql")
    [link] = outbox.urls("activate")
    assert link.startswith("https://app.example/#/activate/")
