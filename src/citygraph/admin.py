"""The admin UI at /admin (filled in by the admin issue)."""

from __future__ import annotations

from starlette.applications import Starlette

from citygraph.services import Services


def mount_admin(app: Starlette, services: Services) -> None:
    return None
