"""The media folder on this machine: the default store, what ``make serve`` has always used.

Writes go to a hidden temporary file in the target folder and are renamed into place, so a
reader never sees half a photo. File I/O runs in worker threads (anyio), in 256 KiB chunks.
"""

from __future__ import annotations

import functools
import os
import shutil
import uuid
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, TypeVar

import anyio
import anyio.to_thread

from citygraph.storage.base import (
    InvalidKey,
    MediaStore,
    ObjectInfo,
    ObjectNotFound,
    ObjectStream,
    Source,
    StoreUnavailable,
    check_key,
    check_prefix,
    check_range,
    guess_content_type,
)

CHUNK = 256 * 1024
T = TypeVar("T")


def _etag(stat: os.stat_result) -> str:
    """Size and modification time, as nginx does: changes whenever the file is replaced."""
    return f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"'


def _info(key: str, stat: os.stat_result) -> ObjectInfo:
    return ObjectInfo(
        key=key,
        size=stat.st_size,
        etag=_etag(stat),
        last_modified=datetime.fromtimestamp(stat.st_mtime, UTC),
        content_type=guess_content_type(key),
    )


class LocalStore(MediaStore):
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def url(self) -> str:
        return str(self.root)

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        check_key(key)
        root = self.root.resolve()
        target = (root / key).resolve()
        if root not in target.parents:  # a symlink pointing out of the folder
            raise InvalidKey("outside the media folder")
        return target

    async def _run(self, work: Callable[[], T]) -> T:
        try:
            return await anyio.to_thread.run_sync(work)
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise ObjectNotFound(str(exc)) from exc
        except OSError as exc:  # permissions, a full or read-only disk, a vanished mount
            raise StoreUnavailable(f"media folder {self.root}: {exc.strerror or exc}") from exc

    async def put(self, key: str, source: Source, *, content_type: str | None = None) -> None:
        del content_type  # a folder keeps no metadata: it is guessed from the extension
        target = self._path(key)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")

        def open_tmp() -> BinaryIO:
            target.parent.mkdir(parents=True, exist_ok=True)
            return tmp.open("wb")

        def discard() -> None:
            tmp.unlink(missing_ok=True)

        try:
            handle = await self._run(open_tmp)
        except ObjectNotFound as exc:  # a path segment is a file, not a folder
            raise StoreUnavailable(str(exc)) from exc
        try:
            try:
                if isinstance(source, bytes):
                    await self._run(lambda: handle.write(source))
                elif isinstance(source, AsyncIterable):
                    async for chunk in source:
                        await self._run(functools.partial(handle.write, chunk))
                else:
                    await self._run(lambda: shutil.copyfileobj(source, handle, CHUNK))
            finally:
                await self._run(handle.close)
            await self._run(lambda: tmp.replace(target))
        except BaseException:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(discard)
            raise

    async def head(self, key: str) -> ObjectInfo:
        path = self._path(key)

        def stat() -> os.stat_result:
            result = path.stat()
            if not path.is_file():
                raise FileNotFoundError(key)
            return result

        return _info(key, await self._run(stat))

    async def get(self, key: str, *, byte_range: tuple[int, int] | None = None) -> ObjectStream:
        path = self._path(key)
        handle = await self._run(lambda: path.open("rb"))
        try:
            stat = await self._run(lambda: os.fstat(handle.fileno()))
            info = _info(key, stat)
            start, end = check_range(byte_range, info.size)
            if start:
                await self._run(lambda: handle.seek(start))
        except BaseException:
            handle.close()
            raise

        async def chunks() -> AsyncGenerator[bytes, None]:
            try:
                remaining = end - start
                while remaining > 0:
                    chunk = await self._run(functools.partial(handle.read, min(CHUNK, remaining)))
                    if not chunk:
                        break
                    remaining -= len(chunk)
                    yield chunk
            finally:
                handle.close()

        return ObjectStream(info=info, start=start, end=end, chunks=chunks())

    async def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            await self._run(lambda: path.unlink(missing_ok=True))
        except ObjectNotFound:  # a parent folder is missing: nothing to delete
            return

    async def list(self, prefix: str = "") -> AsyncIterator[ObjectInfo]:
        base = self.root / check_prefix(prefix) if prefix else self.root

        def scan() -> list[tuple[str, os.stat_result]]:
            found = []
            if not base.is_dir():
                return []
            for path in sorted(base.rglob("*")):
                relative = path.relative_to(self.root).as_posix()
                try:
                    check_key(relative)
                except InvalidKey:  # temporary and hidden files
                    continue
                if path.is_file():
                    found.append((relative, path.stat()))
            return found

        for key, stat in await self._run(scan):
            yield _info(key, stat)

    async def check(self) -> None:
        def writable() -> None:
            self.root.mkdir(parents=True, exist_ok=True)
            if not os.access(self.root, os.W_OK | os.X_OK):
                raise PermissionError(13, "not writable", str(self.root))

        try:
            await self._run(writable)
        except ObjectNotFound as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def aclose(self) -> None:
        return None
