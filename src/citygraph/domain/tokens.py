"""JWT operations over accounts, with djangorestframework-simplejwt 5.4.0's behaviour.

* ``create_token_pair``: the one login (``accounts.log_in``: rate limit, then credentials), then
  a fresh pair; any failure is ``AuthenticationFailed`` (``no_active_account``).
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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from citygraph.domain import accounts
from citygraph.domain.errors import AuthenticationFailed, TokenInvalid
from citygraph.domain.parsers import NO_ID, parse_id
from citygraph.domain.unit import UnitOfWork
from citygraph.models import BlacklistedToken, User
from citygraph.security import jwt

PRUNE_ONE_IN = 100
T = TypeVar("T")


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str | None  # None from ``refresh`` unless rotation is on


def _checked(token_type: str | None, decode: Callable[[], T]) -> T:
    """Run a JWT check, turning its refusal into ``TokenInvalid`` with simplejwt's reason."""
    try:
        return decode()
    except jwt.BadToken as exc:
        raise TokenInvalid(exc.reason, token_type=token_type) from exc


async def user_from_access_token(uow: UnitOfWork, token: str) -> User:
    """The active user an access token names; ``TokenInvalid`` otherwise, in simplejwt's words.

    As simplejwt's ``JWTAuthentication.get_user``: a token without ``user_id`` is
    ``token_no_user_id``; a user that does not exist (deleted, or a claim naming no account)
    ``user_not_found``; a deactivated one ``user_inactive``. (simplejwt answers a 500 for a
    non-numeric ``user_id``; here that names no account.)
    """
    payload = _checked("access", lambda: jwt.decode_payload(uow.settings, token, "access"))
    if "user_id" not in payload:
        raise TokenInvalid("token_no_user_id", token_type="access")
    uid = parse_id(jwt.user_id_claim(payload["user_id"]) or 0)
    user = await uow.session.get(User, uid) if uid != NO_ID else None
    if user is None:
        raise TokenInvalid("user_not_found", token_type="access")
    if not user.is_active:
        raise TokenInvalid("user_inactive", token_type="access")
    return user


def _pair(uow: UnitOfWork, user_id: int) -> TokenPair:
    now = uow.now()
    return TokenPair(
        access=jwt.encode(uow.settings, "access", user_id, now=now),
        refresh=jwt.encode(uow.settings, "refresh", user_id, now=now),
    )


async def create_token_pair(uow: UnitOfWork, credentials: accounts.Credentials) -> TokenPair:
    """Log in (``accounts.log_in``) and mint a fresh access/refresh pair."""
    user = await accounts.log_in(uow, credentials)
    assert user.id is not None
    return _pair(uow, user.id)


async def _is_blacklisted(session: AsyncSession, jti: str) -> bool:
    result = await session.exec(select(BlacklistedToken.jti).where(BlacklistedToken.jti == jti))
    return result.first() is not None


async def _blacklist(uow: UnitOfWork, claims: jwt.TokenClaims) -> bool:
    """Insert the token's ``jti``; ``False`` when it was already there (someone got there first)."""
    values: dict[str, Any] = {
        "jti": claims.jti,
        "user_id": parse_id(claims.user_id) or None,
        "expires_at": claims.exp,
        "blacklisted_at": uow.now(),
    }
    table = BlacklistedToken.__table__  # type: ignore[attr-defined]
    session = uow.session
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(table).values(**values).on_conflict_do_nothing()
    result = await session.exec(statement)
    if secrets.randbelow(PRUNE_ONE_IN) == 0:
        await prune_blacklist(uow)
    return bool(result.rowcount == 1)


async def refresh(uow: UnitOfWork, refresh_token: str) -> TokenPair:
    settings = uow.settings
    claims = _checked("refresh", lambda: jwt.decode(settings, refresh_token, "refresh"))
    if await _is_blacklisted(uow.session, claims.jti):
        raise TokenInvalid("token_blacklisted", token_type="refresh")
    uid = parse_id(claims.user_id)
    user = await uow.session.get(User, uid) if uid != NO_ID else None
    if user is None or not user.is_active:
        raise AuthenticationFailed("no_active_account_for_token")
    now = uow.now()
    access = jwt.encode(settings, "access", claims.user_id, now=now, issued_at=claims.iat)
    if not settings.rotate_refresh_tokens:
        return TokenPair(access=access, refresh=None)
    if not await _blacklist(uow, claims):
        raise TokenInvalid("token_blacklisted", token_type="refresh")
    return TokenPair(
        access=access, refresh=jwt.encode(settings, "refresh", claims.user_id, now=now)
    )


async def verify(uow: UnitOfWork, token: str) -> None:
    """Valid signature, not expired, not blacklisted; any token type. ``TokenInvalid`` otherwise."""
    payload = _checked(None, lambda: jwt.decode_untyped(uow.settings, token))
    if await _is_blacklisted(uow.session, str(payload["jti"])):
        raise TokenInvalid("token_blacklisted")


async def logout(uow: UnitOfWork, refresh_token: str) -> None:
    """Blacklist a refresh token so it can no longer be refreshed (again: no error)."""
    claims = _checked("refresh", lambda: jwt.decode(uow.settings, refresh_token, "refresh"))
    await _blacklist(uow, claims)


async def prune_blacklist(uow: UnitOfWork) -> int:
    """Delete blacklist entries whose token has expired anyway; returns how many."""
    result = await uow.session.exec(
        delete(BlacklistedToken).where(col(BlacklistedToken.expires_at) < uow.now())
    )
    return int(result.rowcount or 0)
