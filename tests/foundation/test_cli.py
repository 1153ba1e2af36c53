"""The ``citygraph`` command, run as a real subprocess."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.server import free_port

CITYGRAPH = [sys.executable, "-m", "citygraph.cli"]


def run(
    args: list[str], env: dict[str, str], cwd: Path, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CITYGRAPH, *args],
        env=env,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CITYGRAPH_", "DATABASE_"))}
    clean.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        CITYGRAPH_MEDIA_ROOT=str(tmp_path / "media"),
        CITYGRAPH_BCRYPT_ROUNDS="4",
    )
    return clean


def counts(path: Path) -> tuple[int, int, int]:
    with sqlite3.connect(path) as db:
        return tuple(  # type: ignore[return-value]
            db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("districts", "places", "place_images")
        )


def test_migrate_load_demo_is_idempotent(env: dict[str, str], tmp_path: Path) -> None:
    assert run(["migrate"], env, tmp_path).returncode == 0
    first = run(["load-demo"], env, tmp_path)
    assert first.returncode == 0, first.stderr
    after_first = counts(tmp_path / "cli.sqlite3")
    second = run(["load-demo"], env, tmp_path)
    assert second.returncode == 0
    assert "0 districts, 0 places, 0 images created" in second.stdout
    assert counts(tmp_path / "cli.sqlite3") == after_first
    assert after_first[0] == 12
    assert after_first[1] >= 60
    assert after_first[2] >= after_first[1]


def test_users_commands_and_one_line_errors(env: dict[str, str], tmp_path: Path) -> None:
    assert run(["migrate"], env, tmp_path).returncode == 0
    created = run(
        [
            "createsuperuser",
            "--username",
            "boss",
            "--email",
            "boss@example.com",
            "--password",
            "Kremlin-1147-walls",
        ],
        env,
        tmp_path,
    )
    assert created.returncode == 0, created.stderr
    assert "superuser 'boss' created" in created.stdout
    assert run(["users", "deactivate", "boss"], env, tmp_path).stdout.strip().endswith("inactive")
    assert run(["users", "activate", "boss"], env, tmp_path).stdout.strip().endswith("now active")

    missing = run(["users", "activate", "nobody"], env, tmp_path)
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines() == ["citygraph: No user named 'nobody'."]
    assert "Traceback" not in missing.stderr

    duplicate = run(
        [
            "createsuperuser",
            "--username",
            "boss",
            "--email",
            "",
            "--password",
            "Kremlin-1147-walls",
        ],
        env,
        tmp_path,
    )
    assert duplicate.returncode == 1
    assert "A user with that username already exists." in duplicate.stderr
    assert len(duplicate.stderr.strip().splitlines()) == 1


def test_broken_database_url_is_one_line(env: dict[str, str], tmp_path: Path) -> None:
    env["DATABASE_URL"] = "postgresql://nobody@127.0.0.1:1/none"
    result = run(["migrate"], env, tmp_path)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_production_with_development_key_exits_2(env: dict[str, str], tmp_path: Path) -> None:
    env["CITYGRAPH_ENV"] = "production"
    result = run(["serve", "--port", str(free_port())], env, tmp_path)
    assert result.returncode == 2
    assert "CITYGRAPH_SECRET_KEY" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_serve_on_the_embedded_default_migrates_and_loads_demo(
    env: dict[str, str], tmp_path: Path
) -> None:
    del env["DATABASE_URL"]
    del env["CITYGRAPH_MEDIA_ROOT"]
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [*CITYGRAPH, "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert status == 200, (tmp_path / "serve.log").read_text()
        assert counts(tmp_path / "var" / "citygraph.sqlite3")[0] == 12
        assert any((tmp_path / "var" / "media" / "places").iterdir())
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
