"""A real original database (built by Django in a subprocess) and the import run as a command."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from citygraph.services import Services
from tests.conftest import IN_CI, TEST_SECRET
from tests.support.pg import provision_postgres

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Original:
    database: Path | str  # a SQLite file or a postgresql:// URL
    media: Path
    manifest: dict[str, Any]

    def user(self, username: str) -> dict[str, Any]:
        return next(u for u in self.manifest["users"] if u["username"] == username)

    def copy(self, to: Path) -> Original:
        assert isinstance(self.database, Path)
        to.mkdir(parents=True, exist_ok=True)
        shutil.copy(self.database, to / "db.sqlite3")
        shutil.copytree(self.media, to / "media")
        return Original(to / "db.sqlite3", to / "media", self.manifest)


def build_original(action: str, database: Path | str, media: Path) -> dict[str, Any]:
    """Run ``tests/importer/original/build.py`` (Django's settings are process-global)."""
    env = {
        **os.environ,
        "ORIGINAL_DATABASE": str(database),
        "ORIGINAL_MEDIA_ROOT": str(media),
        "ORIGINAL_SECRET_KEY": TEST_SECRET,
        "DJANGO_SETTINGS_MODULE": "tests.importer.original.settings",
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.importer.original.build", action],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.fixture(scope="session")
def original(tmp_path_factory: pytest.TempPathFactory) -> Original:
    root = tmp_path_factory.mktemp("original")
    database, media = root / "db.sqlite3", root / "media"
    return Original(database, media, build_original("create", database, media))


@pytest.fixture(scope="session")
def original_on_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Original]:
    """The same original, built by Django on a PostgreSQL database of its own."""
    database = provision_postgres(fresh=True)
    if database is None:
        message = "PostgreSQL is not reachable"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    url = make_url(database.url).set(drivername="postgresql")
    source = url.render_as_string(hide_password=False)
    media = tmp_path_factory.mktemp("original-pg") / "media"
    yield Original(source, media, build_original("create", source, media))
    database.drop()


@dataclass
class Run:
    code: int
    out: str
    err: str


async def run_import(
    database_url: str, media_root: Path, source: Path | str, *extra: str, **env: str
) -> Run:
    """``citygraph import-django`` in a process of its own, against the test's database."""
    command: Sequence[str] = [
        sys.executable,
        "-m",
        "citygraph.cli",
        "import-django",
        str(source),
        *extra,
    ]
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CITYGRAPH_SECRET_KEY": TEST_SECRET,
        "CITYGRAPH_MEDIA_ROOT": str(media_root),
        **env,
    }
    done = await anyio.run_process(command, env=environment, check=False, cwd=ROOT)
    return Run(done.returncode, done.stdout.decode(), done.stderr.decode())


async def snapshot(services: Services) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the imported tables, in id order."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    async with services.engine.connect() as connection:
        for table in ("users", "districts", "places", "place_images"):
            result = await connection.execute(text(f"SELECT * FROM {table} ORDER BY id"))
            rows[table] = [tuple(row) for row in result]
    return rows


def files(root: Path) -> dict[str, bytes]:
    if not root.exists():
        return {}
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }
