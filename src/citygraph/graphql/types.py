"""GraphQL object and input types of districts and places.

Object types are snapshots of rows (``from_row``): plain values, safe to use after the unit
committed or rolled back. Relations resolve through the request's DataLoaders
(``info.context.loaders``), never with a query per row. Arguments go through the domain's forms.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Annotated, Any, TypeVar

import strawberry
from strawberry import Private

from citygraph import models
from citygraph.domain.pagination import DEFAULT_PAGE_SIZE, Page, PageArgs, encode_cursor
from citygraph.domain.parsers import Id
from citygraph.graphql import enums  # noqa: F401  (PlaceType as a GraphQL enum)
from citygraph.graphql.context import GraphQLContext
from citygraph.graphql.scalars import Upload

FIRST_HELP = f"Page size: 0..100, default {DEFAULT_PAGE_SIZE}; more is a BAD_USER_INPUT error."
AFTER_HELP = "The endCursor of the previous page."

F = TypeVar("F", bound=Callable[..., Any])


def context(info: strawberry.Info) -> GraphQLContext:
    ctx: GraphQLContext = info.context
    return ctx


def described_field(*, description: str) -> Callable[[F], F]:
    """``strawberry.field(description=...)``, typed for mypy (strawberry's overload is Any)."""
    decorator: Callable[[F], F] = strawberry.field(description=description)
    return decorator


def described_mutation(*, description: str) -> Callable[[F], F]:
    decorator: Callable[[F], F] = strawberry.mutation(description=description)
    return decorator


@strawberry.type(description="Relay page information.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    start_cursor: str | None = strawberry.field(description="Cursor of the page's first item.")
    end_cursor: str | None = strawberry.field(
        description="Cursor of the page's last item: pass it as `after` for the next page."
    )
    previous: Private[Callable[[], Awaitable[bool]]]

    @described_field(description="Items precede this page (only known with `after`).")
    async def has_previous_page(self) -> bool:
        return await self.previous()


@strawberry.type(name="District", description="One of Moscow's administrative okrugs.")
class DistrictNode:
    id: int = strawberry.field(description="The district's id (as REST shows it).")
    title: str = strawberry.field(
        description="Full name, e.g. «Центральный административный округ»."
    )
    abbreviation: str = strawberry.field(description="Short name, e.g. «ЦАО» (may be empty).")
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
        page = PageArgs.parse(first=first, after=after).check()
        loaders = context(info).loaders
        rows = await loaders.district_places(page.first + 1, page.after).load(Id(self.id))
        loaders.prime_places(rows[: page.first])
        district = Id(self.id)

        async def total() -> int:
            return await loaders.place_count.load(district)

        async def previous() -> bool:
            if page.after is None:
                return False
            return await loaders.places_before(page.after).load(district) > 0

        nodes = [PlaceNode.from_row(row) for row in rows]
        return PlaceConnection.build(nodes, first=page.first, total=total, previous=previous)

    @described_field(description="Number of places in the district.")
    async def place_count(self, info: strawberry.Info) -> int:
        return await context(info).loaders.place_count.load(Id(self.id))


@strawberry.type(name="Place", description="A place worth a visit.")
class PlaceNode:
    id: int = strawberry.field(description="The place's id (as REST shows it).")
    title: str = strawberry.field(description="The place's name.")
    short_description: str = strawberry.field(description="One or two sentences (may be empty).")
    full_description: str = strawberry.field(description="The full text (may be empty).")
    latitude: Decimal = strawberry.field(description='Degrees, 6 decimals ("55.753930").')
    longitude: Decimal = strawberry.field(description='Degrees, 6 decimals ("37.620795").')
    type: models.PlaceType = strawberry.field(description="What kind of place it is.")
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

    @described_field(description="The district the place is in.")
    async def district(self, info: strawberry.Info) -> DistrictNode:
        row = await context(info).loaders.district.load(Id(self.district_id))
        assert row is not None  # the foreign key guarantees it
        return DistrictNode.from_row(row)

    @described_field(description="The place's images, ordered by id.")
    async def images(self, info: strawberry.Info) -> list[PlaceImageNode]:
        rows = await context(info).loaders.images.load(Id(self.id))
        return [PlaceImageNode.from_row(row) for row in rows]


@strawberry.type(name="PlaceImage", description="A photo or illustration of a place.")
class PlaceImageNode:
    id: int = strawberry.field(description="The image's id (as REST shows it).")
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

    @described_field(description="The place the image shows.")
    async def place(self, info: strawberry.Info) -> PlaceNode:
        row = await context(info).loaders.place.load(Id(self.place_id))
        assert row is not None  # the foreign key guarantees it
        return PlaceNode.from_row(row)


@strawberry.type(description="A place in a page of places, with its cursor.")
class PlaceEdge:
    cursor: str = strawberry.field(description="Pass it as `after` to continue after this place.")
    node: PlaceNode = strawberry.field(description="The place.")


@strawberry.type(description="A page of places (Relay connection).")
class PlaceConnection:
    edges: list[PlaceEdge] = strawberry.field(description="The places of this page.")
    page_info: PageInfo = strawberry.field(description="Whether more pages follow, and cursors.")
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
        total: Callable[[], Awaitable[int]],
        previous: Callable[[], Awaitable[bool]],
    ) -> PlaceConnection:
        """From up to ``first + 1`` nodes: the extra one only says that more follow."""
        edges = [PlaceEdge(cursor=encode_cursor(node.id), node=node) for node in nodes[:first]]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(nodes) > first,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
                previous=previous,
            ),
            count=total,
        )

    @classmethod
    def from_page(cls, page: Page[models.Place]) -> PlaceConnection:
        nodes = [PlaceNode.from_row(row) for row in page.items]

        async def total() -> int:
            return page.total_count

        async def previous() -> bool:
            return page.has_previous_page

        return cls(
            edges=[
                PlaceEdge(cursor=cursor, node=node)
                for node, cursor in zip(nodes, page.cursors, strict=True)
            ],
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                start_cursor=page.start_cursor,
                end_cursor=page.end_cursor,
                previous=previous,
            ),
            count=total,
        )


@strawberry.type(description="A place and its great-circle distance from the given point.")
class NearbyPlace:
    place: PlaceNode = strawberry.field(description="The place.")
    distance_meters: float = strawberry.field(description="Great-circle distance, in metres.")


# --- inputs ----------------------------------------------------------------------------------


@strawberry.input(description="A new district.")
class CreateDistrictInput:
    title: str = strawberry.field(description="Required, not blank, at most 100 characters.")
    abbreviation: str = strawberry.field(default="", description="At most 10 characters.")
    image: Upload | None = strawberry.field(
        default=None, description="A JPEG, PNG or WebP file (multipart request)."
    )


@strawberry.input(description="Fields left out keep their value; image: null removes the image.")
class UpdateDistrictInput:
    title: str | None = strawberry.field(
        default=strawberry.UNSET, description="Not blank, at most 100 characters."
    )
    abbreviation: str | None = strawberry.field(
        default=strawberry.UNSET, description="At most 10 characters."
    )
    image: Upload | None = strawberry.field(
        default=strawberry.UNSET, description="A new image (multipart request), or null to remove."
    )


@strawberry.input(description="A new place.")
class CreatePlaceInput:
    title: str = strawberry.field(description="Required, not blank, at most 200 characters.")
    latitude: Decimal = strawberry.field(description="-90..90, at most 6 decimals.")
    longitude: Decimal = strawberry.field(description="-180..180, at most 6 decimals.")
    district_id: int = strawberry.field(description="The district the place is in.")
    short_description: str = strawberry.field(default="", description="At most 300 characters.")
    full_description: str = strawberry.field(default="", description="Any length.")
    type: models.PlaceType = strawberry.field(
        default=models.PlaceType.UNIQUE_PLACE, description="What kind of place it is."
    )


@strawberry.input(description="Fields left out keep their value.")
class UpdatePlaceInput:
    title: str | None = strawberry.field(
        default=strawberry.UNSET, description="Not blank, at most 200 characters."
    )
    short_description: str | None = strawberry.field(
        default=strawberry.UNSET, description="At most 300 characters."
    )
    full_description: str | None = strawberry.field(
        default=strawberry.UNSET, description="Any length."
    )
    latitude: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description="-90..90, at most 6 decimals."
    )
    longitude: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description="-180..180, at most 6 decimals."
    )
    type: models.PlaceType | None = strawberry.field(
        default=strawberry.UNSET, description="What kind of place it is."
    )
    district_id: int | None = strawberry.field(
        default=strawberry.UNSET, description="Move the place to this district."
    )
