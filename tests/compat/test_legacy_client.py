"""A legacy client of the original service, written with nothing but ``urllib``, against uvicorn.

It registers, is activated by staff (the original had no REST endpoint for that: staff used the
Django admin; here the domain's ``set_active_by_id``), logs in with ``JWT``, reads districts and
places, reads its own profile and is refused someone else's. Every response is compared byte for
byte with what the original answers.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from email.message import Message
from typing import Any

import pytest

from citygraph.config import Settings
from citygraph.domain import accounts
from citygraph.domain.parsers import Id
from citygraph.domain.unit import unit_of_work
from citygraph.models import User
from citygraph.services import Services
from tests.compat.conftest import World
from tests.compat.test_places import districts_body, places_body
from tests.support.server import live_server


class LegacyClient:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.token: str | None = None

    def request(
        self, method: str, path: str, payload: dict[str, Any] | None = None
    ) -> tuple[int, Message, bytes]:
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(  # noqa: S310 - http:// to the test server
            self.base_url + path, data=data, method=method
        )
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"JWT {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()


def _activate(settings: Settings, staff: User, user_id: int) -> None:
    """Staff switch the account on (own engine: this runs outside the test's event loop)."""

    async def run() -> None:
        services = Services.from_settings(settings)
        try:
            async with unit_of_work(services, actor=staff) as uow:
                await accounts.set_active(uow, Id(user_id), True)
        finally:
            await services.aclose()

    asyncio.run(run())


@pytest.mark.usefixtures("world")
def test_legacy_urllib_client(settings: Settings, world: World) -> None:
    with live_server(settings) as base_url:
        client = LegacyClient(base_url)

        status, _, body = client.request(
            "POST", "/auth/users/", {"username": "legacy", "password": "Xy7!pQz9-long"}
        )
        assert (status, body) == (201, b'{"email":"","username":"legacy","id":4}')

        status, headers, body = client.request(
            "POST", "/auth/jwt/create/", {"username": "legacy", "password": "Xy7!pQz9-long"}
        )
        assert (status, body) == (
            401,
            b'{"detail":"No active account found with the given credentials"}',
        )
        assert headers["WWW-Authenticate"] == 'JWT realm="api"'

        _activate(settings, world.admin, 4)

        status, _, body = client.request(
            "POST", "/auth/jwt/create/", {"username": "legacy", "password": "Xy7!pQz9-long"}
        )
        assert status == 200
        tokens = json.loads(body)
        assert list(tokens) == ["refresh", "access"]
        client.token = tokens["access"]

        status, headers, body = client.request("GET", "/api/v1/disticts/")
        assert (status, body) == (200, districts_body(world, base_url))
        assert headers["Content-Type"] == "application/json"
        assert headers["Allow"] == "GET, HEAD, OPTIONS"

        status, _, body = client.request("GET", "/api/v1/disticts")  # urllib follows the 301
        assert (status, body) == (200, districts_body(world, base_url))

        status, _, body = client.request("GET", "/api/v1/places/?district_id=1")
        assert (status, body) == (200, places_body(world, base_url))

        status, _, body = client.request("GET", "/api/v1/profile/?id=4")
        assert (status, body) == (200, b'[{"id":4,"username":"legacy"}]')

        status, _, body = client.request("GET", "/auth/users/me/")
        assert (status, body) == (200, b'{"email":"","id":4,"username":"legacy"}')

        status, _, body = client.request("GET", "/api/v1/profile/?id=1")
        assert (status, body) == (
            403,
            b'{"detail":"You do not have permission to perform this action."}',
        )

        client.token = None
        status, headers, body = client.request("GET", "/api/v1/profile/?id=4")
        assert (status, body) == (
            401,
            b'{"detail":"Authentication credentials were not provided."}',
        )
        assert headers["WWW-Authenticate"] == 'JWT realm="api"'
