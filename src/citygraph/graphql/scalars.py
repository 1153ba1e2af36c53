"""Custom scalars: ``Decimal`` (coordinates, exact) and the multipart ``Upload``."""

from __future__ import annotations

import decimal
from typing import Any

import strawberry
from graphql import FloatValueNode, IntValueNode, StringValueNode, ValueNode
from strawberry.file_uploads import Upload
from strawberry.types.scalar import ScalarDefinition

INVALID_NUMBER = "A valid number is required."


def serialize_decimal(value: Any) -> str:
    """Plain notation, keeping the value's own decimals (``Decimal("55.753930")`` → ``55.753930``).

    Coordinates come from the database quantized to 6 places, so they read exactly as the REST
    API shows them.
    """
    number = value if isinstance(value, decimal.Decimal) else decimal.Decimal(str(value))
    return format(number, "f")


def parse_decimal(value: Any) -> decimal.Decimal:
    """A string (preferred: exact) or a JSON number, as written; NaN and infinities refused."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | decimal.Decimal):
        raise ValueError(INVALID_NUMBER)
    text = str(value).strip()
    if len(text) > 100:
        raise ValueError(INVALID_NUMBER)
    try:
        number = decimal.Decimal(text)
    except decimal.InvalidOperation:
        raise ValueError(INVALID_NUMBER) from None
    if not number.is_finite():
        raise ValueError(INVALID_NUMBER)
    return number


def parse_decimal_literal(node: ValueNode, _variables: Any = None) -> decimal.Decimal:
    if isinstance(node, StringValueNode | IntValueNode | FloatValueNode):
        return parse_decimal(node.value)
    raise ValueError(INVALID_NUMBER)


DecimalScalar: ScalarDefinition = strawberry.scalar(
    name="Decimal",
    description=(
        "An exact decimal number, serialised as a string in plain notation. Coordinates have "
        'exactly 6 decimals ("55.753930"), as the REST API shows them. Input: a string '
        "(exact) or a number."
    ),
    serialize=serialize_decimal,
    parse_value=parse_decimal,
    parse_literal=parse_decimal_literal,
)

SCALAR_MAP: dict[object, ScalarDefinition] = {decimal.Decimal: DecimalScalar}

__all__ = ["SCALAR_MAP", "DecimalScalar", "Upload"]
