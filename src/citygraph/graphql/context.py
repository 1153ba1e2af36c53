"""The per-request GraphQL context: who is asking, one database session, the DataLoaders.

Resolvers of one request run concurrently (sibling fields are gathered), while an
``AsyncSession`` allows one operation at a time; every use of the session therefore goes through
``read``/``write``, which take the request's lock. ``write`` commits after each mutation field
(and rolls back on error), then clears the loaders so later fields see the new state. GraphQL
types are snapshots of rows (see ``types``), so a rollback expiring ORM objects never leaks into
the response.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from strawberry.types import Info

from citygraph.config import Settings
from citygraph.domain import media
from citygraph.domain.errors import TokenInvalid
from citygraph.domain.tokens import user_from_access_token
from citygraph.graphql.loaders import Loaders
from citygraph.security.permissions import Actor
from citygraph.services import Services

T = TypeVar("T")

#: ``Authorization`` schemes that carry an access token (compared case-insensitively).
TOKEN_SCHEMES = ("jwt", "bearer")
BAD_HEADER = "Authorization header must contain two space-delimited values"


class GraphQLContext:
    def __init__(self, services: Services, request: Request, response: Response) -> None:
        self.services = services
        self.request = request
        self.response = response
        self.actor: Actor = None
        self._session: AsyncSession | None = None
        self._lock = asyncio.Lock()
        self.loaders = Loaders(self.read)

    @property
    def settings(self) -> Settings:
        return self.services.settings

    def _session_now(self) -> AsyncSession:
        if self._session is None:
            self._session = self.services.sessions()
        return self._session

    async def read(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        async with self._lock:
            return await work(self._session_now())

    async def write(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run a mutation and commit it; roll back on any error."""
        async with self._lock:
            session = self._session_now()
            try:
                result = await work(session)
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
        self.loaders = Loaders(self.read)
        return result

    async def authenticate(self) -> None:
        """Set ``actor`` from ``Authorization: JWT <token>`` or ``Bearer <token>``.

        Other schemes are not ours and are ignored. A bad token raises ``TokenInvalid``: the
        view refuses the whole request, public queries included (a client with a broken token
        should hear about it rather than silently see the anonymous view).
        """
        header = self.request.headers.get("authorization")
        if not header:
            return
        parts = header.split()
        if not parts or parts[0].lower() not in TOKEN_SCHEMES:
            return
        if len(parts) != 2:
            raise TokenInvalid(BAD_HEADER)
        user = await self.read(
            lambda session: user_from_access_token(session, self.settings, parts[1])
        )
        async with self._lock:
            self._session_now().expunge(user)  # detached: a later rollback cannot expire it
        self.actor = user

    def media_url(self, relative: str | None) -> str | None:
        return media.media_url(self.settings, str(self.request.base_url), relative)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


GraphQLInfo = Info[GraphQLContext, None]
