"""Places: district picker, type, coordinates and descriptions; images shown, deleted and added
inline on the place's edit form (Django's inline), all through the domain's image operations.

The list may hold 120,000 places: one page is one ``ORDER BY id DESC LIMIT n`` statement, the
count is a plain ``count(*)`` (see ``DomainModelView.count``), and the districts and image counts
of the page's rows are fetched in one statement each.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any, ClassVar

from markupsafe import Markup
from sqladmin.filters import ForeignKeyFilter, StaticValuesFilter
from sqladmin.pagination import Pagination
from sqlalchemy import ColumnElement, Select, or_, select
from sqlmodel import col
from starlette.requests import Request
from wtforms import SelectField, StringField, TextAreaField

from citygraph.admin.forms import (
    DomainForm,
    ImagesField,
    control,
    select_control,
    uploads_of,
)
from citygraph.admin.views.base import DomainModelView, parse_pk
from citygraph.admin.views.districts import thumbnail
from citygraph.domain import places
from citygraph.domain.districts import districts_by_ids, list_districts
from citygraph.domain.parsers import parse_id
from citygraph.domain.uploads import Upload
from citygraph.domain.values import UNSET
from citygraph.models import District, Place, PlaceImage, PlaceType

DISTRICTS = "citygraph_districts"
IMAGES = "citygraph_place_images"
PLACES = "citygraph_places"
TYPE_LABELS = {
    PlaceType.UNIQUE_PLACE: "Unique place",
    PlaceType.PARK: "Park",
    PlaceType.MUSEUM: "Museum",
    PlaceType.TEMPLE: "Temple",
    PlaceType.MONUMENT: "Monument",
}
# Domain field name -> form field name.
ALIASES = {"district": "district_id", "image": "new_images"}
#: The checkboxes of the inline images on the edit form (``value`` = image id).
DELETE_IMAGES = "delete_images"


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class PlaceAdmin(DomainModelView, model=Place):
    name = "Place"
    name_plural = "Places"
    icon = "fa-solid fa-location-dot"

    column_list: ClassVar[list[str]] = [
        "id",
        "title",
        "type",
        "district_id",
        "latitude",
        "longitude",
    ]
    column_details_list: ClassVar[list[str]] = [
        "id",
        "title",
        "type",
        "district_id",
        "latitude",
        "longitude",
        "short_description",
        "full_description",
        "images",
    ]
    column_labels: ClassVar[dict[Any, str]] = {
        "id": "ID",
        "title": "Title",
        "type": "Type",
        "latitude": "Latitude",
        "longitude": "Longitude",
        "district_id": "District",
        "short_description": "Short description",
        "full_description": "Full description",
        "images": "Images",
    }
    column_searchable_list: ClassVar[list[str]] = ["title"]
    column_sortable_list: ClassVar[list[str]] = ["id", "title"]
    column_filters: ClassVar[list[Any]] = [
        ForeignKeyFilter("district_id", "title", District, title="District"),
        StaticValuesFilter(
            "type", [(t.value, label) for t, label in TYPE_LABELS.items()], title="Type"
        ),
    ]
    form_columns: ClassVar[list[str]] = [
        "title",
        "short_description",
        "full_description",
        "latitude",
        "longitude",
        "type",
        "district_id",
    ]

    def search_query(self, stmt: Select[Any], term: str) -> Select[Any]:
        """Title contains the term in any letter case and alphabet (as the APIs search)."""
        condition: ColumnElement[bool] = places.title_contains(term.strip())
        if term.strip().isdigit():
            condition = or_(condition, col(Place.id) == int(term.strip()))
        return stmt.where(condition)

    def cell(self, obj: Any, prop: str, request: Request) -> Markup | None:
        if prop == "type":
            return Markup("{}").format(TYPE_LABELS.get(obj.type, obj.type))
        if prop in ("latitude", "longitude"):
            return Markup('<span class="cg-nowrap">{}</span>').format(getattr(obj, prop))
        if prop == "district_id":
            district = getattr(request.state, DISTRICTS, {}).get(obj.district_id)
            label = district.title if district else f"#{obj.district_id}"
            url = request.url_for("admin:details", identity="district", pk=obj.district_id)
            return Markup('<a href="{}">{}</a>').format(url, label)
        if prop == "images":
            images: builtins.list[PlaceImage] = getattr(request.state, IMAGES, {}).get(obj.id, [])
            cells = [
                Markup(
                    '<span class="me-2 d-inline-block text-center">{}<br><a href="{}">#{}</a>'
                    "</span>"
                ).format(
                    thumbnail(self.media_link(image.image)),
                    request.url_for("admin:details", identity="place-image", pk=image.id),
                    image.id,
                )
                for image in images
            ]
            more = Markup(
                '<div class="mt-1"><a href="{}">Edit the place</a> to add or delete images.</div>'
            )
            edit = request.url_for("admin:edit", identity=self.identity, pk=obj.id)
            return Markup("").join(cells) + more.format(edit) if cells else more.format(edit)
        return None

    async def _load_related(
        self, request: Request, rows: builtins.list[Place], *, images: bool
    ) -> None:
        async with self.read() as session:
            found = await districts_by_ids(session, [parse_id(row.district_id) for row in rows])
            setattr(request.state, DISTRICTS, found)
            if images:
                ids = [parse_id(row.id) for row in rows]
                setattr(request.state, IMAGES, await places.images_for_places(session, ids))

    async def list(self, request: Request) -> Pagination:
        pagination: Pagination = await super().list(request)
        await self._load_related(request, pagination.rows, images=False)
        return pagination

    async def get_object_for_details(self, request: Request) -> Any:
        place = await super().get_object_for_details(request)
        if place is not None:
            await self._load_related(request, [place], images=True)
        return place

    edit_template = "sqladmin/place_edit.html"

    async def get_object_for_edit(self, request: Request) -> Any:
        place = await super().get_object_for_edit(request)
        if place is not None:
            await self._load_related(request, [place], images=True)
        return place

    def inline_images(self, request: Request, place: Place) -> builtins.list[dict[str, Any]]:
        """The place's images for the edit form's inline: id, thumbnail link, file name."""
        images: builtins.list[PlaceImage] = getattr(request.state, IMAGES, {}).get(place.id, [])
        return [
            {
                "id": image.id,
                "url": self.media_link(image.image),
                "name": image.image.rsplit("/", 1)[-1],
                "details": request.url_for("admin:details", identity="place-image", pk=image.id),
            }
            for image in images
        ]

    async def scaffold_form(self, rules: builtins.list[str] | None = None) -> type[DomainForm]:
        async with self.read() as session:
            district_choices = [
                (str(district.id), district.title) for district in await list_districts(session)
            ]
        prefix = self.media_prefix

        class PlaceForm(DomainForm):
            title = StringField("Title", render_kw=control(maxlength=places.TITLE_MAX))
            short_description = TextAreaField(
                "Short description", render_kw=control(maxlength=places.SHORT_DESCRIPTION_MAX)
            )
            full_description = TextAreaField("Full description", render_kw=control(rows=8))
            latitude = StringField(
                "Latitude",
                description="Degrees, −90…90, up to 6 decimals (55.753930).",
                render_kw=control(inputmode="decimal"),
            )
            longitude = StringField(
                "Longitude",
                description="Degrees, −180…180, up to 6 decimals (37.620795).",
                render_kw=control(inputmode="decimal"),
            )
            type = SelectField(
                "Type",
                choices=[(t.value, label) for t, label in TYPE_LABELS.items()],
                default=PlaceType.UNIQUE_PLACE.value,
                render_kw=select_control(),
                validate_choice=False,  # the domain decides, with the APIs' message
            )
            district_id = SelectField(
                "District",
                choices=[("", "— choose a district —"), *district_choices],
                render_kw=select_control(),
                validate_choice=False,
            )
            new_images = ImagesField(
                "Add images",
                media_prefix=prefix,
                description="JPEG, PNG or WebP; several at once.",
            )

        return PlaceForm

    def _form(
        self, data: dict[str, Any], uploads: builtins.list[Upload], *, partial: bool
    ) -> places.PlaceForm:
        """The submitted form as the domain's ``PlaceForm``; creating, a blank required field
        is not given (``required``, as the APIs say)."""
        values: dict[str, object] = {
            "title": data.get("title", UNSET),
            "short_description": data.get("short_description") or "",
            "full_description": data.get("full_description") or "",
            "latitude": data.get("latitude", UNSET),
            "longitude": data.get("longitude", UNSET),
            "type": data.get("type") or (UNSET if partial else PlaceType.UNIQUE_PLACE),
            "district": data.get("district_id", UNSET),
            "images": tuple(uploads),
        }
        if not partial:
            values = {key: UNSET if _blank(value) else value for key, value in values.items()}
        return places.PlaceForm.parse(partial=partial, **values)

    async def insert_model(self, request: Request, data: dict[str, Any]) -> Place:
        uploads = uploads_of(data.get("new_images"))
        form = self._form(data, uploads, partial=False)
        async with self.write(request, ALIASES) as uow:
            return await places.create_place(uow, form)

    async def update_model(self, request: Request, pk: str, data: dict[str, Any]) -> Place:
        uploads = uploads_of(data.get("new_images"))
        form = self._form(data, uploads, partial=True)
        doomed = [parse_pk(value) for value in (await request.form()).getlist(DELETE_IMAGES)]
        async with self.write(request, ALIASES) as uow:
            place = await places.update_place(uow, parse_pk(pk), form)
            await places.delete_images_of_place(uow, parse_pk(pk), doomed)
            return place

    async def delete_model(self, request: Request, pk: Any) -> None:
        async with self.write(request) as uow:
            await places.delete_place(uow, parse_pk(pk))


class PlaceImageAdmin(DomainModelView, model=PlaceImage):
    """Images of places: upload (validated like the APIs'), preview, delete (file goes too)."""

    name = "Place image"
    name_plural = "Place images"
    icon = "fa-solid fa-image"
    can_edit = False  # an image is replaced by deleting it and adding another

    column_list: ClassVar[list[str]] = ["id", "image", "place_id"]
    column_details_list: ClassVar[list[str]] = ["id", "image", "place_id"]
    column_labels: ClassVar[dict[Any, str]] = {"id": "ID", "image": "Image", "place_id": "Place"}
    column_sortable_list: ClassVar[list[str]] = ["id"]
    form_columns: ClassVar[list[str]] = ["place_id", "image"]

    def list_query(self, request: Request) -> Select[Any]:
        """``?place_id=N`` shows one place's images (linked from the place's page)."""
        stmt: Select[Any] = select(PlaceImage)
        place_id = request.query_params.get("place_id", "")
        if place_id.isdigit():
            stmt = stmt.where(col(PlaceImage.place_id) == int(place_id))
        return stmt

    def cell(self, obj: Any, prop: str, request: Request) -> Markup | None:
        if prop == "image":
            return thumbnail(self.media_link(obj.image))
        if prop == "place_id":
            place = getattr(request.state, PLACES, {}).get(obj.place_id)
            label = place.title if place else f"Place #{obj.place_id}"
            url = request.url_for("admin:details", identity="place", pk=obj.place_id)
            return Markup('<a href="{}">{}</a>').format(url, label)
        return None

    async def _load_places(self, request: Request, rows: Sequence[PlaceImage]) -> None:
        async with self.read() as session:
            ids = [parse_id(row.place_id) for row in rows]
            setattr(request.state, PLACES, await places.places_by_ids(session, ids))

    async def list(self, request: Request) -> Pagination:
        pagination: Pagination = await super().list(request)
        await self._load_places(request, pagination.rows)
        return pagination

    async def get_object_for_details(self, request: Request) -> Any:
        image = await super().get_object_for_details(request)
        if image is not None:
            await self._load_places(request, [image])
        return image

    async def scaffold_form(self, rules: builtins.list[str] | None = None) -> type[DomainForm]:
        prefix = self.media_prefix

        class PlaceImageForm(DomainForm):
            place_id = StringField(
                "Place ID",
                description="The id shown in the list of places.",
                render_kw=control(inputmode="numeric"),
            )
            image = ImagesField("Image", media_prefix=prefix)

        return PlaceImageForm

    async def insert_model(self, request: Request, data: dict[str, Any]) -> PlaceImage:
        uploads = uploads_of(data.get("image"))
        form = places.NewImages.parse(place=data.get("place_id") or None, images=tuple(uploads))
        async with self.write(request, {"place": "place_id"}) as uow:
            images = await places.add_place_images(uow, form)
        return images[-1]

    async def delete_model(self, request: Request, pk: Any) -> None:
        async with self.write(request) as uow:
            await places.delete_place_image(uow, parse_pk(pk))
