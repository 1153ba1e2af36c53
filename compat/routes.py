"""The original service's endpoints (filled in by the REST compatibility issue)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.routing import BaseRoute

from citygraph.services import Services


def build_routes(services: Services) -> list[BaseRoute]:
    return []


def exception_handlers() -> Mapping[Any, Any]:
    return {}
