"""Per-request DataLoaders: one SQL statement per kind of relation and level of the query.

``{ districts { places(first: 100) { edges { node { images { id } district { title } } } } } }``
costs three statements whatever the number of rows: the districts (which also prime the
district loader), the first places of every district (one ``ROW_NUMBER()`` window query) and
the images of every place on the page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.dataloader import DataLoader

from citygraph.domain import districts, places
from citygraph.graphql.types import DistrictNode, PlaceImageNode, PlaceNode

T = TypeVar("T")


class Reader(Protocol):
    """``GraphQLContext.read``: run work on the request's session, one at a time."""

    def __call__(self, work: Callable[[AsyncSession], Awaitable[T]], /) -> Awaitable[T]: ...


class Loaders:
    """Created per request (and again after each mutation commits)."""

    def __init__(self, read: Reader) -> None:
        self._read = read
        self.district: DataLoader[int, DistrictNode | None] = DataLoader(self._districts)
        self.place: DataLoader[int, PlaceNode | None] = DataLoader(self._places)
        self.images: DataLoader[int, list[PlaceImageNode]] = DataLoader(self._images)
        self.place_count: DataLoader[int, int] = DataLoader(self._place_counts)
        self._district_places: dict[tuple[int, int | None], DataLoader[int, list[PlaceNode]]] = {}

    async def _districts(self, ids: Sequence[int]) -> list[DistrictNode | None]:
        rows = await self._read(lambda session: districts.districts_by_ids(session, ids))
        return [DistrictNode.from_row(rows[pk]) if pk in rows else None for pk in ids]

    async def _places(self, ids: Sequence[int]) -> list[PlaceNode | None]:
        rows = await self._read(lambda session: places.places_by_ids(session, ids))
        return [PlaceNode.from_row(rows[pk]) if pk in rows else None for pk in ids]

    async def _images(self, place_ids: Sequence[int]) -> list[list[PlaceImageNode]]:
        rows = await self._read(lambda session: places.images_for_places(session, place_ids))
        return [[PlaceImageNode.from_row(image) for image in rows[pk]] for pk in place_ids]

    async def _place_counts(self, district_ids: Sequence[int]) -> list[int]:
        counts = await self._read(lambda session: districts.count_places(session, district_ids))
        return [counts[pk] for pk in district_ids]

    def district_places(self, limit: int, after_id: int | None) -> DataLoader[int, list[PlaceNode]]:
        """Up to ``limit`` places per district id (after ``after_id``), one statement per batch."""
        key = (limit, after_id)
        if key not in self._district_places:

            async def load(district_ids: Sequence[int]) -> list[list[PlaceNode]]:
                rows = await self._read(
                    lambda session: places.first_places_per_district(
                        session, district_ids, limit=limit, after_id=after_id
                    )
                )
                return [[PlaceNode.from_row(row) for row in rows[pk]] for pk in district_ids]

            self._district_places[key] = DataLoader(load)
        return self._district_places[key]

    def prime_districts(self, nodes: Sequence[DistrictNode]) -> None:
        for node in nodes:
            self.district.prime(node.id, node)

    def prime_places(self, nodes: Sequence[PlaceNode]) -> None:
        for node in nodes:
            self.place.prime(node.id, node)
