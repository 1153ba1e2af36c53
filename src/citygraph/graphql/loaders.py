"""Per-request DataLoaders: one SQL statement per kind of relation and level of the query.

``{ districts { places(first: 100) { edges { node { images { id } district { title } } } } } }``
costs three statements whatever the number of rows: the districts (which also prime the
district loader), the first places of every district (one ``ROW_NUMBER()`` window query) and
the images of every place on the page. Loaders hand out rows; the GraphQL types snapshot them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, TypeVar

from strawberry.dataloader import DataLoader

from citygraph.domain import districts, places
from citygraph.domain.parsers import Id
from citygraph.domain.unit import UnitOfWork
from citygraph.models import District, Place, PlaceImage

T = TypeVar("T")


class Reader(Protocol):
    """``GraphQLContext.read``: run work on the request's unit, one at a time."""

    def __call__(self, work: Callable[[UnitOfWork], Awaitable[T]], /) -> Awaitable[T]: ...


class Loaders:
    """Created per request (and again after each mutation commits)."""

    def __init__(self, read: Reader) -> None:
        self._read = read
        self.district: DataLoader[Id, District | None] = DataLoader(self._districts)
        self.place: DataLoader[Id, Place | None] = DataLoader(self._places)
        self.images: DataLoader[Id, list[PlaceImage]] = DataLoader(self._images)
        self.place_count: DataLoader[Id, int] = DataLoader(self._place_counts)
        self._district_places: dict[tuple[int, Id | None], DataLoader[Id, list[Place]]] = {}
        self._places_before: dict[Id, DataLoader[Id, int]] = {}

    async def _districts(self, ids: Sequence[Id]) -> list[District | None]:
        rows = await self._read(lambda uow: districts.districts_by_ids(uow.session, ids))
        return [rows.get(pk) for pk in ids]

    async def _places(self, ids: Sequence[Id]) -> list[Place | None]:
        rows = await self._read(lambda uow: places.places_by_ids(uow.session, ids))
        return [rows.get(pk) for pk in ids]

    async def _images(self, place_ids: Sequence[Id]) -> list[list[PlaceImage]]:
        rows = await self._read(lambda uow: places.images_for_places(uow.session, place_ids))
        return [rows[pk] for pk in place_ids]

    async def _place_counts(self, district_ids: Sequence[Id]) -> list[int]:
        counts = await self._read(lambda uow: districts.count_places(uow.session, district_ids))
        return [counts[pk] for pk in district_ids]

    def district_places(self, limit: int, after_id: Id | None) -> DataLoader[Id, list[Place]]:
        """Up to ``limit`` places per district id (after ``after_id``), one statement per batch."""
        key = (limit, after_id)
        if key not in self._district_places:

            async def load(district_ids: Sequence[Id]) -> list[list[Place]]:
                rows = await self._read(
                    lambda uow: places.first_places_per_district(
                        uow.session, district_ids, limit=limit, after_id=after_id
                    )
                )
                return [rows[pk] for pk in district_ids]

            self._district_places[key] = DataLoader(load)
        return self._district_places[key]

    def places_before(self, cursor: Id) -> DataLoader[Id, int]:
        """How many places of each district come at or before ``cursor`` (one statement)."""
        if cursor not in self._places_before:

            async def load(district_ids: Sequence[Id]) -> list[int]:
                counts = await self._read(
                    lambda uow: districts.count_places(uow.session, district_ids, up_to=cursor)
                )
                return [counts[pk] for pk in district_ids]

            self._places_before[cursor] = DataLoader(load)
        return self._places_before[cursor]

    def prime_districts(self, rows: Sequence[District]) -> None:
        for row in rows:
            assert row.id is not None
            self.district.prime(Id(row.id), row)

    def prime_places(self, rows: Sequence[Place]) -> None:
        for row in rows:
            assert row.id is not None
            self.place.prime(Id(row.id), row)
