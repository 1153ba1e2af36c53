"""Districts (Moscow's administrative okrugs): listing, lookup and staff edits.

Field rules follow the original service's serializer: ``title`` required, not blank, at most 100
characters; ``abbreviation`` optional, blank allowed, at most 10; ``image`` optional, a valid
JPEG/PNG/WebP within the upload limit. A district that still has places cannot be deleted
(``Conflict``): its places would otherwise have to disappear with it, which nobody asked for.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from citygraph.config import Settings
from citygraph.domain import filecleanup, media
from citygraph.domain.errors import Conflict, FieldErrors, InvalidInput, NotFound
from citygraph.domain.fields import REQUIRED, clean_text, is_storable_id
from citygraph.domain.filecleanup import delete_on_commit
from citygraph.domain.values import UNSET, UnsetType
from citygraph.models import District, Place
from citygraph.security.permissions import Actor, require_staff

TITLE_MAX = 100
ABBREVIATION_MAX = 10
IMAGE_FOLDER = "districts"
HAS_PLACES = "This district still has places; delete or move them first."
NOT_FOUND = "No District matches the given query."


async def list_districts(session: AsyncSession) -> list[District]:
    """Every district, ordered by id."""
    return list((await session.exec(select(District).order_by(col(District.id)))).all())


async def get_district(session: AsyncSession, district_id: int) -> District:
    district = await session.get(District, district_id) if is_storable_id(district_id) else None
    if district is None:
        raise NotFound(NOT_FOUND)
    return district


async def districts_by_ids(
    session: AsyncSession, district_ids: Sequence[int]
) -> dict[int, District]:
    """The districts among ``district_ids`` that exist, by id (one statement)."""
    wanted = sorted({pk for pk in district_ids if is_storable_id(pk)})
    if not wanted:
        return {}
    rows = await session.exec(select(District).where(col(District.id).in_(wanted)))
    return {district.id: district for district in rows.all() if district.id is not None}


async def count_places(session: AsyncSession, district_ids: Sequence[int]) -> dict[int, int]:
    """Number of places in each of ``district_ids`` (0 for unknown ids), in one statement."""
    wanted = sorted({pk for pk in district_ids if is_storable_id(pk)})
    counts = dict.fromkeys(district_ids, 0)
    if not wanted:
        return counts
    statement = (
        select(Place.district_id, func.count())
        .where(col(Place.district_id).in_(wanted))
        .group_by(col(Place.district_id))
    )
    for district_id, count in (await session.exec(statement)).all():
        counts[district_id] = count
    return counts


def _clean_fields(
    errors: FieldErrors,
    *,
    title: str | UnsetType | None,
    abbreviation: str | UnsetType | None,
    creating: bool,
) -> tuple[str | UnsetType | None, str | UnsetType | None]:
    clean_title: str | UnsetType | None = UNSET
    clean_abbreviation: str | UnsetType | None = UNSET
    if creating and (title is None or title is UNSET):
        errors.add("title", REQUIRED)
    elif title is not UNSET:
        clean_title = clean_text(errors, "title", title, max_length=TITLE_MAX)
    if abbreviation is not UNSET:
        if creating and abbreviation is None:
            abbreviation = ""
        clean_abbreviation = clean_text(
            errors, "abbreviation", abbreviation, max_length=ABBREVIATION_MAX, allow_blank=True
        )
    return clean_title, clean_abbreviation


def _check_image(settings: Settings, errors: FieldErrors, image: bytes) -> str | None:
    """The image's file extension, or ``None`` after adding its problems to ``errors``."""
    try:
        return media.validate_image(settings, image)
    except InvalidInput as exc:
        errors.extend(exc)
        return None


def _validated(
    settings: Settings,
    *,
    title: str | UnsetType | None,
    abbreviation: str | UnsetType | None,
    image: bytes | UnsetType | None,
    creating: bool,
) -> tuple[str | UnsetType | None, str | UnsetType | None, str | None]:
    """Clean title and abbreviation and check the image, reporting every problem at once."""
    errors = FieldErrors()
    clean_title, clean_abbreviation = _clean_fields(
        errors, title=title, abbreviation=abbreviation, creating=creating
    )
    extension = _check_image(settings, errors, image) if isinstance(image, bytes) else None
    errors.raise_if_any()
    return clean_title, clean_abbreviation, extension


def check_new_district(
    settings: Settings,
    actor: Actor,
    *,
    title: str | UnsetType | None,
    abbreviation: str | UnsetType | None = "",
    image: bytes | None = None,
) -> None:
    """``create_district``'s permission and field checks, writing nothing.

    For a face that has transport-level errors of its own (a null field, text where a file
    belongs) and must report the domain's field errors together with them, as DRF does.
    """
    require_staff(actor)
    _validated(settings, title=title, abbreviation=abbreviation, image=image, creating=True)


async def create_district(
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    *,
    title: str | UnsetType | None,
    abbreviation: str | UnsetType | None = "",
    image: bytes | None = None,
) -> District:
    """Staff only. ``title`` None or UNSET (not given) is ``This field is required.``;
    ``abbreviation`` None or not given is blank."""
    require_staff(actor)
    clean_title, clean_abbreviation, extension = _validated(
        settings, title=title, abbreviation=abbreviation, image=image, creating=True
    )
    relative = None
    if image is not None and extension is not None:
        relative = await filecleanup.write_image(session, settings, image, IMAGE_FOLDER, extension)
    assert isinstance(clean_title, str)
    district = District(
        title=clean_title,
        abbreviation=clean_abbreviation if isinstance(clean_abbreviation, str) else "",
        image=relative,
    )
    session.add(district)
    await session.flush()  # on failure the transaction rolls back and the file goes with it
    return district


async def update_district(
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    district_id: int,
    *,
    title: str | UnsetType | None = UNSET,
    abbreviation: str | UnsetType | None = UNSET,
    image: bytes | UnsetType | None = UNSET,
) -> District:
    """Staff only. Fields left UNSET keep their value; ``image=None`` removes the image.

    A replaced or removed image file is deleted once the change commits.
    """
    require_staff(actor)
    district = await get_district(session, district_id)
    clean_title, clean_abbreviation, extension = _validated(
        settings, title=title, abbreviation=abbreviation, image=image, creating=False
    )
    relative: str | UnsetType | None = UNSET
    if image is None:
        relative = None
    elif isinstance(image, bytes) and extension is not None:
        relative = await filecleanup.write_image(session, settings, image, IMAGE_FOLDER, extension)
    if isinstance(clean_title, str):
        district.title = clean_title
    if isinstance(clean_abbreviation, str):
        district.abbreviation = clean_abbreviation
    if relative is not UNSET:
        delete_on_commit(session, settings, district.image)
        district.image = relative
    session.add(district)
    await session.flush()
    return district


async def delete_district(
    session: AsyncSession, settings: Settings, actor: Actor, district_id: int
) -> None:
    """Staff only. Refused with ``Conflict`` while the district has places."""
    require_staff(actor)
    district = await get_district(session, district_id)
    assert district.id is not None
    if (await count_places(session, [district.id]))[district.id]:
        raise Conflict(HAS_PLACES)
    image = district.image
    await session.delete(district)
    try:
        await session.flush()
    except IntegrityError as exc:  # a place was added concurrently: the FK (RESTRICT) refuses
        raise Conflict(HAS_PLACES) from exc
    delete_on_commit(session, settings, image)
