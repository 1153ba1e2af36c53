"""A private PostgreSQL cluster in a temporary folder: stopping it disturbs nobody else."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import asyncpg

OWNER = "postgres"  # initdb refuses to run as root; the cluster then belongs to this account


def bin_dir() -> Path:
    """The server programs' folder: ``pg_config --bindir``, else where ``pg_ctl`` is."""
    pg_config = shutil.which("pg_config")
    if pg_config:
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        candidate = Path(found.stdout.strip())
        if found.returncode == 0 and (candidate / "pg_ctl").exists():
            return candidate
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl is None:
        raise RuntimeError("the soak needs PostgreSQL's server programs (initdb, pg_ctl)")
    return Path(pg_ctl).resolve().parent


class PrivatePostgres:
    """initdb in ``root``, served on 127.0.0.1:``port`` (trust authentication)."""

    def __init__(self, root: Path, port: int) -> None:
        self.root = root
        self.port = port
        self.data = root / "data"
        self.log = root / "postgres.log"
        self.bin = bin_dir()

    def _run(self, *command: str) -> None:
        argv = [str(self.bin / command[0]), *command[1:]]
        if os.geteuid() == 0:
            argv = ["runuser", "-u", OWNER, "--", *argv]
        subprocess.run(argv, check=True, capture_output=True, cwd=self.root)

    def init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, OWNER, OWNER)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c max_connections=200"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self) -> None:
        """Fast shutdown: open sessions are cut, as in a crash of the database host's service."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, database: str = "citygraph") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    async def create_database(self, name: str = "citygraph") -> str:
        connection = await asyncpg.connect(self.url("postgres"))
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()
        return self.url(name)
