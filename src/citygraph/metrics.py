"""Prometheus instruments of one app: requests, latency, errors, the database pool, rate limits.

Each app has a registry of its own (a process may hold several apps: the tests, two instances
in one process), exposed at ``/metrics`` by ``citygraph.web.metrics``. Label values come from a
fixed set (faces, route templates, error codes) or, for GraphQL operation names, which clients
choose, are checked and capped (:meth:`Metrics.operation_label`), so no client can grow the
series without bound. With several uvicorn workers each process counts for itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine

#: Seconds; from a cache hit (well under a millisecond) to a slow bcrypt login.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: Distinct GraphQL operation names kept as labels; later ones count as ``(other)``.
MAX_OPERATION_NAMES = 200
_OPERATION_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")
ANONYMOUS = "(anonymous)"
OTHER = "(other)"


class PoolCollector(Collector):
    """The engine's connection pool, read at scrape time (nothing to update per request)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.pool = engine.pool

    def collect(self) -> Iterator[GaugeMetricFamily]:
        pool = self.pool
        connections = GaugeMetricFamily(
            "citygraph_db_pool_connections",
            "Database connections held by the pool, by state",
            labels=["state"],
        )
        size = GaugeMetricFamily("citygraph_db_pool_size", "The pool's configured size")
        checked_out = getattr(pool, "checkedout", None)
        if callable(checked_out):
            connections.add_metric(["in_use"], float(checked_out()))
            connections.add_metric(["idle"], float(getattr(pool, "checkedin")()))  # noqa: B009
            connections.add_metric(["overflow"], float(max(0, getattr(pool, "overflow")())))  # noqa: B009
            size.add_metric([], float(getattr(pool, "size")()))  # noqa: B009
        yield connections
        yield size


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "citygraph_http_requests",
            "HTTP requests answered, by face, route template, method and status",
            ["face", "route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "citygraph_http_request_duration_seconds",
            "Time to answer an HTTP request, by face and route template",
            ["face", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.operations = Histogram(
            "citygraph_graphql_operation_duration_seconds",
            "Time to answer a GraphQL request, by operation name",
            ["operation"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "citygraph_errors",
            "Errors answered: GraphQL by extensions.code, other faces by HTTP status (4xx, 5xx)",
            ["face", "code"],
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "citygraph_rate_limit_refusals",
            "Attempts refused by a rate limit, by action (login, register, mail)",
            ["action"],
            registry=self.registry,
        )
        self.outbox_depth = Gauge(
            "citygraph_outbox_depth",
            "Mail still to deliver (pending or being sent), read from the database at each scrape;"
            " NaN while the database is unreachable",
            registry=self.registry,
        )
        self._operation_names: set[str] = set()

    def watch_pool(self, engine: AsyncEngine) -> None:
        self.registry.register(PoolCollector(engine))

    def operation_label(self, name: str | None) -> str:
        """A GraphQL operation name as a label: checked, and capped in number."""
        if not name:
            return ANONYMOUS
        if not _OPERATION_NAME.fullmatch(name):
            return OTHER
        if name not in self._operation_names:
            if len(self._operation_names) >= MAX_OPERATION_NAMES:
                return OTHER
            self._operation_names.add(name)
        return name

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)
