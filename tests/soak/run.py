"""``make soak``: 2 uvicorn workers on a private PostgreSQL, 64 clients, PostgreSQL down for 10 s.

Run: ``make soak`` or ``.venv/bin/python -m tests.soak.run``; ``SOAK_DURATION`` (seconds,
default 60) and ``SOAK_CLIENTS`` (default 64) change the load. The cluster is initdb'd in a
temporary folder on a free port (as the ``postgres`` account when run as root), so stopping it
disturbs no other database; an SMTP server (aiosmtpd) in this process receives the mail.

Clients send 90% reads (REST and GraphQL) and 10% writes (places, images, registrations,
logins) while PostgreSQL is stopped for 10 s mid-run. Afterwards the outbox is drained and every
acknowledged write is looked up: rows, image files, one activation mail per account. The report
shows requests, status counts, p50/p99 per operation, the recovery time and lost or duplicated
writes; the exit status is 1 unless nothing was lost or duplicated and every answer was 2xx, 4xx
or 503 (a GraphQL ``INTERNAL_SERVER_ERROR`` counts as a 5xx whatever its HTTP status).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from email import message_from_bytes
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller

from tests.soak.cluster import PrivatePostgres
from tests.soak.verify import Findings, drain_outbox, verify
from tests.soak.workload import (
    DB_OPS,
    PASSWORD,
    Stats,
    Workload,
    acceptable,
    percentile,
    run_clients,
)
from tests.support.server import free_port

OUTAGE_SECONDS = 10.0
CITYGRAPH = Path(sys.executable).with_name("citygraph")


class MailCounter:
    """aiosmtpd handler counting the messages each address received."""

    def __init__(self) -> None:
        self.received: Counter[str] = Counter()

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.received[str(message_from_bytes(envelope.content)["To"])] += 1
        return "250 OK"


@dataclass
class Outage:
    stopped_at: float = 0.0
    back_at: float = 0.0


def environment(root: Path, database_url: str, smtp_port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "CITYGRAPH_SECRET_KEY": "soak-secret-key-0123456789-abcdefghijklmnop",
        "CITYGRAPH_MEDIA_ROOT": str(root / "media"),
        "CITYGRAPH_RUNTIME_DIR": str(root / "run"),
        "CITYGRAPH_BCRYPT_ROUNDS": "4",
        "CITYGRAPH_ACCESS_TOKEN_LIFETIME": "3600",
        "CITYGRAPH_RATE_LIMIT_LOGIN": "100000/minute",
        "CITYGRAPH_RATE_LIMIT_REGISTER": "100000/minute",
        "CITYGRAPH_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}?timeout=5",
        "CITYGRAPH_MAIL_RETRY_DELAY": "1",
        "CITYGRAPH_MAIL_POLL_INTERVAL": "1",
        "CITYGRAPH_LOG_LEVEL": "warning",
    }


def citygraph(env: dict[str, str], cwd: Path, *args: str) -> None:
    subprocess.run([str(CITYGRAPH), *args], env=env, cwd=cwd, check=True, capture_output=True)


async def wait_healthy(base: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=base) as client:
        while True:
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("citygraph serve did not become healthy")
            await asyncio.sleep(0.2)


async def outage(pg: PrivatePostgres, stats: Stats, after: float, record: Outage) -> None:
    await asyncio.sleep(after)
    await asyncio.to_thread(pg.stop)
    record.stopped_at = time.monotonic() - stats.started
    await asyncio.sleep(OUTAGE_SECONDS)
    await asyncio.to_thread(pg.start)
    record.back_at = time.monotonic() - stats.started


def recovery(stats: Stats, record: Outage) -> tuple[float | None, float | None]:
    """Seconds from PostgreSQL's return to the first acknowledged database operation, and to
    the sending of the last request that still got an answer outside 2xx/4xx (None if none)."""
    first_ok = min(
        (
            answered - record.back_at
            for _sent, answered, op, status in stats.events
            if answered >= record.back_at and op in DB_OPS and status[:1] == "2"
        ),
        default=None,
    )
    bad_after = [
        sent - record.back_at
        for sent, _answered, _op, status in stats.events
        if sent >= record.back_at and not (status[:1] in "24" and status.isdigit())
    ]
    return first_ok, max(bad_after) if bad_after else None


def report(
    stats: Stats, record: Outage, findings: Findings, undelivered: int, seconds: float
) -> bool:
    total: Counter[str] = Counter()
    for statuses in stats.statuses.values():
        total.update(statuses)
    requests = sum(total.values())
    print(f"\nsoak: {requests} requests in {seconds:.0f}s ({requests / seconds:.0f}/s)")
    print("statuses: " + ", ".join(f"{s}: {n}" for s, n in sorted(total.items())))
    print(f"{'operation':<16}{'requests':>9}{'p50 ms':>9}{'p99 ms':>9}  statuses")
    for op in sorted(stats.statuses):
        values = stats.latencies[op]
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(stats.statuses[op].items()))
        print(
            f"{op:<16}{len(values):>9}{percentile(values, 0.5) * 1000:>9.1f}"
            f"{percentile(values, 0.99) * 1000:>9.1f}  {statuses}"
        )
    during = Counter(
        status
        for _sent, answered, _op, status in stats.events
        if record.stopped_at <= answered < record.back_at and not status.startswith("2")
    )
    print(
        f"outage: PostgreSQL stopped at {record.stopped_at:.1f}s, back at {record.back_at:.1f}s; "
        "non-2xx answers meanwhile: "
        + (", ".join(f"{s}: {n}" for s, n in sorted(during.items())) or "none")
    )
    first_ok, last_bad = recovery(stats, record)
    print(
        "recovery: first acknowledged database write "
        + (f"{first_ok:.2f}s" if first_ok is not None else "never")
        + " after PostgreSQL returned; last request answered outside 2xx/4xx sent "
        + (f"{last_bad:.2f}s after it" if last_bad is not None else "before it")
    )
    checked = ", ".join(f"{n} {what}" for what, n in findings.checked.items())
    print(f"acknowledged writes checked: {checked}")
    print(f"lost: {len(findings.lost)}, duplicated: {len(findings.duplicated)}")
    for line in findings.lost[:20]:
        print(f"  lost: {line}")
    for line in findings.duplicated[:20]:
        print(f"  duplicated: {line}")
    for line in findings.notes:
        print(f"  note: {line}")
    if undelivered:
        print(f"  outbox: {undelivered} messages still undelivered after the drain")
    bad = sum(n for status, n in total.items() if not acceptable(status))
    print(f"answers outside 2xx/4xx/503: {bad}")
    return not findings.lost and not findings.duplicated and bad == 0


async def soak(root: Path, seconds: float, clients: int) -> bool:
    pg = PrivatePostgres(root / "pg", free_port())
    pg.init()
    pg.start()
    mail = MailCounter()
    smtp = Controller(mail, hostname="127.0.0.1", port=free_port())
    smtp.start()
    server: subprocess.Popen[bytes] | None = None
    try:
        url = await pg.create_database()
        env = environment(root, url, smtp.port)
        citygraph(env, root, "migrate")
        citygraph(env, root, "load-demo")
        args = ["--username", "soak", "--email", "soak@example.com", "--password", PASSWORD]
        citygraph(env, root, "createsuperuser", *args)
        port = free_port()
        server = start_server(env, root, port)
        base = f"http://127.0.0.1:{port}"
        await wait_healthy(base)
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
            login = await client.post(
                "/auth/jwt/create/", json={"username": "soak", "password": PASSWORD}
            )
            districts = (await client.get("/api/v1/disticts/")).json()
            workload = Workload(
                client, login.json()["access"], str(port), [d["id"] for d in districts]
            )
            print(f"soak: {clients} clients for {seconds:.0f}s against {base} (2 workers)")
            record = Outage()
            workload.stats.started = time.monotonic()
            after = max(3.0, seconds / 2 - OUTAGE_SECONDS / 2)
            await asyncio.gather(
                run_clients(workload, clients, seconds),
                outage(pg, workload.stats, after, record),
            )
        undelivered = await drain_outbox(url, 60)
        findings = await verify(url, workload.ledger, root / "media", mail.received)
        return report(workload.stats, record, findings, undelivered, seconds)
    finally:
        if server is not None:
            stop(server)
        smtp.stop()
        pg.stop()


def start_server(env: dict[str, str], root: Path, port: int) -> subprocess.Popen[bytes]:
    """``citygraph serve --workers 2`` in its own process group, its output in server.log."""
    with (root / "server.log").open("wb") as log:
        return subprocess.Popen(
            [str(CITYGRAPH), "serve", "--workers", "2", "--port", str(port)],
            env=env,
            cwd=root,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(server: subprocess.Popen[bytes]) -> None:
    """Stop the server's process group (uvicorn's supervisor and its workers)."""
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def main() -> int:
    seconds = float(os.environ.get("SOAK_DURATION", "60"))
    clients = int(os.environ.get("SOAK_CLIENTS", "64"))
    root = Path(tempfile.mkdtemp(prefix="citygraph-soak-"))
    root.chmod(0o755)  # the cluster's owner must reach its folder
    passed = False
    try:
        passed = asyncio.run(soak(root, seconds, clients))
    finally:
        if passed:
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"soak: FAILED; logs kept in {root}", file=sys.stderr)
    if passed:
        print("soak: passed")
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
