"""The media store contract: what the app needs from wherever photos live.

Keys are relative POSIX paths (``places/3f…e1.jpg``), the same strings the database keeps in
its image columns. Two implementations: :class:`~citygraph.storage.local.LocalStore` (a folder,
the default) and :class:`~citygraph.storage.s3.S3Store` (S3-compatible object storage).

Failures come in two kinds, so callers can tell "that photo does not exist" (a 404) from "the
store cannot be reached" (a 503): :class:`ObjectNotFound` and :class:`StoreUnavailable`.
"""

from __future__ import annotations

import mimetypes
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Protocol, runtime_checkable

#: What ``put`` accepts: bytes, a binary file object (read from where it stands, in chunks; a
#: spooled temporary file too) or an async byte stream.
Source = bytes | IO[bytes] | AsyncIterable[bytes]

#: Object keys are random and never rewritten, so a copy may be kept for a year.
CACHE_CONTROL = "public, max-age=31536000, immutable"

#: Largest key S3 accepts, in UTF-8 bytes.
MAX_KEY_BYTES = 1024

#: Content types of the images citygraph stores (``media.ALLOWED_FORMATS``' extensions).
IMAGE_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "gif": "image/gif",
}


class StoreError(Exception):
    """Base of every error a media store raises."""


class ObjectNotFound(StoreError):
    """No object under that key."""


class StoreUnavailable(StoreError):
    """The store cannot serve the request now (unreachable, refused, misconfigured, full)."""


class InvalidKey(StoreError, ValueError):
    """A key that could escape the store or name a temporary file (``..``, ``/x``, ``.part``)."""


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    key: str
    size: int
    etag: str | None  # quoted, as HTTP sends it: ``"9e10…"``
    last_modified: datetime
    content_type: str | None = None


@dataclass(slots=True)
class ObjectStream:
    """An open download: the object's metadata, the byte span sent and its chunks."""

    info: ObjectInfo
    start: int  # first byte sent
    end: int  # one past the last byte sent
    chunks: AsyncGenerator[bytes, None]

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self.chunks

    async def aclose(self) -> None:
        """Release the file or connection of a download that is not read to its end."""
        await self.chunks.aclose()

    @property
    def length(self) -> int:
        return self.end - self.start


@runtime_checkable
class MediaStore(Protocol):
    """Where uploaded images live. Every method is async and safe to call concurrently."""

    @property
    def url(self) -> str:
        """Where this store points (``s3://bucket/prefix`` or a folder), for messages."""

    async def put(self, key: str, source: Source, *, content_type: str | None = None) -> None:
        """Write ``source`` under ``key``, streamed: readers never see a partial object."""

    async def get(self, key: str, *, byte_range: tuple[int, int] | None = None) -> ObjectStream:
        """Open ``key`` for reading; ``byte_range`` is ``(start, end)``, end exclusive, within
        the object's size (check it with ``head`` first)."""

    async def head(self, key: str) -> ObjectInfo:
        """Size, ETag, last-modified time and content type of ``key``."""

    async def delete(self, key: str) -> None:
        """Remove ``key``; a key that is already gone is not an error."""

    async def exists(self, key: str) -> bool:
        """Whether ``key`` is stored (a ``head`` that finds nothing is ``False``)."""
        try:
            await self.head(key)
        except ObjectNotFound:
            return False
        return True

    def list(self, prefix: str = "") -> AsyncIterator[ObjectInfo]:
        """Every object under ``prefix`` (recursively); content types are not filled in."""

    async def check(self) -> None:
        """Raise :class:`StoreUnavailable` unless the store can be read and written now."""

    async def aclose(self) -> None:
        """Let background work settle before the process exits; the store stays usable."""


def check_key(key: str) -> str:
    """``key`` if it is a safe relative path, else :class:`InvalidKey`.

    Refused: empty keys, absolute paths, backslashes, control characters, empty, ``.`` and
    ``..`` segments, and segments starting with a dot (temporary ``.part`` files, dotfiles).
    """
    if not key or len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise InvalidKey("empty or too long")
    if "\\" in key or any(ord(ch) < 32 or ord(ch) == 127 for ch in key):
        raise InvalidKey("backslash or control character")
    if any(not part or part.startswith(".") for part in key.split("/")):
        raise InvalidKey("empty, dot or hidden path segment")
    try:
        key.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate from a percent-decoded URL
        raise InvalidKey("not valid UTF-8") from exc
    return key


def check_prefix(prefix: str) -> str:
    """A listing prefix: empty, or a valid key (without its trailing slash)."""
    return check_key(prefix.rstrip("/")) if prefix else ""


def guess_content_type(key: str) -> str:
    extension = key.rsplit(".", 1)[-1].lower() if "." in key else ""
    return IMAGE_TYPES.get(extension) or mimetypes.guess_type(key)[0] or "application/octet-stream"


def check_range(byte_range: tuple[int, int] | None, size: int) -> tuple[int, int]:
    """``(start, end)`` to send for an object of ``size`` bytes (the whole object for None)."""
    if byte_range is None:
        return 0, size
    start, end = byte_range
    if not 0 <= start < end <= size:
        raise ValueError(f"byte range {start}-{end} outside 0-{size}")
    return start, end
