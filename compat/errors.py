"""Every error body the REST face sends, in one place: DRF, djoser and simplejwt wording.

Two kinds of errors reach the client:

* ``ApiError``: a transport-level failure found by compat itself (bad JSON, unsupported media
  type, a missing field, a method the endpoint does not have...), already in its final shape;
* a :class:`citygraph.domain.errors.DomainError` raised by a domain function, mapped here by
  ``from_domain_error`` through ``DOMAIN_ERROR_STATUS`` (one table, one place).

Unknown paths get Django's production 404 page (``not_found_page``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from citygraph.domain import errors as domain
from citygraph.domain.tokens import NO_USER_IDENTIFICATION, USER_INACTIVE, USER_NOT_FOUND
from citygraph.security.jwt import INVALID_OR_EXPIRED, WRONG_TYPE

JsonBody = Any

WWW_AUTHENTICATE = 'JWT realm="api"'

# DRF / simplejwt / djoser messages used by compat itself.
NOT_AUTHENTICATED = "Authentication credentials were not provided."
PERMISSION_DENIED = "You do not have permission to perform this action."
NOT_FOUND = "Not found."
BAD_AUTHORIZATION_HEADER = "Authorization header must contain two space-delimited values"
GIVEN_TOKEN_NOT_VALID = "Given token not valid for any token type"
NOT_ACCEPTABLE = "Could not satisfy the request Accept header."
THROTTLED = "Request was throttled. Expected available in {wait} seconds."

REQUIRED = "This field is required."
NULL = "This field may not be null."
BLANK = "This field may not be blank."
NOT_A_STRING = "Not a valid string."
NOT_AN_INTEGER = "A valid integer is required."
INTEGER_STRING_TOO_LARGE = "String value too large."
NOT_A_FILE = "The submitted data was not a file. Check the encoding type on the form."
NO_DATA = "No data provided"
NULL_CHARACTERS = "Null characters are not allowed."
SURROGATES = "Surrogate characters are not allowed: U+{code:X}."

# simplejwt: user lookups that fail after the token itself verified (message -> code).
_AUTHENTICATION_CODES = {
    USER_NOT_FOUND: "user_not_found",
    USER_INACTIVE: "user_inactive",
    NO_USER_IDENTIFICATION: "token_not_valid",
}

NOT_FOUND_PAGE = (
    b'\n<!doctype html>\n<html lang="en">\n<head>\n  <title>Not Found</title>\n</head>\n'
    b"<body>\n  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n"
    b"</body>\n</html>\n"
)


class ApiError(Exception):
    """A response in its final shape: status, JSON body and extra headers."""

    def __init__(
        self, status: int, body: JsonBody, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = dict(headers or {})

    @classmethod
    def detail(cls, status: int, message: str, **headers: str) -> ApiError:
        return cls(status, {"detail": message}, headers)

    @classmethod
    def fields(cls, fields: Mapping[str, Sequence[str]]) -> ApiError:
        return cls(400, {key: list(messages) for key, messages in fields.items()})


class NotFoundPage(Exception):
    """Answer with Django's HTML 404 (a path the original's URLconf would not resolve)."""


def not_authenticated() -> ApiError:
    return ApiError(401, {"detail": NOT_AUTHENTICATED}, {"WWW-Authenticate": WWW_AUTHENTICATE})


def method_not_allowed(method: str) -> ApiError:
    return ApiError.detail(405, f'Method "{method}" not allowed.')


def unsupported_media_type(content_type: str) -> ApiError:
    return ApiError.detail(415, f'Unsupported media type "{content_type}" in request.')


def parse_error(kind: str, reason: str) -> ApiError:
    """``JSON parse error - ...`` / ``Multipart form parse error - ...`` (DRF ``ParseError``)."""
    return ApiError.detail(400, f"{kind} parse error - {reason}")


def non_field_error(message: str) -> ApiError:
    return ApiError(400, {domain.NON_FIELD_ERRORS: [message]})


def bad_authorization_header() -> ApiError:
    return ApiError(
        401,
        {"detail": BAD_AUTHORIZATION_HEADER, "code": "bad_authorization_header"},
        {"WWW-Authenticate": WWW_AUTHENTICATE},
    )


def authentication_error(exc: domain.TokenInvalid) -> ApiError:
    """simplejwt's ``JWTAuthentication`` failure for an access token in the header."""
    headers = {"WWW-Authenticate": WWW_AUTHENTICATE}
    code = _AUTHENTICATION_CODES.get(exc.message)
    if code is not None:
        return ApiError(401, {"detail": exc.message, "code": code}, headers)
    message = exc.message if exc.message in (INVALID_OR_EXPIRED, WRONG_TYPE) else INVALID_OR_EXPIRED
    body = {
        "detail": GIVEN_TOKEN_NOT_VALID,
        "code": "token_not_valid",
        "messages": [{"token_class": "AccessToken", "token_type": "access", "message": message}],
    }
    return ApiError(401, body, headers)


def _token_invalid(exc: domain.DomainError) -> ApiError:
    """simplejwt's ``InvalidToken`` on the token endpoints: ``detail`` and ``code``.

    (A token in the ``Authorization`` header is rendered by ``authentication_error``; djoser's
    one-time account tokens fail as ``InvalidInput`` on ``uid``/``token``.)
    """
    return ApiError(
        401,
        {"detail": exc.message, "code": "token_not_valid"},
        {"WWW-Authenticate": WWW_AUTHENTICATE},
    )


def _invalid_input(exc: domain.DomainError) -> ApiError:
    assert isinstance(exc, domain.InvalidInput)
    if list(exc.fields) == [""]:  # a bare list body (DRF ``ValidationError([...])``)
        return ApiError(400, exc.fields[""])
    return ApiError.fields(exc.fields)


def _rate_limited(exc: domain.DomainError) -> ApiError:
    assert isinstance(exc, domain.RateLimited)
    wait = max(int(exc.retry_after), 1)
    return ApiError(429, {"detail": THROTTLED.format(wait=wait)}, {"Retry-After": str(wait)})


def _service_unavailable(exc: domain.DomainError) -> ApiError:
    assert isinstance(exc, domain.ServiceUnavailable)
    wait = max(int(exc.retry_after), 1)
    return ApiError(503, {"detail": exc.message}, {"Retry-After": str(wait)})


def _detail(status: int, **headers: str) -> Any:
    def build(exc: domain.DomainError) -> ApiError:
        return ApiError(status, {"detail": exc.message}, headers)

    return build


# The one table: domain error -> REST response (DRF / djoser / simplejwt shapes).
DOMAIN_ERROR_STATUS: dict[type[domain.DomainError], Any] = {
    domain.NotAuthenticated: lambda exc: not_authenticated(),
    domain.PermissionDenied: _detail(403),
    domain.NotFound: _detail(404),
    domain.InvalidInput: _invalid_input,
    domain.Conflict: _detail(403),  # djoser: "Stale token for given user." is a 403
    domain.AuthenticationFailed: _detail(401, **{"WWW-Authenticate": WWW_AUTHENTICATE}),
    domain.TokenInvalid: _token_invalid,
    domain.RateLimited: _rate_limited,
    domain.ServiceUnavailable: _service_unavailable,  # an outage (the media store): try again
}


def from_domain_error(exc: domain.DomainError) -> ApiError:
    for cls in type(exc).__mro__:
        build = DOMAIN_ERROR_STATUS.get(cls)
        if build is not None:
            result: ApiError = build(exc)
            return result
    return ApiError.detail(400, exc.message)
