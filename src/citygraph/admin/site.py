"""The sqladmin ``Admin`` mounted at ``/admin``; see the package docstring."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from sqladmin import Admin
from sqladmin.authentication import login_required
from sqlalchemy.ext.asyncio import async_sessionmaker
from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from citygraph.admin.auth import StaffAuthentication
from citygraph.admin.middleware import SameOriginMiddleware, SecurityHeadersMiddleware
from citygraph.admin.views import VIEWS
from citygraph.domain.overview import overview
from citygraph.services import Services
from citygraph.web import assets

BASE_URL = "/admin"
TITLE = "citygraph admin"
TEMPLATES = Path(__file__).parent / "templates"
#: The admin's own stylesheet and script (package data), at ``/admin/assets/<name>``.
STATIC_FILES = assets.own_files("citygraph-admin.css", "citygraph-admin.js")
STATIC_PATH = "/assets"


class CitygraphAdmin(Admin):
    services: Services
    asset_version = assets.version_token(STATIC_FILES)

    @login_required
    async def index(self, request: Request) -> Response:
        """The start page: counts, accounts waiting for activation, recent changes."""
        async with self.services.sessions() as session:
            summary = await overview(session)
        response: Response = await self.templates.TemplateResponse(
            request,
            "sqladmin/index.html",
            {"title": "Site administration", "overview": summary},
        )
        return response

    @staticmethod
    async def _handle_form_data(request: Request, obj: Any = None) -> FormData:
        """The submitted form as it is.

        sqladmin's version swaps an empty file input on an edit form for the object's current
        file (``getattr(obj, key).open()``), which assumes a storage-library column; citygraph
        stores a relative path, and the views read "left empty" / "remove" themselves.
        """
        return await request.form()

    async def create(self, request: Request) -> Response:
        try:
            response: Response = await super().create(request)
        finally:
            await request.close()  # uploaded files (Starlette leaves that to the endpoint)
        return response

    async def edit(self, request: Request) -> Response:
        try:
            response: Response = await super().edit(request)
        finally:
            await request.close()
        return response


REFUSAL_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} · citygraph admin</title></head>
<body><h1>{title}</h1><p>{message}</p><p><a href="/admin/">Back to the admin</a></p></body></html>
"""


def refusal(status: int, message: str) -> Response:
    """The request guard's or the error boundary's refusal as an admin page."""
    titles = {413: "Upload too large", 500: "Server error", 503: "Service unavailable"}
    title = titles.get(status, "Bad request")
    page = REFUSAL_PAGE.format(title=title, message=html.escape(message))
    return HTMLResponse(page, status_code=status)


def mount_admin(app: Starlette, services: Services) -> None:
    """Mount the admin on ``app`` with its own session middleware and CSRF guard."""
    settings = services.settings
    authentication = StaffAuthentication(services)
    admin = CitygraphAdmin(
        app,
        # sqladmin's own reads: plain SQLAlchemy sessions (it calls ``execute``, which SQLModel's
        # session deprecates), in a factory of its own (sqladmin reconfigures the one it gets).
        session_maker=async_sessionmaker(services.engine, expire_on_commit=False),
        base_url=BASE_URL,
        title=TITLE,
        templates_dir=str(TEMPLATES),
        middlewares=[
            Middleware(SecurityHeadersMiddleware),
            Middleware(SameOriginMiddleware, public_url=settings.public_url),
        ],
        authentication_backend=authentication,
    )
    admin.services = services
    authentication.templates = admin.templates
    # Before sqladmin's ``/{identity}/list``-style routes, so that no view name can shadow it.
    admin.admin.router.routes[0:0] = assets.static_routes(
        STATIC_PATH, STATIC_FILES, name="citygraph_static"
    )
    for view in VIEWS:
        # A subclass per app: sqladmin stores the session factory on the view class.
        admin.add_view(type(view.__name__, (view,), {"services": services}))
