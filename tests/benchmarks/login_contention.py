"""Does password hashing starve other requests? Run: ``make bench``.

Starts a real uvicorn (one worker, its own process) on a temporary SQLite database with bcrypt
cost 12, then measures the latency of a small GraphQL query (``{ districts { id title } }``)
twice in the same invocation: alone (baseline), and while 10 clients log in continuously
(``createToken``, so 10 bcrypt checks are in flight at once). Prints p50/p99 of both runs and
their ratios, plus the login throughput under load.

Options: ``--queries N`` (default 200), ``--logins K`` concurrent login clients (default 10),
``--rounds R`` bcrypt cost (default 12).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Kremlin-1147-walls"
DISTRICTS = "{ districts { id title abbreviation } }"
LOGIN = "mutation($u: String!, $p: String!) { createToken(username: $u, password: $p) { access } }"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def prepare(env: dict[str, str]) -> None:
    """Migrate, add districts and one active user (cost-12 hash) in a child interpreter."""
    script = f"""
import asyncio
from citygraph import migrate
from citygraph.config import Settings
from citygraph.domain import accounts
from citygraph.domain.policy import SYSTEM
from citygraph.domain.unit import unit_of_work
from citygraph.models import District
from citygraph.services import Services

settings = Settings()
migrate.upgrade(settings.effective_database_url)

async def main():
    services = Services.from_settings(settings)
    form = accounts.NewAccount.parse(username="bench", email="", password={PASSWORD!r}).check()
    async with unit_of_work(services, actor=SYSTEM) as uow:
        for i in range(12):
            uow.session.add(District(title=f"Округ {{i}}", abbreviation=f"О{{i}}"))
        await accounts.create_account(uow, form, is_active=True)
    await services.aclose()

asyncio.run(main())
"""
    subprocess.run([sys.executable, "-c", script], env=env, check=True, cwd=ROOT)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


async def measure_queries(client: httpx.AsyncClient, count: int) -> list[float]:
    latencies = []
    for _ in range(count):
        start = time.perf_counter()
        response = await client.post("/graphql", json={"query": DISTRICTS})
        latencies.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.text
        assert "errors" not in response.json(), response.text
        await asyncio.sleep(0.005)
    return latencies


async def login_loop(client: httpx.AsyncClient, stop: asyncio.Event, times: list[float]) -> None:
    while not stop.is_set():
        start = time.perf_counter()
        response = await client.post(
            "/graphql", json={"query": LOGIN, "variables": {"u": "bench", "p": PASSWORD}}
        )
        body = response.json()
        assert "errors" not in body and body["data"]["createToken"]["access"], response.text
        times.append((time.perf_counter() - start) * 1000)


async def run(base_url: str, queries: int, logins: int) -> None:
    limits = httpx.Limits(max_connections=logins + 5)
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as client:
        await measure_queries(client, 20)  # warm-up
        baseline = await measure_queries(client, queries)

        stop = asyncio.Event()
        login_times: list[float] = []
        workers = [
            asyncio.create_task(login_loop(client, stop, login_times)) for _ in range(logins)
        ]
        await asyncio.sleep(1.0)  # let the hashing pile up
        started = time.perf_counter()
        loaded = await measure_queries(client, queries)
        elapsed = time.perf_counter() - started
        stop.set()
        await asyncio.gather(*workers)

    def row(name: str, values: list[float]) -> str:
        return f"{name:<28}{percentile(values, 50):>10.1f}{percentile(values, 99):>10.1f}"

    print(f"{'districts query latency (ms)':<28}{'p50':>10}{'p99':>10}")
    print(row("baseline (no logins)", baseline))
    print(row(f"with {logins} concurrent logins", loaded))
    ratio50 = percentile(loaded, 50) / percentile(baseline, 50)
    ratio99 = percentile(loaded, 99) / percentile(baseline, 99)
    print(f"{'ratio loaded / baseline':<28}{ratio50:>9.1f}x{ratio99:>9.1f}x")
    done = len(login_times)
    print(
        f"logins under load: {done} in {elapsed:.1f}s ({done / elapsed:.1f}/s), "
        f"login p50 {statistics.median(login_times):.0f} ms; "
        f"CPUs: {os.cpu_count()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--logins", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=12)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/bench.sqlite3",
            "CITYGRAPH_BCRYPT_ROUNDS": str(args.rounds),
            "CITYGRAPH_RATE_LIMIT_LOGIN": "1000000/minute",
            "CITYGRAPH_MEDIA_ROOT": f"{tmp}/media",
            "PYTHONPATH": str(ROOT / "src") + os.pathsep + str(ROOT),
        }
        prepare(env)
        port = free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "citygraph.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=tmp,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("uvicorn did not start")
                time.sleep(0.1)
            print(f"uvicorn on 127.0.0.1:{port}, bcrypt cost {args.rounds}\n")
            asyncio.run(run(f"http://127.0.0.1:{port}", args.queries, args.logins))
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
