"""One REST endpoint, dispatched in DRF's ``APIView`` order.

1. content negotiation (``?format=``, ``Accept``) -> 404 / 406;
2. authentication from the ``Authorization`` header (every endpoint but the token views);
3. the permission check for the method (a domain permission function) -> 401 / 403;
4. the method: ``OPTIONS`` -> metadata, ``HEAD`` -> the ``GET`` handler, unknown -> 405;
5. the handler: parse the request, call a domain function, render.

Every response carries ``Allow`` and ``Vary: Accept`` (DRF sends both on every ``APIView``
response, errors included): recorded as the request's answer headers, so the error boundary's
503 and 500 carry them too; ``HEAD`` responses keep ``Content-Length`` and drop the body.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from citygraph.domain.errors import DomainError
from citygraph.domain.unit import UnitOfWork, unit_of_work
from citygraph.services import Services
from citygraph.web import answer_headers
from citygraph.web.observe import note_user
from citygraph.web.state import base_url_of, client_address, get_services, site_url_of
from compat import errors
from compat.auth import authenticate
from compat.errors import ApiError, NotFoundPage
from compat.parsing import Body, parse_body
from compat.rendering import json_response, not_found_page


@dataclass
class Call:
    """What a handler gets: the request and the request's unit of work (actor included)."""

    request: Request
    uow: UnitOfWork
    indent: int | None = None

    @property
    def services(self) -> Services:
        return self.uow.services

    @property
    def base_url(self) -> str:
        return base_url_of(self.request.scope)

    async def body(self) -> Body:
        return await parse_body(self.request)

    def respond(self, data: object, status: int = 200) -> Response:
        return json_response(data, status, indent=self.indent)


Handler = Callable[[Call], Awaitable[Response]]
Permission = Callable[[Call], Awaitable[None]]


async def allow_any(_call: Call) -> None:
    return None


def _accept_indent(request: Request) -> int | None:
    """DRF's negotiation for a JSON-only API: ``Accept`` must allow JSON; ``indent=N`` is kept."""
    query = request.scope["query_string"]
    # Parsing the query string only when it can name ``format`` (``%66ormat`` included).
    fmt = request.query_params.get("format") if b"format" in query or b"%" in query else None
    if fmt is not None and fmt not in ("json", "api"):
        raise ApiError.detail(404, errors.NOT_FOUND)
    accept = request.headers.get("accept")
    if not accept or fmt is not None:
        return None
    indent = _indent_of(accept)
    if indent is _NOT_ACCEPTABLE:
        raise ApiError.detail(406, errors.NOT_ACCEPTABLE)
    return indent


_NOT_ACCEPTABLE = -1


@functools.lru_cache(maxsize=256)
def _indent_of(accept: str) -> int | None:
    """The indent an ``Accept`` header asks for, or ``_NOT_ACCEPTABLE``. Clients send a handful
    of distinct headers: remembered (boundedly), it is parsed once, not per request."""
    for item in accept.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        media = media.lower()
        if media in ("application/json", "*/*", "application/*", "text/html", "text/*"):
            if media != "application/json":
                return None
            for param in params:
                key, _, value = param.partition("=")
                if key.strip() == "indent" and value.strip().isdigit():
                    return max(0, min(int(value.strip()), 8)) or None
            return None
    return _NOT_ACCEPTABLE


class Endpoint:
    """An ASGI app for one path; Starlette's ``Route`` hands it every method."""

    def __init__(
        self,
        *,
        allow: str,
        handlers: Mapping[str, Handler],
        permissions: Mapping[str, Permission] | None = None,
        other_methods: Permission = allow_any,
        metadata: bytes | None = None,
        authenticates: bool = True,
    ) -> None:
        self.allow = allow
        self.handlers = dict(handlers)
        if "GET" in self.handlers:
            self.handlers.setdefault("HEAD", self.handlers["GET"])
        self.permissions = dict(permissions or {})
        if "GET" in self.permissions:
            self.permissions.setdefault("HEAD", self.permissions["GET"])
        self.other_methods = other_methods
        self.metadata = metadata
        self.authenticates = authenticates

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        answer_headers.record(scope, {"Allow": self.allow, "Vary": "Accept"})
        request = Request(scope, receive)
        method = request.method.upper()
        try:
            response = await self.dispatch(request, method)
        finally:
            await request.close()  # a multipart body's files, kept until the domain is done
        answer_headers.apply(scope, response)
        if method == "HEAD":
            send = _without_body(send)
        await response(scope, receive, send)

    async def dispatch(self, request: Request, method: str) -> Response:
        indent: int | None = None
        try:
            indent = _accept_indent(request)
            services = get_services(request)
            async with unit_of_work(
                services,
                client_address=client_address(request),
                site_url=site_url_of(request.scope, services.settings),
            ) as uow:
                if self.authenticates:
                    uow.actor = await authenticate(request, uow)
                    if uow.actor is not None:
                        note_user(request.scope, uow.actor.id)
                call = Call(request, uow, indent)
                check = self.permissions.get(method, self.other_methods)
                await check(call)
                if method == "OPTIONS" and self.metadata is not None:
                    return Response(self.metadata, media_type="application/json")
                handler = self.handlers.get(method)
                if handler is None:
                    raise errors.method_not_allowed(method)
                return await handler(call)
        except NotFoundPage:
            return not_found_page()
        except DomainError as exc:
            return _error_response(errors.from_domain_error(exc), indent)
        except ApiError as exc:
            return _error_response(exc, indent)


def _error_response(exc: ApiError, indent: int | None) -> Response:
    return json_response(exc.body, exc.status, exc.headers, indent)


def _without_body(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return wrapped
