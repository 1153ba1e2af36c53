"""Media throughput: the local folder against S3 (moto's server), side by side in one run.

Run: ``.venv/bin/python -m tests.benchmarks.media_store`` (not collected by pytest).

Two layers, each measured for both stores in the same invocation:

1. the store alone (``MediaStore.put``/``get`` in this process): small photos from bytes and
   large ones from file objects (multipart on S3), then streamed downloads;
2. end to end over HTTP: a real ``citygraph serve`` (one uvicorn worker, SQLite) per store;
   uploads through REST ``district_create`` (staff JWT), downloads from ``/media/<key>`` with
   ``--concurrency`` clients, and the server's peak resident memory (``VmHWM``): first the
   growth one large upload causes on its own (after a small warm-up upload, the peak reset
   through ``/proc/<pid>/clear_refs``), then the peak over the whole run.

The server re-encodes every upload, so a download is checked against the stored size
(``Content-Length``), not the uploaded one; throughput counts the uploaded bytes up and the
stored bytes down.

moto is a Python server on the same 2 cores, so the S3 figures are a floor for a real object
store, not a forecast; what they show is the app's overhead and its memory per upload.

Options: ``--small N`` (count of ~200 KB photos, default 40), ``--large N`` (count of ~8 MB
photos, default 6), ``--downloads N`` (GETs per photo size over HTTP, default 60),
``--concurrency N`` (default 8).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from PIL import Image

from citygraph.config import Settings
from citygraph.storage import MediaStore
from citygraph.storage.factory import StoreConfig, build_store
from tests.support.s3 import MotoServer, s3_settings
from tests.support.server import free_port

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "bench"
PASSWORD = "Bench-password-2024"
MB = 1024 * 1024


def noise_png(side: int, seed: int) -> bytes:
    """A valid PNG that does not compress: ~3 bytes per pixel."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


@dataclass
class Figures:
    seconds: float
    count: int
    size: int

    @property
    def mb_per_s(self) -> float:
        return self.count * self.size / MB / self.seconds

    @property
    def per_s(self) -> float:
        return self.count / self.seconds

    def __str__(self) -> str:
        return f"{self.mb_per_s:8.1f} MB/s {self.per_s:8.1f}/s"


async def timed(count: int, size: int, work: Callable[[int], object], concurrency: int) -> Figures:
    semaphore = asyncio.Semaphore(concurrency)

    async def one(index: int) -> None:
        async with semaphore:
            await work(index)  # type: ignore[misc]

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(count)))
    return Figures(time.perf_counter() - started, count, size)


# -- 1. the store alone ---------------------------------------------------------------------


async def store_layer(
    store: MediaStore, small: bytes, large: Path, large_bytes: bytes, args: argparse.Namespace
) -> dict[str, Figures]:
    results: dict[str, Figures] = {}

    async def put_small(i: int) -> None:
        await store.put(f"bench/small-{i}.png", small)

    async def put_large(i: int) -> None:
        with large.open("rb") as handle:
            await store.put(f"bench/large-{i}.png", handle)

    async def get(key: str, expected: int) -> None:
        stream = await store.get(key)
        received = 0
        async for chunk in stream:
            received += len(chunk)
        assert received == expected

    size_large = len(large_bytes)
    results["put small (bytes)"] = await timed(args.small, len(small), put_small, args.concurrency)
    results["put large (file)"] = await timed(args.large, size_large, put_large, 2)
    results["get small"] = await timed(
        args.small, len(small), lambda i: get(f"bench/small-{i}.png", len(small)), args.concurrency
    )
    results["get large"] = await timed(
        args.large, size_large, lambda i: get(f"bench/large-{i}.png", size_large), 2
    )
    await store.aclose()
    return results


# -- 2. over HTTP, through a real server ----------------------------------------------------


def citygraph(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "citygraph.cli", *args], env=env, check=True, capture_output=True
    )


def rss_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak(pid: int) -> None:
    """Set ``VmHWM`` back to the current ``VmRSS`` (Linux 4.0+: ``clear_refs`` value 5)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


@contextmanager
def serving(env: dict[str, str], cwd: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "citygraph.cli", "serve", "--port", str(port)],
        env={**env, "CITYGRAPH_LOG_LEVEL": "warning"},
        cwd=cwd,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("citygraph serve did not become ready")
            time.sleep(0.1)
        yield base, server
    finally:
        server.terminate()
        server.wait(timeout=20)


async def http_layer(
    base: str, pid: int, small: bytes, large: bytes, args: argparse.Namespace
) -> dict[str, Figures | str]:
    results: dict[str, Figures | str] = {}
    limits = httpx.Limits(max_connections=args.concurrency + 2)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
        login = await client.post(
            "/auth/jwt/create/", json={"username": "bench", "password": PASSWORD}
        )
        auth = {"Authorization": f"JWT {login.json()['access']}"}
        urls: dict[str, list[str]] = {}

        async def upload(kind: str, data: bytes, i: int) -> None:
            response = await client.post(
                "/api/v1/district_create/",
                data={"title": f"{kind} {i}"},
                files={"image": (f"{kind}.png", data, "image/png")},
                headers=auth,
            )
            assert response.status_code == 201, response.text
            urls.setdefault(kind, []).append(response.json()["image"])

        await upload("warm-up", small, 0)  # codecs, the store's client, the first SQL
        before = rss_mb(pid, "VmRSS")
        reset_peak(pid)
        await upload("one", large, 0)
        results["one large upload: RSS growth"] = (
            f"+{rss_mb(pid, 'VmHWM') - before:.1f} MB (file {len(large) / MB:.1f} MB)"
        )

        results["upload small"] = await timed(
            args.small, len(small), lambda i: upload("small", small, i), args.concurrency
        )
        results["upload large"] = await timed(
            args.large, len(large), lambda i: upload("large", large, i), 2
        )
        results["server RSS before/peak"] = f"{before:.0f} MB / {rss_mb(pid, 'VmHWM'):.0f} MB"

        async def download(kind: str, i: int) -> None:
            url = urls[kind][i % len(urls[kind])]
            received = 0
            async with client.stream("GET", url) as response:
                assert response.status_code == 200
                async for chunk in response.aiter_raw():
                    received += len(chunk)
            assert received == int(response.headers["content-length"])

        async def stored_size(kind: str) -> int:
            return int((await client.head(urls[kind][0])).headers["content-length"])

        results["download small"] = await timed(
            args.downloads,
            await stored_size("small"),
            lambda i: download("small", i),
            args.concurrency,
        )
        results["download large"] = await timed(
            max(args.downloads // 5, args.large),
            await stored_size("large"),
            lambda i: download("large", i),
            args.concurrency,
        )
        results["server RSS peak after downloads"] = f"{rss_mb(pid, 'VmHWM'):.0f} MB"
    return results


def run_http(
    kind: str, env: dict[str, str], tmp: Path, small: bytes, large: bytes, args: argparse.Namespace
) -> dict[str, Figures | str]:
    env = {**env, "DATABASE_URL": f"sqlite:///{tmp / f'{kind}.sqlite3'}"}
    citygraph(env, "migrate")
    citygraph(
        env,
        "createsuperuser",
        "--username",
        "bench",
        "--email",
        "b@example.com",
        "--password",
        PASSWORD,
    )
    with serving(env, str(tmp)) as (base, server):
        return asyncio.run(http_layer(base, server.pid, small, large, args))


def table(title: str, rows: dict[str, dict[str, Figures | str]]) -> None:
    local, s3 = rows["local folder"], rows["S3 (moto)"]
    print(f"\n{title}")
    print(f"{'':<32}{'local folder':>28}{'S3 (moto)':>28}")
    for name in local:
        print(f"{name:<32}{local[name]!s:>28}{s3[name]!s:>28}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=40)
    parser.add_argument("--large", type=int, default=6)
    parser.add_argument("--downloads", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    small = noise_png(260, 1)  # ~200 KB
    large = noise_png(1650, 2)  # ~8 MB, under the 10 MB upload limit
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        large_file = tmp / "large.png"
        large_file.write_bytes(large)
        moto = MotoServer(log_dir=tmp)
        moto.start()
        try:
            moto.create_bucket(BUCKET)
            base_env = {
                k: v for k, v in os.environ.items() if not k.startswith(("CITYGRAPH_", "AWS_"))
            }
            base_env.update(CITYGRAPH_BCRYPT_ROUNDS="4", PYTHONPATH=f"{ROOT / 'src'}:{ROOT}")
            stores = {
                "local folder": {"CITYGRAPH_MEDIA_ROOT": str(tmp / "media")},
                "S3 (moto)": {
                    "CITYGRAPH_MEDIA_ROOT": str(tmp / "unused"),
                    **{
                        k: str(v) for k, v in s3_settings(moto.endpoint, f"s3://{BUCKET}/m").items()
                    },
                },
            }
            print(
                f"photos: small {len(small) / 1024:.0f} KB x {args.small}, "
                f"large {len(large) / MB:.1f} MB x {args.large}; concurrency "
                f"{args.concurrency}; CPUs {os.cpu_count()}"
            )
            store_rows: dict[str, dict[str, Figures | str]] = {}
            for name, overrides in stores.items():
                settings = Settings(**{"DATABASE_URL": "sqlite://", **overrides})  # type: ignore[arg-type]
                store = build_store(StoreConfig.from_settings(settings))
                store_rows[name] = dict(
                    asyncio.run(store_layer(store, small, large_file, large, args))
                )
            table("1. MediaStore put/get in one process", store_rows)

            http_rows = {
                name: run_http(
                    name.split()[0].lower(), {**base_env, **overrides}, tmp, small, large, args
                )
                for name, overrides in stores.items()
            }
            table("2. HTTP through citygraph serve (REST upload, GET /media)", http_rows)
        finally:
            moto.stop()


if __name__ == "__main__":
    main()
