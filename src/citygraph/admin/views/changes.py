"""The change log, read-only: what staff changed, newest first (the start page shows the last ten).

Entries are written by the domain (``domain.changelog``), never here: no create, edit or delete.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from markupsafe import Markup
from sqladmin.filters import StaticValuesFilter
from starlette.requests import Request

from citygraph.admin.views.base import DomainModelView
from citygraph.domain import changelog
from citygraph.models import ChangeLog


class ChangeLogAdmin(DomainModelView, model=ChangeLog):
    name = "Change"
    name_plural = "Change log"
    icon = "fa-solid fa-clock-rotate-left"
    can_create = False
    can_edit = False
    can_delete = False

    column_list: ClassVar[list[str]] = [
        "id",
        "at",
        "actor",
        "action",
        "kind",
        "object_repr",
        "fields",
    ]
    column_details_list: ClassVar[list[str]] = [
        "id",
        "at",
        "actor",
        "actor_id",
        "action",
        "kind",
        "object_id",
        "object_repr",
        "fields",
    ]
    column_labels: ClassVar[dict[Any, str]] = {
        "id": "ID",
        "at": "When",
        "actor": "Who",
        "actor_id": "Account ID",
        "action": "Action",
        "kind": "Kind",
        "object_id": "Object ID",
        "object_repr": "Object",
        "fields": "Fields changed",
    }
    column_searchable_list: ClassVar[list[str]] = ["object_repr", "actor"]
    column_sortable_list: ClassVar[list[str]] = ["id"]
    column_filters: ClassVar[list[Any]] = [
        StaticValuesFilter(
            "action",
            [
                (action, action)
                for action in (changelog.ADDED, changelog.CHANGED, changelog.DELETED)
            ],
            title="Action",
        ),
        StaticValuesFilter(
            "kind", [(kind, kind) for kind in changelog.KINDS.values()], title="Kind"
        ),
    ]

    def cell(self, obj: Any, prop: str, request: Request) -> Markup | None:
        if prop == "at" and isinstance(obj.at, datetime):
            return Markup(
                '<span class="cg-nowrap">{}</span> <span class="cg-nowrap">{}</span>'
            ).format(obj.at.strftime("%Y-%m-%d"), obj.at.strftime("%H:%M:%S UTC"))
        if prop == "object_repr":
            identity = obj.kind.replace(" ", "-")
            if obj.action == changelog.DELETED or obj.object_id is None:
                return Markup("{}").format(obj.object_repr)
            url = request.url_for("admin:details", identity=identity, pk=obj.object_id)
            return Markup('<a href="{}">{}</a>').format(url, obj.object_repr)
        return None
