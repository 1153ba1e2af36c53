"""The per-request GraphQL context: the request's unit of work and its DataLoaders.

Resolvers of one request run concurrently (sibling fields are gathered), while a session allows
one operation at a time; every use of the unit therefore goes through ``read``/``write``, which
take the request's lock. ``write`` commits after each mutation field (and rolls back on error),
then clears the loaders so later fields see the new state. GraphQL types are snapshots of rows
(see ``types``), so a rollback expiring ORM objects never leaks into the response.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from starlette.requests import HTTPConnection
from strawberry.types import Info

from citygraph.config import Settings
from citygraph.domain import media
from citygraph.domain.unit import UnitOfWork
from citygraph.graphql.loaders import Loaders

T = TypeVar("T")


class RequestFinished(Exception):
    """A resolver outlived its request (its result is no longer wanted)."""


class GraphQLContext:
    def __init__(self, uow: UnitOfWork, request: HTTPConnection, base_url: str) -> None:
        self.uow = uow
        self.request = request
        self.base_url = base_url
        self._lock = asyncio.Lock()
        self._closed = False
        self.loaders = Loaders(self.read)

    @property
    def settings(self) -> Settings:
        return self.uow.settings

    async def read(self, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        async with self._lock:
            self._check_open()
            return await work(self.uow)

    async def write(self, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        """Run a mutation and commit it; roll back on any error."""
        async with self._lock:
            self._check_open()
            try:
                result = await work(self.uow)
            except BaseException:
                await self.uow.rollback()
                raise
            await self.uow.commit()
        self.loaders = Loaders(self.read)
        return result

    def _check_open(self) -> None:
        if self._closed:
            raise RequestFinished

    async def close(self) -> None:
        """End the request's use of the unit: wait for the read in flight, refuse later ones.

        When a non-null field fails, graphql-core answers without waiting for its siblings; a
        sibling still running must not touch the session after the request has released it.
        """
        async with self._lock:
            self._closed = True

    def media_url(self, relative: str | None) -> str | None:
        return media.media_url(self.settings, self.base_url, relative)


GraphQLInfo = Info[GraphQLContext, None]
