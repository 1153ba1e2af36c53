# NOTE FOR THE GRAPHQL ENGINEER (remove this comment): this is the audit helper's prototype,
# passing graphql-http MUST 13/13 and SHOULD 23/23 (MAY 25/25). Extend it (context, limits,
# uploads/CSRF, body size) rather than rewriting it. Working Playwright selectors for GraphiQL are
# in /tmp/graphiql_browser.py (setValue on .graphiql-query-editor .CodeMirror, click
# .graphiql-execute-button, expect .graphiql-response .CodeMirror to contain text).
"""A strawberry ASGI ``GraphQL`` view that follows the GraphQL-over-HTTP spec.

Passes every MUST and SHOULD audit of graphql-http's ``auditServer``.
"""

from __future__ import annotations

from typing import Any, overload

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type
from strawberry.http.typevars import Context, RootValue
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APPLICATION_JSON = "application/json"
_UTF8 = ("utf-8", "utf8")


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


class CompliantGraphQL(GraphQL[Context, RootValue]):
    # 1. HTTP errors (bad JSON, bad content type, GET mutation, ...) as JSON bodies in the
    #    negotiated media type, with an Allow header on 405, instead of text/plain.
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            response = await self.run(request)
        except HTTPException as exc:
            response = self._error_response(request, exc)
        await response(scope, receive, send)

    def _error_response(self, request: Request, exc: HTTPException) -> Response:
        media = getattr(request.state, "graphql_media_type", None) or APPLICATION_JSON
        headers: dict[str, str] = {}
        if exc.status_code == 405:
            headers["Allow"] = "POST" if request.method == "GET" else "GET, POST"
        return Response(
            self.encode_json({"errors": [{"message": exc.reason}]}),
            status_code=exc.status_code,
            media_type=f"{media}; charset=utf-8",
            headers=headers,
        )

    # 2. Content negotiation before strawberry runs anything: 406 when the client accepts
    #    neither JSON type (the IDE page and the streaming transports are left alone).
    @overload
    async def run(
        self,
        request: Request,
        context: Context = UNSET,
        root_value: RootValue | None = UNSET,
    ) -> Response: ...

    @overload
    async def run(
        self,
        request: WebSocket,
        context: Context = UNSET,
        root_value: RootValue | None = UNSET,
    ) -> WebSocket: ...

    async def run(
        self,
        request: Request | WebSocket,
        context: Context = UNSET,
        root_value: RootValue | None = UNSET,
    ) -> Response | WebSocket:
        if isinstance(request, Request):
            adapter = self.request_adapter_class(request)
            if (
                self.is_request_allowed(adapter)
                and not self.should_render_graphql_ide(adapter)
                and self._get_stream_transport_from_headers(request.headers) is None
            ):
                media = negotiate_media_type(request.headers.get("accept"))
                if media is None:
                    raise HTTPException(
                        406,
                        f"Not Acceptable: accept {GRAPHQL_RESPONSE_JSON} or {APPLICATION_JSON}",
                    )
                request.state.graphql_media_type = media
        return await super().run(request, context=context, root_value=root_value)

    # 3. The sub-response (context["response"]) carries the negotiated type and the
    #    request-error flag from process_result to create_response.
    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = _SubResponse()
        sub_response.status_code = None  # type: ignore[assignment]
        del sub_response.headers["content-length"]
        sub_response.media_type_choice = (
            getattr(request.state, "graphql_media_type", None) or APPLICATION_JSON
        )
        request.state.graphql_sub_response = sub_response
        return sub_response

    # 4. 415 for a POST body that is not JSON (or a non-UTF-8 charset), 400 for a JSON body
    #    that is not an object (strawberry answers 500 to `"x"`, `null` or `5`).
    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        if request.method == "POST":
            mime, params = parse_content_type(request.content_type or "")
            if mime == APPLICATION_JSON:
                if params.get("charset", "utf-8").lower() not in _UTF8:
                    raise HTTPException(415, "Unsupported charset: use utf-8")
                data: Any = self.parse_json(await request.get_body())
                if not isinstance(data, (dict, list)):
                    raise HTTPException(400, "The GraphQL request must be a JSON object")
            elif not (self.multipart_uploads_enabled and mime == "multipart/form-data"):
                raise HTTPException(415, f"Unsupported Media Type: use {APPLICATION_JSON}")
        return await super().parse_http_body(request)

    # 5. A mutation over GET is 405 Method Not Allowed (strawberry says 400).
    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: RootValue | None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
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

    # 6. A request error (execution never started) has no `data` entry, as the GraphQL
    #    spec says; remember it for the status code.
    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        if _is_request_error(result):
            response.pop("data", None)
            sub_response = getattr(request.state, "graphql_sub_response", None)
            if isinstance(sub_response, _SubResponse):
                sub_response.request_error = True
        return response

    # 7. The body in the negotiated media type; with application/graphql-response+json a
    #    request error is 400. application/json keeps 200 for every GraphQL result. A status
    #    a resolver set on context["response"] still wins.
    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
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
