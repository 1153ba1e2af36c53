"""Subscriptions over Server-Sent Events: the graphql-sse protocol, distinct connections mode.

A request to ``/graphql`` that accepts ``text/event-stream`` — ``POST`` with the usual JSON
body, or ``GET`` with the parameters in the query string — is answered with one stream per
operation: ``event: next`` with each result, then ``event: complete`` when the operation ends;
the client ends a subscription by closing the connection. A comment line every
``KEEPALIVE`` seconds keeps proxies from timing the stream out. Authentication is the
``Authorization`` header, as for every other request (a bad token: 401 before any stream).
The response starts once the subscription listens, so every change committed after the client
has the headers reaches it; errors found before that (validation, limits, not a subscription)
are a 400 with a JSON ``errors`` body, as the protocol's reference server answers. Only
subscriptions run here.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import orjson
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send
from strawberry.types.execution import PreExecutionError

from citygraph.domain.unit import UnitOfWork
from citygraph.graphql.errors import stream_result_formatter
from citygraph.graphql.http import (
    GraphQLEndpoint,
    Refused,
    authenticate,
    read_operation,
    refusal_response,
    result_body,
    subscribe,
)
from citygraph.graphql.live import LiveContext
from citygraph.graphql.schema import CitygraphSchema
from citygraph.services import Services
from citygraph.web.state import base_url_of, client_address

EVENT_STREAM = "text/event-stream"
KEEPALIVE = 15.0
Formatter = Callable[[GraphQLError], dict[str, Any]]


def wants_event_stream(scope: Scope) -> bool:
    """Does the request accept ``text/event-stream`` (what graphql-sse clients send)?"""
    for name, value in scope.get("headers", ()):
        if name == b"accept" and EVENT_STREAM.encode() in value.lower():
            return True
    return False


def _event(name: str, data: str = "") -> bytes:
    return f"event: {name}\ndata: {data}\n\n".encode()


class EventStreamEndpoint:
    """The ASGI app answering event-stream requests to ``/graphql``."""

    def __init__(self, schema: CitygraphSchema, services: Services, endpoint: GraphQLEndpoint):
        self.schema = schema
        self.services = services
        self.endpoint = endpoint  # its persisted documents and its error format
        self.format_error = endpoint.format
        self.format_result_error = stream_result_formatter(endpoint.format)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            response = await self.handle(request)
        except Refused as exc:
            if exc.status_code == 405:
                exc.headers["Allow"] = "GET, POST"
            response = refusal_response(exc)
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        if request.method not in ("GET", "POST"):
            raise Refused(405, "GraphQL only supports GET and POST requests.")
        operation = await read_operation(request)
        resolved = await self.endpoint.resolve(operation)  # APQ hashes; trusted documents only
        operation = replace(operation, query=resolved.query)
        async with self.services.sessions() as session:
            uow = UnitOfWork(session, self.services, client_address=client_address(request))
            actor = await authenticate(request, uow)
            if actor is not None:
                session.expunge(actor)
        context = LiveContext(self.services, request, base_url_of(request.scope), actor)
        results = await subscribe(self.schema, operation, context)
        stream = _Results(results)
        first = stream.fetch()
        await context.started(first)
        if first.done() and not first.cancelled() and first.exception() is None:
            result = first.result()
            if isinstance(result, PreExecutionError):
                await stream.close()
                errors = [self.format_error(e) for e in result.errors or ()]
                return Response(
                    orjson.dumps({"errors": errors}),
                    status_code=400,
                    media_type="application/json; charset=utf-8",
                )
        await self.endpoint.remember(resolved)
        return _EventStream(self.events(stream), stream)

    async def events(self, stream: _Results) -> AsyncIterator[bytes]:
        """``next`` per result, ``complete`` at the end, a comment while nothing happens."""
        try:
            while True:
                pending = stream.fetch()
                done, _ = await asyncio.wait({pending}, timeout=KEEPALIVE)
                if not done:
                    yield b": keep-alive\n\n"
                    continue
                try:
                    result = stream.take()
                except StopAsyncIteration:
                    break
                yield _event("next", _json(result_body(result, self.format_result_error)))
            yield _event("complete")
        finally:
            await stream.close()


class _Results:
    """A subscription's results, fetched one at a time in a task of their own (so waiting for
    one can time out for a keep-alive without cancelling it), closed exactly once."""

    def __init__(self, results: AsyncGenerator[Any]) -> None:
        self.results = results
        self.pending: asyncio.Future[Any] | None = None

    def fetch(self) -> asyncio.Future[Any]:
        if self.pending is None:
            self.pending = asyncio.ensure_future(anext(self.results))
        return self.pending

    def take(self) -> Any:
        assert self.pending is not None
        finished, self.pending = self.pending, None
        return finished.result()

    async def close(self) -> None:
        if self.pending is not None:
            self.pending.cancel()
            with contextlib.suppress(BaseException):
                await self.pending
            self.pending = None
        await self.results.aclose()


class _EventStream(StreamingResponse):
    """The stream, and the subscription ended however the response ends (also when the client
    left before the first byte and the body was never iterated)."""

    def __init__(self, content: AsyncIterator[bytes], stream: _Results) -> None:
        super().__init__(
            content,
            media_type=EVENT_STREAM,
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
        self.stream = stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self.stream.close()


def _json(body: object) -> str:
    return orjson.dumps(body).decode()
