"""Districts: title, abbreviation, image (upload with preview) and the number of places."""

from __future__ import annotations

import builtins
from typing import Any, ClassVar

from markupsafe import Markup
from sqladmin.pagination import Pagination
from starlette.requests import Request
from wtforms import StringField

from citygraph.admin.forms import DomainForm, ImageField, control, upload_of
from citygraph.admin.views.base import DomainModelView, parse_pk
from citygraph.domain import districts
from citygraph.domain.parsers import Id, parse_id
from citygraph.domain.values import UNSET
from citygraph.models import District

PLACE_COUNTS = "citygraph_place_counts"


def thumbnail(link: str | None, title: str = "") -> Markup:
    if not link:
        return Markup('<span class="text-muted">—</span>')
    return Markup('<a href="{0}"><img src="{0}" alt="{1}" class="admin-thumb"></a>').format(
        link, title
    )


class DistrictAdmin(DomainModelView, model=District):
    name = "District"
    name_plural = "Districts"
    icon = "fa-solid fa-map"

    column_list: ClassVar[list[str]] = ["id", "image", "title", "abbreviation", "places"]
    column_details_list: ClassVar[list[str]] = ["id", "title", "abbreviation", "image", "places"]
    column_labels: ClassVar[dict[Any, str]] = {
        "id": "ID",
        "image": "Image",
        "title": "Title",
        "abbreviation": "Abbreviation",
        "places": "Places",
    }
    column_searchable_list: ClassVar[list[str]] = ["title", "abbreviation"]
    column_sortable_list: ClassVar[list[str]] = ["id", "title", "abbreviation"]
    form_columns: ClassVar[list[str]] = ["title", "abbreviation", "image"]

    def cell(self, obj: Any, prop: str, request: Request) -> Markup | None:
        if prop == "image":
            return thumbnail(self.media_link(obj.image), obj.title)
        if prop == "places":
            count = getattr(request.state, PLACE_COUNTS, {}).get(obj.id, 0)
            url = request.url_for("admin:list", identity="place").include_query_params(
                district_id=obj.id
            )
            return Markup('<a href="{}">{}</a>').format(url, count)
        return None

    async def _load_counts(self, request: Request, ids: builtins.list[Id]) -> None:
        async with self.read() as session:
            setattr(request.state, PLACE_COUNTS, await districts.count_places(session, ids))

    async def list(self, request: Request) -> Pagination:
        pagination: Pagination = await super().list(request)
        await self._load_counts(request, [parse_id(row.id) for row in pagination.rows])
        return pagination

    async def details_context(self, request: Request) -> dict[str, Any]:
        await self._load_counts(request, [parse_pk(request.path_params.get("pk"))])
        return {}

    async def scaffold_form(self, rules: builtins.list[str] | None = None) -> type[DomainForm]:
        prefix = self.media_prefix

        class DistrictForm(DomainForm):
            title = StringField("Title", render_kw=control(maxlength=districts.TITLE_MAX))
            abbreviation = StringField(
                "Abbreviation", render_kw=control(maxlength=districts.ABBREVIATION_MAX)
            )
            image = ImageField("Image", media_prefix=prefix)

        return DistrictForm

    async def insert_model(self, request: Request, data: dict[str, Any]) -> District:
        form = districts.DistrictForm.parse(
            title=data.get("title"),
            abbreviation=data.get("abbreviation") or "",
            image=upload_of(data.get("image")),
        )
        async with self.write(request) as uow:
            return await districts.create_district(uow, form)

    async def update_model(self, request: Request, pk: str, data: dict[str, Any]) -> District:
        upload = upload_of(data.get("image"))
        remove = bool((await request.form()).get("image_clear"))
        form = districts.DistrictForm.parse(
            partial=True,
            title=data.get("title"),
            abbreviation=data.get("abbreviation") or "",
            image=upload if upload is not None else (None if remove else UNSET),
        )
        async with self.write(request) as uow:
            return await districts.update_district(uow, parse_pk(pk), form)

    async def delete_model(self, request: Request, pk: Any) -> None:
        async with self.write(request) as uow:
            await districts.delete_district(uow, parse_pk(pk))
