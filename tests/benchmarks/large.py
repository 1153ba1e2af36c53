"""The large-set checks of the performance issue (12 districts × 10,000 places × 3 images).

Run: ``make bench-large`` (``python -m tests.benchmarks.throughput --large``). On each database a
fresh copy of the large set is loaded (the load time is shown) and served by ``citygraph serve``
(one worker, production mode, ``CITYGRAPH_RESPONSE_CACHE=off``, pinned like the throughput
benchmark; this client runs on the wrk CPU). Then, one request at a time:

- REST ``/api/v1/places/?district_id=1`` (10,000 places): time to the response headers, to the
  first body byte and to the last byte (medians of 3), bytes, and the worker's RSS growth
  (sampled every 5 ms during each request: the largest peak of the 3, and what the first kept,
  which is what the side-by-side rig's ``large_check.sh`` reports);
- GraphQL ``places(search: "Парк", first: 20) { totalCount … }``: median of 7 after a warm-up;
- cursor paging of district 1, 100 places a page: page 1 against page 100, whose ``after`` is the
  ``endCursor`` of page 99 found by walking the pages; medians of 7, interleaved.

Each figure is printed with the issue's target and whether it is met. ``BENCH_BASELINE`` adds
the same checks for that ref.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.benchmarks.baseline import BaselineError, baseline_build
from tests.benchmarks.config import BenchConfig
from tests.benchmarks.databases import Databases, PrepareError, prepare
from tests.benchmarks.procs import Processes, rss_kib
from tests.benchmarks.report import count, median, ms, verdict
from tests.benchmarks.servers import CURRENT, Build, Server, failed, start_citygraph
from tests.benchmarks.workload import graphql_body

BACKEND_NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
LIST_PATH = "/api/v1/places/?district_id=1"
SEARCH_QUERY = '{ places(search: "Парк", first: 20) { totalCount edges { node { id title } } } }'
PAGE_SELECTION = "edges { cursor node { id title } } pageInfo { endCursor hasNextPage }"
LIST_RUNS, SEARCH_RUNS, PAGE_RUNS = 3, 7, 7
FIRST_BYTE_MS, TOTAL_MS, RSS_GROWTH_MB, SEARCH_MS = 100.0, 1000.0, 50.0, 20.0  # MB = 2**20 B
PAGING_SLACK = (1.25, 2.0)  # "the same cost": page 100 ≤ 1.25 × page 1 + 2 ms


class CheckError(Exception):
    """A request of the checks failed; the message says which and how."""


@dataclass(frozen=True)
class ListTiming:
    headers_ms: float
    first_byte_ms: float
    total_ms: float
    size: int
    peak_growth_mb: float | None  # the worker's RSS: highest sample minus the one before
    kept_growth_mb: float | None  # RSS after the response minus before


@contextlib.contextmanager
def peak_rss(pid: int | None) -> Iterator[list[int]]:
    """Samples the RSS of ``pid`` every 5 ms; yields a list that ends as [start, peak, end]
    KiB (empty if the process cannot be read)."""
    result: list[int] = []
    start = rss_kib(pid) if pid else None
    if pid is None or start is None:
        yield result
        return
    watched: int = pid
    peak = [start]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.005):
            value = rss_kib(watched)
            if value is not None:
                peak[0] = max(peak[0], value)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield result
    finally:
        stop.set()
        sampler.join()
        end = rss_kib(watched) or 0
        result[:] = [start, max(peak[0], end), end]


def time_list(client: httpx.Client, server: Server) -> ListTiming:
    with peak_rss(server.pid) as rss:
        started = time.perf_counter()
        with client.stream("GET", server.base_url + LIST_PATH) as response:
            headers = time.perf_counter()
            first = None
            size = 0
            for chunk in response.iter_raw():
                if first is None and chunk:
                    first = time.perf_counter()
                size += len(chunk)
            done = time.perf_counter()
            if response.status_code != 200:
                raise CheckError(f"REST list: HTTP {response.status_code}")
    return ListTiming(
        (headers - started) * 1000,
        ((first or done) - started) * 1000,
        (done - started) * 1000,
        size,
        (rss[1] - rss[0]) / 1024 if rss else None,
        (rss[2] - rss[0]) / 1024 if rss else None,
    )


def graphql(client: httpx.Client, server: Server, query: str) -> tuple[float, dict[str, object]]:
    """Seconds taken and ``data`` of one POST; GraphQL errors raise CheckError."""
    started = time.perf_counter()
    response = client.post(
        server.base_url + "/graphql",
        content=graphql_body(query),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    elapsed = time.perf_counter() - started
    document = response.json()
    if response.status_code != 200 or document.get("errors"):
        raise CheckError(f"HTTP {response.status_code}: {json.dumps(document)[:200]}")
    data: dict[str, object] = document["data"]
    return elapsed, data


def page_query(after: str | None, selection: str = PAGE_SELECTION) -> str:
    argument = f", after: {json.dumps(after)}" if after else ""
    return f"{{ district(id: 1) {{ places(first: 100{argument}) {{ {selection} }} }} }}"


def page_of(data: dict[str, object]) -> dict[str, object]:
    district = data["district"]
    assert isinstance(district, dict)
    places: dict[str, object] = district["places"]
    return places


def check(client: httpx.Client, server: Server) -> list[str]:
    """The figures and verdicts for one server, as report lines."""
    client.get(server.base_url + "/api/v1/disticts/")  # warm the app, not the big list
    return [
        *check_list(client, server),
        *check_search(client, server),
        *check_paging(client, server),
    ]


def check_list(client: httpx.Client, server: Server) -> list[str]:
    """The 10,000-place REST list: streamed soon, whole within a second, bounded memory."""
    lines = []
    timings = [time_list(client, server) for _ in range(LIST_RUNS)]
    first_byte = median([t.first_byte_ms for t in timings])
    total = median([t.total_ms for t in timings])
    peaks = [t.peak_growth_mb for t in timings if t.peak_growth_mb is not None]
    growth = max(peaks) if peaks else None
    kept = timings[0].kept_growth_mb
    rss = (
        f"+{growth:.1f} MB at the peak (largest of {LIST_RUNS}), "
        f"+{kept:.1f} MB kept after the first"
        if growth is not None and kept is not None
        else "not readable"
    )
    lines.append(
        f"REST {LIST_PATH} ({count(timings[0].size)} B): headers "
        f"{ms(median([t.headers_ms for t in timings]))} ms, first body byte {ms(first_byte)} ms, "
        f"total {ms(total)} ms (medians of {LIST_RUNS}); worker RSS {rss}"
    )
    lines.append(
        f"  first byte ≤ {FIRST_BYTE_MS:.0f} ms: {verdict(first_byte <= FIRST_BYTE_MS)}; "
        f"whole ≤ {TOTAL_MS / 1000:.0f} s: {verdict(total <= TOTAL_MS)}; "
        f"RSS growth (peak) ≤ {RSS_GROWTH_MB:.0f} MB: "
        + (verdict(growth <= RSS_GROWTH_MB) if growth is not None else "n/a")
    )
    return lines


def check_search(client: httpx.Client, server: Server) -> list[str]:
    graphql(client, server, SEARCH_QUERY)
    runs = [graphql(client, server, SEARCH_QUERY) for _ in range(SEARCH_RUNS)]
    search_ms = median([elapsed for elapsed, _ in runs]) * 1000
    places = runs[0][1]["places"]
    total_count = places.get("totalCount") if isinstance(places, dict) else None
    return [
        f'GraphQL places(search: "Парк", first: 20): {ms(search_ms)} ms (median of {SEARCH_RUNS},'
        f" min {ms(min(e for e, _ in runs) * 1000)}), totalCount {total_count}",
        f"  ≤ {SEARCH_MS:.0f} ms (the target is for PostgreSQL): {verdict(search_ms <= SEARCH_MS)}",
    ]


def check_paging(client: httpx.Client, server: Server) -> list[str]:
    """Page 100 of district 1 against page 1; page 99's endCursor is found by walking."""
    cursor: str | None = None
    for _ in range(99):
        _elapsed, data = graphql(client, server, page_query(cursor, "pageInfo { endCursor }"))
        info = page_of(data)["pageInfo"]
        assert isinstance(info, dict)
        cursor = info["endCursor"]
    first_page: list[float] = []
    hundredth: list[float] = []
    hundredth_data: dict[str, object] = {}
    for _ in range(PAGE_RUNS):
        first_page.append(graphql(client, server, page_query(None))[0] * 1000)
        elapsed, hundredth_data = graphql(client, server, page_query(cursor))
        hundredth.append(elapsed * 1000)
    edges = page_of(hundredth_data)["edges"]
    assert isinstance(edges, list)
    ids = [edge["node"]["id"] for edge in edges]
    page1, page100 = median(first_page), median(hundredth)
    factor, slack = PAGING_SLACK
    sane = "" if ids[:1] == [9901] and len(ids) == 100 else f" (page 100 starts at id {ids[:1]})"
    return [
        f"cursor paging, district 1, 100 a page: page 1 {ms(page1)} ms, page 100 {ms(page100)} ms"
        f" (medians of {PAGE_RUNS}) = {page100 / page1:.2f}×{sane}",
        f"  the same cost (page 100 ≤ {factor}× page 1 + {slack:.0f} ms): "
        + verdict(page100 <= factor * page1 + slack),
    ]


def builds(
    config: BenchConfig, stack: contextlib.ExitStack, tmp: Path
) -> list[tuple[str, Build | None, str]]:
    chosen: list[tuple[str, Build | None, str]] = [("current", CURRENT, "")]
    if config.baseline:
        try:
            build = stack.enter_context(
                baseline_build(config.baseline, tmp / "baseline", config.out_dir)
            )
            chosen.append(("baseline", build, ""))
        except BaselineError as exc:
            chosen.append(("baseline", None, str(exc)))
    return chosen


def serve(
    config: BenchConfig,
    procs: Processes,
    dbs: Databases,
    backend: str,
    key: str,
    build: Build | None,
    tmp: Path,
) -> tuple[Server, str]:
    """A citygraph server of ``build`` on a fresh large set, and how long loading it took."""
    if build is None:
        return failed(key, "not built"), ""
    out = procs.log_dir
    try:
        url = dbs.create(backend, f"large_{key}")
        seconds = prepare(url, build.citygraph, "large", out, key)
    except PrepareError as exc:
        return failed(key, str(exc)), ""
    server = start_citygraph(
        procs, key, build, url, cache="off", cpus=config.server_cpu,
        media_root=tmp / f"{backend}-{key}-media",
    )  # fmt: skip
    return server, f"; load-perf-data --scale large: {seconds:.1f} s"


def run(config: BenchConfig) -> None:
    started = time.monotonic()
    if config.wrk_cpu:
        with contextlib.suppress(OSError, ValueError):
            os.sched_setaffinity(0, {int(cpu) for cpu in config.wrk_cpu.split(",")})
    print(f"# citygraph large set checks; logs in {config.out_dir}", flush=True)
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="citygraph-bench-")))
        chosen = builds(config, stack, tmp)
        dbs = stack.enter_context(Databases(config.postgres_server, tmp))
        for backend in config.databases:
            out = config.out_dir / f"large-{backend}"
            print(
                f"== {BACKEND_NAMES[backend]}: large set (12 districts × 10,000 places × 3 images)"
            )
            for key, build, problem in chosen:
                label = f"{key} ({build.label})" if build else key
                with Processes(out) as procs:
                    server, loaded = serve(config, procs, dbs, backend, key, build, tmp)
                    load = f"; load average (1 min) {os.getloadavg()[0]:.1f}"
                    print(f"-- {label}{loaded}{load}", flush=True)
                    if server.error or build is None:
                        print(f"  not measured: {server.error or problem}", flush=True)
                        continue
                    try:
                        with httpx.Client(timeout=60) as client:
                            lines = check(client, server)
                    except (
                        CheckError,
                        httpx.HTTPError,
                        KeyError,
                        AssertionError,
                        ValueError,
                    ) as exc:
                        lines = [f"  checks failed: {exc!r}"]
                    print("\n".join(lines), flush=True)
            print(flush=True)
    print(f"# large set checks took {(time.monotonic() - started) / 60:.1f} min", file=sys.stdout)
