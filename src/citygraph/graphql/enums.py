"""The schema's enums: GraphQL names over the domain's values.

Resolvers get these members; ``filtering.plain`` hands the domain their values, and the compiled
reads coerce arguments to the same values (``ENUMS``, ``reads.read_schema``).
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from typing import Final

import strawberry

from citygraph import models
from citygraph.domain import orderings

strawberry.enum(
    models.PlaceType,
    name="PlaceType",
    description="What a place is (REST: unique_place, park, museum, temple, monument).",
)
PLACE_TYPE_HELP: Final[Mapping[str, str]] = {
    "UNIQUE_PLACE": "A sight of its own kind (REST: unique_place).",
    "PARK": "A park, garden or estate grounds (REST: park).",
    "MUSEUM": "A museum or gallery (REST: museum).",
    "TEMPLE": "A church, cathedral, monastery or other place of worship (REST: temple).",
    "MONUMENT": "A monument or memorial (REST: monument).",
}
# models.PlaceType is the domain's enum (no strawberry there), so its values' descriptions are
# added to the definition strawberry just built rather than with ``strawberry.enum_value``.
_place_type = models.PlaceType.__strawberry_definition__  # type: ignore[attr-defined]
_place_type.values = [
    dataclasses.replace(value, description=PLACE_TYPE_HELP[value.name])
    for value in _place_type.values
]


@strawberry.enum(description="Which way an ordering runs.")
class OrderDirection(enum.Enum):
    ASC = strawberry.enum_value(
        orderings.Direction.ASC.value, description="Smallest first; titles А to Я, then A to Z."
    )
    DESC = strawberry.enum_value(orderings.Direction.DESC.value, description="Largest first.")


@strawberry.enum(description="What places can be ordered by.")
class PlaceOrderField(enum.Enum):
    ID = strawberry.enum_value(orderings.PlaceOrderField.ID.value, description="The id.")
    TITLE = strawberry.enum_value(
        orderings.PlaceOrderField.TITLE.value,
        description="The title, in Russian collation (ё with е, case only breaking ties).",
    )
    DISTANCE = strawberry.enum_value(
        orderings.PlaceOrderField.DISTANCE.value,
        description="Great-circle distance from `origin` (required).",
    )
    DISTRICT = strawberry.enum_value(
        orderings.PlaceOrderField.DISTRICT.value, description="The district's id."
    )


@strawberry.enum(description="What districts can be ordered by.")
class DistrictOrderField(enum.Enum):
    ID = strawberry.enum_value(orderings.DistrictOrderField.ID.value, description="The id.")
    TITLE = strawberry.enum_value(
        orderings.DistrictOrderField.TITLE.value, description="The title, in Russian collation."
    )
    ABBREVIATION = strawberry.enum_value(
        orderings.DistrictOrderField.ABBREVIATION.value,
        description="The abbreviation, in Russian collation.",
    )


#: The schema's enums by GraphQL name: the compiled reads give their values as the resolvers see
#: them (``reads.read_schema``).
ENUMS: Final[Mapping[str, type[enum.Enum]]] = {
    "PlaceType": models.PlaceType,
    "OrderDirection": OrderDirection,
    "PlaceOrderField": PlaceOrderField,
    "DistrictOrderField": DistrictOrderField,
}
