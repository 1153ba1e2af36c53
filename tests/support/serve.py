"""``citygraph serve`` as a real subprocess on 127.0.0.1 (what a person runs), for tests that
need the command itself: its logging, its README examples."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.server import free_port

CITYGRAPH = [sys.executable, "-m", "citygraph.cli"]


@dataclass
class Served:
    base_url: str
    port: int
    stdout: Path
    stderr: Path


@contextmanager
def citygraph_serve(env: dict[str, str], cwd: Path, *args: str) -> Iterator[Served]:
    """Start ``citygraph serve --port <free> *args``; stop it (SIGINT) on the way out."""
    port = free_port()
    served = Served(f"http://127.0.0.1:{port}", port, cwd / "serve.out", cwd / "serve.err")
    with served.stdout.open("w") as out, served.stderr.open("w") as err:
        server = subprocess.Popen(
            [*CITYGRAPH, "serve", "--port", str(port), *args],
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=err,
        )
        try:
            deadline = time.monotonic() + 90
            while True:
                if server.poll() is not None:
                    raise RuntimeError(f"serve exited: {served.stderr.read_text()[-2000:]}")
                if time.monotonic() > deadline:
                    raise RuntimeError("serve did not answer /healthz within 90 s")
                try:
                    if httpx.get(f"{served.base_url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            yield served
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
