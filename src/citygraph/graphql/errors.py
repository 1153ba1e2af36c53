"""The one mapping from domain errors to GraphQL errors (``extensions.code``).

=====================================================  =========================  ==============
domain error                                           ``extensions.code``        more
=====================================================  =========================  ==============
``NotAuthenticated``, ``TokenInvalid``,                ``UNAUTHENTICATED``
``AuthenticationFailed``
``PermissionDenied``                                   ``FORBIDDEN``
``NotFound``                                           ``NOT_FOUND``
``InvalidInput``                                       ``BAD_USER_INPUT``         ``fields``
``Conflict``                                           ``CONFLICT``
``RateLimited``                                        ``TOO_MANY_REQUESTS``      ``retryAfter``
``ServiceUnavailable``                                 ``SERVICE_UNAVAILABLE``    ``retryAfter``
a database outage (``domain.outages``)                 ``SERVICE_UNAVAILABLE``    ``retryAfter``
anything else raised by a resolver                     ``INTERNAL_SERVER_ERROR``  ``requestId``
=====================================================  =========================  ==============

``fields`` maps each input field to its messages and ``fieldCodes`` to their codes, with
GraphQL's camelCase names (``short_description`` → ``shortDescription``, the ``district``
relation → ``districtId``); the message names the first field the same way.
Unexpected exceptions are masked ("Internal server error", no traceback, no SQL) and logged with
the request id. Parse and validation errors keep graphql-core's message, minus the
"Did you mean ...?" hints when suggestions are off (production).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from typing import Any

from graphql import GraphQLError

from citygraph.domain.errors import (
    AuthenticationFailed,
    Conflict,
    DomainError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServiceUnavailable,
    TokenInvalid,
)
from citygraph.domain.outages import database_unavailable
from citygraph.web.middleware import request_id_var

log = logging.getLogger("citygraph.graphql")

UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
NOT_FOUND = "NOT_FOUND"
BAD_USER_INPUT = "BAD_USER_INPUT"
CONFLICT = "CONFLICT"
TOO_MANY_REQUESTS = "TOO_MANY_REQUESTS"
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
RESPONSE_TOO_LARGE = "RESPONSE_TOO_LARGE"
INTERNAL_MESSAGE = "Internal server error"

#: Most specific first; the first ``isinstance`` match wins.
CODES: tuple[tuple[type[DomainError], str], ...] = (
    (NotAuthenticated, UNAUTHENTICATED),
    (TokenInvalid, UNAUTHENTICATED),
    (AuthenticationFailed, UNAUTHENTICATED),
    (PermissionDenied, FORBIDDEN),
    (NotFound, NOT_FOUND),
    (InvalidInput, BAD_USER_INPUT),
    (Conflict, CONFLICT),
    (RateLimited, TOO_MANY_REQUESTS),
    (ServiceUnavailable, SERVICE_UNAVAILABLE),
)

#: Domain field names whose GraphQL input is not simply their camelCase.
FIELD_NAMES = {"district": "districtId"}

_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def camel_case(name: str) -> str:
    if name in FIELD_NAMES:
        return FIELD_NAMES[name]
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def code_for(error: DomainError) -> str:
    for error_type, code in CODES:
        if isinstance(error, error_type):
            return code
    return INTERNAL_SERVER_ERROR


def domain_message(error: DomainError) -> str:
    if isinstance(error, InvalidInput) and error.first is not None:
        name, first = error.first
        return f"{camel_case(name)}: {first.message}"
    return error.message


def domain_extensions(error: DomainError) -> dict[str, Any]:
    extensions: dict[str, Any] = {"code": code_for(error)}
    if isinstance(error, InvalidInput):
        extensions["fields"] = {
            camel_case(key): [e.message for e in errs] for key, errs in error.fields.items()
        }
        extensions["fieldCodes"] = {
            camel_case(key): [e.code for e in errs] for key, errs in error.fields.items()
        }
    if isinstance(error, RateLimited | ServiceUnavailable):
        extensions["retryAfter"] = error.retry_after
    return extensions


def is_unexpected(error: GraphQLError) -> bool:
    """Raised while resolving (it has a ``path``) and neither a domain error nor a GraphQL error
    on purpose: a bug or an outage, to be masked. Errors without a path come from parsing,
    validation or variable coercion (a scalar's ``ValueError``) and speak about the request."""
    original = error.original_error
    return (
        error.path is not None
        and original is not None
        and not isinstance(original, DomainError | GraphQLError)
    )


def stream_result_formatter(
    format_error: Callable[[GraphQLError], dict[str, Any]],
) -> Callable[[GraphQLError], dict[str, Any]]:
    """``format_error`` for a subscription's results: there an error without a ``path`` that
    is neither a domain nor a GraphQL error broke the event stream itself (an outage, a bug),
    not the request (request errors come before any result), so it is logged and masked too."""

    def format_result_error(error: GraphQLError) -> dict[str, Any]:
        original = error.original_error
        if (
            error.path is None
            and original is not None
            and not isinstance(original, DomainError | GraphQLError)
        ):
            log.error("a subscription's event stream failed", exc_info=original)
            return request_error(INTERNAL_MESSAGE, INTERNAL_SERVER_ERROR)
        return format_error(error)

    return format_result_error


def log_unexpected(errors: Sequence[GraphQLError]) -> None:
    for error in errors:
        if is_unexpected(error) and outage(error) is None:
            log.error(
                "unexpected error in GraphQL resolver at %s [request %s]",
                ".".join(str(part) for part in error.path or ()) or "-",
                request_id_var.get(),
                exc_info=error.original_error,
            )


def outage(error: GraphQLError) -> ServiceUnavailable | None:
    """The database outage behind a resolver's failure (``domain.outages``), if that is what
    it was: answered as ``SERVICE_UNAVAILABLE`` with HTTP 503, not masked as a bug."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return None
    if isinstance(original, DomainError):
        return original if isinstance(original, ServiceUnavailable) else None
    return database_unavailable(original)


def format_error(error: GraphQLError, *, hide_suggestions: bool) -> dict[str, Any]:
    formatted: dict[str, Any] = dict(error.formatted)
    original = error.original_error
    if not isinstance(original, DomainError) and is_unexpected(error):
        original = outage(error) or original
    if isinstance(original, DomainError):
        formatted["message"] = domain_message(original)
        formatted["extensions"] = {**(error.extensions or {}), **domain_extensions(original)}
    elif is_unexpected(error):
        formatted["message"] = INTERNAL_MESSAGE
        formatted["extensions"] = {
            "code": INTERNAL_SERVER_ERROR,
            "requestId": request_id_var.get(),
        }
    elif hide_suggestions:
        formatted["message"] = _SUGGESTION.sub("", formatted["message"])
    return formatted


def code_of(formatted: dict[str, Any]) -> str:
    """A formatted error's ``extensions.code``; parse and validation errors have none and are
    named as other GraphQL servers name them."""
    code = (formatted.get("extensions") or {}).get("code")
    if isinstance(code, str):
        return code
    if str(formatted.get("message", "")).startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    return "GRAPHQL_VALIDATION_FAILED"


def request_error(message: str, code: str, **extensions: Any) -> dict[str, Any]:
    """A GraphQL error raised before execution (no ``locations``, no ``path``)."""
    return {"message": message, "extensions": {"code": code, **extensions}}
