"""What one database's throughput section measured, and its table."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

from tests.benchmarks import targets
from tests.benchmarks.config import BenchConfig
from tests.benchmarks.report import count, median, ms, ratio, table
from tests.benchmarks.servers import Server
from tests.benchmarks.workload import REQUESTS, Preflight
from tests.benchmarks.wrk import WrkResult

BACKEND_NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
ERROR_KINDS = ("status", "connect", "read", "write", "timeout")


@dataclass
class Cell:
    """One request against one server: its preflight, then one wrk result per round."""

    preflight: Preflight | None = None
    runs: list[WrkResult | None] = field(default_factory=list)
    problem: str | None = None  # why it is not measured
    body_differs: bool = False

    def measured(self) -> list[WrkResult]:
        return [run for run in self.runs if run is not None]

    def rps(self) -> float | None:
        """Median req/s over the rounds."""
        runs = self.measured()
        return median([run.rps for run in runs]) if runs else None


@dataclass
class Section:
    backend: str
    columns: list[Server]  # the ceiling first
    labels: dict[str, str]  # server name -> column label
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average before and after measuring
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)  # (request key, server)


def _latency(value: float, timeout: str) -> str:
    return f"> {timeout}" if math.isinf(value) else ms(value)


def _row(label: str, cell: Cell, ceiling_rps: float | None, timeout: str) -> list[str]:
    size = count(len(cell.preflight.body)) if cell.preflight else "-"
    runs = cell.measured()
    if cell.problem or not runs:
        return [label, size, "-", "", "", "", "", "", "", cell.problem or "wrk printed no result"]
    rps = [run.rps for run in runs]
    answered = [run for run in runs if run.requests]
    p50 = median([run.percentile_ms(50) for run in answered]) if answered else math.nan
    p99 = median([run.percentile_ms(99) for run in answered]) if answered else math.nan
    totals = {kind: sum(getattr(run, kind) for run in runs) for kind in ERROR_KINDS}
    notes = []
    if len(runs) < len(cell.runs):
        notes.append(f"{len(cell.runs) - len(runs)} runs printed no result")
    if len(answered) < len(runs):
        notes.append(f"{len(runs) - len(answered)} runs completed no request")
    if cell.body_differs:
        notes.append("body differs from the uncached server's")
    spread = p99 / p50 if answered and p50 and not math.isinf(p99) else math.nan
    return [
        label,
        size,
        count(median(rps)),
        f"{count(min(rps))}–{count(max(rps))}",
        _latency(p50, timeout) if answered else "-",
        _latency(p99, timeout) if answered else "-",
        "-" if math.isnan(spread) else f"{spread:.1f}",
        ", ".join(f"{kind} {n}" for kind, n in totals.items() if n) or "0",
        ratio(median(rps) / ceiling_rps) if ceiling_rps else "-",
        "; ".join(notes),
    ]


def render(config: BenchConfig, section: Section) -> str:
    header = (
        "request", "server", "bytes", "req/s", "min–max", "p50 ms", "p99 ms", "p99/p50",
        "errors", "× ceiling", "note",
    )  # fmt: skip
    down = {server.name: server.error for server in section.columns if server.error}
    rows: list[list[str]] = []
    for request in REQUESTS:
        ceiling_rps = section.cells[request.key, "ceiling"].rps()
        for index, server in enumerate(section.columns):
            cell = section.cells[request.key, server.name]
            if server.name in down:
                cell = Cell(problem="not running (below)")
            label = section.labels.get(server.name, server.name)
            first = request.label if index == 0 else ""
            rows.append([first, *_row(label, cell, ceiling_rps, config.timeout)])
    lines = [
        f"== {BACKEND_NAMES[section.backend]}: small set (12 districts × 100 places × 3 images)",
        f"   {config.wrk_line()}",
        f"   load average (1 min) {section.load[0]:.1f} before, {section.load[1]:.1f} after "
        f"measuring, on {os.cpu_count()} CPUs: other work on the machine shows up here",
        table(header, rows, right=(2, 3, 4, 5, 6, 7, 9)),
    ]
    lines += [f"   {section.labels.get(name, name)}: {error}" for name, error in down.items()]
    return "\n".join([*lines, "", targets.render(section.cells, REQUESTS)])
