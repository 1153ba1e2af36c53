"""GraphQL object and input types of districts and places.

Object types are snapshots of rows (``from_row``): plain values, safe to use after the session
committed or rolled back. Relations resolve through the request's DataLoaders
(``info.context.loaders``), never with a query per row.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast

import strawberry
from strawberry import Private

from citygraph import models
from citygraph.domain.pagination import (
    DEFAULT_PAGE_SIZE,
    Page,
    check_page_size,
    decode_cursor,
    encode_cursor,
)
from citygraph.graphql.scalars import Upload

if TYPE_CHECKING:
    from citygraph.graphql.context import GraphQLContext

strawberry.enum(
    models.PlaceType,
    name="PlaceType",
    description="What a place is (REST: unique_place, park, museum, temple, monument).",
)

FIRST_HELP = f"Page size: 0..100, default {DEFAULT_PAGE_SIZE}; more is a BAD_USER_INPUT error."
AFTER_HELP = "The endCursor of the previous page."


F = TypeVar("F", bound=Callable[..., Any])


def context(info: strawberry.Info) -> GraphQLContext:
    return cast("GraphQLContext", info.context)


def described_field(*, description: str) -> Callable[[F], F]:
    """``strawberry.field(description=...)``, typed for mypy (strawberry's overload is Any)."""
    decorator: Callable[[F], F] = strawberry.field(description=description)
    return decorator


def described_mutation(*, description: str) -> Callable[[F], F]:
    decorator: Callable[[F], F] = strawberry.mutation(description=description)
    return decorator


@strawberry.type(description="Relay page information.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(name="District", description="One of Moscow's administrative okrugs.")
class DistrictNode:
    id: int
    title: str
    abbreviation: str
    image_path: Private[str | None]

    @classmethod
    def from_row(cls, row: models.District) -> DistrictNode:
        assert row.id is not None
        return cls(id=row.id, title=row.title, abbreviation=row.abbreviation, image_path=row.image)

    @described_field(description="Absolute URL of the district's image, or null.")
    def image(self, info: strawberry.Info) -> str | None:
        return context(info).media_url(self.image_path)

    @described_field(description="The district's places, ordered by id.")
    async def places(
        self,
        info: strawberry.Info,
        first: Annotated[int, strawberry.argument(description=FIRST_HELP)] = DEFAULT_PAGE_SIZE,
        after: Annotated[str | None, strawberry.argument(description=AFTER_HELP)] = None,
    ) -> PlaceConnection:
        check_page_size(first)
        after_id = decode_cursor(after) if after is not None else None
        loaders = context(info).loaders
        nodes = await loaders.district_places(first + 1, after_id).load(self.id)
        loaders.prime_places(nodes[:first])

        async def total() -> int:
            return await loaders.place_count.load(self.id)

        return PlaceConnection.build(nodes, first=first, after_id=after_id, total=total)

    @described_field(description="Number of places in the district.")
    async def place_count(self, info: strawberry.Info) -> int:
        return await context(info).loaders.place_count.load(self.id)


@strawberry.type(name="Place", description="A place worth a visit.")
class PlaceNode:
    id: int
    title: str
    short_description: str
    full_description: str
    latitude: Decimal = strawberry.field(description='Degrees, 6 decimals ("55.753930").')
    longitude: Decimal = strawberry.field(description='Degrees, 6 decimals ("37.620795").')
    type: models.PlaceType
    district_id: Private[int]

    @classmethod
    def from_row(cls, row: models.Place) -> PlaceNode:
        assert row.id is not None
        return cls(
            id=row.id,
            title=row.title,
            short_description=row.short_description,
            full_description=row.full_description,
            latitude=row.latitude,
            longitude=row.longitude,
            type=row.type,
            district_id=row.district_id,
        )

    @strawberry.field
    async def district(self, info: strawberry.Info) -> DistrictNode:
        node = await context(info).loaders.district.load(self.district_id)
        assert node is not None  # the foreign key guarantees it
        return node

    @described_field(description="The place's images, ordered by id.")
    async def images(self, info: strawberry.Info) -> list[PlaceImageNode]:
        return await context(info).loaders.images.load(self.id)


@strawberry.type(name="PlaceImage", description="A photo or illustration of a place.")
class PlaceImageNode:
    id: int
    image_path: Private[str]
    place_id: Private[int]

    @classmethod
    def from_row(cls, row: models.PlaceImage) -> PlaceImageNode:
        assert row.id is not None
        return cls(id=row.id, image_path=row.image, place_id=row.place_id)

    @described_field(description="Absolute URL of the image file.")
    def image(self, info: strawberry.Info) -> str:
        url = context(info).media_url(self.image_path)
        assert url is not None
        return url

    @strawberry.field
    async def place(self, info: strawberry.Info) -> PlaceNode:
        node = await context(info).loaders.place.load(self.place_id)
        assert node is not None  # the foreign key guarantees it
        return node


@strawberry.type
class PlaceEdge:
    cursor: str
    node: PlaceNode


@strawberry.type(description="A page of places (Relay connection), ordered by id.")
class PlaceConnection:
    edges: list[PlaceEdge]
    page_info: PageInfo
    count: Private[Callable[[], Awaitable[int]]]

    @described_field(description="Number of places matching, over all pages.")
    async def total_count(self) -> int:
        return await self.count()

    @classmethod
    def build(
        cls,
        nodes: list[PlaceNode],
        *,
        first: int,
        after_id: int | None,
        total: Callable[[], Awaitable[int]],
    ) -> PlaceConnection:
        """From up to ``first + 1`` nodes: the extra one only says that more follow."""
        items = nodes[:first]
        edges = [PlaceEdge(cursor=encode_cursor(node.id), node=node) for node in items]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(nodes) > first,
                has_previous_page=after_id is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            count=total,
        )

    @classmethod
    def from_page(cls, page: Page[models.Place]) -> PlaceConnection:
        nodes = [PlaceNode.from_row(row) for row in page.items]

        async def total() -> int:
            return page.total_count

        return cls(
            edges=[PlaceEdge(cursor=encode_cursor(node.id), node=node) for node in nodes],
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
                start_cursor=page.start_cursor,
                end_cursor=page.end_cursor,
            ),
            count=total,
        )


@strawberry.type(description="A place and its great-circle distance from the given point.")
class NearbyPlace:
    place: PlaceNode
    distance_meters: float


# --- inputs ----------------------------------------------------------------------------------


@strawberry.input
class CreateDistrictInput:
    title: str = strawberry.field(description="Required, not blank, at most 100 characters.")
    abbreviation: str = strawberry.field(default="", description="At most 10 characters.")
    image: Upload | None = strawberry.field(
        default=None, description="A JPEG, PNG or WebP file (multipart request)."
    )


@strawberry.input(description="Fields left out keep their value; image: null removes the image.")
class UpdateDistrictInput:
    title: str | None = strawberry.UNSET
    abbreviation: str | None = strawberry.UNSET
    image: Upload | None = strawberry.UNSET


@strawberry.input
class CreatePlaceInput:
    title: str = strawberry.field(description="Required, not blank, at most 200 characters.")
    latitude: Decimal = strawberry.field(description="-90..90, at most 6 decimals.")
    longitude: Decimal = strawberry.field(description="-180..180, at most 6 decimals.")
    district_id: int
    short_description: str = strawberry.field(default="", description="At most 300 characters.")
    full_description: str = ""
    type: models.PlaceType = models.PlaceType.UNIQUE_PLACE


@strawberry.input(description="Fields left out keep their value.")
class UpdatePlaceInput:
    title: str | None = strawberry.UNSET
    short_description: str | None = strawberry.UNSET
    full_description: str | None = strawberry.UNSET
    latitude: Decimal | None = strawberry.UNSET
    longitude: Decimal | None = strawberry.UNSET
    type: models.PlaceType | None = strawberry.UNSET
    district_id: int | None = strawberry.UNSET
