"""Runs wrk (Debian's) with the committed Lua scripts and reads its one-line JSON report."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.benchmarks.config import BenchConfig
from tests.benchmarks.procs import pinned
from tests.benchmarks.workload import Request

SCRIPT = Path(__file__).resolve().parent / "wrk" / "request.lua"
INSTALL_HINT = "wrk is not installed: apt-get install wrk"


@dataclass(frozen=True)
class WrkResult:
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    status: int  # responses with HTTP status > 399
    connect: int
    read: int
    write: int
    timeout: int

    def percentile_ms(self, q: float) -> float:
        """wrk's ``q``-th latency percentile, or infinity when more than (100 - q) % of the
        responses came after wrk's timeout: wrk counts those as timeouts and leaves them out of
        its histogram, so its own figure would then be too low."""
        late = self.timeout / self.requests if self.requests else 1.0
        if late >= 1 - q / 100:
            return math.inf
        return self.p50_ms if q == 50 else self.p99_ms


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit(INSTALL_HINT)


def parse(output: str) -> WrkResult | None:
    for line in output.splitlines():
        if line.startswith("WRKJSON "):
            data = json.loads(line.removeprefix("WRKJSON "))
            return WrkResult(
                requests=data["requests"],
                rps=data["rps"],
                p50_ms=data["p50_ms"],
                p99_ms=data["p99_ms"],
                max_ms=data["max_ms"],
                status=data["status"],
                connect=data["connect"],
                read=data["read"],
                write=data["write"],
                timeout=data["timeout"],
            )
    return None


def run(
    config: BenchConfig,
    url: str,
    request: Request,
    *,
    duration: str,
    body_file: Path | None,
    log: Path,
) -> WrkResult | None:
    """One wrk run against ``url``; None when wrk printed no result (see ``log``).

    A run in which no request completed is a result too: 0 requests, and its socket errors.
    """
    argv = [
        "wrk",
        f"-t{config.threads}",
        f"-c{config.connections}",
        f"-d{duration}",
        "--timeout",
        config.timeout,
        "--latency",
        "-s",
        str(SCRIPT),
        url,
    ]
    env = {**os.environ, "WRK_METHOD": request.method, "WRK_BODY_FILE": str(body_file or "")}
    completed = subprocess.run(
        pinned(argv, config.wrk_cpu),
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    log.write_text(completed.stdout + completed.stderr)
    return parse(completed.stdout)
