"""The GraphQL schema: districts and places (here) merged with accounts (``accounts.py``).

Resolvers are thin: they turn arguments into plain values, call one domain function through the
request context (which owns the session) and return snapshots. Permissions, validation and SQL
live in ``citygraph.domain``.
"""

from __future__ import annotations

import importlib
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError
from starlette.datastructures import UploadFile
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types.execution import ExecutionContext

from citygraph import models
from citygraph.config import Settings
from citygraph.domain import districts, places
from citygraph.domain.errors import InvalidInput
from citygraph.domain.pagination import DEFAULT_PAGE_SIZE
from citygraph.domain.values import UNSET
from citygraph.graphql import limits
from citygraph.graphql.errors import log_unexpected
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

NOT_A_FILE = "The submitted data was not a file. Check the encoding type on the form."


def _given(value: Any) -> Any:
    """strawberry's UNSET (field left out) → the domain's UNSET; anything else unchanged."""
    return UNSET if value is strawberry.UNSET else value


async def _read_upload(value: Any, field: str = "image") -> bytes:
    if isinstance(value, UploadFile):
        return await value.read()
    raise InvalidInput.single(field, NOT_A_FILE)


@strawberry.type
class PlacesQuery:
    @described_field(description="Every district, ordered by id.")
    async def districts(self, info: strawberry.Info) -> list[DistrictNode]:
        ctx = context(info)
        rows = await ctx.read(districts.list_districts)
        nodes = [DistrictNode.from_row(row) for row in rows]
        ctx.loaders.prime_districts(nodes)
        return nodes

    @described_field(description="A district by id, or null.")
    async def district(self, info: strawberry.Info, id: int) -> DistrictNode | None:
        return await context(info).loaders.district.load(id)

    @described_field(
        description="Places ordered by id, filtered by district, type and a case-insensitive "
        "title substring (any alphabet)."
    )
    async def places(
        self,
        info: strawberry.Info,
        district_id: int | None = None,
        type: models.PlaceType | None = None,
        search: str | None = None,
        first: Annotated[int, strawberry.argument(description=FIRST_HELP)] = DEFAULT_PAGE_SIZE,
        after: Annotated[str | None, strawberry.argument(description=AFTER_HELP)] = None,
    ) -> PlaceConnection:
        ctx = context(info)
        page = await ctx.read(
            lambda session: places.search_places(
                session, district_id=district_id, type=type, search=search, first=first, after=after
            )
        )
        connection = PlaceConnection.from_page(page)
        ctx.loaders.prime_places([edge.node for edge in connection.edges])
        return connection

    @described_field(description="A place by id, or null.")
    async def place(self, info: strawberry.Info, id: int) -> PlaceNode | None:
        return await context(info).loaders.place.load(id)

    @described_field(
        description="Places within radiusMeters (great-circle, at most 100 km) of a point, "
        "nearest first."
    )
    async def places_near(
        self,
        info: strawberry.Info,
        latitude: Decimal,
        longitude: Decimal,
        radius_meters: float,
        first: Annotated[int, strawberry.argument(description=FIRST_HELP)] = DEFAULT_PAGE_SIZE,
    ) -> list[NearbyPlace]:
        ctx = context(info)
        found = await ctx.read(
            lambda session: places.places_near(
                session,
                latitude=latitude,
                longitude=longitude,
                radius_meters=radius_meters,
                first=first,
            )
        )
        nodes = [NearbyPlace(place=PlaceNode.from_row(row), distance_meters=d) for row, d in found]
        ctx.loaders.prime_places([node.place for node in nodes])
        return nodes


@strawberry.type
class PlacesMutation:
    @described_mutation(description="Staff only.")
    async def create_district(
        self, info: strawberry.Info, input: CreateDistrictInput
    ) -> DistrictNode | None:
        ctx = context(info)
        image = await _read_upload(input.image) if input.image is not None else None
        row = await ctx.write(
            lambda session: districts.create_district(
                session,
                ctx.settings,
                ctx.actor,
                title=input.title,
                abbreviation=input.abbreviation,
                image=image,
            )
        )
        return DistrictNode.from_row(row)

    @described_mutation(description="Staff only.")
    async def update_district(
        self, info: strawberry.Info, id: int, input: UpdateDistrictInput
    ) -> DistrictNode | None:
        ctx = context(info)
        image: Any = _given(input.image)
        if image is not UNSET and image is not None:
            image = await _read_upload(image)
        row = await ctx.write(
            lambda session: districts.update_district(
                session,
                ctx.settings,
                ctx.actor,
                id,
                title=_given(input.title),
                abbreviation=_given(input.abbreviation),
                image=image,
            )
        )
        return DistrictNode.from_row(row)

    @described_mutation(
        description="Staff only. Refused (CONFLICT) while the district has places. "
        "Returns the deleted id."
    )
    async def delete_district(self, info: strawberry.Info, id: int) -> int | None:
        ctx = context(info)
        await ctx.write(
            lambda session: districts.delete_district(session, ctx.settings, ctx.actor, id)
        )
        return id

    @described_mutation(description="Staff only.")
    async def create_place(
        self, info: strawberry.Info, input: CreatePlaceInput
    ) -> PlaceNode | None:
        ctx = context(info)
        row = await ctx.write(
            lambda session: places.create_place(
                session,
                ctx.settings,
                ctx.actor,
                title=input.title,
                short_description=input.short_description,
                full_description=input.full_description,
                latitude=input.latitude,
                longitude=input.longitude,
                type=input.type,
                district_id=input.district_id,
            )
        )
        return PlaceNode.from_row(row)

    @described_mutation(description="Staff only.")
    async def update_place(
        self, info: strawberry.Info, id: int, input: UpdatePlaceInput
    ) -> PlaceNode | None:
        ctx = context(info)
        row = await ctx.write(
            lambda session: places.update_place(
                session,
                ctx.settings,
                ctx.actor,
                id,
                title=_given(input.title),
                short_description=_given(input.short_description),
                full_description=_given(input.full_description),
                latitude=_given(input.latitude),
                longitude=_given(input.longitude),
                type=_given(input.type),
                district_id=_given(input.district_id),
            )
        )
        return PlaceNode.from_row(row)

    @described_mutation(
        description="Staff only. Deletes the place's images too (rows, then files). "
        "Returns the deleted id."
    )
    async def delete_place(self, info: strawberry.Info, id: int) -> int | None:
        ctx = context(info)
        await ctx.write(lambda session: places.delete_place(session, ctx.settings, ctx.actor, id))
        return id

    @described_mutation(
        description="Staff only. A multipart request (GraphQL multipart request spec) carrying "
        "a JPEG, PNG or WebP file."
    )
    async def add_place_image(
        self, info: strawberry.Info, place_id: int, image: Upload
    ) -> PlaceImageNode | None:
        ctx = context(info)
        data = await _read_upload(image)
        row = await ctx.write(
            lambda session: places.add_place_image(session, ctx.settings, ctx.actor, place_id, data)
        )
        return PlaceImageNode.from_row(row)

    @described_mutation(description="Staff only. Returns the deleted id.")
    async def delete_place_image(self, info: strawberry.Info, id: int) -> int | None:
        ctx = context(info)
        await ctx.write(
            lambda session: places.delete_place_image(session, ctx.settings, ctx.actor, id)
        )
        return id


def _account_types() -> tuple[list[type], list[type]]:
    """``AccountQuery``/``AccountMutation`` from ``graphql/accounts.py`` once it exists."""
    try:
        module = importlib.import_module("citygraph.graphql.accounts")
    except ModuleNotFoundError as exc:
        if exc.name != "citygraph.graphql.accounts":
            raise
        return [], []
    queries = [module.AccountQuery] if hasattr(module, "AccountQuery") else []
    mutations = [module.AccountMutation] if hasattr(module, "AccountMutation") else []
    return queries, mutations


def _root_types() -> tuple[type, type]:
    account_queries, account_mutations = _account_types()
    query = merge_types("Query", (PlacesQuery, *account_queries))
    mutation = merge_types("Mutation", (PlacesMutation, *account_mutations))
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
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
        extensions=extensions,
    )


def export_sdl() -> str:
    """The schema in SDL, as ``schema.graphql`` holds it (ends with a newline)."""
    return build_schema().as_str().rstrip("\n") + "\n"


__all__ = ["CitygraphSchema", "build_schema", "export_sdl"]
