"""Subscriptions over WebSocket: the ``graphql-transport-ws`` protocol on ``/graphql``.

The protocol of the graphql-ws library (Apollo Client's ``GraphQLWsLink``, urql, ``gql``): the
client sends ``connection_init`` (its payload may carry ``Authorization: JWT <access>``, as
browsers cannot set headers on a WebSocket; the upgrade request's header works too), the server
answers ``connection_ack``, then each ``subscribe`` runs until it ends or the client sends
``complete``. Closes use the protocol's codes: 4400 bad message, 4401 subscribe before ack,
4403 bad token, 4406 other subprotocol, 4408 no ``connection_init`` in time, 4409 duplicate id,
4429 a second ``connection_init``. At most ``graphql_max_subscriptions`` operations run per
connection; one more is answered with an ``error`` message (``TOO_MANY_REQUESTS``). Only
subscriptions run here; queries and mutations are for ``POST /graphql``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import orjson
from graphql import GraphQLError
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.types.execution import PreExecutionError

from citygraph.domain.unit import UnitOfWork
from citygraph.graphql.errors import request_error, stream_result_formatter
from citygraph.graphql.http import (
    GraphQLEndpoint,
    Operation,
    Refused,
    actor_from_header,
    parse_operation,
    result_body,
    subscribe,
)
from citygraph.graphql.live import LiveContext
from citygraph.graphql.schema import CitygraphSchema
from citygraph.models import User
from citygraph.services import Services
from citygraph.web.state import base_url_of

Formatter = Callable[[GraphQLError], dict[str, Any]]
SUBPROTOCOL = "graphql-transport-ws"
#: Seconds a client has to send ``connection_init`` after the handshake.
INIT_TIMEOUT = 10.0


class Close(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class TransportWSConnection:
    """One WebSocket: its state, its running operations (one task each)."""

    def __init__(
        self,
        websocket: WebSocket,
        schema: CitygraphSchema,
        services: Services,
        endpoint: GraphQLEndpoint,
    ) -> None:
        self.websocket = websocket
        self.schema = schema
        self.services = services
        self.endpoint = endpoint  # its persisted documents and its error format
        self.format_error: Formatter = endpoint.format
        self.format_result_error = stream_result_formatter(endpoint.format)
        self.max_operations = services.settings.graphql_max_subscriptions
        self.operations: dict[str, asyncio.Task[None]] = {}
        self.initialised = False
        self.acknowledged = False
        self.actor: User | None = None
        self._send_lock = asyncio.Lock()

    async def run(self) -> None:
        offered = self.websocket.scope.get("subprotocols") or []
        if SUBPROTOCOL not in offered:
            await self.websocket.accept()
            await self.websocket.close(4406, "Subprotocol not acceptable")
            return
        await self.websocket.accept(subprotocol=SUBPROTOCOL)
        timer = asyncio.get_running_loop().create_task(self._init_timeout())
        try:
            while True:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                await self.handle(message.get("text"))
        except Close as close:
            await self._close(close.code, close.reason)
        except WebSocketDisconnect:
            pass
        finally:
            timer.cancel()
            for task in list(self.operations.values()):
                task.cancel()
            await asyncio.gather(*self.operations.values(), return_exceptions=True)

    async def _init_timeout(self) -> None:
        await asyncio.sleep(INIT_TIMEOUT)
        if not self.initialised:
            await self._close(4408, "Connection initialisation timeout")

    async def _close(self, code: int, reason: str) -> None:
        if self.websocket.application_state is WebSocketState.CONNECTED:
            with contextlib.suppress(RuntimeError, OSError):
                await self.websocket.close(code, reason)

    async def send(self, message: dict[str, Any]) -> None:
        async with self._send_lock:
            await self.websocket.send_text(orjson.dumps(message).decode())

    async def handle(self, raw: str | None) -> None:
        try:
            message = orjson.loads(raw) if raw is not None else None
        except orjson.JSONDecodeError:
            message = None
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            raise Close(4400, "Invalid message received")
        kind = message["type"]
        if kind == "connection_init":
            await self.initialise(message.get("payload"))
        elif kind == "ping":
            await self.send({"type": "pong"})
        elif kind == "pong":
            pass
        elif kind == "subscribe":
            await self.subscribe(message.get("id"), message.get("payload"))
        elif kind == "complete":
            task = self.operations.pop(message.get("id"), None)  # type: ignore[arg-type]
            if task is not None:  # its id may be used again at once
                task.cancel()
        else:
            raise Close(4400, f"Invalid message type: {kind[:50]}")

    async def initialise(self, payload: object) -> None:
        if self.initialised:
            raise Close(4429, "Too many initialisation requests")
        self.initialised = True
        if payload is not None and not isinstance(payload, dict):
            raise Close(4400, "Invalid connection_init payload")
        header = next(
            (value for key, value in (payload or {}).items() if key.lower() == "authorization"),
            self.websocket.headers.get("authorization"),
        )
        if header is not None and not isinstance(header, str):
            raise Close(4400, "Invalid Authorization in connection_init")
        self.actor = await self.authenticate(header)
        self.acknowledged = True
        await self.send({"type": "connection_ack"})

    async def authenticate(self, header: str | None) -> User | None:
        """The same tokens as ``POST /graphql``; a bad one closes the connection (4403)."""
        async with self.services.sessions() as session:
            uow = UnitOfWork(session, self.services, actor=None)
            try:
                user = await actor_from_header(header, uow)
            except Refused:
                raise Close(4403, "Forbidden") from None
            if user is not None:
                session.expunge(user)
            return user

    async def subscribe(self, operation_id: object, payload: object) -> None:
        if not self.acknowledged:
            raise Close(4401, "Unauthorized")
        if not isinstance(operation_id, str) or not operation_id:
            raise Close(4400, "Invalid subscribe message")
        try:
            operation = parse_operation(payload)
        except Refused as exc:
            raise Close(4400, exc.message[:120]) from None
        if operation_id in self.operations:
            raise Close(4409, f"Subscriber for {operation_id[:100]} already exists")
        try:  # APQ hashes; in trusted-documents mode, only the manifest's documents
            resolved = await self.endpoint.resolve(operation)
        except Refused as exc:
            error = request_error(exc.message, exc.code or "BAD_REQUEST")
            await self.send({"type": "error", "id": operation_id, "payload": [error]})
            return
        operation = replace(operation, query=resolved.query)
        if len(self.operations) >= self.max_operations:
            message = f"At most {self.max_operations} subscriptions may run on one connection."
            error = request_error(message, "TOO_MANY_REQUESTS")
            await self.send({"type": "error", "id": operation_id, "payload": [error]})
            return
        context = LiveContext(
            self.services, self.websocket, base_url_of(self.websocket.scope), self.actor
        )
        task = asyncio.get_running_loop().create_task(
            self.operate(operation_id, operation, context)
        )
        self.operations[operation_id] = task
        task.add_done_callback(lambda done: self._finished(operation_id, done))
        # Messages are handled in order: once a later message is answered (a ping's pong), this
        # subscription listens and sees every change committed from then on.
        await context.started(task)
        if context.listening.is_set():
            await self.endpoint.remember(resolved)

    def _finished(self, operation_id: str, task: asyncio.Task[None]) -> None:
        if self.operations.get(operation_id) is task:
            del self.operations[operation_id]

    async def operate(self, operation_id: str, operation: Operation, context: LiveContext) -> None:
        results = await subscribe(self.schema, operation, context)
        try:
            async with contextlib.aclosing(results):
                async for result in results:
                    if isinstance(result, PreExecutionError):
                        errors = [self.format_error(error) for error in result.errors or ()]
                        await self.send({"type": "error", "id": operation_id, "payload": errors})
                        return
                    body = result_body(result, self.format_result_error)
                    await self.send({"type": "next", "id": operation_id, "payload": body})
            await self.send({"type": "complete", "id": operation_id})
        except (WebSocketDisconnect, RuntimeError, OSError):
            return  # the client is gone
