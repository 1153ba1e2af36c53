"""Image files: checked with Pillow, stored under the media root, served at the media URL."""

from __future__ import annotations

import io
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio.to_thread
from PIL import Image, UnidentifiedImageError

from citygraph.config import Settings
from citygraph.domain.errors import FieldError

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
Action = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class ValidImage:
    """Image bytes Pillow accepted, and the extension of their format."""

    data: bytes
    extension: str


def _image_extension(data: bytes) -> str | None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            fmt = image.format
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    return ALLOWED_FORMATS.get(fmt or "")


def check_image(settings: Settings, data: bytes) -> ValidImage | FieldError:
    """The image, or the one problem DRF's ``ImageField`` (plus our size limit) reports."""
    if not data:
        return FieldError("empty")
    if len(data) > settings.max_upload_bytes:
        return FieldError("file_too_large", {"limit_mb": f"{settings.max_upload_bytes / 2**20:g}"})
    extension = _image_extension(data)
    if extension is None:
        return FieldError("invalid_image")
    return ValidImage(data, extension)


async def write_image(settings: Settings, image: ValidImage, folder: str) -> str:
    """Write a checked image under a fresh name; returns its path relative to the media root."""
    relative = f"{folder}/{uuid.uuid4().hex}.{image.extension}"
    target = settings.media_root / relative

    def write() -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".part")
        tmp.write_bytes(image.data)
        tmp.replace(target)

    await anyio.to_thread.run_sync(write)
    return relative


def media_prefix(settings: Settings, base_url: str) -> str:
    """The absolute URL stored files' paths are appended to (public URL or the given base)."""
    base = (settings.public_url or base_url).rstrip("/")
    return f"{base}/{settings.media_url.strip('/')}/"


def media_url(settings: Settings, base_url: str, relative: str | None) -> str | None:
    """Absolute URL of a stored file, from the public URL or the given base."""
    if not relative:
        return None
    return media_prefix(settings, base_url) + relative
