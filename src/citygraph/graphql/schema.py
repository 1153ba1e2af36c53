"""The GraphQL schema: districts and places (here) merged with accounts (``accounts.py``).

Resolvers are thin: they turn arguments into plain values, call one domain function through the
request context (which owns the session) and return snapshots. Permissions, validation and SQL
live in ``citygraph.domain``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError
from starlette.datastructures import UploadFile
from strawberry.schema.config import StrawberryConfig
from strawberry.types.execution import ExecutionContext

from citygraph import models
from citygraph.config import Settings
from citygraph.domain import districts, places, uploads
from citygraph.domain.errors import FieldError
from citygraph.domain.pagination import DEFAULT_PAGE_SIZE
from citygraph.domain.parsers import parse_id
from citygraph.domain.values import UNSET
from citygraph.graphql import accounts, limits
from citygraph.graphql.errors import log_unexpected
from citygraph.graphql.filtering import (
    DistrictFilter,
    DistrictOrder,
    PlaceFilter,
    PlaceOrder,
    plain,
)
from citygraph.graphql.live import Subscription
from citygraph.graphql.operations import DELETED, Argument, Result, Work, deleting, operation_field
from citygraph.graphql.scalars import SCALAR_MAP, Upload
from citygraph.graphql.types import (
    AFTER_HELP,
    FIRST_HELP,
    CreateDistrictInput,
    CreatePlaceInput,
    DistrictNode,
    NearbyPlace,
    PlaceConnection,
    PlaceImageNode,
    PlaceNode,
    UpdateDistrictInput,
    UpdatePlaceInput,
    context,
    described_field,
    described_mutation,
)


def _given(value: Any) -> Any:
    """strawberry's UNSET (field left out) -> the domain's UNSET; anything else unchanged."""
    return UNSET if value is strawberry.UNSET else value


def _upload(value: Any) -> Any:
    """A multipart file as the domain's ``Upload`` of the spooled file the request holds (not
    read into memory; closed with the request); anything else is DRF's ``file.invalid``."""
    if value is None or value is strawberry.UNSET:
        return _given(value)
    if isinstance(value, UploadFile):
        return uploads.Upload.of(value.file, value.filename or "")
    return FieldError("file.invalid")


@strawberry.type
class PlacesQuery:
    @described_field(description="Every district matching `filter`, in `orderBy`'s order.")
    async def districts(
        self,
        info: strawberry.Info,
        filter: Annotated[
            DistrictFilter | None, strawberry.argument(description="Which districts.")
        ] = None,
        order_by: Annotated[
            list[DistrictOrder] | None,
            strawberry.argument(description="The order (default: by id)."),
        ] = None,
    ) -> list[DistrictNode]:
        ctx = context(info)
        query = districts.DistrictQuery.parse(filter=plain(filter), order_by=plain(order_by))
        rows = await ctx.read(lambda uow: districts.find_districts(uow, query))
        ctx.loaders.prime_districts(rows)
        return [DistrictNode.from_row(row) for row in rows]

    @described_field(description="A district by id, or null.")
    async def district(
        self,
        info: strawberry.Info,
        id: Annotated[int, strawberry.argument(description="The district's id.")],
    ) -> DistrictNode | None:
        row = await context(info).loaders.district.load(parse_id(id))
        return DistrictNode.from_row(row) if row else None

    @described_field(
        description="A page of the places matching every condition given (`filter` and the "
        "shorthands `districtId`, `type`, `search`), in `orderBy`'s order."
    )
    async def places(
        self,
        info: strawberry.Info,
        district_id: Annotated[
            int | None, strawberry.argument(description="Only this district's places.")
        ] = None,
        type: Annotated[
            models.PlaceType | None, strawberry.argument(description="Only places of this type.")
        ] = None,
        search: Annotated[
            str | None,
            strawberry.argument(description="Title contains this text (case-insensitive)."),
        ] = None,
        filter: Annotated[
            PlaceFilter | None, strawberry.argument(description="Which places.")
        ] = None,
        order_by: Annotated[
            list[PlaceOrder] | None,
            strawberry.argument(description="The order (default: by id); the id ends every order."),
        ] = None,
        first: Annotated[int, strawberry.argument(description=FIRST_HELP)] = DEFAULT_PAGE_SIZE,
        after: Annotated[
            str | None,
            strawberry.argument(description=AFTER_HELP + " Cursors hold only within one order."),
        ] = None,
    ) -> PlaceConnection:
        ctx = context(info)
        query = places.PlaceQuery.parse(
            district_id=district_id,
            type=type,
            search=search,
            filter=plain(filter),
            order_by=plain(order_by),
            first=first,
            after=after,
        )
        page = await ctx.read(lambda uow: places.search_places(uow, query))
        ctx.loaders.prime_places(page.items)
        return PlaceConnection.from_page(page)

    @described_field(description="A place by id, or null.")
    async def place(
        self,
        info: strawberry.Info,
        id: Annotated[int, strawberry.argument(description="The place's id.")],
    ) -> PlaceNode | None:
        row = await context(info).loaders.place.load(parse_id(id))
        return PlaceNode.from_row(row) if row else None

    @described_field(
        description="Places within radiusMeters (great-circle, at most 100 km) of a point, "
        "nearest first."
    )
    async def places_near(
        self,
        info: strawberry.Info,
        latitude: Annotated[Decimal, strawberry.argument(description="-90..90.")],
        longitude: Annotated[Decimal, strawberry.argument(description="-180..180.")],
        radius_meters: Annotated[
            float, strawberry.argument(description="More than 0, at most 100000.")
        ],
        first: Annotated[int, strawberry.argument(description=FIRST_HELP)] = DEFAULT_PAGE_SIZE,
    ) -> list[NearbyPlace]:
        ctx = context(info)
        query = places.NearbyQuery.parse(
            latitude=latitude, longitude=longitude, radius_meters=radius_meters, first=first
        )
        found = await ctx.read(lambda uow: places.places_near(uow, query))
        ctx.loaders.prime_places([row for row, _ in found])
        return [NearbyPlace(place=PlaceNode.from_row(row), distance_meters=d) for row, d in found]


# --- mutations: those without uploads are declared as their operation (graphql/operations.py) --

PLACE = Result[models.Place](PlaceNode | None, PlaceNode.from_row)
DISTRICT_ID = Argument("id", "The district's id.", int)
PLACE_ID = Argument("id", "The place's id.", int)


def _place_form(input: CreatePlaceInput | UpdatePlaceInput, *, partial: bool) -> places.PlaceForm:
    """Either input as the domain's form; fields an update leaves out keep their value."""
    return places.PlaceForm.parse(
        partial=partial,
        title=_given(input.title),
        short_description=_given(input.short_description),
        full_description=_given(input.full_description),
        latitude=_given(input.latitude),
        longitude=_given(input.longitude),
        type=_given(input.type),
        district=_given(input.district_id),
    )


def _create_place(input: CreatePlaceInput) -> Work[models.Place]:
    form = _place_form(input, partial=False)
    return lambda uow: places.create_place(uow, form)


def _update_place(id: int, input: UpdatePlaceInput) -> Work[models.Place]:
    form = _place_form(input, partial=True)
    return lambda uow: places.update_place(uow, parse_id(id), form)


@strawberry.type
class PlacesMutation:
    @described_mutation(description="Staff only. The new district.")
    async def create_district(
        self,
        info: strawberry.Info,
        input: Annotated[CreateDistrictInput, strawberry.argument(description="The district.")],
    ) -> DistrictNode | None:
        ctx = context(info)
        form = districts.DistrictForm.parse(
            title=input.title, abbreviation=input.abbreviation, image=_upload(input.image)
        )
        row = await ctx.write(lambda uow: districts.create_district(uow, form))
        return DistrictNode.from_row(row)

    @described_mutation(description="Staff only. The changed district.")
    async def update_district(
        self,
        info: strawberry.Info,
        id: Annotated[int, strawberry.argument(description="The district's id.")],
        input: Annotated[
            UpdateDistrictInput, strawberry.argument(description="The fields to change.")
        ],
    ) -> DistrictNode | None:
        ctx = context(info)
        form = districts.DistrictForm.parse(
            partial=True,
            title=_given(input.title),
            abbreviation=_given(input.abbreviation),
            image=_upload(input.image),
        )
        row = await ctx.write(lambda uow: districts.update_district(uow, parse_id(id), form))
        return DistrictNode.from_row(row)

    delete_district = operation_field(
        "Staff only. Refused (CONFLICT) while the district has places. Returns the deleted id.",
        DELETED,
        deleting(districts.delete_district),
        DISTRICT_ID,
    )
    create_place = operation_field(
        "Staff only. The new place.",
        PLACE,
        _create_place,
        Argument("input", "The place.", CreatePlaceInput),
    )
    update_place = operation_field(
        "Staff only. The changed place.",
        PLACE,
        _update_place,
        PLACE_ID,
        Argument("input", "The fields to change.", UpdatePlaceInput),
    )
    delete_place = operation_field(
        "Staff only. Deletes the place's images too (rows, then files). Returns the deleted id.",
        DELETED,
        deleting(places.delete_place),
        PLACE_ID,
    )

    @described_mutation(
        description="Staff only. A multipart request (GraphQL multipart request spec) carrying "
        "a JPEG, PNG or WebP file. The new image."
    )
    async def add_place_image(
        self,
        info: strawberry.Info,
        place_id: Annotated[int, strawberry.argument(description="The place's id.")],
        image: Annotated[Upload, strawberry.argument(description="The image file.")],
    ) -> PlaceImageNode | None:
        data = _upload(image)
        row = await context(info).write(
            lambda uow: places.add_place_image(uow, parse_id(place_id), data)
        )
        return PlaceImageNode.from_row(row)

    delete_place_image = operation_field(
        "Staff only. Returns the deleted id.",
        DELETED,
        deleting(places.delete_place_image),
        Argument("id", "The image's id.", int),
    )


QUERY_HELP = (
    "Reads: districts and places for everyone (anonymous GET requests are cacheable, by ETag); "
    "accounts for their owners and staff."
)
MUTATION_HELP = (
    "Writes, each committed on its own: districts, places and images for staff; accounts and "
    "tokens. Names start with their verb; every result is nullable, so one failed field "
    "leaves the others' data."
)


def _root_types() -> tuple[type, type]:
    """Query and Mutation, each merged from its parts (strawberry's ``merge_types``, plus a
    description)."""
    query = strawberry.type(
        type("Query", (PlacesQuery, accounts.AccountQuery), {}), description=QUERY_HELP
    )
    mutation = strawberry.type(
        type("Mutation", (PlacesMutation, accounts.AccountMutation), {}),
        description=MUTATION_HELP,
    )
    return query, mutation


class CitygraphSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log what will be masked (with the request id); expected errors are not logged."""
        log_unexpected(errors)


def build_schema(settings: Settings | None = None) -> CitygraphSchema:
    """The schema; with ``settings``, the request limits of ``limits`` are switched on."""
    query, mutation = _root_types()
    extensions: list[Any] = limits.schema_extensions(settings) if settings else []
    return CitygraphSchema(
        query=query,
        mutation=mutation,
        subscription=Subscription,
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
        extensions=extensions,
    )


def export_sdl() -> str:
    """The schema in SDL, as ``schema.graphql`` holds it (ends with a newline)."""
    return build_schema().as_str().rstrip("\n") + "\n"


__all__ = ["CitygraphSchema", "build_schema", "export_sdl"]
