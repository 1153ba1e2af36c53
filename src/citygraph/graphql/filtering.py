"""GraphQL inputs of the lists' ``filter`` and ``orderBy`` arguments.

They only carry values: :func:`plain` turns them into the mappings the domain's parsers take
(``domain.filters``, ``domain.orderings``), which hold every rule (limits, nesting, cursors), so
the executor's resolvers and the compiled reads (which get the same mappings from graphql-core)
apply the same rules.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import strawberry

from citygraph import models
from citygraph.domain import filters
from citygraph.graphql.enums import DistrictOrderField, OrderDirection, PlaceOrderField

MAX_TERMS_HELP = f"At most {filters.MAX_TERMS} items."


@strawberry.input(
    description="Conditions on a text, ignoring case in any alphabet; all given must hold."
)
class TextFilter:
    contains: str | None = strawberry.field(
        default=None, description="The text contains this (at most 200 characters)."
    )
    starts_with: str | None = strawberry.field(
        default=None, description="The text starts with this (at most 200 characters)."
    )


@strawberry.input(description="One of these place types.")
class PlaceTypeFilter:
    in_: list[models.PlaceType] = strawberry.field(name="in", description=MAX_TERMS_HELP)


@strawberry.input(description="One of these ids.")
class IdFilter:
    in_: list[int] = strawberry.field(name="in", description=MAX_TERMS_HELP)


@strawberry.input(description="A box of latitudes and longitudes, edges included.")
class BoundingBox:
    min_latitude: Decimal = strawberry.field(description="South edge, -90..90.")
    max_latitude: Decimal = strawberry.field(description="North edge, at least minLatitude.")
    min_longitude: Decimal = strawberry.field(
        description="West edge, -180..180 (east of maxLongitude: the box crosses 180°)."
    )
    max_longitude: Decimal = strawberry.field(description="East edge, -180..180.")


@strawberry.input(description="A circle on the Earth's surface.")
class CircleInput:
    latitude: Decimal = strawberry.field(description="The centre's latitude, -90..90.")
    longitude: Decimal = strawberry.field(description="The centre's longitude, -180..180.")
    radius_meters: float = strawberry.field(description="More than 0, at most 100000.")


@strawberry.input(name="Point", description="A point on the Earth's surface.")
class PointInput:
    latitude: Decimal = strawberry.field(description="-90..90.")
    longitude: Decimal = strawberry.field(description="-180..180.")


@strawberry.input(
    description="Conditions on places; all given must hold. Nest at most 5 deep "
    f"(`and`, `or`, `not`); lists at most {filters.MAX_TERMS} items."
)
class PlaceFilter:
    title: TextFilter | None = strawberry.field(default=None, description="On the title.")
    type: PlaceTypeFilter | None = strawberry.field(default=None, description="On the type.")
    district_id: IdFilter | None = strawberry.field(
        default=None, description="On the district's id."
    )
    has_images: bool | None = strawberry.field(
        default=None, description="Whether the place has at least one image."
    )
    within: BoundingBox | None = strawberry.field(default=None, description="Inside this box.")
    near: CircleInput | None = strawberry.field(
        default=None, description="Inside this circle (radius at most 100 km)."
    )
    and_: list[PlaceFilter] | None = strawberry.field(
        default=None, name="and", description="Every one of these holds."
    )
    or_: list[PlaceFilter] | None = strawberry.field(
        default=None, name="or", description="At least one of these holds."
    )
    not_: PlaceFilter | None = strawberry.field(
        default=None, name="not", description="This does not hold."
    )


@strawberry.input(description="One key of a places ordering; the id always ends it.")
class PlaceOrder:
    field: PlaceOrderField = strawberry.field(description="What to order by.")
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.ASC, description="Which way."
    )
    origin: PointInput | None = strawberry.field(
        default=None, description="The point distances are measured from (DISTANCE only)."
    )


@strawberry.input(description="Conditions on districts; all given must hold. Nest at most 5 deep.")
class DistrictFilter:
    title: TextFilter | None = strawberry.field(default=None, description="On the title.")
    abbreviation: TextFilter | None = strawberry.field(
        default=None, description="On the abbreviation."
    )
    has_places: bool | None = strawberry.field(
        default=None, description="Whether the district has at least one place."
    )
    and_: list[DistrictFilter] | None = strawberry.field(
        default=None, name="and", description="Every one of these holds."
    )
    or_: list[DistrictFilter] | None = strawberry.field(
        default=None, name="or", description="At least one of these holds."
    )
    not_: DistrictFilter | None = strawberry.field(
        default=None, name="not", description="This does not hold."
    )


@strawberry.input(description="One key of a districts ordering; the id always ends it.")
class DistrictOrder:
    field: DistrictOrderField = strawberry.field(description="What to order by.")
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.ASC, description="Which way."
    )


def plain(value: Any) -> Any:
    """An input as the domain's parsers take it: mappings with snake_case keys (``in_`` →
    ``in``), enums as their values, inputs left out absent."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        found = {}
        for spec in dataclasses.fields(value):
            item = getattr(value, spec.name)
            if item is not None and item is not strawberry.UNSET:
                found[spec.name.rstrip("_")] = plain(item)
        return found
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, enum.Enum):
        return value.value
    return value


_CAPITAL = re.compile(r"(?<!^)(?=[A-Z])")


def snake_keys(value: Any) -> Any:
    """Arguments as graphql-core coerces them (camelCase keys) in the same shape as ``plain``."""
    if isinstance(value, Mapping):
        return {
            _CAPITAL.sub("_", key).lower(): snake_keys(item)
            for key, item in value.items()
            if item is not None
        }
    if isinstance(value, list):
        return [snake_keys(item) for item in value]
    if isinstance(value, enum.Enum):
        return value.value
    return value
