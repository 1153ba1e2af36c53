"""Copy a local media folder into a store (``citygraph media migrate``), idempotently.

A file is skipped when the store already has an object under its key with the same size and
the ETag S3 gives that content: the MD5 of a single-part upload, or the MD5 of the parts' MD5s
for a multipart one (``PART_SIZE`` parts, as the S3 store uploads them). Anything else is
(re)copied, so an interrupted run is finished by running it again.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import anyio.to_thread

from citygraph.storage.base import (
    InvalidKey,
    MediaStore,
    ObjectNotFound,
    StoreUnavailable,
    check_key,
    guess_content_type,
)
from citygraph.storage.s3 import PART_SIZE

READ_CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class LocalFile:
    key: str
    path: Path
    size: int


@dataclass
class MigrationReport:
    files: int = 0
    copied: int = 0
    copied_bytes: int = 0
    skipped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # hidden, temporary or unusable names
    outage: str | None = None  # the store became unavailable: the run stopped early


def scan(root: Path) -> tuple[list[LocalFile], list[str]]:
    """Every file under ``root`` that can be a key, and the relative paths that cannot."""
    files: list[LocalFile] = []
    ignored: list[str] = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(root).as_posix()
        try:
            files.append(LocalFile(check_key(relative), path, path.stat().st_size))
        except InvalidKey:
            ignored.append(relative)
    return files, ignored


def s3_etags(path: Path, part_size: int = PART_SIZE) -> set[str]:
    """The ETags S3 would give this file: single-part, and multipart in ``part_size`` parts."""
    whole = hashlib.md5(usedforsecurity=False)
    parts: list[bytes] = []
    with path.open("rb") as handle:
        while block := handle.read(part_size):
            part = hashlib.md5(block, usedforsecurity=False)
            whole.update(block)
            parts.append(part.digest())
    etags = {f'"{whole.hexdigest()}"'}
    if parts:
        combined = hashlib.md5(b"".join(parts), usedforsecurity=False).hexdigest()
        etags.add(f'"{combined}-{len(parts)}"')
    return etags


async def already_there(store: MediaStore, item: LocalFile) -> bool:
    try:
        info = await store.head(item.key)
    except ObjectNotFound:
        return False
    if info.size != item.size or not info.etag:
        return False
    etags = await anyio.to_thread.run_sync(s3_etags, item.path)
    return info.etag.lower() in etags


async def copy_one(store: MediaStore, item: LocalFile) -> bool:
    """Copy ``item`` unless the store has it already; True when it was copied."""
    if await already_there(store, item):
        return False
    handle = await anyio.to_thread.run_sync(item.path.open, "rb")
    try:
        await store.put(item.key, handle, content_type=guess_content_type(item.key))
    finally:
        await anyio.to_thread.run_sync(handle.close)
    return True


async def migrate(
    files: list[LocalFile],
    store: MediaStore,
    *,
    jobs: int = 4,
    on_progress: Callable[[int], object] = lambda _size: None,
) -> MigrationReport:
    """Copy ``files`` (from ``scan``) into ``store``, ``jobs`` at a time.

    ``on_progress(size)`` is called after each file (copied, skipped or failed). A local file
    that cannot be read is reported in ``failed`` and the run goes on; a store outage stops it
    (``outage``).
    """
    report = MigrationReport(files=len(files))
    queue: asyncio.Queue[LocalFile] = asyncio.Queue()
    for item in files:
        queue.put_nowait(item)

    async def worker() -> None:
        while report.outage is None and not queue.empty():
            item = queue.get_nowait()
            try:
                if await copy_one(store, item):
                    report.copied += 1
                    report.copied_bytes += item.size
                else:
                    report.skipped += 1
            except StoreUnavailable as exc:
                report.outage = report.outage or str(exc)
                return
            except (OSError, InvalidKey) as exc:  # this file only: report it and go on
                report.failed.append((item.key, str(exc)))
            on_progress(item.size)

    async with asyncio.TaskGroup() as group:
        for _ in range(max(1, jobs)):
            group.create_task(worker())
    return report
