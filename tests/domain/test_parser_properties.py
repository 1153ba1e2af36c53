"""Property tests of the domain's boundary parsers: whatever a face hands over, a parser returns
a value or raises ``Invalid`` (the field's errors), never anything else; and what it returns
round-trips."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citygraph.domain import credentials, parsers
from citygraph.domain.districts import DistrictForm
from citygraph.domain.messages import render
from citygraph.domain.parsers import MAX_ID, NO_ID, Invalid
from citygraph.models import PlaceType

PROPERTY_SETTINGS = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

#: What JSON, forms, query strings and GraphQL variables can hand a parser.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(),
    st.decimals(),
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from("\x00\ud800 \t.-+e")),
    st.from_regex(r"\s*[+-]?\d{1,30}(\.\d{0,12})?([eE][+-]?\d{1,6})?\s*", fullmatch=True),
)
raw_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)

PARSERS: dict[str, Callable[[object], Any]] = {
    "parse_id": parsers.parse_id,
    "parse_integer_id": parsers.parse_integer_id,
    "parse_pk": parsers.parse_pk,
    "text": parsers.text(max_length=100),
    "text_blank": parsers.text(max_length=10, allow_blank=True),
    "parse_search": parsers.parse_search,
    "latitude": parsers.parse_latitude,
    "longitude": parsers.parse_longitude,
    "decimal": parsers.decimal(max_digits=9, decimal_places=6),
    "radius": parsers.bounded_float(exclusive_min=0, max_value=100_000),
    "choice": parsers.choice(PlaceType),
    "username": credentials.parse_username,
    "login_name": credentials.parse_login_name,
    "email": credentials.parse_email,
    "new_email": credentials.parse_new_email,
    "lookup_email": credentials.parse_lookup_email,
}


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_parsers_raise_only_field_errors(name: str) -> None:
    parser = PARSERS[name]

    @PROPERTY_SETTINGS
    @given(raw=raw_values)
    def check(raw: object) -> None:
        try:
            parser(raw)
        except Invalid as exc:
            errors = exc.errors
        else:
            return
        assert errors
        for error in errors:
            assert render(error.id, error.params)  # every message renders

    check()


@PROPERTY_SETTINGS
@given(
    raw=st.dictionaries(st.sampled_from(["title", "abbreviation", "x"]), raw_values),
    image=st.none() | st.binary(max_size=64),  # the faces hand files over as bytes
)
def test_forms_collect_problems_and_never_raise(
    raw: dict[str, object], image: bytes | None
) -> None:
    form = DistrictForm.parse(**raw, image=image)
    if not form.problems:
        assert isinstance(form.title, str) and form.title == form.title.strip()


@PROPERTY_SETTINGS
@given(number=st.integers(min_value=1, max_value=MAX_ID))
def test_ids_round_trip(number: int) -> None:
    assert parsers.parse_id(number) == number
    assert parsers.parse_id(str(number)) == number
    for spelling in (str(number), f" {number} ", f"+{number}", f"{number}.000", f"{number}."):
        assert parsers.parse_integer_id(spelling) == number


@PROPERTY_SETTINGS
@given(number=st.integers().filter(lambda n: not 0 < n <= MAX_ID))
def test_ids_that_cannot_exist_name_no_row(number: int) -> None:
    assert parsers.parse_id(number) == NO_ID
    assert parsers.parse_id(str(number)) == NO_ID


@PROPERTY_SETTINGS
@given(
    value=st.decimals(min_value=-90, max_value=90, places=6, allow_nan=False),
    as_float=st.booleans(),
)
def test_coordinates_round_trip_with_six_places(value: Decimal, as_float: bool) -> None:
    parsed = parsers.parse_latitude(str(value))
    assert parsed == value
    assert parsed.as_tuple().exponent == -6
    assert parsers.parse_latitude(str(parsed)) == parsed  # what is shown parses back
    if as_float:
        assert parsers.parse_latitude(float(value)) == Decimal(repr(float(value))).quantize(
            parsers.COORDINATE_QUANTUM
        )


@PROPERTY_SETTINGS
@given(value=st.text(min_size=1, max_size=100))
def test_text_round_trips_trimmed(value: str) -> None:
    parse = parsers.text(max_length=100)
    try:
        parsed = parse(value)
    except Invalid:
        assert not value.strip() or parsers.has_bad_characters(value)
        return
    assert parsed == value.strip()
    assert parse(parsed) == parsed


@PROPERTY_SETTINGS
@given(member=st.sampled_from(PlaceType))
def test_choices_round_trip(member: PlaceType) -> None:
    assert parsers.choice(PlaceType)(member.value) == member
    assert parsers.choice(PlaceType)(member) == member


@PROPERTY_SETTINGS
@given(name=st.from_regex(r"[\w.@+-]{1,150}", fullmatch=True))
def test_usernames_round_trip_normalised(name: str) -> None:
    try:
        parsed = credentials.parse_username(name)
    except Invalid:
        normal = unicodedata.normalize("NFKC", name)
        assert len(normal) > 150 or not all(c.isalnum() or c in "_.@+-" for c in normal)
        return
    assert parsed == unicodedata.normalize("NFKC", name.strip())
    assert credentials.parse_username(parsed) == parsed


@PROPERTY_SETTINGS
@given(address=st.emails())
def test_emails_round_trip(address: str) -> None:
    if len(address) > 254:
        return
    try:
        parsed = credentials.parse_email(address)
    except Invalid:
        return  # hypothesis' addresses are RFC 5322's, wider than Django's validator
    assert parsed == address
    assert credentials.parse_email(f"  {parsed}\n") == parsed
    lookup = credentials.parse_lookup_email(parsed)
    assert credentials.parse_lookup_email(lookup) == lookup
