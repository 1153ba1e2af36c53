"""Places and their images: lists, search, nearby places and staff edits.

Field rules follow the original service's serializer (``title`` ≤ 200 and required,
``short_description`` ≤ 300, ``type`` one of ``PlaceType``, coordinates ``Decimal(9, 6)``) with
two additions: latitude within [-90, 90] and longitude within [-180, 180].

The public lists (``search_places``, ``places_near``) are :class:`~citygraph.domain.listing.Listing`
s: their filters, orderings and cursors are in ``filters``/``orderings``, shared with the
compiled reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Self

from sqlalchemy import ColumnElement, func
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from citygraph.domain import filecleanup, media
from citygraph.domain.districts import districts_by_ids
from citygraph.domain.errors import FieldError, InvalidInput, NotFound
from citygraph.domain.filters import (
    LIKE_ESCAPE,
    Circle,
    PlaceFilter,
    TextMatch,
    counts_in_search_table,
    distance_sql,
    like_pattern,
    parse_place_filter,
    parse_radius,
    place_filter_sql,
)
from citygraph.domain.listing import Listing, fetch_page, fetch_rows
from citygraph.domain.live import place_changed
from citygraph.domain.orderings import (
    ID_ORDER,
    Cursor,
    Order,
    Ordering,
    Point,
    cursor_values,
    optional_cursor,
    parse_place_ordering,
)
from citygraph.domain.pagination import DEFAULT_PAGE_SIZE, Page, make_page, parse_first
from citygraph.domain.parsers import (
    NO_ID,
    Form,
    Id,
    choice,
    optional,
    parse_id,
    parse_latitude,
    parse_longitude,
    parse_pk,
    parse_search,
    parsed_by,
    text,
)
from citygraph.domain.policy import require_staff
from citygraph.domain.unit import UnitOfWork
from citygraph.domain.uploads import Upload, as_uploads
from citygraph.feed import ChangeKind
from citygraph.jsonsql import Sql
from citygraph.models import PLACE_SEARCH, Place, PlaceImage, PlaceType

TITLE_MAX = 200
SHORT_DESCRIPTION_MAX = 300
IMAGE_FOLDER = "places"


# --- reading ---------------------------------------------------------------------------------


async def get_place(session: AsyncSession, place_id: Id) -> Place:
    place = await session.get(Place, place_id) if place_id != NO_ID else None
    if place is None:
        raise NotFound("object_not_found", model="Place")
    return place


async def places_by_ids(session: AsyncSession, place_ids: Sequence[Id]) -> dict[int, Place]:
    """The places among ``place_ids`` that exist, by id (one statement)."""
    wanted = sorted({pk for pk in place_ids if pk != NO_ID})
    if not wanted:
        return {}
    rows = await session.exec(select(Place).where(col(Place.id).in_(wanted)))
    return {place.id: place for place in rows.all() if place.id is not None}


async def images_for_places(
    session: AsyncSession, place_ids: Sequence[Id]
) -> dict[int, list[PlaceImage]]:
    """The images of each place (ordered by id; [] for none or unknown), in one statement."""
    images: dict[int, list[PlaceImage]] = {pk: [] for pk in place_ids}
    wanted = sorted({pk for pk in place_ids if pk != NO_ID})
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
    session: AsyncSession, district_ids: Sequence[Id], *, limit: int, after_id: Id | None = None
) -> dict[int, list[Place]]:
    """Up to ``limit`` places of each district (by id, after ``after_id``), in one statement.

    ``ROW_NUMBER() OVER (PARTITION BY district_id ORDER BY id)`` numbers each district's places,
    so one query serves a whole page of districts however many places each has.
    """
    result: dict[int, list[Place]] = {pk: [] for pk in district_ids}
    wanted = sorted({pk for pk in district_ids if pk != NO_ID})
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


def title_contains(text: str) -> ColumnElement[bool]:
    """``title`` contains ``text``, ignoring case in every alphabet, as the lists' ``search``
    (``filters.like_pattern``)."""
    return col(Place.title_folded).like(like_pattern(text), escape=LIKE_ESCAPE)


@dataclass
class PlaceQuery(Form):
    """``places(districtId, type, search, filter, orderBy, first, after)``.

    ``districtId``, ``type`` and ``search`` are shorthands for the ``filter`` terms
    ``districtId: {in: [id]}``, ``type: {in: [type]}``, ``title: {contains: text}``; all given
    terms must hold. ``after`` must be a cursor of the same ordering.
    """

    district_id: Id | None = parsed_by(optional(parse_id), default=None)
    type: PlaceType | None = parsed_by(optional(choice(PlaceType)), default=None)
    search: str | None = parsed_by(parse_search, default=None)
    filter: PlaceFilter | None = parsed_by(optional(parse_place_filter), default=None)
    order_by: Ordering = parsed_by(parse_place_ordering, default=ID_ORDER)
    first: int = parsed_by(parse_first, default=DEFAULT_PAGE_SIZE)
    after: Cursor | None = parsed_by(optional_cursor, default=None)

    @classmethod
    def parse(cls, *, partial: bool = False, **raw: object) -> Self:
        form = super().parse(partial=partial, **raw)
        after, ordering = form.after, form.order_by
        if after is not None and ordering is not None and cursor_values(ordering, after) is None:
            form.problems.add("after", FieldError("invalid_cursor"))
        return form

    def listing(self) -> Listing:
        """The rows asked for (the form must have parsed)."""
        self.check()
        wanted = PlaceFilter(
            title=TextMatch(contains=self.search) if self.search else None,
            types=(self.type,) if self.type is not None else None,
            district_ids=(self.district_id,) if self.district_id is not None else None,
            all_of=(self.filter,) if self.filter is not None else (),
        )
        after = cursor_values(self.order_by, self.after) if self.after is not None else None
        return Listing(
            "places",
            lambda sql, p: place_filter_sql(sql, p, wanted),
            self.order_by,
            first=self.first,
            after=after,
            count_table=PLACE_SEARCH if counts_in_search_table(wanted) else None,
        )


async def search_places(uow: UnitOfWork, query: PlaceQuery) -> Page[Place]:
    """A page of the places ``query`` asks for, in its order (``listing``)."""
    fetched = await fetch_page(uow.session, query.listing())
    loaded = await places_by_ids(uow.session, [Id(pk) for pk in fetched.ids])
    rows = [loaded[pk] for pk in fetched.ids if pk in loaded]
    return make_page(
        rows,
        fetched.cursors,
        first=query.first,
        total_count=fetched.total_count,
        has_previous=fetched.has_previous,
    )


@dataclass
class NearbyQuery(Form):
    """``placesNear(latitude, longitude, radiusMeters, first)``."""

    latitude: Decimal = parsed_by(parse_latitude)
    longitude: Decimal = parsed_by(parse_longitude)
    radius_meters: float = parsed_by(parse_radius)
    first: int = parsed_by(parse_first, default=DEFAULT_PAGE_SIZE)

    def listing(self) -> Listing:
        """Places inside the circle, nearest first, ties to the lower id."""
        self.check()
        inside = PlaceFilter(near=Circle(self.latitude, self.longitude, self.radius_meters))
        nearest = Order("distance", origin=Point(self.latitude, self.longitude))
        return Listing(
            "places",
            lambda sql, p: place_filter_sql(sql, p, inside),
            (nearest, Order("id")),
            first=self.first,
        )

    def distance(self, sql: Sql, p: str) -> str:
        return distance_sql(sql, p, self.latitude, self.longitude)


async def places_near(uow: UnitOfWork, query: NearbyQuery) -> list[tuple[Place, float]]:
    """Places within ``radius_meters`` (great-circle), nearest first, with their distance in m.

    One statement finds the ``first`` nearest: candidates inside the circle's bounding box (the
    ``(latitude, longitude)`` index serves it) and their exact distance (``geo.distance_sql``,
    the expression the compiled reads use too); one more loads them.
    """
    listing = query.listing()
    if query.first == 0:
        return []
    found = await fetch_rows(
        uow.session, listing, lambda sql, p: f"{p}.id, {query.distance(sql, p)}"
    )
    nearest = [(Id(pk), float(distance)) for pk, distance in found]
    loaded = await places_by_ids(uow.session, [pk for pk, _ in nearest])
    return [(loaded[pk], d) for pk, d in nearest if pk in loaded]


# --- staff edits -----------------------------------------------------------------------------


@dataclass
class PlaceForm(Form):
    """The place serializer's fields, in its order (``partial`` for updates).

    Creating, the descriptions default to blank and ``type`` to ``unique_place``; ``district``
    is the relation field (the faces' ``district_id``).
    """

    title: str = parsed_by(text(max_length=TITLE_MAX))
    short_description: str = parsed_by(
        text(max_length=SHORT_DESCRIPTION_MAX, allow_blank=True), default=""
    )
    full_description: str = parsed_by(text(allow_blank=True), default="")
    longitude: Decimal = parsed_by(parse_longitude)
    latitude: Decimal = parsed_by(parse_latitude)
    type: PlaceType = parsed_by(choice(PlaceType), default=PlaceType.UNIQUE_PLACE)
    district: Id = parsed_by(parse_pk)
    # New images added with the place (the admin's form); the APIs add them one by one.
    images: tuple[Upload, ...] = parsed_by(as_uploads, default=())


async def _checked_images(
    uow: UnitOfWork, uploads: Sequence[Upload], form: Form
) -> list[media.ValidImage]:
    """Every new image checked before anything is written; problems join the form's."""
    checked: list[media.ValidImage] = []
    for upload in uploads:
        result = await filecleanup.check_image(uow, upload)
        if isinstance(result, FieldError):
            form.problems.add("image", result)
        else:
            checked.append(result)
    return checked


async def _add_images(uow: UnitOfWork, place: Place, images: list[media.ValidImage]) -> None:
    assert place.id is not None
    for image in images:
        relative = await filecleanup.write_image(uow, image, IMAGE_FOLDER)
        uow.session.add(PlaceImage(image=relative, place_id=place.id))
    await uow.session.flush()


async def _check_district(uow: UnitOfWork, form: PlaceForm) -> None:
    """The district must exist (DRF's ``does_not_exist``, naming the value as given)."""
    if (
        form.given("district")
        and form.district is not None
        and not await districts_by_ids(uow.session, [form.district])
    ):
        raw = form.raw.get("district")
        form.problems.add("district", FieldError("does_not_exist", {"pk_value": raw}))
    form.check()


_PLACE_FIELDS = ("title", "short_description", "full_description", "longitude", "latitude", "type")


async def create_place(uow: UnitOfWork, form: PlaceForm) -> Place:
    """Staff only; every field problem is reported at once (``InvalidInput``)."""
    require_staff(uow.actor)
    images = await _checked_images(uow, form.images or (), form)
    await _check_district(uow, form)
    place = Place(
        **{name: getattr(form, name) for name in _PLACE_FIELDS}, district_id=form.district
    )
    uow.session.add(place)
    await uow.session.flush()
    await _add_images(uow, place, images)
    place_changed(uow, ChangeKind.CREATED, place.id, place.district_id)
    return place


async def update_place(uow: UnitOfWork, place_id: Id, form: PlaceForm) -> Place:
    """Staff only; fields not given keep their value."""
    require_staff(uow.actor)
    place = await get_place(uow.session, place_id)
    moved_from = place.district_id
    images = await _checked_images(uow, form.images or (), form)
    await _check_district(uow, form)
    for name in _PLACE_FIELDS:
        if form.given(name):
            setattr(place, name, getattr(form, name))
    if form.given("district"):
        place.district_id = form.district
    uow.session.add(place)
    await uow.session.flush()
    await _add_images(uow, place, images)
    place_changed(uow, ChangeKind.UPDATED, place.id, moved_from, place.district_id)
    return place


async def delete_place(uow: UnitOfWork, place_id: Id) -> None:
    """Staff only. The images' rows go with the place (FK cascade); their files are removed
    once the deletion has committed."""
    require_staff(uow.actor)
    session = uow.session
    place = await get_place(session, place_id)
    district_id = place.district_id
    paths = (
        await session.exec(select(PlaceImage.image).where(PlaceImage.place_id == place_id))
    ).all()
    await session.delete(place)
    await session.flush()
    for stale in [obj for obj in session.identity_map.values() if isinstance(obj, PlaceImage)]:
        if stale.place_id == place_id:
            session.expunge(stale)
    for path in paths:
        filecleanup.delete_on_commit(uow, path)
    place_changed(uow, ChangeKind.DELETED, place_id, district_id)


async def add_place_image(
    uow: UnitOfWork, place_id: Id, upload: Upload | bytes | FieldError
) -> PlaceImage:
    """Staff only. A bad file (or the face's ``file.invalid`` for text sent where a file
    belongs) is ``InvalidInput`` on ``image``: nothing stored, no row."""
    require_staff(uow.actor)
    place = await get_place(uow.session, place_id)
    image = upload if isinstance(upload, FieldError) else await filecleanup.check_image(uow, upload)
    if isinstance(image, FieldError):
        raise InvalidInput({"image": [image]})
    relative = await filecleanup.write_image(uow, image, IMAGE_FOLDER)
    row = PlaceImage(image=relative, place_id=place_id)
    uow.session.add(row)
    await uow.session.flush()  # on failure the unit rolls back and the file goes with it
    place_changed(uow, ChangeKind.UPDATED, place_id, place.district_id)
    return row


@dataclass
class NewImages(Form):
    """Images staff add to a place in one go (the admin's image form)."""

    place: Id = parsed_by(parse_pk)
    images: tuple[Upload, ...] = parsed_by(as_uploads, default=())


async def add_place_images(uow: UnitOfWork, form: NewImages) -> list[PlaceImage]:
    """Staff only. The ``place`` relation must exist and every file must be an image, all
    reported together; nothing is stored otherwise."""
    require_staff(uow.actor)
    images = await _checked_images(uow, form.images or (), form)
    if not form.images and not form.failed("images"):
        form.problems.add("image", FieldError("empty"))
    if form.place is not None and not await places_by_ids(uow.session, [form.place]):
        form.problems.add("place", FieldError("does_not_exist", {"pk_value": form.raw["place"]}))
    form.check()
    rows: list[PlaceImage] = []
    for image in images:
        relative = await filecleanup.write_image(uow, image, IMAGE_FOLDER)
        rows.append(PlaceImage(image=relative, place_id=form.place))
    uow.session.add_all(rows)
    await uow.session.flush()
    place = await get_place(uow.session, form.place)
    place_changed(uow, ChangeKind.UPDATED, place.id, place.district_id)
    return rows


async def delete_place_image(uow: UnitOfWork, image_id: Id) -> None:
    """Staff only; the file is removed once the deletion has committed."""
    require_staff(uow.actor)
    image = await uow.session.get(PlaceImage, image_id) if image_id != NO_ID else None
    if image is None:
        raise NotFound("object_not_found", model="PlaceImage")
    path, place = image.image, await get_place(uow.session, Id(image.place_id))
    await uow.session.delete(image)
    await uow.session.flush()
    filecleanup.delete_on_commit(uow, path)
    place_changed(uow, ChangeKind.UPDATED, place.id, place.district_id)


async def delete_images_of_place(uow: UnitOfWork, place_id: Id, image_ids: Sequence[Id]) -> None:
    """Staff only: the admin's delete boxes under a place. Each id must be an image of this
    place ("not found" otherwise); the files go once the deletion has committed."""
    require_staff(uow.actor)
    for image_id in image_ids:
        image = await uow.session.get(PlaceImage, image_id) if image_id != NO_ID else None
        if image is None or image.place_id != place_id:
            raise NotFound("object_not_found", model="PlaceImage")
        await delete_place_image(uow, image_id)
