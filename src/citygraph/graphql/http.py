"""``/graphql``: GraphQL over HTTP on strawberry's public ``Schema.execute``.

The HTTP layer is ours (a small ASGI app), so it relies on no strawberry internals; strawberry
parses, validates (with the limits of ``limits``) and executes. It passes every MUST, SHOULD and
MAY audit of graphql-http's ``auditServer`` (``tests/graphql/test_http_audit.py``):

- content negotiation: ``application/graphql-response+json`` when accepted (then parse,
  validation and variable errors are 400 without ``data``), ``application/json`` otherwise
  (200 for every GraphQL result); 406 when neither is acceptable;
- HTTP errors as GraphQL-shaped JSON: 400 bad JSON or parameters, 405 other methods and
  mutations over GET (with ``Allow``), 415 anything but JSON or multipart; the request guard in
  front of every face answers 413 (too large) and 400 (undecodable bodies);
- uploads (GraphQL multipart request spec) only with an ``Authorization``,
  ``Apollo-Require-Preflight`` or ``X-Requested-With`` header (a browser cannot send those
  cross-site without a CORS preflight): otherwise 400, the CSRF guard;
- the actor from ``Authorization: JWT|Bearer <token>``; a bad token refuses the request with
  401 and ``UNAUTHENTICATED`` before anything runs;
- one unit of work per request (a commit per mutation field, see ``context``);
- errors through ``graphql.errors``: domain errors get their code, unexpected ones are masked;
- persisted operations (``persisted``): a document named by its hash or id, GET included;
- HTTP caching: what may be cached publicly is marked for ``web.cache`` (ETag, 304); every other
  answer says ``Cache-Control: no-store`` (``private`` too when it answered credentials).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import orjson
from graphql import GraphQLError
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.schema.schema import SubscriptionResult
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from citygraph.domain.errors import TokenInvalid
from citygraph.domain.media import media_prefix
from citygraph.domain.tokens import user_from_access_token
from citygraph.domain.unit import UnitOfWork
from citygraph.graphql import errors
from citygraph.graphql.context import GraphQLContext
from citygraph.graphql.persisted import DocumentRefused, PersistedDocuments, Resolved
from citygraph.graphql.reads import CompiledReads
from citygraph.graphql.schema import CitygraphSchema
from citygraph.models import User
from citygraph.services import Services
from citygraph.web.cache import is_cacheable, mark_cacheable
from citygraph.web.forms import read_form
from citygraph.web.guard import media_type
from citygraph.web.jsonbody import TooDeep, check_depth
from citygraph.web.observe import note_error, note_operation, note_user
from citygraph.web.state import base_url_of, client_address, site_url_of

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APPLICATION_JSON = "application/json"
MULTIPART = "multipart/form-data"
_UTF8 = ("utf-8", "utf8")
#: ``Authorization`` schemes that carry an access token (compared case-insensitively).
TOKEN_SCHEMES = ("jwt", "bearer")
#: Any of these headers on a multipart request proves it is not a plain cross-site form post.
PREFLIGHT_HEADERS = ("authorization", "apollo-require-preflight", "x-requested-with")
CSRF_MESSAGE = (
    "Multipart requests need an Authorization, Apollo-Require-Preflight or X-Requested-With "
    "header (CSRF protection)."
)


class TooLarge(Response):
    """The response-size cap's error (never cached)."""


class Refused(Exception):
    """Refuse the whole request with an HTTP status and one GraphQL-shaped error."""

    def __init__(
        self,
        status_code: int,
        message: str,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.code = code
        self.headers = dict(headers or {})


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


@dataclass(frozen=True)
class Operation:
    """A GraphQL-over-HTTP request's parameters."""

    query: str | None
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None
    document_id: str | None = None


async def subscribe(
    schema: CitygraphSchema, operation: Operation, context: object
) -> SubscriptionResult:
    """Start ``operation`` as a subscription: the one call of both streaming transports
    (``graphql.ws`` and ``graphql.sse``)."""
    return await schema.subscribe(
        operation.query,
        variable_values=operation.variables,
        context_value=context,
        operation_name=operation.operation_name,
        operation_extensions=operation.extensions,
    )


def _json(raw: str | bytes, what: str) -> Any:
    """orjson, then the standard library for the JSON orjson refuses but RFC 8259 allows (an
    escaped lone surrogate: the domain's parsers refuse it with a field error); nesting deeper
    than ``jsonbody.MAX_DEPTH`` is a 400 like any other parse error."""
    try:
        check_depth(raw)
    except TooDeep as exc:
        raise Refused(400, f"Unable to parse {what} as JSON: {exc}") from None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise Refused(400, f"Unable to parse {what} as JSON") from None


def parse_operation(data: object) -> Operation:
    """The request parameters of a JSON object (``Refused`` 400 when malformed)."""
    if isinstance(data, list):
        raise Refused(400, "Batching is not enabled")
    if not isinstance(data, dict):
        raise Refused(400, "The GraphQL request must be a JSON object")
    query, variables = data.get("query"), data.get("variables")
    operation_name, extensions = data.get("operationName"), data.get("extensions")
    if not isinstance(query, str | None):
        raise Refused(400, "The GraphQL operation's `query` must be a string or null, if provided.")
    if not isinstance(variables, dict | None):
        raise Refused(
            400, "The GraphQL operation's `variables` must be an object or null, if provided."
        )
    if not isinstance(operation_name, str | None):
        raise Refused(
            400, "The GraphQL operation's `operationName` must be a string or null, if provided."
        )
    if not isinstance(extensions, dict | None):
        raise Refused(
            400, "The GraphQL operation's `extensions` must be an object or null, if provided."
        )
    document_id = data.get("documentId", data.get("doc_id"))
    if not isinstance(document_id, str | None):
        raise Refused(400, "The GraphQL operation's `documentId` must be a string, if provided.")
    return Operation(query, variables, operation_name, extensions, document_id)


def _from_query_string(request: Request) -> Operation:
    params = request.query_params
    data: dict[str, Any] = {
        "query": params.get("query"),
        "operationName": params.get("operationName"),
        "documentId": params.get("documentId", params.get("doc_id")),
    }
    for name in ("variables", "extensions"):
        if params.get(name):
            data[name] = _json(params[name], f"`{name}`")
    return parse_operation(data)


def _place_files(operations: Any, files_map: Any, files: Mapping[str, UploadFile]) -> None:
    """The multipart request spec: put each file where ``map`` says, in ``operations``."""
    if not isinstance(files_map, dict) or not all(
        isinstance(paths, list) and all(isinstance(path, str) for path in paths)
        for paths in files_map.values()
    ):
        raise Refused(400, "The multipart `map` must be an object of lists of paths")
    for key, paths in files_map.items():
        if key not in files:
            raise Refused(400, "File(s) missing in form data")
        for path in paths:
            *parents, last = path.split(".")
            target: Any = operations
            try:
                for part in parents:
                    target = target[int(part)] if isinstance(target, list) else target[part]
                if isinstance(target, list):
                    target[int(last)] = files[key]
                elif isinstance(target, dict) and last in target:
                    target[last] = files[key]
                else:
                    raise KeyError(path)
            except (KeyError, IndexError, ValueError, TypeError):
                raise Refused(400, f"The multipart `map` names no variable at {path!r}") from None


async def _from_multipart(request: Request) -> Operation:
    if not any(request.headers.get(name) for name in PREFLIGHT_HEADERS):
        raise Refused(400, CSRF_MESSAGE)
    try:
        form = await read_form(request)
    except MultiPartException as exc:
        raise Refused(400, f"Unable to parse the multipart body: {exc.message}") from None
    operations, files_map = form.get("operations"), form.get("map", "{}")
    if not isinstance(operations, str) or not isinstance(files_map, str):
        raise Refused(400, "The multipart body needs `operations` and `map` fields")
    parsed = _json(operations, "`operations`")
    files = {key: value for key, value in form.multi_items() if isinstance(value, UploadFile)}
    _place_files(parsed, _json(files_map, "`map`"), files)
    return parse_operation(parsed)


async def read_operation(request: Request) -> Operation:
    """The request's GraphQL parameters, or ``Refused`` with GraphQL over HTTP's status."""
    if request.method == "GET":
        return _from_query_string(request)
    mime, charset = media_type(request.headers)
    if mime == APPLICATION_JSON:
        if (charset or "utf-8") not in _UTF8:
            raise Refused(415, "Unsupported charset: use utf-8")
        return parse_operation(_json(await request.body(), "request body"))
    if mime == MULTIPART:
        return await _from_multipart(request)
    raise Refused(415, f"Unsupported Media Type: use {APPLICATION_JSON}")


async def authenticate(request: Request, uow: UnitOfWork) -> User | None:
    """The actor of the request's ``Authorization`` header (see ``actor_from_header``)."""
    return await actor_from_header(request.headers.get("authorization"), uow)


async def actor_from_header(header: str | None, uow: UnitOfWork) -> User | None:
    """The actor of ``Authorization: JWT|Bearer <token>``; other schemes are not ours.

    A bad token refuses the whole request, public queries included: a client with a broken
    token should hear about it rather than silently see the anonymous view.
    """
    if not header:
        return None
    parts = header.split()
    if not parts or parts[0].lower() not in TOKEN_SCHEMES:
        return None
    try:
        if len(parts) != 2:
            raise TokenInvalid("bad_authorization_header")
        return await user_from_access_token(uow, parts[1])
    except TokenInvalid as exc:
        raise Refused(
            401, exc.message, errors.UNAUTHENTICATED, {"WWW-Authenticate": 'Bearer realm="graphql"'}
        ) from exc


def _is_request_error(result: ExecutionResult) -> bool:
    """Parse, validation or variable-coercion failure: execution never started.

    Field errors always carry a ``path``; errors raised before execution never do.
    """
    return (
        result.data is None
        and bool(result.errors)
        and all(error.path is None for error in result.errors or ())
    )


def encode(data: object) -> bytes:
    """UTF-8 JSON via orjson: 0.44x the bytes of escaped Cyrillic and ~20x faster to encode
    (``python -m tests.benchmarks.json_encoding``)."""
    return orjson.dumps(data)


_FIRST_OPERATION = re.compile(
    r"\s*(?:#[^\n]*\n\s*)*(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)"
)


def operation_name(operation: Operation) -> str | None:
    """The operation's name for metrics and logs: ``operationName``, else the name of the
    document's first operation (a client need not repeat it); ``None`` when anonymous."""
    if operation.operation_name:
        return operation.operation_name
    match = _FIRST_OPERATION.match(operation.query or "")
    return match[1] if match else None


def wants_ide(request: Request) -> bool:
    """A browser opening ``/graphql`` (strawberry's rule: GET, no query nor document id, HTML
    acceptable)."""
    accept = request.headers.get("accept", "")
    params = request.query_params
    return (
        request.method == "GET"
        and not any(name in params for name in ("query", "extensions", "documentId", "doc_id"))
        and ("text/html" in accept or "*/*" in accept)
    )


class GraphQLEndpoint:
    """The ASGI app at ``/graphql``; ``ide`` renders GraphiQL for browsers (None: 404)."""

    def __init__(
        self,
        schema: CitygraphSchema,
        services: Services,
        *,
        ide: Callable[[Request], Response] | None = None,
    ) -> None:
        self.schema = schema
        self.services = services
        self.ide = ide
        self.hide_suggestions = not services.settings.introspection_enabled
        settings = services.settings
        self.max_response_bytes = settings.graphql_max_response_bytes
        self.reads = CompiledReads(
            schema.as_str(),
            services.reader,
            enabled=settings.compiled_reads,
            max_cost=settings.graphql_max_cost,
            list_size=settings.graphql_list_size,
        )
        self.documents = PersistedDocuments.from_settings(
            services.settings, services.engine, schema.as_str()
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        media = negotiate_media_type(request.headers.get("accept"))
        try:
            response = await self.handle(request, media)
        except Refused as exc:
            response = self.refusal(request, exc, media or APPLICATION_JSON)
        finally:
            await request.close()
        private = "authorization" in request.headers  # the response cache skips these
        if "cache-control" not in response.headers and (private or not is_cacheable(scope)):
            response.headers["Cache-Control"] = "private, no-store" if private else "no-store"
        await response(scope, receive, send)

    async def handle(self, request: Request, media: str | None) -> Response:
        if request.method not in ("GET", "POST"):
            raise Refused(405, "GraphQL only supports GET and POST requests.")
        if wants_ide(request):
            if self.ide is None:
                raise Refused(404, "Not Found")
            return self.ide(request)
        if media is None:
            raise Refused(
                406, f"Not Acceptable: accept {GRAPHQL_RESPONSE_JSON} or {APPLICATION_JSON}"
            )
        operation = await read_operation(request)
        resolved = await self.resolve(operation)
        operation = replace(operation, query=resolved.query)
        note_operation(request.scope, operation_name(operation))
        base_url = base_url_of(request.scope)
        statement = self.reads.statement(
            operation.query,
            operation.operation_name,
            operation.variables,
            media_prefix(self.services.settings, base_url),
        )
        if statement is not None and "authorization" not in request.headers:
            response = self.compiled(await self.reads.run(statement), media)
            await self.remember(resolved)
            if not isinstance(response, TooLarge):
                mark_cacheable(request.scope)
            return response
        async with self.services.sessions() as session:
            uow = UnitOfWork(
                session,
                self.services,
                client_address=client_address(request),
                site_url=site_url_of(request.scope, self.services.settings),
            )
            uow.actor = await authenticate(request, uow)
            if uow.actor is not None:  # a failed mutation's rollback must not expire the actor
                note_user(request.scope, uow.actor.id)
                session.expunge(uow.actor)
            try:
                if statement is not None:
                    body = await self.reads.run(statement, await session.connection())
                    await self.remember(resolved)
                    return self.compiled(body, media)
                context = GraphQLContext(uow, request, base_url)
                try:
                    result = await self.execute(request, operation, context)
                finally:
                    await context.close()
            finally:
                await uow.rollback()  # reads end here; each mutation field committed already
        self.reads.learn(operation.query, operation.operation_name, result)
        if not _is_request_error(result):
            await self.remember(resolved)
        response = self.respond(request, result, media)
        if (
            not result.errors
            and self.reads.is_query(operation.query, operation.operation_name)
            and not isinstance(response, TooLarge)
        ):
            mark_cacheable(request.scope)
        return response

    async def resolve(self, operation: Operation) -> Resolved:
        """The document the request names (``persisted``), or its refusal."""
        try:
            return await self.documents.resolve(
                operation.query, operation.extensions, operation.document_id
            )
        except DocumentRefused as exc:
            raise Refused(exc.status_code, exc.message, exc.code) from exc

    async def remember(self, resolved: Resolved) -> None:
        """Register an automatic persisted query once its document ran (it is valid)."""
        if resolved.register is not None and resolved.query is not None:
            await self.documents.register(resolved.register, resolved.query)

    def compiled(self, body: bytes, media: str) -> Response:
        if len(body) > self.max_response_bytes:
            return self.too_large(len(body), media)
        return Response(body, media_type=f"{media}; charset=utf-8")

    def too_large(self, size: int, media: str) -> TooLarge:
        """The response-size cap: one clean error instead of a body too large to send
        (the cost limit keeps most such queries from running at all)."""
        error = errors.request_error(
            f"The response would be {size} bytes, more than the limit of "
            f"{self.max_response_bytes}: ask for smaller pages or fewer fields.",
            errors.RESPONSE_TOO_LARGE,
            size=size,
            maxBytes=self.max_response_bytes,
        )
        body = encode({"errors": [error], "data": None})
        return TooLarge(body, media_type=f"{media}; charset=utf-8")

    async def execute(
        self, request: Request, operation: Operation, context: GraphQLContext
    ) -> ExecutionResult:
        allowed = OperationType.from_http("GET" if request.method == "GET" else "POST")
        try:
            return await self.schema.execute(
                operation.query,
                variable_values=operation.variables,
                context_value=context,
                operation_name=operation.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=operation.extensions,
            )
        except InvalidOperationTypeError as exc:
            status = 405 if request.method == "GET" else 400
            raise Refused(status, exc.as_http_error_reason(request.method)) from exc
        except CannotGetOperationTypeError as exc:
            raise Refused(400, exc.as_http_error_reason()) from exc
        except MissingQueryError as exc:
            raise Refused(400, "No GraphQL query found in the request") from exc

    def respond(self, request: Request, result: ExecutionResult, media: str) -> Response:
        request_error = _is_request_error(result)
        body = result_body(result, self.format, with_data=not request_error)
        for error in body.get("errors", ()):
            note_error(request.scope, errors.code_of(error))
        status = 400 if request_error and media == GRAPHQL_RESPONSE_JSON else 200
        headers: dict[str, str] = {}
        outages = [o for o in map(errors.outage, result.errors or ()) if o is not None]
        if any(o.what == "database" for o in outages):
            # The database is down: the whole answer is unusable, say so at the HTTP level too.
            status = 503
            headers["Retry-After"] = str(max(o.retry_after for o in outages))
        encoded = encode(body)
        if len(encoded) > self.max_response_bytes:
            return self.too_large(len(encoded), media)
        return Response(
            encoded, status_code=status, media_type=f"{media}; charset=utf-8", headers=headers
        )

    def format(self, error: GraphQLError) -> dict[str, Any]:
        return errors.format_error(error, hide_suggestions=self.hide_suggestions)

    def refusal(self, request: Request, exc: Refused, media: str) -> Response:
        if exc.code:
            note_error(request.scope, exc.code)
        if exc.status_code == 405:
            exc.headers["Allow"] = "POST" if request.method == "GET" else "GET, POST"
        return refusal_response(exc, media)


def result_body(
    result: ExecutionResult,
    format_error: Callable[[GraphQLError], dict[str, Any]],
    *,
    with_data: bool = True,
) -> dict[str, Any]:
    """A result as the GraphQL response format words it (``data``, ``errors``, ``extensions``)."""
    body: dict[str, Any] = {}
    if with_data:
        body["data"] = result.data
    if result.errors:
        body["errors"] = [format_error(error) for error in result.errors]
    if result.extensions:
        body["extensions"] = result.extensions
    return body


def refusal_response(exc: Refused, media: str = APPLICATION_JSON) -> Response:
    """A whole request refused: one GraphQL-shaped error, the HTTP status, extra headers."""
    error: dict[str, Any] = {"message": exc.message}
    if exc.code:
        error["extensions"] = {"code": exc.code}
    return Response(
        encode({"errors": [error]}),
        status_code=exc.status_code,
        media_type=f"{media}; charset=utf-8",
        headers=exc.headers,
    )
