"""Places and their images: lists, search, nearby places and staff edits.

Field rules follow the original service's serializer (``title`` ≤ 200 and required,
``short_description`` ≤ 300, ``type`` one of ``PlaceType``, coordinates ``Decimal(9, 6)``) with
two additions: latitude within [-90, 90] and longitude within [-180, 180].

Title search is case-insensitive for every alphabet on both databases. SQLite's ``LIKE`` and
``lower()`` fold ASCII only, and PostgreSQL's ``lower()``/``ILIKE`` depend on the database's
locale (``C`` folds ASCII only), so the search term is turned into a pattern in which every letter
is a character class of its case variants (``центр`` → ``[Цц][Ее][Нн][Тт][Рр]``): ``GLOB`` on
SQLite, ``~`` on PostgreSQL. Same answers everywhere, no extension, no locale assumption.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from citygraph.config import Settings
from citygraph.domain import filecleanup, geo, media
from citygraph.domain.districts import districts_by_ids
from citygraph.domain.errors import FieldErrors, InvalidInput, NotFound
from citygraph.domain.fields import (
    REQUIRED,
    clean_choice,
    clean_decimal,
    clean_pk,
    clean_text,
    does_not_exist,
    is_storable_id,
)
from citygraph.domain.filecleanup import delete_on_commit
from citygraph.domain.pagination import (
    DEFAULT_PAGE_SIZE,
    Page,
    check_page_size,
    decode_cursor,
    make_page,
)
from citygraph.domain.values import UNSET, UnsetType
from citygraph.models import Place, PlaceImage, PlaceType
from citygraph.security.permissions import Actor, require_staff
from citygraph.sqltypes import COORDINATE_QUANTUM

TITLE_MAX = 200
SHORT_DESCRIPTION_MAX = 300
SEARCH_MAX = 200
COORDINATE_DIGITS = 9
COORDINATE_PLACES = 6
MAX_RADIUS_M = 100_000
IMAGE_FOLDER = "places"
PLACE_NOT_FOUND = "No Place matches the given query."
IMAGE_NOT_FOUND = "No PlaceImage matches the given query."
#: Widens the SQL box by about 10 cm, so float rounding never drops a point on the circle.
_BOX_MARGIN_DEG = 1e-6

Coordinate = Decimal | str | int | float


# --- reading ---------------------------------------------------------------------------------


async def get_place(session: AsyncSession, place_id: int) -> Place:
    place = await session.get(Place, place_id) if is_storable_id(place_id) else None
    if place is None:
        raise NotFound(PLACE_NOT_FOUND)
    return place


async def places_by_ids(session: AsyncSession, place_ids: Sequence[int]) -> dict[int, Place]:
    """The places among ``place_ids`` that exist, by id (one statement)."""
    wanted = sorted({pk for pk in place_ids if is_storable_id(pk)})
    if not wanted:
        return {}
    rows = await session.exec(select(Place).where(col(Place.id).in_(wanted)))
    return {place.id: place for place in rows.all() if place.id is not None}


async def list_district_places(session: AsyncSession, district_id: int) -> list[Place]:
    """Every place of a district, ordered by id; an unknown district has none."""
    if not is_storable_id(district_id):
        return []
    statement = select(Place).where(Place.district_id == district_id).order_by(col(Place.id))
    return list((await session.exec(statement)).all())


async def images_for_places(
    session: AsyncSession, place_ids: Sequence[int]
) -> dict[int, list[PlaceImage]]:
    """The images of each place (ordered by id; [] for none or unknown), in one statement."""
    images: dict[int, list[PlaceImage]] = {pk: [] for pk in place_ids}
    wanted = sorted({pk for pk in place_ids if is_storable_id(pk)})
    if not wanted:
        return images
    statement = (
        select(PlaceImage)
        .where(col(PlaceImage.place_id).in_(wanted))
        .order_by(col(PlaceImage.place_id), col(PlaceImage.id))
    )
    for image in (await session.exec(statement)).all():
        images[image.place_id].append(image)
    return images


async def first_places_per_district(
    session: AsyncSession, district_ids: Sequence[int], *, limit: int, after_id: int | None = None
) -> dict[int, list[Place]]:
    """Up to ``limit`` places of each district (by id, after ``after_id``), in one statement.

    ``ROW_NUMBER() OVER (PARTITION BY district_id ORDER BY id)`` numbers each district's places,
    so one query serves a whole page of districts however many places each has.
    """
    result: dict[int, list[Place]] = {pk: [] for pk in district_ids}
    wanted = sorted({pk for pk in district_ids if is_storable_id(pk)})
    if not wanted or limit <= 0:
        return result
    row_number = (
        func.row_number()
        .over(partition_by=col(Place.district_id), order_by=col(Place.id))
        .label("row_number")
    )
    conditions: list[ColumnElement[bool]] = [col(Place.district_id).in_(wanted)]
    if after_id is not None:
        conditions.append(col(Place.id) > after_id)
    numbered = select(Place, row_number).where(*conditions).subquery("numbered")
    place = aliased(Place, numbered)
    statement = (
        select(place)
        .where(numbered.c.row_number <= limit)
        .order_by(numbered.c.district_id, numbered.c.id)
    )
    for row in (await session.exec(statement)).all():
        result[row.district_id].append(row)
    return result


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
    return "*" + "".join(parts) + "*"


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


def title_contains(session: AsyncSession, text: str) -> ColumnElement[bool]:
    """``title`` contains ``text``, ignoring case in every alphabet (see the module docstring)."""
    dialect = session.get_bind().dialect.name
    title = col(Place.title)
    if dialect == "sqlite":
        return title.op("GLOB")(_glob_pattern(text))
    if dialect == "postgresql":
        return title.op("~")(_regex_pattern(text))
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(title).like(f"%{escaped}%", escape="\\")


def _clean_search(
    *, district_id: int | None, type: PlaceType | str | None, search: str | None, first: int
) -> tuple[PlaceType | None, str | None]:
    errors = FieldErrors()
    place_type = clean_choice(errors, "type", type, PlaceType) if type is not None else None
    term = None
    if search is not None:
        term = search.strip()
        if len(term) > SEARCH_MAX:
            errors.add("search", f"Ensure this field has no more than {SEARCH_MAX} characters.")
        elif "\x00" in term:
            errors.add("search", "Null characters are not allowed.")
    errors.raise_if_any()
    check_page_size(first)
    return place_type, term or None


async def search_places(
    session: AsyncSession,
    *,
    district_id: int | None = None,
    type: PlaceType | str | None = None,
    search: str | None = None,
    first: int = DEFAULT_PAGE_SIZE,
    after: str | None = None,
) -> Page[Place]:
    """A page of places ordered by id, filtered by district, type and a title substring.

    ``first`` may be 0..100 (more is ``InvalidInput``, never clamped); ``after`` is a cursor
    from an earlier page. Two statements: the page (one extra row tells whether more follow)
    and the total count of matches.
    """
    place_type, term = _clean_search(district_id=district_id, type=type, search=search, first=first)
    after_id = decode_cursor(after) if after is not None else None
    conditions: list[ColumnElement[bool]] = []
    if district_id is not None:
        if not is_storable_id(district_id):
            return make_page([], [], first=first, total_count=0, after=after_id)
        conditions.append(col(Place.district_id) == district_id)
    if place_type is not None:
        conditions.append(col(Place.type) == place_type)
    if term:
        conditions.append(title_contains(session, term))
    total = (await session.exec(select(func.count()).select_from(Place).where(*conditions))).one()
    rows: list[Place] = []
    if first > 0:
        page_conditions = [*conditions]
        if after_id is not None:
            page_conditions.append(col(Place.id) > after_id)
        statement = select(Place).where(*page_conditions).order_by(col(Place.id)).limit(first + 1)
        rows = list((await session.exec(statement)).all())
    return make_page(
        rows, [row.id or 0 for row in rows], first=first, total_count=total, after=after_id
    )


async def places_near(
    session: AsyncSession,
    *,
    latitude: Coordinate,
    longitude: Coordinate,
    radius_meters: float,
    first: int = DEFAULT_PAGE_SIZE,
) -> list[tuple[Place, float]]:
    """Places within ``radius_meters`` (great-circle), nearest first, with their distance in m.

    SQL selects the candidates' ids and coordinates inside the bounding box of the circle (the
    ``(latitude, longitude)`` index serves it); exact haversine distances are computed here;
    then one more statement loads the ``first`` nearest places. Ties go to the lower id.
    """
    errors = FieldErrors()
    lat = clean_decimal(
        errors, "latitude", latitude, max_digits=COORDINATE_DIGITS,
        decimal_places=COORDINATE_PLACES, min_value=Decimal(-90), max_value=Decimal(90),
    )  # fmt: skip
    lon = clean_decimal(
        errors, "longitude", longitude, max_digits=COORDINATE_DIGITS,
        decimal_places=COORDINATE_PLACES, min_value=Decimal(-180), max_value=Decimal(180),
    )  # fmt: skip
    if not radius_meters > 0:
        errors.add("radius_meters", "Ensure this value is greater than 0.")
    elif radius_meters > MAX_RADIUS_M:
        errors.add("radius_meters", f"Ensure this value is less than or equal to {MAX_RADIUS_M}.")
    errors.raise_if_any()
    check_page_size(first)
    assert lat is not None
    assert lon is not None
    if first == 0:
        return []
    box = geo.bounding_box(float(lat), float(lon), radius_meters)
    longitude_ranges = [
        and_(
            col(Place.longitude) >= west - _BOX_MARGIN_DEG,
            col(Place.longitude) <= east + _BOX_MARGIN_DEG,
        )
        for west, east in box.lon_ranges
    ]
    statement = select(col(Place.id), col(Place.latitude), col(Place.longitude)).where(
        col(Place.latitude) >= box.min_lat - _BOX_MARGIN_DEG,
        col(Place.latitude) <= box.max_lat + _BOX_MARGIN_DEG,
        or_(*longitude_ranges),
    )
    candidates: list[tuple[float, int]] = []
    for place_id, place_lat, place_lon in (await session.exec(statement)).all():
        assert place_id is not None
        distance = geo.haversine_m(float(lat), float(lon), float(place_lat), float(place_lon))
        if distance <= radius_meters:
            candidates.append((distance, place_id))
    nearest = sorted(candidates)[:first]
    if not nearest:
        return []
    loaded = await places_by_ids(session, [place_id for _, place_id in nearest])
    return [(loaded[place_id], distance) for distance, place_id in nearest if place_id in loaded]


# --- staff edits -----------------------------------------------------------------------------


def _clean_coordinate(errors: FieldErrors, field: str, value: object, bound: int) -> Decimal | None:
    """A valid coordinate with exactly 6 decimals, as the database will return it."""
    number = clean_decimal(
        errors,
        field,
        value,
        max_digits=COORDINATE_DIGITS,
        decimal_places=COORDINATE_PLACES,
        min_value=Decimal(-bound),
        max_value=Decimal(bound),
    )
    return number.quantize(COORDINATE_QUANTUM) if number is not None else None


async def _clean_place(
    session: AsyncSession,
    *,
    creating: bool,
    title: object,
    short_description: object,
    full_description: object,
    longitude: object,
    latitude: object,
    type: object,
    district_id: object,
) -> dict[str, Any]:
    """Validate the given fields (UNSET = not given) in the serializer's field order.

    Creating, an absent ``title``, coordinate or ``district`` is required (``None`` counts as
    absent); the descriptions default to blank and ``type`` to ``unique_place``. Updating, an
    UNSET field is left alone and ``None`` is ``This field may not be null.``.
    """
    errors = FieldErrors()
    values: dict[str, Any] = {}

    def given(field: str, value: object, *, required: bool) -> bool:
        if value is UNSET or (creating and value is None):
            if creating and required:
                errors.add(field, REQUIRED)
            return False
        return True

    if given("title", title, required=True):
        values["title"] = clean_text(errors, "title", title, max_length=TITLE_MAX)
    if given("short_description", short_description, required=False):
        values["short_description"] = clean_text(
            errors,
            "short_description",
            short_description,
            max_length=SHORT_DESCRIPTION_MAX,
            allow_blank=True,
        )
    if given("full_description", full_description, required=False):
        values["full_description"] = clean_text(
            errors, "full_description", full_description, allow_blank=True
        )
    if given("longitude", longitude, required=True):
        values["longitude"] = _clean_coordinate(errors, "longitude", longitude, 180)
    if given("latitude", latitude, required=True):
        values["latitude"] = _clean_coordinate(errors, "latitude", latitude, 90)
    if given("type", type, required=False):
        values["type"] = clean_choice(errors, "type", type, PlaceType)
    if given("district", district_id, required=True):
        pk = clean_pk(errors, "district", district_id)
        if pk is not None:
            if not (await districts_by_ids(session, [pk])):
                errors.add("district", does_not_exist(district_id))
            values["district_id"] = pk
    errors.raise_if_any()
    return values


async def create_place(
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    *,
    title: str | UnsetType | None,
    short_description: str | UnsetType | None = "",
    full_description: str | UnsetType | None = "",
    latitude: Coordinate | UnsetType | None,
    longitude: Coordinate | UnsetType | None,
    type: PlaceType | str | UnsetType | None = PlaceType.UNIQUE_PLACE,
    district_id: int | str | UnsetType | None,
) -> Place:
    """Staff only; every field error is reported at once (``InvalidInput``)."""
    require_staff(actor)
    values = await _clean_place(
        session,
        creating=True,
        title=title,
        short_description=short_description,
        full_description=full_description,
        longitude=longitude,
        latitude=latitude,
        type=type,
        district_id=district_id,
    )
    place = Place(**{"type": PlaceType.UNIQUE_PLACE, **values})
    session.add(place)
    await session.flush()
    return place


async def update_place(
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    place_id: int,
    *,
    title: str | UnsetType | None = UNSET,
    short_description: str | UnsetType | None = UNSET,
    full_description: str | UnsetType | None = UNSET,
    latitude: Coordinate | UnsetType | None = UNSET,
    longitude: Coordinate | UnsetType | None = UNSET,
    type: PlaceType | str | UnsetType | None = UNSET,
    district_id: int | str | UnsetType | None = UNSET,
) -> Place:
    """Staff only; fields left UNSET keep their value."""
    require_staff(actor)
    place = await get_place(session, place_id)
    values = await _clean_place(
        session,
        creating=False,
        title=title,
        short_description=short_description,
        full_description=full_description,
        longitude=longitude,
        latitude=latitude,
        type=type,
        district_id=district_id,
    )
    for field, value in values.items():
        setattr(place, field, value)
    session.add(place)
    await session.flush()
    return place


async def delete_place(
    session: AsyncSession, settings: Settings, actor: Actor, place_id: int
) -> None:
    """Staff only. The images' rows go with the place (FK cascade); their files are removed
    once the deletion has committed."""
    require_staff(actor)
    place = await get_place(session, place_id)
    paths = (
        await session.exec(select(PlaceImage.image).where(PlaceImage.place_id == place_id))
    ).all()
    await session.delete(place)
    await session.flush()
    for stale in [obj for obj in session.identity_map.values() if isinstance(obj, PlaceImage)]:
        if stale.place_id == place_id:
            session.expunge(stale)
    for path in paths:
        delete_on_commit(session, settings, path)


async def add_place_image(
    session: AsyncSession, settings: Settings, actor: Actor, place_id: int, data: bytes
) -> PlaceImage:
    """Staff only. A bad file is ``InvalidInput`` on ``image``: nothing stored, no row."""
    require_staff(actor)
    await get_place(session, place_id)
    extension = media.validate_image(settings, data)
    relative = await filecleanup.write_image(session, settings, data, IMAGE_FOLDER, extension)
    image = PlaceImage(image=relative, place_id=place_id)
    session.add(image)
    await session.flush()  # on failure the transaction rolls back and the file goes with it
    return image


async def delete_place_image(
    session: AsyncSession, settings: Settings, actor: Actor, image_id: int
) -> None:
    """Staff only; the file is removed once the deletion has committed."""
    require_staff(actor)
    image = await session.get(PlaceImage, image_id) if is_storable_id(image_id) else None
    if image is None:
        raise NotFound(IMAGE_NOT_FOUND)
    path = image.image
    await session.delete(image)
    await session.flush()
    delete_on_commit(session, settings, path)


__all__ = [
    "InvalidInput",
    "add_place_image",
    "create_place",
    "delete_place",
    "delete_place_image",
    "first_places_per_district",
    "get_place",
    "images_for_places",
    "list_district_places",
    "places_by_ids",
    "places_near",
    "search_places",
    "update_place",
]
