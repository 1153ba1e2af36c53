"""The MediaStore contract, run against the local folder and against S3 (moto's server)."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from citygraph.config import Settings
from citygraph.storage import InvalidKey, MediaStore, ObjectNotFound, StoreUnavailable
from citygraph.storage.local import LocalStore
from citygraph.storage.s3 import PART_SIZE, SINGLE_PUT_LIMIT
from tests.conftest import make_settings
from tests.storage.conftest import BUCKET, new_store
from tests.support.s3 import MotoServer, s3_settings
from tests.support.server import free_port

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


async def read_all(store: MediaStore, key: str, byte_range: tuple[int, int] | None = None) -> bytes:
    stream = await store.get(key, byte_range=byte_range)
    return b"".join([chunk async for chunk in stream])


async def keys(store: MediaStore, prefix: str = "") -> list[str]:
    return sorted([info.key async for info in store.list(prefix)])


async def test_put_bytes_then_head_get_exists(store: MediaStore) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)
    await store.put("districts/a.png", PNG)
    info = await store.head("districts/a.png")
    assert info.key == "districts/a.png"
    assert info.size == len(PNG)
    assert info.etag and info.etag.startswith('"') and info.etag.endswith('"')
    assert before <= info.last_modified <= datetime.now(UTC) + timedelta(seconds=5)
    assert info.content_type == "image/png"
    assert await read_all(store, "districts/a.png") == PNG
    assert await store.exists("districts/a.png")
    assert not await store.exists("districts/b.png")


@pytest.mark.parametrize("size", [PART_SIZE + 300_000, SINGLE_PUT_LIMIT + 300_000])
async def test_put_from_a_file_object(store: MediaStore, size: int) -> None:
    """One PUT up to SINGLE_PUT_LIMIT, parts beyond (on S3); the same bytes come back."""
    data = os.urandom(size)
    handle = io.BytesIO(data)
    await store.put("places/big.jpg", handle)
    info = await store.head("places/big.jpg")
    assert info.size == len(data)
    assert info.content_type == "image/jpeg"
    stream = await store.get("places/big.jpg")
    digest = hashlib.sha256()
    async for chunk in stream:
        digest.update(chunk)
    assert digest.digest() == hashlib.sha256(data).digest()
    assert (stream.start, stream.end, stream.length) == (0, len(data), len(data))


async def test_put_from_an_async_stream(store: MediaStore) -> None:
    parts = [b"one-", b"two-", b"three"]

    async def source() -> AsyncIterator[bytes]:
        for part in parts:
            await asyncio.sleep(0)
            yield part

    await store.put("places/streamed.webp", source())
    assert await read_all(store, "places/streamed.webp") == b"".join(parts)
    assert (await store.head("places/streamed.webp")).content_type == "image/webp"


async def test_put_from_a_long_async_stream(store: MediaStore) -> None:
    block = os.urandom(1024 * 1024)
    count = SINGLE_PUT_LIMIT // len(block) + 3

    async def source() -> AsyncIterator[bytes]:
        for index in range(count):
            yield bytes([index]) + block[1:]

    await store.put("places/long.png", source())
    info = await store.head("places/long.png")
    assert info.size == count * len(block)
    stream = await store.get("places/long.png", byte_range=(5 * len(block), 5 * len(block) + 2))
    assert b"".join([chunk async for chunk in stream]) == b"\x05" + block[1:2]


async def test_a_failing_source_leaves_no_object(store: MediaStore) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield b"x" * 1000
        raise ConnectionResetError("client went away")

    with pytest.raises(Exception):  # noqa: B017, PT011 - whatever the client wraps it in
        await store.put("places/partial.png", broken())
    assert not await store.exists("places/partial.png")
    assert await keys(store) == []


async def test_byte_ranges(store: MediaStore) -> None:
    await store.put("r/x.png", PNG)
    assert await read_all(store, "r/x.png", (0, 8)) == PNG[:8]
    assert await read_all(store, "r/x.png", (100, 228)) == PNG[100:228]
    tail = await store.get("r/x.png", byte_range=(len(PNG) - 3, len(PNG)))
    assert (tail.start, tail.end, tail.length, tail.info.size) == (
        len(PNG) - 3,
        len(PNG),
        3,
        len(PNG),
    )
    assert b"".join([chunk async for chunk in tail]) == PNG[-3:]


async def test_missing_objects_are_not_found(store: MediaStore) -> None:
    with pytest.raises(ObjectNotFound):
        await store.head("nothing/here.png")
    with pytest.raises(ObjectNotFound):
        await store.get("nothing/here.png")


async def test_delete_and_delete_missing(store: MediaStore) -> None:
    await store.put("d/one.png", PNG)
    await store.delete("d/one.png")
    assert not await store.exists("d/one.png")
    await store.delete("d/one.png")  # already gone: fine
    await store.delete("never/was.png")


async def test_overwrite_replaces_content_and_etag(store: MediaStore) -> None:
    await store.put("o/x.png", PNG)
    first = await store.head("o/x.png")
    await asyncio.sleep(0.01)
    await store.put("o/x.png", PNG[::-1])
    second = await store.head("o/x.png")
    assert await read_all(store, "o/x.png") == PNG[::-1]
    assert second.etag != first.etag


async def test_list_is_recursive_and_filtered_by_prefix(store: MediaStore) -> None:
    for key in ("districts/a.png", "places/b.jpg", "places/deep/c.webp", "placesx/d.png"):
        await store.put(key, PNG)
    assert await keys(store) == [
        "districts/a.png",
        "places/b.jpg",
        "places/deep/c.webp",
        "placesx/d.png",
    ]
    assert await keys(store, "places") == ["places/b.jpg", "places/deep/c.webp"]
    assert await keys(store, "places/") == ["places/b.jpg", "places/deep/c.webp"]
    assert await keys(store, "nothing") == []
    sizes = {info.key: info.size async for info in store.list()}
    assert set(sizes.values()) == {len(PNG)}


async def test_concurrent_puts(store: MediaStore) -> None:
    await asyncio.gather(*(store.put(f"c/{i}.png", PNG + bytes([i])) for i in range(12)))
    assert len(await keys(store, "c")) == 12
    assert await read_all(store, "c/7.png") == PNG + b"\x07"


@pytest.mark.parametrize(
    "key",
    [
        "",
        "../etc/passwd",
        "districts/../../x.png",
        "/etc/passwd",
        "a//b.png",
        "./a.png",
        ".hidden",
        "districts/.x.png.0123.part",
        "a\\b.png",
        "a\x00b.png",
        "a\nb.png",
        "x" * 1025,
        "\udcff.png",
    ],
)
async def test_unsafe_keys_are_refused(store: MediaStore, key: str) -> None:
    with pytest.raises(InvalidKey):
        await store.put(key, PNG)
    for operation in (store.head, store.get, store.delete, store.exists):
        with pytest.raises(InvalidKey):
            await operation(key)


async def test_check_passes(store: MediaStore) -> None:
    await store.check()


async def test_local_store_refuses_a_symlink_out_of_the_folder(tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    root = tmp_path / "media"
    root.mkdir()
    (root / "link.png").symlink_to(outside)
    store = LocalStore(root)
    with pytest.raises(InvalidKey):
        await store.get("link.png")


async def test_local_store_outage(tmp_path: Path) -> None:
    """The media folder's path is taken by a file: nothing can be written there."""
    blocked = tmp_path / "media"
    blocked.write_text("not a folder")
    store = LocalStore(blocked)
    with pytest.raises(StoreUnavailable):
        await store.check()
    with pytest.raises(StoreUnavailable):
        await store.put("districts/a.png", PNG)


def _dead_s3(tmp_path: Path, storage_url: str) -> Settings:
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    return make_settings("sqlite://", tmp_path / "media", **s3_settings(endpoint, storage_url))


async def test_s3_outage_is_store_unavailable(tmp_path: Path, storage_url: str) -> None:
    store = new_store(_dead_s3(tmp_path, storage_url))
    with pytest.raises(StoreUnavailable):
        await store.check()
    with pytest.raises(StoreUnavailable):
        await store.put("districts/a.png", PNG)
    with pytest.raises(StoreUnavailable):
        await store.put("districts/a.png", io.BytesIO(PNG))
    with pytest.raises(StoreUnavailable):
        await store.head("districts/a.png")
    with pytest.raises(StoreUnavailable):
        await store.get("districts/a.png")
    with pytest.raises(StoreUnavailable):
        await store.delete("districts/a.png")
    with pytest.raises(StoreUnavailable):
        await keys(store)


async def test_s3_missing_bucket_is_unavailable(tmp_path: Path, moto: MotoServer) -> None:
    settings = make_settings(
        "sqlite://", tmp_path, **s3_settings(moto.endpoint, "s3://no-such-bucket/media")
    )
    store = new_store(settings)
    with pytest.raises(StoreUnavailable):
        await store.check()
    with pytest.raises(StoreUnavailable):
        await store.put("districts/a.png", PNG)


async def test_s3_prefix_keeps_objects_apart(tmp_path: Path, moto: MotoServer, unique: str) -> None:
    """Two prefixes in one bucket are two stores; keys are stored under ``prefix/``."""
    first = new_store(
        make_settings(
            "sqlite://", tmp_path, **s3_settings(moto.endpoint, f"s3://{BUCKET}/a-{unique}")
        )
    )
    second = new_store(
        make_settings(
            "sqlite://", tmp_path, **s3_settings(moto.endpoint, f"s3://{BUCKET}/b-{unique}")
        )
    )
    await first.put("districts/x.png", PNG)
    assert await keys(first) == ["districts/x.png"]
    assert await keys(second) == []
    async with httpx.AsyncClient() as client:
        raw = await client.get(moto.object_url(BUCKET, f"a-{unique}/districts/x.png"))
    assert raw.content == PNG
    assert raw.headers["content-type"] == "image/png"
    assert raw.headers["cache-control"] == "public, max-age=31536000, immutable"
