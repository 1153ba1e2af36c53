"""The ``/graphql`` endpoint: a strawberry ASGI ``GraphQL`` view following GraphQL over HTTP.

Passes every MUST and SHOULD audit of graphql-http's ``auditServer`` (started from the audit
helper's prototype). What it adds to strawberry's view:

- content negotiation: ``application/graphql-response+json`` when accepted (then parse,
  validation and variable errors are 400 without ``data``), ``application/json`` otherwise
  (200 for every GraphQL result); 406 when neither is acceptable;
- HTTP errors as GraphQL-shaped JSON: 400 bad JSON or parameters, 405 mutation over GET (with
  ``Allow``), 413 body too large, 415 anything but JSON (and multipart uploads);
- uploads (GraphQL multipart request spec) only with an ``Authorization``,
  ``Apollo-Require-Preflight`` or ``X-Requested-With`` header (a browser cannot send those
  cross-site without a CORS preflight): otherwise 400, the CSRF guard;
- the actor from ``Authorization: JWT|Bearer <token>``; a bad token refuses the request with
  401 and ``UNAUTHENTICATED``, before anything runs;
- errors through ``graphql.errors``: domain errors get their code, unexpected ones are masked;
- the offline GraphiQL page (``graphiql.py``), when enabled; no websockets (no subscriptions).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, overload

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from citygraph.domain.errors import TokenInvalid
from citygraph.graphql import errors, limits
from citygraph.graphql.context import GraphQLContext
from citygraph.graphql.graphiql import graphiql_response
from citygraph.services import Services

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APPLICATION_JSON = "application/json"
MULTIPART = "multipart/form-data"
_UTF8 = ("utf-8", "utf8")
#: Any of these headers on a multipart request proves it is not a plain cross-site form post.
PREFLIGHT_HEADERS = ("authorization", "apollo-require-preflight", "x-requested-with")
CSRF_MESSAGE = (
    "Multipart requests need an Authorization, Apollo-Require-Preflight or X-Requested-With "
    "header (CSRF protection)."
)


def negotiate_media_type(accept: str | None) -> str | None:
    """The response media type for an ``Accept`` header, or None (-> 406).

    No (or an empty) header means ``application/json``, as the spec asks during its
    watershed period. Otherwise the acceptable type with the highest q wins, ties going to
    the one listed first; ``*/*`` and ``application/*`` count as ``application/json``.
    A ``charset`` other than UTF-8 makes an entry unacceptable.
    """
    if accept is None or not accept.strip():
        return APPLICATION_JSON
    best: tuple[float, int, str] | None = None
    for index, item in enumerate(accept.split(",")):
        parts = [part.strip() for part in item.split(";")]
        media = parts[0].lower()
        q = 1.0
        charset = "utf-8"
        for param in parts[1:]:
            key, _, value = param.partition("=")
            key, value = key.strip().lower(), value.strip().strip('"')
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
            elif key == "charset":
                charset = value.lower()
        if q <= 0 or charset not in _UTF8:
            continue
        if media == GRAPHQL_RESPONSE_JSON:
            chosen = GRAPHQL_RESPONSE_JSON
        elif media in (APPLICATION_JSON, "application/*", "*/*"):
            chosen = APPLICATION_JSON
        else:
            continue
        if best is None or (q, -index) > (best[0], -best[1]):
            best = (q, index, chosen)
    return best[2] if best else None


class RequestRefused(Exception):
    """Refuse the whole request with an HTTP status and one GraphQL-shaped error."""

    def __init__(
        self,
        status_code: int,
        message: str,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.code = code
        self.headers = headers or {}


class BodyTooLarge(RequestRefused):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"Request body too large (limit {limit} bytes).")


def _limited_receive(receive: Receive, limit: int) -> Receive:
    """``receive`` that refuses a body (chunked or not) longer than ``limit`` bytes."""
    seen = 0

    async def inner() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(limit)
        return message

    return inner


class _SubResponse(Response):
    """strawberry's sub-response, plus what the view learnt about the request."""

    media_type_choice: str = APPLICATION_JSON
    request_error: bool = False


def _is_request_error(result: ExecutionResult) -> bool:
    """Parse, validation or variable-coercion failure: execution never started.

    Field errors always carry a ``path``; errors raised before execution never do.
    """
    return (
        result.data is None
        and bool(result.errors)
        and all(error.path is None for error in result.errors or ())
    )


class GraphQLView(GraphQL[GraphQLContext, None]):
    def __init__(self, schema: Any, services: Services, *, assets_dir: Path | None = None) -> None:
        settings = services.settings
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql_enabled else None,
            allow_queries_via_get=True,
            multipart_uploads_enabled=True,
            subscription_protocols=(),
        )
        self.services = services
        self.assets_dir = assets_dir
        self.hide_suggestions = not settings.introspection_enabled

    # -- ASGI entry: limits, refusals and cleanup around strawberry's ``run`` -------------------

    def _body_limit(self, request: Request) -> int:
        mime, _ = parse_content_type(request.headers.get("content-type", ""))
        settings = self.services.settings
        if mime == MULTIPART:
            return limits.multipart_body_limit(settings)
        return settings.graphql_max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # no subscriptions: refuse the handshake (403)
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        probe = Request(scope)
        limit = self._body_limit(probe)
        request = Request(scope=scope, receive=_limited_receive(receive, limit))
        try:
            declared = request.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise BodyTooLarge(limit)
            response = await self.run(request)
        except HTTPException as exc:
            response = self._error_response(request, RequestRefused(exc.status_code, exc.reason))
        except RequestRefused as exc:
            response = self._error_response(request, exc)
        finally:
            context = getattr(request.state, "graphql_context", None)
            if isinstance(context, GraphQLContext):
                await context.aclose()
            await request.close()
        await response(scope, receive, send)

    def _error_response(self, request: Request, exc: RequestRefused) -> Response:
        media = getattr(request.state, "graphql_media_type", None) or APPLICATION_JSON
        headers = dict(exc.headers)
        if exc.status_code == 405:
            headers["Allow"] = "POST" if request.method == "GET" else "GET, POST"
        error: dict[str, Any] = {"message": exc.message}
        if exc.code:
            error["extensions"] = {"code": exc.code}
        return Response(
            self.encode_json({"errors": [error]}),
            status_code=exc.status_code,
            media_type=f"{media}; charset=utf-8",
            headers=headers,
        )

    # -- content negotiation before strawberry runs anything ------------------------------------

    @overload
    async def run(
        self,
        request: Request,
        context: GraphQLContext = UNSET,
        root_value: None = UNSET,
    ) -> Response: ...

    @overload
    async def run(
        self,
        request: WebSocket,
        context: GraphQLContext = UNSET,
        root_value: None = UNSET,
    ) -> WebSocket: ...

    async def run(
        self,
        request: Request | WebSocket,
        context: GraphQLContext = UNSET,
        root_value: None = UNSET,
    ) -> Response | WebSocket:
        if isinstance(request, Request):
            adapter = self.request_adapter_class(request)
            if self.is_request_allowed(adapter) and not self.should_render_graphql_ide(adapter):
                media = negotiate_media_type(request.headers.get("accept"))
                if media is None:
                    raise HTTPException(
                        406,
                        f"Not Acceptable: accept {GRAPHQL_RESPONSE_JSON} or {APPLICATION_JSON}",
                    )
                request.state.graphql_media_type = media
        return await super().run(request, context=context, root_value=root_value)

    def encode_json(self, data: object) -> bytes:
        """UTF-8 JSON via orjson: 0.44x the bytes of escaped Cyrillic and ~20x faster to encode
        (``python -m tests.benchmarks.json_encoding``)."""
        return orjson.dumps(data)

    async def render_graphql_ide(self, request: Request) -> Response:
        return graphiql_response(assets_dir=self.assets_dir)

    # -- context: the sub-response carries negotiation results to ``create_response`` ----------

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = _SubResponse()
        sub_response.status_code = None  # type: ignore[assignment]
        del sub_response.headers["content-length"]
        sub_response.media_type_choice = (
            getattr(request.state, "graphql_media_type", None) or APPLICATION_JSON
        )
        request.state.graphql_sub_response = sub_response
        return sub_response

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> GraphQLContext:
        assert isinstance(request, Request)
        assert isinstance(response, Response)
        context = GraphQLContext(self.services, request, response)
        request.state.graphql_context = context
        return context

    # -- the body: JSON (415 otherwise), uploads behind the CSRF guard, no batches ---------------

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        if request.method == "POST":
            mime, params = parse_content_type(request.content_type or "")
            if mime == APPLICATION_JSON:
                if params.get("charset", "utf-8").lower() not in _UTF8:
                    raise HTTPException(415, "Unsupported charset: use utf-8")
                data: Any = self.parse_json(await request.get_body())
                if not isinstance(data, dict | list):
                    raise HTTPException(400, "The GraphQL request must be a JSON object")
            elif mime == MULTIPART:
                if not any(request.headers.get(name) for name in PREFLIGHT_HEADERS):
                    raise HTTPException(400, CSRF_MESSAGE)
            else:
                raise HTTPException(415, f"Unsupported Media Type: use {APPLICATION_JSON}")
        return await super().parse_http_body(request)

    # -- execution: authenticate first; a mutation over GET is 405 -----------------------------

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: GraphQLContext,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        try:
            await context.authenticate()
        except TokenInvalid as exc:
            raise RequestRefused(
                401,
                exc.message,
                errors.UNAUTHENTICATED,
                headers={"WWW-Authenticate": 'Bearer realm="graphql"'},
            ) from exc
        try:
            return await super().execute_single(
                request=request,
                request_adapter=request_adapter,
                sub_response=sub_response,
                context=context,
                root_value=root_value,
                request_data=request_data,
            )
        except HTTPException as exc:
            if request_adapter.method == "GET" and isinstance(
                exc.__cause__, InvalidOperationTypeError
            ):
                raise HTTPException(405, exc.reason) from exc
            raise

    # -- the result: errors mapped once; a request error has no ``data`` ------------------------

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response: GraphQLHTTPResponse = {}
        request_error = _is_request_error(result)
        if not request_error:
            response["data"] = result.data
        if result.errors:
            response["errors"] = [
                errors.format_error(error, hide_suggestions=self.hide_suggestions)
                for error in result.errors
            ]
        if result.extensions:
            response["extensions"] = result.extensions
        if request_error:
            sub_response = getattr(request.state, "graphql_sub_response", None)
            if isinstance(sub_response, _SubResponse):
                sub_response.request_error = True
        return response

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        """The body in the negotiated media type; with application/graphql-response+json a
        request error is 400, while application/json keeps 200 for every GraphQL result."""
        media = APPLICATION_JSON
        status_code = 200
        if isinstance(sub_response, _SubResponse):
            media = sub_response.media_type_choice
            if (
                media == GRAPHQL_RESPONSE_JSON
                and sub_response.request_error
                and not isinstance(response_data, list)
            ):
                status_code = 400
        response = Response(
            self.encode_json(response_data),
            status_code=sub_response.status_code or status_code,
            media_type=f"{media}; charset=utf-8",
        )
        response.headers.raw.extend(sub_response.headers.raw)
        if sub_response.background:
            response.background = sub_response.background
        return response
