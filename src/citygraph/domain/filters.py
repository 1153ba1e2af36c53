"""Filters of the public lists (``filter:``), parsed once and turned into SQL once.

``places(filter:)`` and ``districts(filter:)``: the parsers turn the raw input (mappings with
snake_case keys, as both GraphQL paths hand it over) into :class:`PlaceFilter` and
:class:`DistrictFilter` trees; ``place_filter_sql``/``district_filter_sql`` turn a tree into a
condition on a row alias, with its bind parameters in a :class:`~citygraph.jsonsql.Sql`. The
executor's resolvers and the compiled reads both run that condition (``listing``), so a filter
means the same on both paths.

Places: ``title`` (``contains``/``starts_with``, ignoring case in any alphabet: ``LIKE`` on the
stored ``title_folded``, see ``like_pattern``), ``type`` and
``district_id`` (``in``), ``has_images``, a bounding box (``within``) and a circle (``near``),
combined with ``and``/``or``/``not``; districts: ``title``, ``abbreviation``, ``has_places``. On
PostgreSQL each term has an index: the trigram index on folded titles, ``(type, id)``,
``(district_id, id)``, the images' ``place_id``, ``(latitude, longitude)``. Nesting is at most
``MAX_DEPTH`` deep and every list at most ``MAX_TERMS`` long, so a filter's SQL stays small.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from citygraph.domain import geo
from citygraph.domain.parsers import (
    MAX_ID,
    bounded_float,
    choice,
    parse_latitude,
    parse_longitude,
    problem,
    text,
)
from citygraph.jsonsql import Sql
from citygraph.models import PlaceType
from citygraph.textfold import fold

MAX_DEPTH: Final = 5
MAX_TERMS: Final = 50
MAX_RADIUS_M: Final = 100_000
#: Widens SQL boxes by about 10 cm, so float rounding never drops a point on the edge.
BOX_MARGIN: Final = 1e-6
SEARCH_MAX: Final = 200


# --- the parsed trees ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TextMatch:
    contains: str | None = None
    starts_with: str | None = None


@dataclass(frozen=True)
class Box:
    min_latitude: Decimal
    max_latitude: Decimal
    min_longitude: Decimal
    max_longitude: Decimal


@dataclass(frozen=True)
class Circle:
    latitude: Decimal
    longitude: Decimal
    radius_meters: float


@dataclass(frozen=True)
class PlaceFilter:
    title: TextMatch | None = None
    types: tuple[PlaceType, ...] | None = None
    district_ids: tuple[int, ...] | None = None
    has_images: bool | None = None
    within: Box | None = None
    near: Circle | None = None
    all_of: tuple[PlaceFilter, ...] = ()
    any_of: tuple[PlaceFilter, ...] | None = None
    none_of: PlaceFilter | None = None


@dataclass(frozen=True)
class DistrictFilter:
    title: TextMatch | None = None
    abbreviation: TextMatch | None = None
    has_places: bool | None = None
    all_of: tuple[DistrictFilter, ...] = ()
    any_of: tuple[DistrictFilter, ...] | None = None
    none_of: DistrictFilter | None = None


# --- parsing --------------------------------------------------------------------------------------


def _mapping(raw: object) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise problem("not_a_dict", datatype=type(raw).__name__)
    return raw


def _given(raw: Mapping[str, Any], key: str) -> bool:
    return raw.get(key) is not None


def _text_match(raw: object) -> TextMatch:
    values = _mapping(raw)
    parse = text(max_length=SEARCH_MAX)
    match = TextMatch(
        contains=parse(values["contains"]) if _given(values, "contains") else None,
        starts_with=parse(values["starts_with"]) if _given(values, "starts_with") else None,
    )
    if match.contains is None and match.starts_with is None:
        raise problem("required")
    return match


def _members(raw: object, parse: Callable[[object], Any]) -> tuple[Any, ...]:
    values = _mapping(raw).get("in")
    if not isinstance(values, Sequence) or isinstance(values, str):
        raise problem("required")
    if len(values) > MAX_TERMS:
        raise problem("max_terms", max_terms=MAX_TERMS)
    return tuple(parse(value) for value in values)


def _id(raw: object) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise problem("integer.invalid")
    return raw if 0 < raw <= MAX_ID else 0


def _box(raw: object) -> Box:
    values = _mapping(raw)
    box = Box(
        min_latitude=parse_latitude(values.get("min_latitude")),
        max_latitude=parse_latitude(values.get("max_latitude")),
        min_longitude=parse_longitude(values.get("min_longitude")),
        max_longitude=parse_longitude(values.get("max_longitude")),
    )
    if box.min_latitude > box.max_latitude:
        raise problem("min_above_max")
    return box


parse_radius = bounded_float(exclusive_min=0, max_value=MAX_RADIUS_M)


def _circle(raw: object) -> Circle:
    values = _mapping(raw)
    return Circle(
        latitude=parse_latitude(values.get("latitude")),
        longitude=parse_longitude(values.get("longitude")),
        radius_meters=parse_radius(values.get("radius_meters")),
    )


def _combined(
    raw: Mapping[str, Any], parse: Callable[[object, int], Any], depth: int
) -> dict[str, Any]:
    combined: dict[str, Any] = {}
    if _given(raw, "and"):
        combined["all_of"] = tuple(parse(item, depth + 1) for item in _list(raw["and"]))
    if _given(raw, "or"):
        combined["any_of"] = tuple(parse(item, depth + 1) for item in _list(raw["or"]))
    if _given(raw, "not"):
        combined["none_of"] = parse(raw["not"], depth + 1)
    return combined


def _list(raw: object) -> Sequence[object]:
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise problem("not_a_list", datatype=type(raw).__name__)
    if len(raw) > MAX_TERMS:
        raise problem("max_terms", max_terms=MAX_TERMS)
    return raw


def parse_place_filter(raw: object, depth: int = 0) -> PlaceFilter:
    """A ``PlaceFilter`` input; nested ``and``/``or``/``not`` at most ``MAX_DEPTH`` deep."""
    if depth > MAX_DEPTH:
        raise problem("max_depth", max_depth=MAX_DEPTH)
    values = _mapping(raw)
    parse_type = choice(PlaceType)
    return PlaceFilter(
        title=_text_match(values["title"]) if _given(values, "title") else None,
        types=_members(values["type"], parse_type) if _given(values, "type") else None,
        district_ids=(
            _members(values["district_id"], _id) if _given(values, "district_id") else None
        ),
        has_images=bool(values["has_images"]) if _given(values, "has_images") else None,
        within=_box(values["within"]) if _given(values, "within") else None,
        near=_circle(values["near"]) if _given(values, "near") else None,
        **_combined(values, parse_place_filter, depth),
    )


def parse_district_filter(raw: object, depth: int = 0) -> DistrictFilter:
    if depth > MAX_DEPTH:
        raise problem("max_depth", max_depth=MAX_DEPTH)
    values = _mapping(raw)
    return DistrictFilter(
        title=_text_match(values["title"]) if _given(values, "title") else None,
        abbreviation=(
            _text_match(values["abbreviation"]) if _given(values, "abbreviation") else None
        ),
        has_places=bool(values["has_places"]) if _given(values, "has_places") else None,
        **_combined(values, parse_district_filter, depth),
    )


# --- SQL ------------------------------------------------------------------------------------------


def _case_classes(text: str) -> list[list[str]]:
    """Each character with its one-character case variants (``ц`` → ``['Ц', 'ц']``)."""
    classes = []
    for char in text:
        variants = {char, char.lower(), char.upper(), char.title(), char.casefold()}
        classes.append(sorted(v for v in variants if len(v) == 1))
    return classes


def _glob_pattern(text: str) -> str:
    parts = []
    for variants in _case_classes(text):
        if len(variants) > 1:
            parts.append("[" + "".join(variants) + "]")
        elif variants[0] in "*?[":
            parts.append(f"[{variants[0]}]")
        else:
            parts.append(variants[0])
    return "".join(parts)


def _regex_pattern(text: str) -> str:
    parts = []
    for variants in _case_classes(text):
        if len(variants) > 1:
            parts.append("[" + "".join(variants) + "]")
        elif variants[0].isalnum():
            parts.append(variants[0])
        else:
            parts.append("\\" + variants[0])
    return "".join(parts)


def search_pattern(dialect: str, text: str, *, anchored: bool = False) -> tuple[str, str]:
    """The operator and pattern that find ``text`` in (or, ``anchored``, at the start of) a
    district's title or abbreviation, ignoring case in every alphabet.

    Districts (a dozen rows) have no folded column: every letter becomes a character class of
    its one-character case variants (``центр`` → ``[Цц][Ее][Нн][Тт][Рр]``), ``GLOB`` on SQLite,
    ``~`` on PostgreSQL. For the letters titles use this answers as ``fold`` does; it differs
    only where folding changes a letter's length (``ß`` ≠ ``ss``, ``İ`` ≠ ``i``).
    """
    if dialect == "sqlite":
        pattern = _glob_pattern(text)
        return "GLOB", (pattern if anchored else "*" + pattern) + "*"
    pattern = _regex_pattern(text)
    return "~", ("^" + pattern if anchored else pattern)


def _title_match(sql: Sql, column: str, match: TextMatch) -> list[str]:
    found = []
    for term, anchored in ((match.contains, False), (match.starts_with, True)):
        if term is None:
            continue
        operator, pattern = search_pattern(sql.dialect, term, anchored=anchored)
        found.append(f"{column} {operator} {sql.param(pattern, 'text')}")
    return found


#: The ``LIKE`` escape character of ``like_pattern`` (written ``ESCAPE '\'`` in SQL).
LIKE_ESCAPE: Final = "\\"


def like_pattern(text: str, *, anchored: bool = False) -> str:
    """The ``LIKE`` pattern (escape ``LIKE_ESCAPE``) that finds ``text`` in (or, ``anchored``,
    at the start of) a place's ``title_folded``, ignoring case in every alphabet.

    The term is folded by the rule that folded the stored titles (``textfold.fold``), so both
    databases compare the same strings, with no locale; ``%``, ``_`` and ``\\`` in the term
    are literal. On PostgreSQL the GIN trigram index on ``title_folded`` serves it.
    """
    folded = fold(text)
    for special in (LIKE_ESCAPE, "%", "_"):
        folded = folded.replace(special, LIKE_ESCAPE + special)
    return folded + "%" if anchored else "%" + folded + "%"


def _folded_title_match(sql: Sql, column: str, match: TextMatch) -> list[str]:
    found = []
    for term, anchored in ((match.contains, False), (match.starts_with, True)):
        if term is not None:
            pattern = sql.param(like_pattern(term, anchored=anchored), "text")
            found.append(f"{column} LIKE {pattern} ESCAPE '{LIKE_ESCAPE}'")
    return found


def box_sql(
    sql: Sql, p: str, min_lat: float, max_lat: float, lon_ranges: Sequence[tuple[float, float]]
) -> str:
    """Rows inside a latitude band and any of the longitude ranges (the index serves it)."""

    def bound(value: float) -> str:  # numeric on PostgreSQL: the (latitude, longitude) index
        return sql.param(Decimal(repr(value)) if sql.postgres else value, "numeric")

    ranges = " OR ".join(
        f"({p}.longitude >= {bound(west - BOX_MARGIN)} "
        f"AND {p}.longitude <= {bound(east + BOX_MARGIN)})"
        for west, east in lon_ranges
    )
    return (
        f"({p}.latitude >= {bound(min_lat - BOX_MARGIN)} "
        f"AND {p}.latitude <= {bound(max_lat + BOX_MARGIN)} AND ({ranges}))"
    )


def distance_sql(sql: Sql, p: str, latitude: Decimal, longitude: Decimal) -> str:
    """The great-circle distance in metres from a point to the row ``p``."""
    lat, lon = repr(float(latitude)), repr(float(longitude))
    return geo.distance_sql(sql.dialect, f"{p}.latitude", f"{p}.longitude", lat, lon)


def circle_box_sql(sql: Sql, p: str, latitude: Decimal, longitude: Decimal, radius: float) -> str:
    """The bounding box of a circle: the indexed half of ``near``."""
    box = geo.bounding_box(float(latitude), float(longitude), radius)
    return box_sql(sql, p, box.min_lat, box.max_lat, box.lon_ranges)


def _circle_sql(sql: Sql, p: str, circle: Circle) -> str:
    box = circle_box_sql(sql, p, circle.latitude, circle.longitude, circle.radius_meters)
    distance = distance_sql(sql, p, circle.latitude, circle.longitude)
    return f"({box} AND {distance} <= {sql.param(circle.radius_meters, 'float8')})"


def _all(parts: list[str]) -> str:
    return "(" + " AND ".join(parts) + ")" if parts else "TRUE"


def place_filter_sql(sql: Sql, p: str, found: PlaceFilter) -> str:
    """A SQL condition on the ``places`` row ``p``."""
    parts: list[str] = []
    if found.title is not None:
        parts += _folded_title_match(sql, f"{p}.title_folded", found.title)
    if found.types is not None:
        values = [sql.param(t.value, "text") for t in found.types]
        parts.append(f"{p}.type IN ({', '.join(values)})" if values else "FALSE")
    if found.district_ids is not None:
        values = [sql.param(pk, "int") for pk in found.district_ids]
        parts.append(f"{p}.district_id IN ({', '.join(values)})" if values else "FALSE")
    if found.has_images is not None:
        exists = f"EXISTS (SELECT 1 FROM place_images AS pi WHERE pi.place_id = {p}.id)"
        parts.append(exists if found.has_images else f"NOT {exists}")
    if found.within is not None:
        box = found.within
        west, east = float(box.min_longitude), float(box.max_longitude)
        ranges = [(west, east)] if west <= east else [(west, 180.0), (-180.0, east)]
        parts.append(box_sql(sql, p, float(box.min_latitude), float(box.max_latitude), ranges))
    if found.near is not None:
        parts.append(_circle_sql(sql, p, found.near))
    parts += [place_filter_sql(sql, p, item) for item in found.all_of]
    if found.any_of is not None:
        alternatives = [place_filter_sql(sql, p, item) for item in found.any_of]
        parts.append("(" + " OR ".join(alternatives) + ")" if alternatives else "FALSE")
    if found.none_of is not None:
        parts.append(f"NOT {place_filter_sql(sql, p, found.none_of)}")
    return _all(parts)


def counts_in_search_table(found: PlaceFilter) -> bool:
    """Whether ``found``'s total may be counted in ``models.PLACE_SEARCH`` (PostgreSQL)
    rather than ``places``.

    A title match rechecks every candidate row; in ``places`` those rows carry their
    descriptions, so a common word's count reads most of the table, and the copy's rows are
    several times narrower. It pays only when every row must match a title (otherwise the
    other terms' indexes on ``places`` lead), and the copy serves only filters on its columns.
    """
    return _requires_title(found) and _only_search_columns(found)


def _requires_title(found: PlaceFilter) -> bool:
    return found.title is not None or any(_requires_title(item) for item in found.all_of)


def _only_search_columns(found: PlaceFilter) -> bool:
    """No term needs a column the copy lacks (``has_images`` needs only the id)."""
    nested = [*found.all_of, *(found.any_of or ())]
    if found.none_of is not None:
        nested.append(found.none_of)
    return (
        found.within is None
        and found.near is None
        and all(_only_search_columns(item) for item in nested)
    )


def district_filter_sql(sql: Sql, d: str, found: DistrictFilter) -> str:
    """A SQL condition on the ``districts`` row ``d``."""
    parts: list[str] = []
    if found.title is not None:
        parts += _title_match(sql, f"{d}.title", found.title)
    if found.abbreviation is not None:
        parts += _title_match(sql, f"{d}.abbreviation", found.abbreviation)
    if found.has_places is not None:
        exists = f"EXISTS (SELECT 1 FROM places AS dp WHERE dp.district_id = {d}.id)"
        parts.append(exists if found.has_places else f"NOT {exists}")
    parts += [district_filter_sql(sql, d, item) for item in found.all_of]
    if found.any_of is not None:
        alternatives = [district_filter_sql(sql, d, item) for item in found.any_of]
        parts.append("(" + " OR ".join(alternatives) + ")" if alternatives else "FALSE")
    if found.none_of is not None:
        parts.append(f"NOT {district_filter_sql(sql, d, found.none_of)}")
    return _all(parts)
