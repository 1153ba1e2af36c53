"""Throwaway databases for the servers under test, migrated and loaded with the perf data set.

Every server gets its own fresh database (a PostgreSQL database on the configured server, or a
SQLite file in the run's temporary directory), migrated by that server's own ``citygraph migrate``
(a baseline build has its own migrations) and loaded by this tree's ``load-perf-data``, so every
column of one run holds the same rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import TracebackType

import asyncpg
from sqlalchemy.engine import make_url

from tests.benchmarks.config import ROOT
from tests.benchmarks.procs import tail
from tests.support.pg import execute


class PrepareError(Exception):
    """A database could not be created, migrated or loaded; the message says which step."""


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without citygraph settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CITYGRAPH_", "DATABASE_"))}
    env.update(extra)
    return env


class Databases:
    """Creates fresh databases; drops the PostgreSQL ones on exit (SQLite files go with ``tmp``)."""

    def __init__(self, postgres_server: str, tmp: Path) -> None:
        self.postgres_server = postgres_server
        self.tmp = tmp
        self._created: list[str] = []

    def create(self, backend: str, label: str) -> str:
        name = f"citygraph_bench_{label}_{uuid.uuid4().hex[:8]}"
        if backend == "sqlite":
            return f"sqlite:///{self.tmp / name}.sqlite3"
        try:
            asyncio.run(execute(self.postgres_server, f'CREATE DATABASE "{name}"'))
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            raise PrepareError(f"PostgreSQL at {self._server_name()}: {exc}") from exc
        self._created.append(name)
        url = make_url(self.postgres_server).set(drivername="postgresql", database=name)
        return url.render_as_string(hide_password=False)

    def _server_name(self) -> str:
        return make_url(self.postgres_server).render_as_string(hide_password=True)

    def close(self) -> None:
        for name in self._created:
            with contextlib.suppress(OSError, asyncpg.PostgresError, TimeoutError):
                sql = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
                asyncio.run(execute(self.postgres_server, sql))
        self._created.clear()

    def __enter__(self) -> Databases:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.close()


def prepare(url: str, citygraph: Path, scale: str, log_dir: Path, name: str) -> float:
    """Migrate ``url`` with ``citygraph`` and load the ``scale`` set; returns the load's seconds."""
    env = clean_env(DATABASE_URL=url, CITYGRAPH_MEDIA_ROOT=str(log_dir / f"{name}-media"))
    log_dir.mkdir(parents=True, exist_ok=True)
    steps = (
        ("migrate", [str(citygraph), "migrate"]),
        (
            "load-perf-data",
            [sys.executable, "-m", "citygraph.cli", "load-perf-data", "--scale", scale],
        ),
    )
    seconds = 0.0
    for step, argv in steps:
        log = log_dir / f"{name}.{step}.log"
        started = time.perf_counter()
        with log.open("wb") as out:
            result = subprocess.run(
                argv, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, check=False
            )
        seconds = time.perf_counter() - started
        if result.returncode != 0:
            raise PrepareError(f"{step} failed (exit {result.returncode}): {tail(log, 1)}")
    return seconds
