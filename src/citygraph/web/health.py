"""Liveness and readiness probes."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import anyio
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from citygraph.services import Services
from citygraph.web.state import get_services

log = logging.getLogger(__name__)
READY_TIMEOUT_SECONDS = 3.0


async def healthz(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def _database_ready(services: Services) -> bool:
    try:
        with anyio.fail_after(READY_TIMEOUT_SECONDS):
            async with services.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means "not ready"; the reason is logged, not leaked
        log.warning("readiness check failed: database: %s", type(exc).__name__)
        return False
    return True


async def _media_ready(services: Services) -> bool:
    try:
        with anyio.fail_after(READY_TIMEOUT_SECONDS):
            await services.store.check()
    except Exception as exc:  # StoreUnavailable or a timeout: logged with the store's words
        log.warning("readiness check failed: media store %s: %s", services.store.url, exc)
        return False
    return True


async def readyz(request: Request) -> JSONResponse:
    """200 when the database and the media store answer (checked side by side), else 503 with
    the first reason."""
    services = get_services(request)
    results: dict[str, bool] = {}

    async def check(name: str, probe: Callable[[Services], Awaitable[bool]]) -> None:
        results[name] = await probe(services)

    async with anyio.create_task_group() as group:
        group.start_soon(check, "database", _database_ready)
        group.start_soon(check, "media", _media_ready)
    if not results["database"]:
        reason = "database unreachable"
    elif not results["media"]:
        reason = "media store unreachable"
    else:
        return JSONResponse({"status": "ok", "database": "reachable", "media": "reachable"})
    return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)


routes = [
    Route("/healthz", healthz, methods=["GET", "HEAD"]),
    Route("/readyz", readyz, methods=["GET", "HEAD"]),
]
