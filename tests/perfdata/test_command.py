"""``citygraph load-perf-data`` as a real subprocess, on both databases."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from citygraph.services import Services


def run(args: list[str], database_url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CITYGRAPH_", "DATABASE_"))}
    env["DATABASE_URL"] = database_url
    env["CITYGRAPH_MEDIA_ROOT"] = str(cwd / "media")
    return subprocess.run(
        [sys.executable, "-m", "citygraph.cli", "load-perf-data", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def counts(services: Services) -> list[int]:
    async with services.engine.connect() as connection:
        return [
            (await connection.execute(sa.text(f"SELECT count(*) FROM {table}"))).scalar_one()
            for table in ("districts", "places", "place_images")
        ]


async def test_load_refuse_replace(services: Services, database_url: str, tmp_path: Path) -> None:
    loaded = run(["--scale", "small"], database_url, tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    # not a terminal: one summary line, no progress bar
    assert loaded.stdout.startswith("perf data (small, seed 20240917): 12 districts, 1200 places")
    assert len(loaded.stdout.splitlines()) == 1
    assert "\r" not in loaded.stderr
    assert await counts(services) == [12, 1200, 3600]

    refused = run(["--scale", "small", "--seed", "7"], database_url, tmp_path)
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        "citygraph: the database already has 12 districts, 1200 places and 3600 images; "
        "pass --replace to delete them first (users are kept)"
    ]

    replaced = run(["--scale", "small", "--seed", "7", "--replace"], database_url, tmp_path)
    assert replaced.returncode == 0, replaced.stderr
    assert "seed 7" in replaced.stdout
    assert await counts(services) == [12, 1200, 3600]
    assert not await asyncio.to_thread((tmp_path / "media").exists)  # no image files written


def test_help_says_no_image_files_are_written(tmp_path: Path) -> None:
    shown = run(["--help"], "sqlite:///unused.sqlite3", tmp_path)
    assert shown.returncode == 0
    assert "not written" in " ".join(shown.stdout.split())
    assert "--replace" in shown.stdout
    bad = run(["--scale", "huge"], "sqlite:///unused.sqlite3", tmp_path)
    assert bad.returncode == 2
    assert "invalid choice" in bad.stderr
