"""The domain boundary: raw input values in, parsed values out, with DRF's rules and wording.

Faces check only the *shape* of a request (JSON or form, field present, the right JSON type) and
hand each raw value to a parser here; a shape problem they found is handed over as a
:class:`~citygraph.domain.errors.FieldError` in place of the value, so that one collector
(:class:`Form`) reports transport and value problems together, in the serializer's order.
Domain operations accept only what these parsers return.

A parser takes a raw value and returns the parsed one or raises :class:`Invalid` with the field's
errors (DRF stops at a field's first failing rule, except for the ``CharField`` validators,
which run together).

Ids: every id column is ``INTEGER`` on both databases, so :data:`MAX_ID` is the one bound. An id
that cannot exist (zero, negative, beyond the bound, not a number) becomes :data:`NO_ID`, which
no row has: looking it up simply finds nothing, on either database.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields
from decimal import Decimal, InvalidOperation
from typing import Any, Final, NewType, Self, TypeVar

from citygraph.domain.errors import FieldError, FieldErrors, InvalidInput
from citygraph.domain.values import UNSET

T = TypeVar("T")
E = TypeVar("E", bound=enum.Enum)

#: Integer primary keys are 32-bit on both databases; nothing outside 1..MAX_ID exists.
MAX_ID: Final = 2**31 - 1
MAX_INTEGER_STRING: Final = 1000  # DRF ``IntegerField.MAX_STRING_LENGTH``

Id = NewType("Id", int)
NO_ID: Final = Id(0)


class Invalid(Exception):
    """A parser's verdict on one field: its errors, in order."""

    def __init__(self, *errors: FieldError) -> None:
        super().__init__(*errors)
        self.errors = list(errors)


def problem(message_id: str, **params: Any) -> Invalid:
    return Invalid(FieldError(message_id, params))


def parsed_by(parser: Callable[[object], Any], *, default: object = MISSING) -> Any:
    """A :class:`Form` field read by ``parser`` (``default``: the value when not given)."""
    if default is MISSING:
        return field(kw_only=True, metadata={"parser": parser})
    return field(default=default, kw_only=True, metadata={"parser": parser})


@dataclass
class Form:
    """The parsed input of one operation: a dataclass whose fields name their parsers.

    ``parse`` reads every field in declaration order (the serializer's order): a raw value goes
    through its parser, a :class:`FieldError` the face found stands as it is, a field not given
    takes its default or is ``required`` (or stays ``UNSET`` with ``partial=True``, for updates).
    It never raises: the problems are kept in ``problems`` so that the operation can add those
    only the database can find (a taken username) and report everything at once. A field that
    failed holds ``None``; an operation uses the values only once ``problems`` is empty.
    """

    problems: FieldErrors = field(default_factory=FieldErrors, init=False, repr=False)
    raw: dict[str, object] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def parse(cls, *, partial: bool = False, **raw: object) -> Self:
        values: dict[str, object] = {}
        problems = FieldErrors()
        for spec in fields(cls):
            if "parser" not in spec.metadata:
                continue
            given = raw.get(spec.name, UNSET)
            if given is UNSET:
                if partial:
                    values[spec.name] = UNSET
                elif spec.default is not MISSING:
                    values[spec.name] = spec.default
                else:
                    problems.add(spec.name, FieldError("required"))
                    values[spec.name] = None
                continue
            if isinstance(given, FieldError):
                problems.add(spec.name, given)
                values[spec.name] = None
                continue
            try:
                values[spec.name] = spec.metadata["parser"](given)
            except Invalid as exc:
                problems.extend(spec.name, exc.errors)
                values[spec.name] = None
        form = cls(**values)
        form.problems = problems
        form.raw = dict(raw)
        return form

    def given(self, name: str) -> bool:
        return getattr(self, name) is not UNSET

    def failed(self, name: str) -> bool:
        return name in self.problems

    def check(self) -> Self:
        """The form itself when every field parsed; ``InvalidInput`` otherwise, fields in their
        declared order (problems the operation found later included)."""
        self.problems.raise_if_any([spec.name for spec in fields(self)])
        return self


def parse_one(name: str, raw: object, parser: Callable[[object], T]) -> T:
    """Parse a single field (``UNSET``: not given, so ``required``), raising ``InvalidInput``
    on ``name`` when it fails."""
    try:
        if raw is UNSET:
            raise problem("required")
        if isinstance(raw, FieldError):
            raise Invalid(raw)
        return parser(raw)
    except Invalid as exc:
        raise InvalidInput({name: exc.errors}) from None


# --- ids --------------------------------------------------------------------------------------


def to_id(number: int) -> Id:
    return Id(number) if 0 < number <= MAX_ID else NO_ID


def parse_id(raw: object) -> Id:
    """An id from an int or a string of ASCII digits; anything else names no row (``NO_ID``)."""
    if isinstance(raw, bool):
        return NO_ID
    if isinstance(raw, int):
        return to_id(raw)
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 20:
        return to_id(int(raw))
    return NO_ID


_DECIMAL_TAIL = re.compile(r"\.0*\s*$")  # DRF: "1.0" and "1." are integers, "1.5" is not


def _drf_integer(raw: object) -> int:
    """DRF ``IntegerField``: ``"1.0"``, ``" 1 "`` and ``"+1"`` are 1; ``"1.5"`` is not."""
    if isinstance(raw, bool):
        raise problem("integer.invalid")
    if isinstance(raw, int):
        return raw
    value = str(raw)
    if len(value) > MAX_INTEGER_STRING:
        raise problem("max_string_length")
    try:
        return int(_DECIMAL_TAIL.sub("", value))
    except ValueError:
        raise problem("integer.invalid") from None


def parse_integer_id(raw: object) -> Id:
    """A DRF ``IntegerField`` value used as an id (``?district_id=``, ``?id=``)."""
    return to_id(_drf_integer(raw))


def parse_pk(raw: object) -> Id:
    """DRF ``PrimaryKeyRelatedField``'s type check; existence is the operation's query."""
    if raw is None:
        raise problem("null")
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise problem("incorrect_type", data_type=type(raw).__name__)
    try:
        number = int(raw)
    except ValueError:
        raise problem("incorrect_type", data_type=type(raw).__name__) from None
    return to_id(number)


# --- text -------------------------------------------------------------------------------------


def character_problems(text: str) -> list[FieldError]:
    """DRF's ``ProhibitNullCharactersValidator`` and ``ProhibitSurrogateCharactersValidator``.

    Lone surrogates (``"\\ud800"`` in JSON) cannot be encoded as UTF-8: no database, JWT library
    or Redis key takes them, so they stop here.
    """
    problems: list[FieldError] = []
    if "\x00" in text:
        problems.append(FieldError("null_characters_not_allowed"))
    surrogate = next((char for char in text if 0xD800 <= ord(char) <= 0xDFFF), None)
    if surrogate is not None:
        problems.append(
            FieldError("surrogate_characters_not_allowed", {"code_point": ord(surrogate)})
        )
    return problems


def has_bad_characters(text: str) -> bool:
    return bool(character_problems(text))


def text(
    *,
    max_length: int | None = None,
    allow_blank: bool = False,
    trim: bool = True,
    validate: bool = True,
) -> Callable[[object], str]:
    """A DRF ``CharField(max_length, allow_blank, trim_whitespace)`` parser.

    ``validate=False`` leaves the field's validators (length, NUL, surrogates) to the caller,
    for fields with validators of their own that DRF runs together with these (usernames).
    """

    def parse(raw: object) -> str:
        if raw is None:
            raise problem("null")
        if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
            raise problem("string.invalid")
        value = str(raw).strip() if trim else str(raw)
        if not value:
            if not allow_blank:
                raise problem("blank")
            return ""
        if not validate:
            return value
        # DRF runs a CharField's validators together: length, NUL, then lone surrogates.
        problems = character_problems(value)
        if max_length is not None and len(value) > max_length:
            problems.insert(0, FieldError("max_length", {"max_length": max_length}))
        if problems:
            raise Invalid(*problems)
        return value

    return parse


def optional(parser: Callable[[object], T]) -> Callable[[object], T | None]:
    """``parser``, with ``None`` (a GraphQL argument given as null) meaning "no value"."""

    def parse(raw: object) -> T | None:
        return None if raw is None else parser(raw)

    return parse


def any_text(raw: object) -> str:
    """A string taken as it is; anything that is not one reads as ``""``."""
    return raw if isinstance(raw, str) else ""


SEARCH_MAX: Final = 200


def parse_search(raw: object) -> str | None:
    """A title search term: trimmed, at most 200 characters, storable characters only."""
    if raw is None:
        return None
    value = text(max_length=SEARCH_MAX, allow_blank=True)(raw)
    return value or None


# --- numbers ----------------------------------------------------------------------------------


def _format_limit(limit: Decimal) -> str:
    return format(limit.normalize(), "f") if limit == limit.to_integral() else str(limit)


def decimal(
    *,
    max_digits: int,
    decimal_places: int,
    min_value: Decimal | None = None,
    max_value: Decimal | None = None,
) -> Callable[[object], Decimal]:
    """A DRF ``DecimalField`` parser, DRF's checks in order.

    Strings, ints, floats and ``Decimal`` are accepted; a float goes through its ``repr`` (so
    ``55.75393`` stays ``55.75393``). Trailing zeros count as decimal places, as in DRF.
    """

    def parse(raw: object) -> Decimal:
        if raw is None:
            raise problem("null")
        if isinstance(raw, bool):
            raise problem("number.invalid")
        if isinstance(raw, Decimal):
            number = raw
        elif isinstance(raw, int | float | str):
            value = str(raw).strip()
            if len(value) > MAX_INTEGER_STRING:
                raise problem("max_string_length")
            try:
                number = Decimal(value)
            except InvalidOperation:
                raise problem("number.invalid") from None
        else:
            raise problem("number.invalid")
        if not number.is_finite():
            raise problem("number.invalid")
        _sign, digits, exponent = number.as_tuple()
        assert isinstance(exponent, int)  # finite numbers have an int exponent
        if exponent >= 0:
            total_digits = whole_digits = len(digits) + exponent
            places = 0
        elif len(digits) > -exponent:
            total_digits = len(digits)
            whole_digits = total_digits + exponent
            places = -exponent
        else:
            total_digits = places = -exponent
            whole_digits = 0
        max_whole = max_digits - decimal_places
        if total_digits > max_digits:
            raise problem("max_digits", max_digits=max_digits)
        if places > decimal_places:
            raise problem("max_decimal_places", max_decimal_places=decimal_places)
        if whole_digits > max_whole:
            raise problem("max_whole_digits", max_whole_digits=max_whole)
        if max_value is not None and number > max_value:
            raise problem("max_value", limit_value=_format_limit(max_value))
        if min_value is not None and number < min_value:
            raise problem("min_value", limit_value=_format_limit(min_value))
        return number

    return parse


COORDINATE_DIGITS: Final = 9
COORDINATE_PLACES: Final = 6
COORDINATE_QUANTUM: Final = Decimal("0.000001")


def coordinate(bound: int) -> Callable[[object], Decimal]:
    """Degrees within ±``bound`` with at most 6 decimals, returned with exactly 6."""
    parse_decimal = decimal(
        max_digits=COORDINATE_DIGITS,
        decimal_places=COORDINATE_PLACES,
        min_value=Decimal(-bound),
        max_value=Decimal(bound),
    )

    def parse(raw: object) -> Decimal:
        return parse_decimal(raw).quantize(COORDINATE_QUANTUM)

    return parse


parse_latitude = coordinate(90)
parse_longitude = coordinate(180)


def bounded_float(*, exclusive_min: float, max_value: float) -> Callable[[object], float]:
    def parse(raw: object) -> float:
        if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal):
            raise problem("number.invalid")
        try:
            value = float(raw)
        except OverflowError:  # an int beyond any float: as far out as infinity
            value = math.inf if raw > 0 else -math.inf
        if not value > exclusive_min:  # also refuses NaN
            raise problem("exclusive_min_value", limit_value=_format_limit(Decimal(exclusive_min)))
        if value > max_value:
            raise problem("max_value", limit_value=_format_limit(Decimal(max_value)))
        return value

    return parse


# --- choices ----------------------------------------------------------------------------------


def choice(choices: type[E]) -> Callable[[object], E]:
    """A DRF ``ChoiceField`` over an enum of string values."""

    def parse(raw: object) -> E:
        if raw is None:
            raise problem("null")
        if isinstance(raw, choices):
            return raw
        for member in choices:
            if member.value == raw or (not isinstance(raw, bool) and str(member.value) == str(raw)):
                return member
        raise problem("invalid_choice", input=raw)

    return parse
