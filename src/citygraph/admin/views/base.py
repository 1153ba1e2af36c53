"""The base of every admin view: domain writes, the acting staff user, cheap list queries."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, ClassVar

from markupsafe import Markup
from sqladmin import ModelView
from sqlalchemy import Select, Subquery, func, select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request

from citygraph.admin.forms import AdminFormError, form_error
from citygraph.config import Settings
from citygraph.domain import media
from citygraph.domain.errors import DomainError, InvalidInput, NotAuthenticated
from citygraph.domain.parsers import NO_ID, Id, parse_id
from citygraph.domain.unit import UnitOfWork, unit_of_work
from citygraph.models import User
from citygraph.services import Services
from citygraph.web.state import client_address, site_url_of

ADMIN_USER = "citygraph_admin_user"


def admin_user(request: Request) -> User:
    """The staff user the authentication backend loaded for this request."""
    user = getattr(request.state, ADMIN_USER, None)
    if not isinstance(user, User):
        raise NotAuthenticated
    return user


def parse_pk(value: object) -> Id:
    """A primary key from the URL; anything else is a 'not found' for the domain to report."""
    return parse_id(str(value))


class DomainModelView(ModelView):
    """A sqladmin view whose writes all go through citygraph's domain functions.

    ``services`` is set by :func:`citygraph.admin.mount_admin` on a per-app subclass, so two
    apps in one process (tests) never share it. Subclasses implement ``insert_model``,
    ``update_model`` and ``delete_model`` by calling domain functions inside :meth:`write`.
    """

    services: ClassVar[Services]

    can_export = False  # exports would read whole tables (120k places) in one request
    #: The one ordering rule of every list: newest first (highest id first), as Django's admin
    #: orders a model without ``Meta.ordering``. Columns marked sortable can be clicked.
    column_default_sort = ("id", True)
    page_size = 25
    page_size_options: ClassVar[list[int]] = [25, 50, 100]

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def media_prefix(self) -> str:
        """URL prefix of stored files (``/media/``, the public URL's or the media public URL),
        for previews: the same base as ``media_link``."""
        return media.media_prefix(self.settings, "")

    def media_link(self, relative: str | None) -> str | None:
        """Same-origin (or public-URL) link to a stored file, as the APIs build it."""
        return media.media_url(self.settings, "", relative)

    def cell(self, obj: Any, prop: str, request: Request) -> Markup | None:
        """Override to render a column (list and details alike); ``None`` = sqladmin's way."""
        return None

    async def get_list_value(
        self, obj: Any, prop: str, request: Request | None = None
    ) -> tuple[Any, Any]:
        custom = self.cell(obj, prop, request) if request is not None else None
        if custom is not None:
            return getattr(obj, prop, None), custom
        return await super().get_list_value(obj, prop, request)

    async def get_detail_value(
        self, obj: Any, prop: str, request: Request | None = None
    ) -> tuple[Any, Any]:
        custom = self.cell(obj, prop, request) if request is not None else None
        if custom is not None:
            return getattr(obj, prop, None), custom
        return await super().get_detail_value(obj, prop, request)

    async def get_object_for_details(self, request: Request) -> Any:
        """A pk from the URL that cannot exist is a 404 before sqladmin queries with it."""
        if parse_pk(request.path_params.get("pk")) == NO_ID:
            return None
        return await super().get_object_for_details(request)

    async def get_object_for_edit(self, request: Request) -> Any:
        if parse_pk(request.path_params.get("pk")) == NO_ID:
            return None
        return await super().get_object_for_edit(request)

    async def get_object_for_delete(self, value: Any) -> Any:
        if parse_pk(value) == NO_ID:
            return None
        return await super().get_object_for_delete(value)

    async def get_object_filepath(self, identifier: str, column_name: str) -> Path:
        """Refuse sqladmin's file download/preview routes (``/<view>/<pk>/<column>/download/``).

        They serve the file named by *any* text column from anywhere under the working
        directory, so a staff member could title a district ``.env`` or the SQLite database
        file and download it. Stored images are served at ``/media`` instead.
        """
        raise HTTPException(status_code=404)

    @asynccontextmanager
    async def write(
        self, request: Request, aliases: Mapping[str, str] | None = None
    ) -> AsyncIterator[UnitOfWork]:
        """One unit of work for a domain write, acted by the signed-in staff user; domain
        errors become form errors."""
        actor = admin_user(request)
        try:
            async with unit_of_work(
                self.services,
                actor=actor,
                client_address=client_address(request),
                site_url=site_url_of(request.scope, self.services.settings),
            ) as uow:
                yield uow
        except InvalidInput as exc:
            raise form_error(exc, aliases) from exc
        except DomainError as exc:
            raise AdminFormError(exc.message) from exc

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self.services.sessions() as session:
            yield session

    async def count(self, request: Request, stmt: Select[Any] | None = None) -> int:
        """sqladmin counts ``SELECT count(*) FROM (<the page query with ORDER BY>)``.

        Drop the ordering, and count the table directly when nothing filters it, so that the
        count on a table of 120,000 places stays an index-only affair.
        """
        if stmt is not None:
            froms = stmt.get_final_froms()
            inner = froms[0].element if len(froms) == 1 and isinstance(froms[0], Subquery) else None
            if isinstance(inner, Select):
                if inner.whereclause is None:
                    stmt = select(func.count()).select_from(self.model)
                else:
                    stmt = select(func.count()).select_from(inner.order_by(None).subquery())
        return await super().count(request, stmt)
