"""``GET /metrics``: the app's Prometheus instruments (``citygraph.metrics``).

Served outside production, and in production only with ``CITYGRAPH_METRICS=on`` or a
``CITYGRAPH_METRICS_TOKEN`` (``CITYGRAPH_METRICS=off`` removes it everywhere; then the path is an
ordinary 404). With a token, a scrape must send ``Authorization: Bearer <token>``; anything else
is a 401 that reveals nothing.
"""

from __future__ import annotations

import hmac

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from citygraph import outbox
from citygraph.domain.outages import is_database_outage
from citygraph.services import Services

PATH = "/metrics"


def routes(services: Services) -> list[BaseRoute]:
    settings = services.settings
    if not settings.metrics_enabled:
        return []
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    expected = f"Bearer {token}".encode() if token else None

    async def metrics(request: Request) -> Response:
        if expected is not None:
            given = request.headers.get("authorization", "").encode("latin-1", "replace")
            if not hmac.compare_digest(given, expected):
                return PlainTextResponse(
                    "Unauthorized", status_code=401, headers={"WWW-Authenticate": "Bearer"}
                )
        await _read_outbox_depth(services)
        return Response(
            services.metrics.exposition(),
            media_type=CONTENT_TYPE_LATEST,
            headers={"Cache-Control": "no-store"},
        )

    return [Route(PATH, metrics, methods=["GET"])]


async def _read_outbox_depth(services: Services) -> None:
    """The outbox depth lives in the shared database, so it is read when scraped; an outage
    leaves it NaN rather than failing the scrape (the pool figures matter most then)."""
    try:
        depth = float(await outbox.depth(services.engine))
    except Exception as exc:
        if not is_database_outage(exc):
            raise
        depth = float("nan")
    services.metrics.outbox_depth.set(depth)
