"""The servers under test: ``citygraph serve`` as deployed, and the static-bytes ceiling.

citygraph runs as one uvicorn worker in production mode, access log off (log level warning), with
a fixed public URL so absolute image URLs, and so the bytes, are the same for every server of a
run whatever port it listens on.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.benchmarks.config import ROOT
from tests.benchmarks.databases import clean_env
from tests.benchmarks.procs import Processes, free_port, tail, wait_ready

SECRET_KEY = "benchmark-only-secret-key-0123456789abcdef"
PUBLIC_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class Build:
    """A citygraph installation: this tree's venv, or a baseline ref's."""

    label: str
    bin_dir: Path

    @property
    def citygraph(self) -> Path:
        return self.bin_dir / "citygraph"


CURRENT = Build("this tree", Path(sys.executable).parent)


@dataclass
class Server:
    name: str
    base_url: str
    process: subprocess.Popen[bytes] | None
    error: str | None = None  # why it is not serving (did not start, no database…)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None


def failed(name: str, error: str) -> Server:
    return Server(name, "", None, error)


def start_citygraph(
    procs: Processes,
    name: str,
    build: Build,
    database_url: str,
    *,
    cache: str,
    cpus: str | None,
    media_root: Path,
) -> Server:
    """``citygraph serve`` on a free port; CITYGRAPH_RESPONSE_CACHE=``cache`` is passed through."""
    port = free_port()
    env = clean_env(
        DATABASE_URL=database_url,
        CITYGRAPH_ENV="production",
        CITYGRAPH_SECRET_KEY=SECRET_KEY,
        CITYGRAPH_PUBLIC_URL=PUBLIC_URL,
        CITYGRAPH_MEDIA_ROOT=str(media_root),
        CITYGRAPH_LOG_LEVEL="warning",
        CITYGRAPH_RESPONSE_CACHE=cache,
    )
    argv = [str(build.citygraph), "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = procs.start(name, [*argv, "--workers", "1"], env=env, cwd=ROOT, cpus=cpus)
    return _ready(procs, name, f"http://127.0.0.1:{port}", process, "/readyz")


def start_ceiling(procs: Processes, name: str, bodies: Path, *, cpus: str | None) -> Server:
    """The ceiling server (``tests.benchmarks.ceiling``) serving the files in ``bodies``."""
    port = free_port()
    argv = [sys.executable, "-m", "tests.benchmarks.ceiling", "--port", str(port), str(bodies)]
    process = procs.start(name, argv, env=clean_env(), cwd=ROOT, cpus=cpus)
    return _ready(procs, name, f"http://127.0.0.1:{port}", process, "/healthz")


def _ready(
    procs: Processes, name: str, base_url: str, process: subprocess.Popen[bytes], probe: str
) -> Server:
    problem = wait_ready(base_url + probe, process)
    if problem is None:
        return Server(name, base_url, process)
    procs.stop(process)
    return Server(name, base_url, None, f"did not start ({problem}): {tail(procs.log_of(name))}")
