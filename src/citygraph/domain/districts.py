"""Districts (Moscow's administrative okrugs): listing, lookup and staff edits.

Field rules follow the original service's serializer: ``title`` required, not blank, at most 100
characters; ``abbreviation`` optional, blank allowed, at most 10; ``image`` optional, a valid
JPEG/PNG/WebP within the upload limit. A district that still has places cannot be deleted
(``Conflict``): its places would otherwise have to disappear with it, which nobody asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from citygraph.domain import filecleanup, media
from citygraph.domain.errors import Conflict, FieldError, NotFound
from citygraph.domain.filters import DistrictFilter, district_filter_sql, parse_district_filter
from citygraph.domain.listing import Listing, fetch_rows
from citygraph.domain.live import district_changed
from citygraph.domain.orderings import ID_ORDER, Ordering, parse_district_ordering
from citygraph.domain.parsers import NO_ID, Form, Id, optional, parsed_by, text
from citygraph.domain.policy import require_staff
from citygraph.domain.unit import UnitOfWork
from citygraph.domain.uploads import Upload, as_upload
from citygraph.feed import ChangeKind
from citygraph.models import District, Place

TITLE_MAX = 100
ABBREVIATION_MAX = 10
IMAGE_FOLDER = "districts"


async def list_districts(session: AsyncSession) -> list[District]:
    """Every district, ordered by id (the admin's choices)."""
    return list((await session.exec(select(District).order_by(col(District.id)))).all())


@dataclass
class DistrictQuery(Form):
    """``districts(filter, orderBy)``: every district matching, in order."""

    filter: DistrictFilter | None = parsed_by(optional(parse_district_filter), default=None)
    order_by: Ordering = parsed_by(parse_district_ordering, default=ID_ORDER)

    def listing(self) -> Listing:
        self.check()
        wanted = self.filter or DistrictFilter()
        return Listing(
            "districts", lambda sql, d: district_filter_sql(sql, d, wanted), self.order_by
        )


_COLUMNS = ("id", "title", "abbreviation", "image")


async def find_districts(uow: UnitOfWork, query: DistrictQuery) -> list[District]:
    """The districts ``query`` asks for, in its order (one statement: plain columns only)."""
    found = await fetch_rows(
        uow.session, query.listing(), lambda _sql, d: ", ".join(f"{d}.{c}" for c in _COLUMNS)
    )
    return [District(**dict(zip(_COLUMNS, row, strict=True))) for row in found]


async def get_district(session: AsyncSession, district_id: Id) -> District:
    district = await session.get(District, district_id) if district_id != NO_ID else None
    if district is None:
        raise NotFound("object_not_found", model="District")
    return district


async def districts_by_ids(
    session: AsyncSession, district_ids: Sequence[Id]
) -> dict[int, District]:
    """The districts among ``district_ids`` that exist, by id (one statement)."""
    wanted = sorted({pk for pk in district_ids if pk != NO_ID})
    if not wanted:
        return {}
    rows = await session.exec(select(District).where(col(District.id).in_(wanted)))
    return {district.id: district for district in rows.all() if district.id is not None}


async def count_places(
    session: AsyncSession, district_ids: Sequence[Id], *, up_to: Id | None = None
) -> dict[int, int]:
    """Number of places in each of ``district_ids`` (0 for unknown ids), in one statement;
    with ``up_to``, only those with an id at most that (the ones before a cursor)."""
    wanted = sorted({pk for pk in district_ids if pk != NO_ID})
    counts: dict[int, int] = dict.fromkeys(district_ids, 0)
    if not wanted:
        return counts
    conditions: list[ColumnElement[bool]] = [col(Place.district_id).in_(wanted)]
    if up_to is not None:
        conditions.append(col(Place.id) <= up_to)
    statement = (
        select(Place.district_id, func.count()).where(*conditions).group_by(col(Place.district_id))
    )
    for district_id, count in (await session.exec(statement)).all():
        counts[district_id] = count
    return counts


def _image(raw: object) -> Upload | None:
    """The image field's value as the faces hand it over: an upload (or bytes), or ``None``."""
    return None if raw is None else as_upload(raw)


@dataclass
class DistrictForm(Form):
    """The district serializer's fields, in its order (``partial`` for updates)."""

    title: str = parsed_by(text(max_length=TITLE_MAX))
    abbreviation: str = parsed_by(text(max_length=ABBREVIATION_MAX, allow_blank=True), default="")
    image: Upload | None = parsed_by(_image, default=None)


async def _checked_image(uow: UnitOfWork, form: DistrictForm) -> media.ValidImage | None:
    """The form's image checked with Pillow (its problem joins the form's), or ``None``."""
    if not isinstance(form.image, Upload):
        return None
    checked = await filecleanup.check_image(uow, form.image)
    if isinstance(checked, FieldError):
        form.problems.add("image", checked)
        return None
    return checked


async def check_new_district(uow: UnitOfWork, form: DistrictForm) -> None:
    """``create_district``'s permission and field checks, writing nothing."""
    require_staff(uow.actor)
    await _checked_image(uow, form)
    form.check()


async def create_district(uow: UnitOfWork, form: DistrictForm) -> District:
    """Staff only; every field problem is reported at once (``InvalidInput``)."""
    require_staff(uow.actor)
    image = await _checked_image(uow, form)
    form.check()
    relative = await filecleanup.write_image(uow, image, IMAGE_FOLDER) if image else None
    district = District(title=form.title, abbreviation=form.abbreviation or "", image=relative)
    uow.session.add(district)
    await uow.session.flush()  # on failure the unit rolls back and the file goes with it
    district_changed(uow, ChangeKind.CREATED, district.id)
    return district


async def update_district(uow: UnitOfWork, district_id: Id, form: DistrictForm) -> District:
    """Staff only. Fields not given keep their value; ``image=None`` removes the image.

    A replaced or removed image file is deleted once the change commits.
    """
    require_staff(uow.actor)
    district = await get_district(uow.session, district_id)
    image = await _checked_image(uow, form)
    form.check()
    if form.given("title"):
        district.title = form.title
    if form.given("abbreviation"):
        district.abbreviation = form.abbreviation
    if form.given("image"):  # a new image, or None: remove the current one
        new = await filecleanup.write_image(uow, image, IMAGE_FOLDER) if image else None
        filecleanup.delete_on_commit(uow, district.image)
        district.image = new
    uow.session.add(district)
    await uow.session.flush()
    district_changed(uow, ChangeKind.UPDATED, district.id)
    return district


async def delete_district(uow: UnitOfWork, district_id: Id) -> None:
    """Staff only. Refused with ``Conflict`` while the district has places."""
    require_staff(uow.actor)
    district = await get_district(uow.session, district_id)
    assert district.id is not None
    if (await count_places(uow.session, [Id(district.id)]))[district.id]:
        raise Conflict("has_places")
    image = district.image
    await uow.session.delete(district)
    try:
        await uow.session.flush()
    except IntegrityError as exc:  # a place was added concurrently: the FK (RESTRICT) refuses
        raise Conflict("has_places") from exc
    filecleanup.delete_on_commit(uow, image)
    district_changed(uow, ChangeKind.DELETED, district.id)
