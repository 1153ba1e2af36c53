"""The listener comes back after a database outage: the server's connections to PostgreSQL
(the pool's and the listening one) are cut by a proxy; changes made afterwards still reach a
subscriber, without reconnecting the subscriber."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from citygraph.services import Services
from tests.conftest import make_settings, reset_database
from tests.graphql.conftest import make_user
from tests.live.clients import WSClient, ws_client
from tests.live.conftest import PLACE_CHANGED, Writer
from tests.support.server import live_server
from tests.support.tcpproxy import TCPProxy

pytestmark = pytest.mark.postgres


@pytest.fixture
async def proxy(postgres_url: str) -> AsyncIterator[TCPProxy]:
    url = make_url(postgres_url)
    proxy = TCPProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    yield proxy
    await proxy.aclose()


async def _pong(ws: WSClient) -> None:
    await ws.send({"type": "ping"})
    assert (await ws.receive())["type"] == "pong"


async def test_subscribers_hear_changes_again_after_an_outage(
    postgres_url: str, proxy: TCPProxy, tmp_path: Path
) -> None:
    direct = make_settings(postgres_url, tmp_path / "media")
    services = Services.from_settings(direct)
    try:
        await reset_database(services)
        token = await make_user(services, "staff", staff=True)
    finally:
        await services.aclose()
    proxied_url = make_url(postgres_url).set(host="127.0.0.1", port=proxy.port)
    settings = make_settings(proxied_url.render_as_string(hide_password=False), tmp_path / "m")
    with live_server(settings) as base:
        writer = Writer(base, token)
        try:
            district = await asyncio.to_thread(writer.create_district, "До сбоя")
            async with ws_client(base) as ws:
                op = await ws.subscribe(PLACE_CHANGED)
                await _pong(ws)
                place = await asyncio.to_thread(writer.create_place, "До сбоя", district)
                assert (await ws.next_data(op))["placeChanged"]["id"] == place

                assert proxy.cut() >= 2  # at least the listener and one pooled connection
                deadline = time.monotonic() + 20
                for attempt in range(1000):
                    assert time.monotonic() < deadline, "no change arrived after the outage"
                    title = f"После сбоя {attempt}"
                    try:
                        await asyncio.to_thread(writer.update_place, place, title=title)
                    except AssertionError:  # the write met a cut connection: try again
                        await asyncio.sleep(0.2)
                        continue
                    try:
                        data = await ws.next_data(op, within=1.0)
                    except TimeoutError:  # committed while the listener was reconnecting
                        continue
                    assert data["placeChanged"]["node"]["title"].startswith("После сбоя")
                    break
        finally:
            writer.http.close()
