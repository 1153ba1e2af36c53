"""Throughput of citygraph against a static-bytes ceiling, on SQLite and PostgreSQL, with wrk.

Run: ``make bench`` (this, then the login-contention benchmark), or
``.venv/bin/python -m tests.benchmarks.throughput [--large]``; settings are BENCH_* variables
(``tests/benchmarks/config.py``), e.g. ``BENCH_DURATION=3s`` for a quick run and
``BENCH_BASELINE=main`` to add that ref as a "before" column.

For each database: fresh databases are loaded with ``load-perf-data --scale small`` (12 districts
× 100 places × 3 images) and served by ``citygraph serve`` (one worker, production mode) twice,
with ``CITYGRAPH_RESPONSE_CACHE=off`` and ``=on`` (and once for the baseline). Every request of
the issue's table is preflighted (2xx, JSON, no GraphQL ``errors``); the uncached server's answer
is then served by the ceiling (uvicorn + Starlette returning those bytes). Each server is pinned
to one CPU and wrk to the other; every (request, server) pair gets a warm-up and a measured run
per round, interleaved, and the table shows medians over the rounds and each server's ratio to
the ceiling. A server that fails to start or answers errors is reported, not measured.

``--large`` runs the large-set checks instead (``tests/benchmarks/large.py``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.benchmarks import large, wrk
from tests.benchmarks.baseline import BaselineError, baseline_build
from tests.benchmarks.config import BenchConfig, ConfigError
from tests.benchmarks.databases import Databases, PrepareError, prepare
from tests.benchmarks.procs import Processes, exit_on_sigterm
from tests.benchmarks.results import Cell, Section, render
from tests.benchmarks.servers import CURRENT, Build, Server, failed, start_ceiling, start_citygraph
from tests.benchmarks.workload import REQUESTS, Request, preflight


@dataclass(frozen=True)
class Variant:
    """One citygraph column: a build (None if it could not be built) and its cache setting."""

    key: str
    build: Build | None
    cache: str
    problem: str | None = None

    @property
    def label(self) -> str:
        if self.key != "baseline":
            return self.key
        return f"baseline {self.build.label}" if self.build else "baseline"


def start_variant(
    config: BenchConfig, procs: Processes, dbs: Databases, backend: str, variant: Variant, tmp: Path
) -> Server:
    """A fresh database with the small set, served by the variant's build."""
    if variant.build is None:
        return failed(variant.key, variant.problem or "not built")
    try:
        url = dbs.create(backend, variant.key)
        prepare(url, variant.build.citygraph, "small", procs.log_dir, variant.key)
    except PrepareError as exc:
        return failed(variant.key, str(exc))
    return start_citygraph(
        procs,
        variant.key,
        variant.build,
        url,
        cache=variant.cache,
        cpus=config.server_cpu,
        media_root=tmp / f"{backend}-{variant.key}-media",
    )


def ceiling_request(request: Request) -> Request:
    """The same method and body, at the ceiling's path for that request's bytes."""
    return Request(request.key, request.label, request.method, f"/{request.key}", request.body)


def check_and_capture(
    section: Section, client: httpx.Client, servers: list[Server], bodies: Path
) -> None:
    """Preflight every citygraph target; the first good answer becomes the ceiling's body."""
    for request in REQUESTS:
        reference: bytes | None = None
        for server in servers:
            cell = section.cells[request.key, server.name] = Cell(problem=server.error)
            if server.error:
                continue
            cell.preflight = preflight(client, server.base_url, request)
            cell.problem = cell.preflight.problem
            if cell.preflight.ok:
                reference = reference if reference is not None else cell.preflight.body
                cell.body_differs = cell.preflight.body != reference
        if reference is not None:
            (bodies / f"{request.key}.body").write_bytes(reference)


def check_ceiling(section: Section, client: httpx.Client, ceiling: Server, bodies: Path) -> None:
    for request in REQUESTS:
        cell = section.cells[request.key, ceiling.name] = Cell(problem=ceiling.error)
        if ceiling.error:
            continue
        if not (bodies / f"{request.key}.body").exists():
            cell.problem = "no citygraph answer to serve"
            continue
        cell.preflight = preflight(client, ceiling.base_url, ceiling_request(request))
        cell.problem = cell.preflight.problem


def measure(config: BenchConfig, section: Section, out: Path) -> None:
    """Rounds of warm-up + measured wrk runs, interleaved over requests and servers."""
    body_files: dict[str, Path] = {}
    for request in REQUESTS:
        if request.body is not None:
            body_files[request.key] = out / f"{request.key}.request.json"
            body_files[request.key].write_bytes(request.body)
    for number in range(1, config.rounds + 1):
        for request in REQUESTS:
            for server in section.columns:
                cell = section.cells[request.key, server.name]
                if cell.problem:
                    continue
                target = ceiling_request(request) if server.name == "ceiling" else request
                url = server.base_url + target.path
                body = body_files.get(request.key)
                stem = f"{request.key}.{server.name}.r{number}"
                wrk.run(
                    config, url, target, duration=config.warmup, body_file=body,
                    log=out / f"{stem}.warmup.log",
                )  # fmt: skip
                result = wrk.run(
                    config, url, target, duration=config.duration, body_file=body,
                    log=out / f"{stem}.log",
                )  # fmt: skip
                cell.runs.append(result)
                shown = f"{result.rps:,.0f} req/s" if result else "no result"
                print(
                    f"  [{section.backend}] round {number}/{config.rounds} {request.label}, "
                    f"{server.name}: {shown}",
                    file=sys.stderr,
                    flush=True,
                )


def run_section(
    config: BenchConfig, backend: str, chosen: list[Variant], dbs: Databases, tmp: Path
) -> Section:
    out = config.out_dir / backend
    bodies = out / "ceiling-bodies"
    bodies.mkdir(parents=True, exist_ok=True)
    for stale in bodies.glob("*.body"):  # a reused BENCH_OUT must not serve an old answer
        stale.unlink()
    with Processes(out) as procs:
        servers = [start_variant(config, procs, dbs, backend, v, tmp) for v in chosen]
        section = Section(backend, [], {"ceiling": "ceiling"} | {v.key: v.label for v in chosen})
        with httpx.Client(timeout=30) as client:
            check_and_capture(section, client, servers, bodies)
            ceiling = start_ceiling(procs, "ceiling", bodies, cpus=config.server_cpu)
            check_ceiling(section, client, ceiling, bodies)
        section.columns = [ceiling, *servers]
        before = os.getloadavg()[0]
        measure(config, section, out)
        section.load = (before, os.getloadavg()[0])
    return section


def run(config: BenchConfig) -> None:
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="citygraph-bench-")))
        chosen = [Variant("uncached", CURRENT, "off"), Variant("cached", CURRENT, "on")]
        if config.baseline:
            print(f"building the baseline {config.baseline}…", file=sys.stderr, flush=True)
            try:
                build = stack.enter_context(
                    baseline_build(config.baseline, tmp / "baseline", config.out_dir)
                )
                chosen.append(Variant("baseline", build, "off"))
            except BaselineError as exc:
                chosen.append(Variant("baseline", None, "off", f"{config.baseline}: {exc}"))
        dbs = stack.enter_context(Databases(config.postgres_server, tmp))
        print(f"# citygraph throughput; logs in {config.out_dir}", flush=True)
        for backend in config.databases:
            section = run_section(config, backend, chosen, dbs, tmp)
            print(render(config, section) + "\n", flush=True)
    print(f"# throughput benchmark took {(time.monotonic() - started) / 60:.1f} min", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="the large-set checks instead")
    args = parser.parse_args()
    exit_on_sigterm()
    try:
        config = BenchConfig.from_env()
    except ConfigError as exc:
        raise SystemExit(f"bench: {exc}") from exc
    wrk.require_wrk()
    try:
        (large.run if args.large else run)(config)
    except KeyboardInterrupt:
        print("\nbench: interrupted; every process it started has been stopped", file=sys.stderr)
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
