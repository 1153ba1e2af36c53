"""Image files: validated with Pillow, stored under the media root, served at the media URL."""

from __future__ import annotations

import io
import uuid

import anyio.to_thread
from PIL import Image, UnidentifiedImageError

from citygraph.config import Settings
from citygraph.domain.errors import InvalidInput

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
INVALID_IMAGE = (
    "Upload a valid image. The file you uploaded was either not an image or a corrupted image."
)
EMPTY_FILE = "The submitted file is empty."


def _image_extension(data: bytes) -> str | None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            fmt = image.format
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    return ALLOWED_FORMATS.get(fmt or "")


def validate_image(settings: Settings, data: bytes, field: str = "image") -> str:
    """Return the file extension for a valid image, or raise ``InvalidInput`` on ``field``."""
    if not data:
        raise InvalidInput.single(field, EMPTY_FILE)
    if len(data) > settings.max_upload_bytes:
        limit_mb = settings.max_upload_bytes / (1024 * 1024)
        raise InvalidInput.single(field, f"The file is too large (limit {limit_mb:g} MB).")
    extension = _image_extension(data)
    if extension is None:
        raise InvalidInput.single(field, INVALID_IMAGE)
    return extension


async def store_image(settings: Settings, data: bytes, folder: str, field: str = "image") -> str:
    """Validate and write an image; returns its path relative to the media root."""
    return await write_image(settings, data, folder, validate_image(settings, data, field))


async def write_image(settings: Settings, data: bytes, folder: str, extension: str) -> str:
    """Write an image that ``validate_image`` accepted (it gave ``extension``)."""
    relative = f"{folder}/{uuid.uuid4().hex}.{extension}"
    target = settings.media_root / relative

    def write() -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(target)

    await anyio.to_thread.run_sync(write)
    return relative


def media_url(settings: Settings, base_url: str, relative: str | None) -> str | None:
    """Absolute URL of a stored file, from the public URL or the request's scheme and host."""
    if not relative:
        return None
    base = (settings.public_url or base_url).rstrip("/")
    return f"{base}/{settings.media_url.strip('/')}/{relative}"
