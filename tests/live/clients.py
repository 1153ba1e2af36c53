"""Subscription clients for the tests, written against the protocols' documents, not our code:
graphql-transport-ws over ``websockets`` and graphql-sse (distinct connections) over ``httpx``."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

SUBPROTOCOL = "graphql-transport-ws"
WAIT = 10.0


def ws_url(base: str) -> str:
    return base.replace("http://", "ws://", 1) + "/graphql"


class WSClient:
    """One graphql-transport-ws connection after ``connection_ack``."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self._next_id = 0

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(message))

    async def receive(self, within: float = WAIT) -> dict[str, Any]:
        """The next message that is not a ping (answered with a pong)."""
        while True:
            raw = await asyncio.wait_for(self.connection.recv(), within)
            message: dict[str, Any] = json.loads(raw)
            if message["type"] == "ping":
                await self.send({"type": "pong"})
                continue
            return message

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        self._next_id += 1
        operation_id = str(self._next_id)
        payload: dict[str, Any] = {"query": query}
        if variables is not None:
            payload["variables"] = variables
        await self.send({"type": "subscribe", "id": operation_id, "payload": payload})
        return operation_id

    async def next_data(self, operation_id: str, within: float = WAIT) -> dict[str, Any]:
        message = await self.receive(within)
        assert message["type"] == "next" and message["id"] == operation_id, message
        assert "errors" not in message["payload"], message
        data: dict[str, Any] = message["payload"]["data"]
        return data


@contextlib.asynccontextmanager
async def ws_client(
    base: str, payload: dict[str, Any] | None = None, *, subprotocol: str = SUBPROTOCOL
) -> AsyncIterator[WSClient]:
    async with connect(ws_url(base), subprotocols=[subprotocol]) as connection:  # type: ignore[list-item]
        client = WSClient(connection)
        init: dict[str, Any] = {"type": "connection_init"}
        if payload is not None:
            init["payload"] = payload
        await client.send(init)
        ack = await client.receive()
        assert ack["type"] == "connection_ack", ack
        yield client


class SSEStream:
    """One graphql-sse stream (distinct connections mode): its events, in order."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()

    async def event(self, within: float = WAIT) -> tuple[str, str]:
        """The next event's name and data (keep-alive comments skipped)."""
        name, data = "", []
        while True:
            line = await asyncio.wait_for(anext(self._lines), within)
            if line.startswith(":"):
                continue
            if not line:
                if name:
                    return name, "\n".join(data)
                continue
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)

    async def next_data(self, within: float = WAIT) -> dict[str, Any]:
        name, data = await self.event(within)
        assert name == "next", (name, data)
        payload: dict[str, Any] = json.loads(data)
        assert "errors" not in payload, payload
        result: dict[str, Any] = payload["data"]
        return result


@contextlib.asynccontextmanager
async def sse_stream(
    base: str, query: str, variables: dict[str, Any] | None = None, token: str | None = None
) -> AsyncIterator[SSEStream]:
    headers = {"Accept": "text/event-stream", "Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"JWT {token}"
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    timeout = httpx.Timeout(WAIT, read=None)
    async with (
        httpx.AsyncClient(base_url=base, timeout=timeout) as client,
        client.stream("POST", "/graphql", json=body, headers=headers) as response,
    ):
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield SSEStream(response)
