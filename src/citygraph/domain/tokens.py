"""JWT operations over accounts, with djangorestframework-simplejwt 5.4.0's behaviour.

* ``create_token_pair``: rate-limited login; any failure is ``AuthenticationFailed`` with
  ``No active account found with the given credentials``.
* ``refresh``: a new access token (its ``iat`` copied from the refresh token, as simplejwt
  does). With ``settings.rotate_refresh_tokens`` also a new refresh token, and the old one is
  blacklisted atomically, so two concurrent uses of one refresh token cannot both rotate it.
  Refused: invalid/expired/blacklisted tokens (``TokenInvalid``) and deleted or inactive users
  (``AuthenticationFailed("No active account found for the given token.")``; simplejwt 5.4.0
  answers a 500 for a deleted user, we do not).
* ``verify``: signature and expiry of any token type (simplejwt's ``UntypedToken``), plus the
  blacklist (simplejwt checks it too when its blacklist app is installed).
* ``logout``: blacklists a refresh token (idempotent). Access tokens already issued stay valid
  until they expire (5 minutes by default), as with simplejwt.

The blacklist is the ``token_blacklist`` table, so every worker sees it. Expired rows are deleted
by ``citygraph prune-tokens`` and, opportunistically, by one in ``PRUNE_ONE_IN`` blacklist
insertions (no scheduler process needed; the table stays bounded by the refresh lifetime).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from citygraph.config import Settings
from citygraph.domain import accounts
from citygraph.domain.errors import AuthenticationFailed, TokenInvalid
from citygraph.domain.fields import is_storable_id
from citygraph.models import BlacklistedToken, User
from citygraph.security import jwt
from citygraph.services import Services

BLACKLISTED = "Token is blacklisted"
# simplejwt's ``JWTAuthentication`` after the token itself verified.
NO_USER_IDENTIFICATION = "Token contained no recognizable user identification"
USER_NOT_FOUND = "User not found"
USER_INACTIVE = "User is inactive"
NO_ACTIVE_ACCOUNT_FOR_TOKEN = "No active account found for the given token."
PRUNE_ONE_IN = 100


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str | None  # None from ``refresh`` unless rotation is on


async def user_from_access_token(session: AsyncSession, settings: Settings, token: str) -> User:
    """The active user an access token names; ``TokenInvalid`` otherwise, in simplejwt's words.

    As simplejwt's ``JWTAuthentication.get_user``: a token without ``user_id`` is
    ``NO_USER_IDENTIFICATION``; a user that does not exist (deleted, or a claim naming no
    account) ``USER_NOT_FOUND``; a deactivated one ``USER_INACTIVE``. (simplejwt answers a 500 for
    a non-numeric ``user_id``; here that names no account.)
    """
    payload = jwt.decode_payload(settings, token, "access")
    if "user_id" not in payload:
        raise TokenInvalid(NO_USER_IDENTIFICATION, token_type="access")
    uid = jwt.user_id_claim(payload["user_id"])
    user = await session.get(User, uid) if uid is not None and is_storable_id(uid) else None
    if user is None:
        raise TokenInvalid(USER_NOT_FOUND, token_type="access")
    if not user.is_active:
        raise TokenInvalid(USER_INACTIVE, token_type="access")
    return user


async def create_token_pair(
    session: AsyncSession,
    services: Services,
    *,
    username: str,
    password: str,
    client_address: str | None,
) -> TokenPair:
    """Log in: ``RateLimited`` first (per address and per username), then the credentials."""
    await services.limiter.hit("login", [("address", client_address), ("username", username)])
    user = await accounts.authenticate(session, services.settings, username, password)
    assert user.id is not None
    now = datetime.now(UTC)
    return TokenPair(
        access=jwt.encode(services.settings, "access", user.id, now=now),
        refresh=jwt.encode(services.settings, "refresh", user.id, now=now),
    )


async def _is_blacklisted(session: AsyncSession, jti: str) -> bool:
    result = await session.exec(select(BlacklistedToken.jti).where(BlacklistedToken.jti == jti))
    return result.first() is not None


async def _blacklist(session: AsyncSession, claims: jwt.TokenClaims) -> bool:
    """Insert the token's ``jti``; ``False`` when it was already there (someone got there first)."""
    values = {
        "jti": claims.jti,
        "user_id": claims.user_id,
        "expires_at": claims.exp,
        "blacklisted_at": datetime.now(UTC),
    }
    table = BlacklistedToken.__table__  # type: ignore[attr-defined]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(table).values(**values).on_conflict_do_nothing()
    result = await session.exec(statement)
    if secrets.randbelow(PRUNE_ONE_IN) == 0:
        await prune_blacklist(session)
    return result.rowcount == 1


async def refresh(session: AsyncSession, settings: Settings, refresh_token: str) -> TokenPair:
    claims = jwt.decode(settings, refresh_token, "refresh")
    if await _is_blacklisted(session, claims.jti):
        raise TokenInvalid(BLACKLISTED, token_type="refresh")
    user = await session.get(User, claims.user_id)
    if user is None or not user.is_active:
        raise AuthenticationFailed(NO_ACTIVE_ACCOUNT_FOR_TOKEN)
    now = datetime.now(UTC)
    access = jwt.encode(settings, "access", claims.user_id, now=now, issued_at=claims.iat)
    if not settings.rotate_refresh_tokens:
        return TokenPair(access=access, refresh=None)
    if not await _blacklist(session, claims):
        raise TokenInvalid(BLACKLISTED, token_type="refresh")
    return TokenPair(
        access=access, refresh=jwt.encode(settings, "refresh", claims.user_id, now=now)
    )


async def verify(session: AsyncSession, settings: Settings, token: str) -> None:
    """Valid signature, not expired, not blacklisted; any token type. ``TokenInvalid`` otherwise."""
    payload = jwt.decode_untyped(settings, token)
    if await _is_blacklisted(session, str(payload["jti"])):
        raise TokenInvalid(BLACKLISTED)


async def logout(session: AsyncSession, settings: Settings, refresh_token: str) -> None:
    """Blacklist a refresh token so it can no longer be refreshed (again: no error)."""
    claims = jwt.decode(settings, refresh_token, "refresh")
    await _blacklist(session, claims)


async def prune_blacklist(session: AsyncSession) -> int:
    """Delete blacklist entries whose token has expired anyway; returns how many."""
    result = await session.exec(
        delete(BlacklistedToken).where(col(BlacklistedToken.expires_at) < datetime.now(UTC))
    )
    return int(result.rowcount or 0)
