"""Field rules with Django REST framework's wording, shared by every domain function.

Each ``clean_*`` function takes the collected ``FieldErrors`` and the field name; it returns the
cleaned value, or ``None`` after recording the message DRF would give (one message per field, as
DRF stops at a field's first failing rule).
"""

from __future__ import annotations

import enum
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from citygraph.domain.errors import FieldErrors

REQUIRED = "This field is required."
NOT_NULL = "This field may not be null."
NOT_BLANK = "This field may not be blank."
NOT_A_STRING = "Not a valid string."
INVALID_NUMBER = "A valid number is required."
INVALID_INTEGER = "A valid integer is required."
NULL_CHARACTERS = "Null characters are not allowed."
SURROGATE_CHARACTERS = "Surrogate characters are not allowed: U+{code:X}."

#: Integer primary keys are 32-bit on both databases; anything outside cannot exist.
MAX_ID = 2**31 - 1

E = TypeVar("E", bound=enum.Enum)


def max_length_message(limit: int) -> str:
    return f"Ensure this field has no more than {limit} characters."


def clean_text(
    errors: FieldErrors,
    field: str,
    value: object,
    *,
    max_length: int | None = None,
    allow_blank: bool = False,
    null_message: str = NOT_NULL,
) -> str | None:
    """A ``CharField``: DRF strips surrounding whitespace before the blank and length checks."""
    if value is None:
        errors.add(field, null_message)
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        errors.add(field, NOT_A_STRING)
        return None
    text = str(value).strip()
    if not text and not allow_blank:
        errors.add(field, NOT_BLANK)
        return None
    # DRF runs a CharField's validators together: length, NUL, then lone surrogates.
    problems = character_problems(text)
    if max_length is not None and len(text) > max_length:
        problems.insert(0, max_length_message(max_length))
    for message in problems:
        errors.add(field, message)
    return None if problems else text


def surrogate_message(char: str) -> str:
    return SURROGATE_CHARACTERS.format(code=ord(char))


def character_problems(text: str) -> list[str]:
    """DRF's ``ProhibitNullCharactersValidator`` and ``ProhibitSurrogateCharactersValidator``.

    Lone surrogates (``"\\ud800"`` in JSON) cannot be encoded as UTF-8, so no database takes them.
    """
    problems: list[str] = []
    if "\x00" in text:
        problems.append(NULL_CHARACTERS)
    surrogate = next((char for char in text if 0xD800 <= ord(char) <= 0xDFFF), None)
    if surrogate is not None:
        problems.append(surrogate_message(surrogate))
    return problems


def _format_limit(limit: Decimal) -> str:
    return format(limit.normalize(), "f") if limit == limit.to_integral() else str(limit)


def clean_decimal(
    errors: FieldErrors,
    field: str,
    value: object,
    *,
    max_digits: int,
    decimal_places: int,
    min_value: Decimal | None = None,
    max_value: Decimal | None = None,
) -> Decimal | None:
    """A ``DecimalField(max_digits, decimal_places)`` with optional bounds, DRF's checks in order.

    Strings, ints, floats and ``Decimal`` are accepted; a float goes through its ``repr`` (so
    ``55.75393`` stays ``55.75393``). Trailing zeros count as decimal places, as in DRF.
    """
    if value is None:
        errors.add(field, NOT_NULL)
        return None
    if isinstance(value, bool):
        errors.add(field, INVALID_NUMBER)
        return None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int | float | str):
        text = str(value).strip()
        if len(text) > 1000:
            errors.add(field, "String value too large.")
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            errors.add(field, INVALID_NUMBER)
            return None
    else:
        errors.add(field, INVALID_NUMBER)
        return None
    if not number.is_finite():
        errors.add(field, INVALID_NUMBER)
        return None

    _sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # finite numbers have an int exponent
    if exponent >= 0:
        total_digits = len(digits) + exponent
        whole_digits = total_digits
        places = 0
    elif len(digits) > abs(exponent):
        total_digits = len(digits)
        whole_digits = total_digits - abs(exponent)
        places = abs(exponent)
    else:
        places = abs(exponent)
        total_digits = places
        whole_digits = 0
    max_whole = max_digits - decimal_places
    if total_digits > max_digits:
        errors.add(field, f"Ensure that there are no more than {max_digits} digits in total.")
        return None
    if places > decimal_places:
        errors.add(field, f"Ensure that there are no more than {decimal_places} decimal places.")
        return None
    if whole_digits > max_whole:
        errors.add(
            field,
            f"Ensure that there are no more than {max_whole} digits before the decimal point.",
        )
        return None
    if max_value is not None and number > max_value:
        errors.add(field, f"Ensure this value is less than or equal to {_format_limit(max_value)}.")
        return None
    if min_value is not None and number < min_value:
        errors.add(
            field, f"Ensure this value is greater than or equal to {_format_limit(min_value)}."
        )
        return None
    return number


def clean_choice(errors: FieldErrors, field: str, value: object, choices: type[E]) -> E | None:
    """A ``ChoiceField`` over an enum of string values."""
    if value is None:
        errors.add(field, NOT_NULL)
        return None
    if isinstance(value, choices):
        return value
    for member in choices:
        if member.value == value or (
            not isinstance(value, bool) and str(member.value) == str(value)
        ):
            return member
    errors.add(field, f'"{value}" is not a valid choice.')
    return None


def clean_pk(errors: FieldErrors, field: str, value: object) -> int | None:
    """The type check of a ``PrimaryKeyRelatedField``; existence is the caller's query."""
    if value is None:
        errors.add(field, NOT_NULL)
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        errors.add(field, f"Incorrect type. Expected pk value, received {type(value).__name__}.")
        return None
    try:
        pk = int(value)
    except ValueError:
        errors.add(field, f"Incorrect type. Expected pk value, received {type(value).__name__}.")
        return None
    return pk


def does_not_exist(pk: object) -> str:
    return f'Invalid pk "{pk}" - object does not exist.'


def is_storable_id(pk: int) -> bool:
    """True when ``pk`` fits the id columns (bigger or negative ids simply do not exist)."""
    return 0 < pk <= MAX_ID
