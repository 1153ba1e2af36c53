"""Routes of the GraphQL face (filled in by the GraphQL issue)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from citygraph.services import Services


def build_routes(services: Services) -> list[BaseRoute]:
    return []
