"""The protocols' rules and the limits, on a server with small limits: validation (depth) and
the operation type before any stream, at most N subscriptions per WebSocket, and the
graphql-transport-ws close codes for clients that break the protocol."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from citygraph.app import create_app
from tests.conftest import make_settings
from tests.live.clients import SUBPROTOCOL, WSClient, sse_stream, ws_client, ws_url
from tests.live.conftest import DISTRICT_CHANGED, PLACE_CHANGED
from tests.support.server import live_server, serve_app

MAX_SUBSCRIPTIONS = 2
TOO_DEEP = """subscription { placeChanged { node { district {
  places { edges { node { district { id } } } } } } } }"""


@pytest.fixture(scope="module")
def base(sqlite_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = make_settings(
        sqlite_url,
        tmp_path_factory.mktemp("media"),
        CITYGRAPH_GRAPHQL_MAX_DEPTH=4,
        CITYGRAPH_GRAPHQL_MAX_SUBSCRIPTIONS=MAX_SUBSCRIPTIONS,
    )
    with live_server(settings) as url:
        yield url


async def _pong(ws: WSClient) -> None:
    await ws.send({"type": "ping"})
    assert (await ws.receive())["type"] == "pong"


async def test_depth_limit_applies_to_subscriptions(base: str) -> None:
    async with ws_client(base) as ws:
        op = await ws.subscribe(TOO_DEEP)
        error = await ws.receive()
        assert (error["type"], error["id"]) == ("error", op)
        assert "exceeds maximum operation depth" in error["payload"][0]["message"]
        await _pong(ws)  # the connection stays usable
    async with httpx.AsyncClient(base_url=base) as client:
        response = await client.post(
            "/graphql", json={"query": TOO_DEEP}, headers={"Accept": "text/event-stream"}
        )
    assert response.status_code == 400
    assert "exceeds maximum operation depth" in response.json()["errors"][0]["message"]


async def test_only_subscriptions_run_over_the_streaming_transports(base: str) -> None:
    async with ws_client(base) as ws:
        op = await ws.subscribe("{ districts { id } }")
        error = await ws.receive()
        assert (error["type"], error["id"]) == ("error", op)
    async with httpx.AsyncClient(base_url=base) as client:
        response = await client.post(
            "/graphql",
            json={"query": "{ districts { id } }"},
            headers={"Accept": "text/event-stream"},
        )
        assert response.status_code == 400
        assert response.json()["errors"][0]["message"]
        plain = await client.post("/graphql", json={"query": DISTRICT_CHANGED})
        assert plain.status_code == 200 and plain.json()["errors"]  # POST runs no subscription


async def test_subscriptions_per_connection_are_capped(base: str) -> None:
    async with ws_client(base) as ws:
        running = [await ws.subscribe(DISTRICT_CHANGED) for _ in range(MAX_SUBSCRIPTIONS)]
        extra = await ws.subscribe(DISTRICT_CHANGED)
        refused = await ws.receive()
        assert (refused["type"], refused["id"]) == ("error", extra)
        assert refused["payload"][0]["extensions"]["code"] == "TOO_MANY_REQUESTS"
        await ws.send({"type": "complete", "id": running[0]})
        await ws.send(
            {"type": "subscribe", "id": running[0], "payload": {"query": DISTRICT_CHANGED}}
        )  # a completed id may be used again, and there is room again
        await _pong(ws)


async def test_sse_over_get_with_the_query_string(base: str) -> None:
    async with (
        httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(10, read=None)) as client,
        client.stream(
            "GET",
            "/graphql",
            params={"query": DISTRICT_CHANGED},
            headers={"Accept": "text/event-stream"},
        ) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
    async with sse_stream(base, DISTRICT_CHANGED):
        pass  # closing the connection ends the subscription without an error


async def test_closed_connections_leave_no_subscriber_behind(
    sqlite_url: str, tmp_path: Path
) -> None:
    app = create_app(make_settings(sqlite_url, tmp_path / "media"))
    feed = app.state.services.feed
    with serve_app(app) as base:
        async with ws_client(base) as ws, sse_stream(base, DISTRICT_CHANGED):
            await ws.subscribe(DISTRICT_CHANGED)
            await ws.subscribe(PLACE_CHANGED)
            await _pong(ws)
            assert feed.subscriber_count == 3
        for _ in range(100):
            if feed.subscriber_count == 0:
                break
            await asyncio.sleep(0.05)
        assert feed.subscriber_count == 0


@pytest.mark.parametrize(
    ("messages", "code"),
    [
        ([{"type": "subscribe", "id": "1", "payload": {"query": DISTRICT_CHANGED}}], 4401),
        ([{"type": "connection_init"}, {"type": "connection_init"}], 4429),
        ([{"type": "connection_init"}, "not json"], 4400),
        ([{"type": "connection_init"}, {"type": "subscribe", "id": "1"}], 4400),
        ([{"type": "connection_init"}, {"type": "unknown"}], 4400),
        (
            [
                {"type": "connection_init"},
                {"type": "subscribe", "id": "1", "payload": {"query": DISTRICT_CHANGED}},
                {"type": "subscribe", "id": "1", "payload": {"query": DISTRICT_CHANGED}},
            ],
            4409,
        ),
    ],
)
async def test_protocol_violations_close_with_the_protocols_codes(
    base: str, messages: list[Any], code: int
) -> None:
    async with connect(ws_url(base), subprotocols=[SUBPROTOCOL]) as connection:  # type: ignore[list-item]
        for message in messages:
            await connection.send(message if isinstance(message, str) else json.dumps(message))
        assert await _close_code(connection) == code


async def test_another_subprotocol_is_refused(base: str) -> None:
    async with connect(ws_url(base), subprotocols=["graphql-ws"]) as connection:  # type: ignore[list-item]
        assert await _close_code(connection) == 4406


async def _close_code(connection: Any) -> int:
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(connection.recv(), 10)  # connection_ack, then the close
    assert closed.value.rcvd is not None
    return int(closed.value.rcvd.code)


@pytest.fixture(scope="module")
def trusted_base(sqlite_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server that runs only the documents of its manifest (GraphQL Code Generator's format:
    id -> document)."""
    folder = tmp_path_factory.mktemp("trusted")
    manifest = folder / "persisted-documents.json"
    manifest.write_text(json.dumps({TRUSTED_ID: DISTRICT_CHANGED}), encoding="utf-8")
    settings = make_settings(
        sqlite_url, folder / "media", CITYGRAPH_TRUSTED_DOCUMENTS=str(manifest)
    )
    with live_server(settings) as url:
        yield url


TRUSTED_ID = "sha256:" + "ab" * 32


async def test_trusted_documents_mode_holds_for_subscriptions(trusted_base: str) -> None:
    async with ws_client(trusted_base) as ws:
        await ws.send({"type": "subscribe", "id": "text", "payload": {"query": DISTRICT_CHANGED}})
        refused = await ws.receive()
        assert (refused["type"], refused["id"]) == ("error", "text")
        assert refused["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"
        by_id = {"documentId": TRUSTED_ID}
        await ws.send({"type": "subscribe", "id": "trusted", "payload": by_id})
        await _pong(ws)  # no error: the manifest's document runs
    async with httpx.AsyncClient(base_url=trusted_base, timeout=10) as client:
        response = await client.post(
            "/graphql", json={"query": DISTRICT_CHANGED}, headers={"Accept": "text/event-stream"}
        )
        assert response.status_code == 400
        assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"
    async with (
        httpx.AsyncClient(base_url=trusted_base, timeout=httpx.Timeout(10, read=None)) as client,
        client.stream(
            "POST",
            "/graphql",
            json={"documentId": TRUSTED_ID},
            headers={"Accept": "text/event-stream"},
        ) as stream,
    ):
        assert stream.status_code == 200
