"""The one mapping table from domain errors to DRF/djoser/simplejwt responses."""

from __future__ import annotations

import pytest

from citygraph.domain import errors as domain
from citygraph.domain.errors import FieldError
from compat import errors
from compat.rendering import json_bytes


@pytest.mark.parametrize(
    ("exc", "status", "body", "headers"),
    [
        (
            domain.NotAuthenticated(),
            401,
            b'{"detail":"Authentication credentials were not provided."}',
            {"WWW-Authenticate": 'JWT realm="api"'},
        ),
        (
            domain.PermissionDenied(),
            403,
            b'{"detail":"You do not have permission to perform this action."}',
            {},
        ),
        (
            domain.PermissionDenied("stale_token"),
            403,
            b'{"detail":"Stale token for given user."}',
            {},
        ),
        (domain.NotFound(), 404, b'{"detail":"Not found."}', {}),
        (
            domain.InvalidInput(
                {
                    "password": [FieldError("password_too_common"), FieldError("required")],
                    "email": [FieldError("email.invalid")],
                }
            ),
            400,
            b'{"password":["This password is too common.","This field is required."],'
            b'"email":["Enter a valid email address."]}',
            {},
        ),
        (
            domain.AuthenticationFailed(),
            401,
            b'{"detail":"No active account found with the given credentials"}',
            {"WWW-Authenticate": 'JWT realm="api"'},
        ),
        (
            domain.TokenInvalid("token_blacklisted", token_type="refresh"),
            401,
            b'{"detail":"Token is blacklisted","code":"token_not_valid"}',
            {"WWW-Authenticate": 'JWT realm="api"'},
        ),
        (
            domain.RateLimited(17),
            429,
            b'{"detail":"Request was throttled. Expected available in 17 seconds."}',
            {"Retry-After": "17"},
        ),
    ],
)
def test_domain_error_table(
    exc: domain.DomainError, status: int, body: bytes, headers: dict[str, str]
) -> None:
    api = errors.from_domain_error(exc)
    assert (api.status, json_bytes(api.body), api.headers) == (status, body, headers)


@pytest.mark.parametrize(
    ("message", "body"),
    [
        ("user_not_found", b'{"detail":"User not found","code":"user_not_found"}'),
        ("user_inactive", b'{"detail":"User is inactive","code":"user_inactive"}'),
        (
            "token_no_user_id",
            b'{"detail":"Token contained no recognizable user identification",'
            b'"code":"token_not_valid"}',
        ),
        (
            "token_wrong_type",
            b'{"detail":"Given token not valid for any token type","code":"token_not_valid",'
            b'"messages":[{"token_class":"AccessToken","token_type":"access",'
            b'"message":"Token has wrong type"}]}',
        ),
    ],
)
def test_header_token_failures(message: str, body: bytes) -> None:
    api = errors.authentication_error(domain.TokenInvalid(message, token_type="access"))
    assert (api.status, json_bytes(api.body)) == (401, body)


def test_renderer_matches_drf() -> None:
    assert json_bytes({"a": "Ж\u2028", "b": [1, None, True]}) == (
        '{"a":"Ж\\u2028","b":[1,null,true]}'.encode()
    )
    with pytest.raises(ValueError, match="Out of range"):
        json_bytes({"x": float("nan")})
