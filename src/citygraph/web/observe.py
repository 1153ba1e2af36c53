"""The one observation middleware: every answered request is counted, timed and (on request)
logged as one JSON line.

It sits just inside the request-id middleware, so it sees every answer (a host refusal, a
cached response, a 413 included) and knows the request id. The faces add what only they know
through the request's :class:`Observation` (``note_operation``, ``note_user``, ``note_error``):
the GraphQL operation name, the authenticated user, GraphQL error codes. Route labels are the
route templates (``/auth/users/{id}/``), found once per distinct path and remembered.

Per request it costs a clock read, a route lookup (a dict hit after the first time), two or
three prometheus-client updates and, with ``CITYGRAPH_LOG_FORMAT=json``, one log record
(``tests/observability/test_observe_cost.py`` prints what it adds per request).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from citygraph.metrics import Metrics
from citygraph.web.middleware import request_id_var

access_log = logging.getLogger("citygraph.access")
_KEY = "citygraph.observation"
UNMATCHED = "(unmatched)"
_FACES = (
    ("/graphql", "graphql"),
    ("/admin", "admin"),
    ("/api/", "rest"),
    ("/auth/", "rest"),
    ("/media/", "media"),
)


@dataclass
class Observation:
    """What the faces tell about one request."""

    operation: str | None = None
    user_id: int | None = None
    error_codes: list[str] = field(default_factory=list)


def _observation(scope: Scope) -> Observation | None:
    found: Observation | None = scope.get(_KEY)
    return found


def note_operation(scope: Scope, name: str | None) -> None:
    """The request is the GraphQL operation ``name`` (``None``: anonymous)."""
    observation = _observation(scope)
    if observation is not None:
        observation.operation = name or ""


def note_user(scope: Scope, user_id: int | None) -> None:
    observation = _observation(scope)
    if observation is not None:
        observation.user_id = user_id


def note_error(scope: Scope, code: str) -> None:
    """A GraphQL error with ``extensions.code`` ``code`` is in the answer."""
    observation = _observation(scope)
    if observation is not None:
        observation.error_codes.append(code)


def face_of(path: str) -> str:
    for prefix, face in _FACES:
        if path.startswith(prefix) or path == prefix.rstrip("/"):
            return face
    return "site"


def _template(routes: Sequence[BaseRoute], scope: Scope, prefix: str = "") -> str | None:
    """The template of the route that answers ``scope``, as the router would pick it."""
    for route in routes:
        match, child = route.matches(scope)
        if match == Match.NONE:
            continue
        if isinstance(route, Mount):
            inner = _template(route.routes, {**scope, **child}, prefix + route.path)
            return inner or f"{prefix}{route.path}/*"
        path: str | None = getattr(route, "path", None)
        return prefix + path if path is not None else None
    return None


class ObserveMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: Metrics, json_log: bool) -> None:
        self.app = app
        self.metrics = metrics
        self.json_log = json_log
        self._routes: Sequence[BaseRoute] | None = None
        self.labels_of = lru_cache(maxsize=4096)(self._labels_of)
        #: The series of each (face, route, method, status): prometheus-client's ``labels()``
        #: checks and joins the values on every call; these are found by one dict lookup.
        self._series: dict[tuple[str, str, str, int], tuple[Counter, Histogram]] = {}

    def _labels_of(self, method: str, path: str) -> tuple[str, str]:
        """The face and the route template of a request."""
        if self._routes is None:
            return face_of(path), UNMATCHED
        scope = {"type": "http", "method": method, "path": path, "root_path": ""}
        return face_of(path), _template(self._routes, scope) or UNMATCHED

    def _series_of(
        self, face: str, route: str, method: str, status: int
    ) -> tuple[Counter, Histogram]:
        key = (face, route, method, status)
        series = self._series.get(key)
        if series is None:
            series = (
                self.metrics.requests.labels(face, route, method, str(status)),
                self.metrics.latency.labels(face, route),
            )
            self._series[key] = series
        return series

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._routes is None:
            self._routes = scope["app"].routes
        started = time.perf_counter()
        observation = Observation()
        scope[_KEY] = observation
        status = 500

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        finally:
            self.record(scope, observation, status, time.perf_counter() - started)

    def record(self, scope: Scope, observation: Observation, status: int, elapsed: float) -> None:
        method: str = scope["method"]
        face, route = self.labels_of(method, scope["path"])
        requests, latency = self._series_of(face, route, method, status)
        requests.inc()
        latency.observe(elapsed)
        metrics = self.metrics
        operation = None
        if observation.operation is not None:
            operation = metrics.operation_label(observation.operation)
            metrics.operations.labels(operation).observe(elapsed)
        for code in observation.error_codes:
            metrics.errors.labels(face, code).inc()
        if status >= 400 and not observation.error_codes:
            metrics.errors.labels(face, str(status)).inc()
        if self.json_log and access_log.isEnabledFor(logging.INFO):
            fields: dict[str, Any] = {
                "request_id": request_id_var.get(),
                "face": face,
                "method": method,
                "route": route,
                "operation": operation,
                "status": status,
                "duration_ms": round(elapsed * 1000, 3),
                "user_id": observation.user_id,
            }
            # A record made here rather than by ``info()``, which would walk the stack for the
            # caller's file and line: half the cost of the line, and nothing a reader needs.
            record = access_log.makeRecord(
                access_log.name,
                logging.INFO,
                __file__,
                0,
                "%s %s %s",
                (method, route, status),
                None,
                extra={"fields": fields},
            )
            access_log.handle(record)
