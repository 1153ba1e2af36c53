"""JWT operations over accounts: who a request's access token identifies."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from citygraph.config import Settings
from citygraph.domain.errors import TokenInvalid
from citygraph.models import User
from citygraph.security import jwt
from citygraph.security.jwt import INVALID_OR_EXPIRED


async def user_from_access_token(session: AsyncSession, settings: Settings, token: str) -> User:
    """The active user an access token names; ``TokenInvalid`` otherwise (simplejwt wording)."""
    claims = jwt.decode(settings, token, "access")
    user = await session.get(User, claims.user_id)
    if user is None or not user.is_active:
        raise TokenInvalid(INVALID_OR_EXPIRED, token_type="access")
    return user
