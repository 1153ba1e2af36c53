"""``citygraph media migrate --to s3://…``, run as a real subprocess against moto."""

from __future__ import annotations

import asyncio
import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from citygraph.cli import main
from citygraph.storage.migration import s3_etags
from citygraph.storage.s3 import SINGLE_PUT_LIMIT
from tests.conftest import make_settings
from tests.storage.conftest import BUCKET, new_store
from tests.support.s3 import ACCESS_KEY, REGION, SECRET_KEY, MotoServer, s3_settings
from tests.support.server import free_port

CITYGRAPH = [sys.executable, "-m", "citygraph.cli"]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "media"
    (root / "districts").mkdir(parents=True)
    (root / "places" / "old").mkdir(parents=True)
    (root / "districts" / "cao.png").write_bytes(b"\x89PNG cao" * 100)
    (root / "places" / "a.jpg").write_bytes(b"\xff\xd8 jpeg" * 50)
    (root / "places" / "old" / "фото.webp").write_bytes(b"RIFF webp")
    (root / "places" / "big.jpg").write_bytes(os.urandom(SINGLE_PUT_LIMIT + 1234))  # 3 parts
    (root / "places" / ".a.jpg.0f.part").write_bytes(b"half a photo")  # never copied
    return root


def env_for(endpoint: str, folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CITYGRAPH_", "AWS_"))}
    env.update(
        CITYGRAPH_MEDIA_ROOT=str(folder),
        CITYGRAPH_S3_ENDPOINT_URL=endpoint,
        CITYGRAPH_S3_REGION=REGION,
        AWS_ACCESS_KEY_ID=ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=SECRET_KEY,
        DATABASE_URL=f"sqlite:///{folder.parent / 'unused.sqlite3'}",
    )
    return env


def migrate(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CITYGRAPH, "media", "migrate", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def bucket_contents(endpoint: str, storage_url: str, tmp_path: Path) -> dict[str, bytes]:
    store = new_store(make_settings("sqlite://", tmp_path, **s3_settings(endpoint, storage_url)))
    contents = {}
    async for info in store.list():
        stream = await store.get(info.key)
        contents[info.key] = b"".join([chunk async for chunk in stream])
    return contents


def local_contents(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in folder.rglob("*")
        if path.is_file() and not path.name.startswith(".")
    }


async def test_migrate_copies_once_then_skips(
    moto: MotoServer, folder: Path, storage_url: str, tmp_path: Path
) -> None:
    env = env_for(moto.endpoint, folder)
    first = await asyncio.to_thread(migrate, env, "--to", storage_url)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == (
        f"media migrate: 4 files in {folder} -> {storage_url}: 4 copied (16.0 MiB), "
        "0 already there, 0 failed, 1 hidden or temporary files ignored"
    )
    assert "%|" not in first.stderr  # no progress bar when stderr is not a terminal
    assert await bucket_contents(moto.endpoint, storage_url, tmp_path) == local_contents(folder)
    # the skip rule rests on this: our ETag candidates include the one S3 computed, for a
    # single-part and for a multipart upload
    store = new_store(
        make_settings("sqlite://", tmp_path, **s3_settings(moto.endpoint, storage_url))
    )
    for key, parts in (("districts/cao.png", '"'), ("places/big.jpg", '-3"')):
        info = await store.head(key)
        assert info.etag in s3_etags(folder / key)
        assert info.etag.endswith(parts)  # type: ignore[union-attr]

    again = await asyncio.to_thread(migrate, env, "--to", storage_url)
    assert again.returncode == 0, again.stderr
    assert "0 copied (0.0 MiB), 4 already there, 0 failed" in again.stdout

    (folder / "places" / "a.jpg").write_bytes(b"\xff\xd8 a different photo")
    changed = await asyncio.to_thread(migrate, env, "--to", storage_url, "--jobs", "1")
    assert "1 copied (0.0 MiB), 3 already there, 0 failed" in changed.stdout
    assert await bucket_contents(moto.endpoint, storage_url, tmp_path) == local_contents(folder)


def test_progress_bar_on_a_terminal(moto: MotoServer, folder: Path, storage_url: str) -> None:
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    process = subprocess.Popen(
        [*CITYGRAPH, "media", "migrate", "--to", storage_url, "--from", str(folder)],
        env=env_for(moto.endpoint, folder),
        stdout=subprocess.PIPE,
        stderr=follower,
    )
    os.close(follower)
    terminal = b""
    try:
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the command has exited and closed the terminal
                break
            if not chunk:
                break
            terminal += chunk
        assert process.stdout is not None
        stdout = process.stdout.read().decode()
        assert process.wait(timeout=120) == 0
    finally:
        os.close(leader)
        if process.poll() is None:
            process.kill()
        if process.stdout is not None:
            process.stdout.close()
    assert b"media migrate: 100%" in terminal
    assert "4 copied" in stdout


def test_unreachable_store_fails_in_one_line(folder: Path, storage_url: str) -> None:
    result = migrate(env_for(f"http://127.0.0.1:{free_port()}", folder), "--to", storage_url)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("citygraph: Generic S3 error")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("target", ["/some/folder", "s3://", "http://bucket/x", "s3://b/../x"])
def test_bad_target_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], folder: Path, target: str
) -> None:
    monkeypatch.setenv("CITYGRAPH_MEDIA_ROOT", str(folder))
    assert main(["media", "migrate", "--to", target]) == 2
    assert capsys.readouterr().err.startswith("citygraph: configuration error: media storage")


def test_missing_folder(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("CITYGRAPH_MEDIA_ROOT", str(tmp_path / "nothing"))
    assert main(["media", "migrate", "--to", f"s3://{BUCKET}/x"]) == 1
    error = capsys.readouterr().err.strip()
    assert error == f"citygraph: media folder {tmp_path / 'nothing'} does not exist"
