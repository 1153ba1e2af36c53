"""The performance issue's throughput targets, checked against one run's figures.

Every target is a ratio to the ceiling measured in the same run. PostGraphile is not part of
this benchmark (the side-by-side rig runs it); for the uncached GraphQL targets ("≥ 1×
PostGraphile") its ratio to the ceiling in the issue's run stands in: 2,299 / 24,170 req/s for
the districts and 245 / 15,264 for the 100 places.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from tests.benchmarks.report import median, ratio, verdict
from tests.benchmarks.workload import Request

POSTGRAPHILE = {"gql_districts": 2_299 / 24_170, "gql_places": 245 / 15_264}
P99_OVER_P50 = 5.0


@dataclass(frozen=True)
class Target:
    uncached: float  # minimum ratio to the ceiling
    cached: float
    uncached_basis: str


TARGETS = {
    "gql_districts": Target(POSTGRAPHILE["gql_districts"], 0.5, "PostGraphile's ratio*"),
    "gql_places": Target(POSTGRAPHILE["gql_places"], 0.5, "PostGraphile's ratio*"),
    "rest_districts": Target(0.2, 0.5, "ceiling"),
    "rest_places": Target(0.05, 0.5, "ceiling"),
}


class Run(Protocol):
    @property
    def requests(self) -> int: ...
    @property
    def rps(self) -> float: ...
    def percentile_ms(self, q: float) -> float: ...
    @property
    def timeout(self) -> int: ...


class Measured(Protocol):
    def measured(self) -> Sequence[Run]: ...


def _rps(cell: Measured | None) -> float | None:
    runs = cell.measured() if cell else []
    return median([run.rps for run in runs]) if runs else None


def _latency(cell: Measured | None) -> str | None:
    """What breaks "p99 ≤ 5× p50, no timeouts"; None when met or not measured."""
    measured = cell.measured() if cell else []
    runs = [run for run in measured if run.requests]
    if not runs:
        return "no request completed" if measured else None  # unmeasured: said above
    p50 = median([run.percentile_ms(50) for run in runs])
    p99 = median([run.percentile_ms(99) for run in runs])
    timeouts = sum(run.timeout for run in runs)
    problems = []
    if math.isinf(p99):
        problems.append("p99 beyond the wrk timeout")
    elif p50 and p99 / p50 > P99_OVER_P50:
        problems.append(f"p99 {p99 / p50:.1f}× p50")
    if timeouts:
        problems.append(f"{timeouts} timeouts")
    return ", ".join(problems) or None


def render(cells: Mapping[tuple[str, str], Measured], requests: Sequence[Request]) -> str:
    lines = ["targets (issue 9), ratios to this run's ceiling:"]
    for request in requests:
        target = TARGETS[request.key]
        ceiling = _rps(cells.get((request.key, "ceiling")))
        parts = []
        for mode, minimum in (("uncached", target.uncached), ("cached", target.cached)):
            rps = _rps(cells.get((request.key, mode)))
            if rps is None or not ceiling:
                parts.append(f"{mode} not measured")
                continue
            basis = f" ({target.uncached_basis})" if mode == "uncached" else ""
            shown = f"{mode} {ratio(rps / ceiling)} ≥ {ratio(minimum)}{basis}"
            parts.append(f"{shown} {verdict(rps / ceiling >= minimum)}")
        lines.append(f"  {request.label:<20} " + "; ".join(parts))
    latency = []
    for mode in ("uncached", "cached"):
        for request in requests:
            problem = _latency(cells.get((request.key, mode)))
            if problem:
                latency.append(f"{mode} {request.label}: {problem}")
    lines.append(
        f"  p99 ≤ {P99_OVER_P50:.0f}× p50, no timeouts: "
        + ("met where measured" if not latency else "SHORT: " + "; ".join(latency))
    )
    lines.append(
        "  * PostGraphile is not run here: its ratio to the ceiling in the issue's run stands in "
        f"({ratio(POSTGRAPHILE['gql_districts'])} districts, "
        f"{ratio(POSTGRAPHILE['gql_places'])} 100 places); the side-by-side rig measures it"
    )
    return "\n".join(lines)
