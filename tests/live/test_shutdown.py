"""A ``citygraph serve`` with an open SSE subscription still stops when told (SIGTERM): the
stream never ends by itself, so the server cancels it after its shutdown grace."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from citygraph.cli import SHUTDOWN_GRACE_SECONDS
from tests.live.conftest import DISTRICT_CHANGED
from tests.support.server import free_port

CITYGRAPH = Path(sys.executable).with_name("citygraph")


def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited"
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("the server did not become ready")


def _listen(base: str, opened: threading.Event, ended: threading.Event) -> None:
    headers = {"Accept": "text/event-stream"}
    try:
        with httpx.stream(
            "POST",
            f"{base}/graphql",
            json={"query": DISTRICT_CHANGED},
            headers=headers,
            timeout=httpx.Timeout(5, read=None),
        ) as response:
            assert response.status_code == 200
            opened.set()
            for _ in response.iter_bytes():
                pass
    except httpx.HTTPError:
        pass
    finally:
        ended.set()


def test_a_server_with_an_open_stream_stops(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYGRAPH_")}
    env.update(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}",
        CITYGRAPH_MEDIA_ROOT=str(tmp_path / "media"),
        CITYGRAPH_RUNTIME_DIR=str(tmp_path / "runtime"),
        CITYGRAPH_LOG_LEVEL="warning",
    )
    command = [str(CITYGRAPH), "serve", "--migrate", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base, process)
        opened, ended = threading.Event(), threading.Event()
        listener = threading.Thread(target=_listen, args=(base, opened, ended), daemon=True)
        listener.start()
        assert opened.wait(10)
        stopping = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=SHUTDOWN_GRACE_SECONDS + 10)
        assert time.monotonic() - stopping < SHUTDOWN_GRACE_SECONDS + 5
        assert ended.wait(5)  # and the client saw its stream end
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
