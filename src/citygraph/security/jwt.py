"""JWTs in djangorestframework-simplejwt's layout, so tokens move between the two services.

Claims: ``token_type`` (``access``/``refresh``), ``exp``, ``iat``, ``jti`` (uuid4 hex) and
``user_id``. HS256 over the secret key by default; RS256/ES256 with a key pair when configured.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import jwt

from citygraph.config import Settings

TokenType = Literal["access", "refresh"]


class BadToken(Exception):
    """A token that does not verify; ``reason`` is ``token_not_valid`` or ``token_wrong_type``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


INVALID = "token_not_valid"
WRONG_TYPE = "token_wrong_type"


@dataclass(frozen=True)
class TokenClaims:
    token_type: TokenType
    user_id: int
    jti: str
    exp: datetime
    iat: datetime


def _signing_key(settings: Settings) -> str | bytes:
    if settings.jwt_algorithm == "HS256":
        return settings.secret_key
    if settings.jwt_private_key_file is None:
        raise RuntimeError(f"{settings.jwt_algorithm} needs CITYGRAPH_JWT_PRIVATE_KEY_FILE")
    return settings.jwt_private_key_file.read_bytes()


def _verifying_key(settings: Settings) -> str | bytes:
    if settings.jwt_algorithm == "HS256":
        return settings.secret_key
    if settings.jwt_public_key_file is None:
        raise RuntimeError(f"{settings.jwt_algorithm} needs CITYGRAPH_JWT_PUBLIC_KEY_FILE")
    return settings.jwt_public_key_file.read_bytes()


def lifetime(settings: Settings, token_type: TokenType) -> timedelta:
    seconds = (
        settings.access_token_lifetime
        if token_type == "access"
        else settings.refresh_token_lifetime
    )
    return timedelta(seconds=seconds)


def encode(
    settings: Settings,
    token_type: TokenType,
    user_id: int,
    *,
    now: datetime | None = None,
    issued_at: datetime | None = None,
) -> str:
    """A signed token; ``exp`` counts from ``now``.

    ``issued_at`` overrides ``iat``: simplejwt copies the refresh token's ``iat`` into the access
    tokens it mints from it, and so do we.
    """
    issued = now or datetime.now(UTC)
    payload: dict[str, Any] = {
        "token_type": token_type,
        "exp": int((issued + lifetime(settings, token_type)).timestamp()),
        "iat": int((issued_at or issued).timestamp()),
        "jti": uuid.uuid4().hex,
        "user_id": user_id,
    }
    return jwt.encode(payload, _signing_key(settings), algorithm=settings.jwt_algorithm)


def _verified(settings: Settings, token: str, required: list[str]) -> dict[str, Any]:
    """The payload of a token whose signature and expiry hold and that has ``required`` claims.

    A token is base64url text: anything else (e.g. a lone surrogate) never reaches PyJWT.
    """
    if not token.isascii():
        raise BadToken(INVALID)
    try:
        payload: dict[str, Any] = jwt.decode(
            token,
            _verifying_key(settings),
            algorithms=[settings.jwt_algorithm],
            options={"require": required},
        )
    except jwt.PyJWTError as exc:
        raise BadToken(INVALID) from exc
    return payload


def decode_payload(settings: Settings, token: str, expected_type: TokenType) -> dict[str, Any]:
    """Signature, expiry, ``jti`` and type checked; the ``user_id`` claim is left to the caller."""
    payload = _verified(settings, token, ["exp", "token_type", "jti"])
    if payload.get("token_type") != expected_type:
        raise BadToken(WRONG_TYPE)
    return payload


def user_id_claim(value: object) -> int | None:
    """The account number a ``user_id`` claim names (an int or a decimal string), else ``None``."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        return int(value)
    except ValueError:
        return None


def decode(settings: Settings, token: str, expected_type: TokenType) -> TokenClaims:
    """Verify signature, expiry and type; ``BadToken`` otherwise (simplejwt's reasons).

    The token must also name a user (``user_id``), as every token citygraph mints does.
    """
    payload = decode_payload(settings, token, expected_type)
    uid = user_id_claim(payload.get("user_id"))
    if uid is None:
        raise BadToken(INVALID)
    return TokenClaims(
        token_type=expected_type,
        user_id=uid,
        jti=str(payload["jti"]),
        exp=datetime.fromtimestamp(int(payload["exp"]), UTC),
        iat=datetime.fromtimestamp(int(payload.get("iat", payload["exp"])), UTC),
    )


def decode_untyped(settings: Settings, token: str) -> dict[str, Any]:
    """simplejwt's ``UntypedToken``: signature, expiry and a ``jti``, whatever the token type."""
    return _verified(settings, token, ["exp", "jti"])
