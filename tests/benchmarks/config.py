"""The benchmark's settings, read from the environment (so ``make bench`` can pass them).

=====================  =========  ==================================================
variable               default    meaning
=====================  =========  ==================================================
BENCH_DURATION         10s        one measured wrk run per target and round
BENCH_WARMUP           3s         wrk run before each measured one (discarded)
BENCH_CONNECTIONS      32         wrk -c
BENCH_THREADS          2          wrk -t
BENCH_ROUNDS           2          rounds; every target runs once per round, interleaved
BENCH_TIMEOUT          2s         wrk --timeout: slower responses count as timeouts
BENCH_DATABASES        sqlite,postgres
BENCH_BASELINE         (none)     a git ref benchmarked as an extra column ("before")
BENCH_SERVER_CPU       0          taskset CPU list for every server ("" = unpinned)
BENCH_WRK_CPU          1          taskset CPU list for wrk and the large-set client
BENCH_POSTGRES_SERVER  local      maintenance URL of the PostgreSQL server that gets the
                                  throwaway databases (postgresql://postgres@127.0.0.1/postgres)
BENCH_OUT              var/bench/<time>   wrk logs, server logs, captured bodies, results
=====================  =========  ==================================================
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.support.pg import server_url

ROOT = Path(__file__).resolve().parents[2]
BACKENDS = ("sqlite", "postgres")
_DURATION = re.compile(r"^\d+(\.\d+)?[smh]?$")


class ConfigError(Exception):
    """A BENCH_* variable has a value the benchmark cannot use."""


@dataclass(frozen=True)
class BenchConfig:
    duration: str
    warmup: str
    connections: int
    threads: int
    rounds: int
    timeout: str
    databases: tuple[str, ...]
    baseline: str | None
    server_cpu: str | None
    wrk_cpu: str | None
    postgres_server: str
    out_dir: Path

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> BenchConfig:
        def get(name: str, default: str) -> str:
            return environ.get(name, default).strip()

        def duration(name: str, default: str) -> str:
            value = get(name, default)
            if not _DURATION.match(value):
                raise ConfigError(f"{name}={value!r}: expected a wrk duration such as 10s")
            return value

        def positive(name: str, default: int) -> int:
            value = get(name, str(default))
            if not value.isdigit() or int(value) < 1:
                raise ConfigError(f"{name}={value!r}: expected a positive integer")
            return int(value)

        databases = tuple(d.strip() for d in get("BENCH_DATABASES", ",".join(BACKENDS)).split(","))
        unknown = [d for d in databases if d not in BACKENDS]
        if unknown or not databases:
            raise ConfigError(f"BENCH_DATABASES: expected sqlite and/or postgres, got {unknown}")
        stamp = time.strftime("%Y%m%d-%H%M%S")
        return cls(
            duration=duration("BENCH_DURATION", "10s"),
            warmup=duration("BENCH_WARMUP", "3s"),
            connections=positive("BENCH_CONNECTIONS", 32),
            threads=positive("BENCH_THREADS", 2),
            rounds=positive("BENCH_ROUNDS", 2),
            timeout=duration("BENCH_TIMEOUT", "2s"),
            databases=databases,
            baseline=get("BENCH_BASELINE", "") or None,
            server_cpu=get("BENCH_SERVER_CPU", "0") or None,
            wrk_cpu=get("BENCH_WRK_CPU", "1") or None,
            postgres_server=get("BENCH_POSTGRES_SERVER", "") or server_url(),
            out_dir=Path(get("BENCH_OUT", "") or ROOT / "var" / "bench" / stamp),
        )

    def wrk_line(self) -> str:
        pinning = (
            f"servers on CPU {self.server_cpu or 'any'}, wrk on CPU {self.wrk_cpu or 'any'}"
            if shutil.which("taskset")
            else "unpinned (no taskset)"
        )
        return (
            f"wrk -t{self.threads} -c{self.connections} -d{self.duration} --latency "
            f"--timeout {self.timeout}, warm-up {self.warmup}, {self.rounds} rounds interleaved; "
            + pinning
        )
