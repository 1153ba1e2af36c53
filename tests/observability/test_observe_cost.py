"""What the observation middleware adds to a request, measured (printed with ``-s``).

A route that answers at once, called straight through ASGI (no sockets, no database) with and
without the middleware around it, best of five runs: the difference is the middleware's cost
per request — metrics only, and metrics plus the JSON access line. The bound is generous (the
machine is shared); the printed figures are the point.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Scope

from citygraph.logs import JsonFormatter
from citygraph.metrics import Metrics
from citygraph.web.observe import ObserveMiddleware

REQUESTS = 3000
RUNS = 5
#: Microseconds per request, without and with the JSON line: several times what it measures on
#: a quiet machine (see the printed figures), so only a real regression fails.
BOUND_US = {False: 150.0, True: 400.0}


async def ok(_request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


def timer(app: ASGIApp, inner: Starlette) -> Callable[[], Awaitable[float]]:
    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_message: Message) -> None:
        return None

    async def run() -> float:
        started = time.perf_counter()
        for index in range(REQUESTS):
            scope: Scope = {
                "type": "http",
                "asgi": {"version": "3.0"},
                "http_version": "1.1",
                "method": "GET",
                "scheme": "http",
                "path": f"/api/v1/places/{index % 50}/",
                "raw_path": b"",
                "root_path": "",
                "query_string": b"",
                "headers": [],
                "server": ("127.0.0.1", 8000),
                "app": inner,
            }
            await app(scope, receive, send)
        return (time.perf_counter() - started) / REQUESTS

    return run


async def best_of_alternating(
    first: Callable[[], Awaitable[float]], second: Callable[[], Awaitable[float]]
) -> tuple[float, float]:
    """Each timing's best run, the two taken in turn (so both see the same machine load)."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(RUNS):
        times[0].append(await first())
        times[1].append(await second())
    return min(times[0]), min(times[1])


@pytest.fixture
def json_lines() -> Iterator[list[str]]:
    """The access log as ``citygraph serve`` writes it (``JsonFormatter``), into a list."""

    class Lines(logging.Handler):
        def __init__(self) -> None:
            super().__init__()
            self.setFormatter(JsonFormatter())
            self.lines: list[str] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.lines.append(self.format(record))

    handler = Lines()
    logger = logging.getLogger("citygraph.access")
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


@pytest.mark.parametrize("json_log", [False, True])
async def test_observation_is_cheap(json_log: bool, json_lines: list[str]) -> None:
    inner = Starlette(routes=[Route("/api/v1/places/{pk}/", ok)])
    observed = ObserveMiddleware(inner, metrics=Metrics(), json_log=json_log)
    bare, with_observer = await best_of_alternating(timer(inner, inner), timer(observed, inner))
    assert len(json_lines) == (REQUESTS * RUNS if json_log else 0)  # one line per request
    if json_log:
        assert json.loads(json_lines[-1])["route"] == "/api/v1/places/{pk}/"
    cost_us = (with_observer - bare) * 1e6
    print(
        f"\nobservation (json log {'on' if json_log else 'off'}): {cost_us:.1f} µs per request "
        f"({bare * 1e6:.1f} µs bare, {with_observer * 1e6:.1f} µs observed)"
    )
    assert cost_us < BOUND_US[json_log]
    await asyncio.sleep(0)
