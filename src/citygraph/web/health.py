"""Liveness and readiness probes."""

from __future__ import annotations

import logging

import anyio
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from citygraph.web.state import get_services

log = logging.getLogger(__name__)
READY_TIMEOUT_SECONDS = 3.0


async def healthz(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    services = get_services(request)
    try:
        with anyio.fail_after(READY_TIMEOUT_SECONDS):
            async with services.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means "not ready"; the reason is logged, not leaked
        log.warning("readiness check failed: %s", type(exc).__name__)
        return JSONResponse(
            {"status": "unavailable", "reason": "database unreachable"}, status_code=503
        )
    return JSONResponse({"status": "ok", "database": "reachable"})


routes = [
    Route("/healthz", healthz, methods=["GET", "HEAD"]),
    Route("/readyz", readyz, methods=["GET", "HEAD"]),
]
