"""Image files: validated with Pillow, kept in the media store, served at the media URL.

The store (``citygraph.storage``: the media folder, or S3 with ``CITYGRAPH_MEDIA_STORAGE``) is
reached only through this module: ``put_image`` and ``delete_image``/``discard_image`` take a
key relative to the store (the value of the image columns). A store outage while writing is
``ServiceUnavailable`` (the faces answer 503), never a half-done change.
"""

from __future__ import annotations

import io
import logging
import uuid
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError

from citygraph.config import Settings
from citygraph.domain.errors import InvalidInput, ServiceUnavailable
from citygraph.storage import InvalidKey, StoreUnavailable, store_for
from citygraph.storage.base import IMAGE_TYPES

log = logging.getLogger(__name__)

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
INVALID_IMAGE = (
    "Upload a valid image. The file you uploaded was either not an image or a corrupted image."
)
EMPTY_FILE = "The submitted file is empty."
MEDIA_UNAVAILABLE = "Image storage is temporarily unavailable. Try again later."


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


async def put_image(
    settings: Settings, source: bytes | BinaryIO, folder: str, extension: str
) -> str:
    """Store an image ``validate_image`` accepted (it gave ``extension``) under a new random
    key in ``folder``; returns the key. A file object is streamed from its current position.

    ``ServiceUnavailable`` when the store is down: then nothing is stored under the key.
    """
    key = f"{folder}/{uuid.uuid4().hex}.{extension}"
    try:
        await store_for(settings).put(key, source, content_type=IMAGE_TYPES.get(extension))
    except StoreUnavailable as exc:
        log.warning("media store unavailable, image not stored: %s", exc)
        raise ServiceUnavailable(MEDIA_UNAVAILABLE) from exc
    return key


async def write_image(settings: Settings, data: bytes, folder: str, extension: str) -> str:
    """Write an image that ``validate_image`` accepted (it gave ``extension``)."""
    return await put_image(settings, data, folder, extension)


async def delete_image(settings: Settings, key: str) -> None:
    """Remove a stored image now; one already gone (or a key no store could hold) is fine.

    ``ServiceUnavailable`` when the store is down.
    """
    try:
        await store_for(settings).delete(key)
    except InvalidKey:
        log.warning("not deleting media %r: not a valid key", key)
    except StoreUnavailable as exc:
        raise ServiceUnavailable(MEDIA_UNAVAILABLE) from exc


async def discard_image(settings: Settings, key: str) -> None:
    """``delete_image`` for clean-up after the fact (a commit, a rollback): an outage is
    logged, not raised, and leaves an unreferenced object behind."""
    try:
        await delete_image(settings, key)
    except ServiceUnavailable:
        log.warning("could not remove media %r: store unavailable", key, exc_info=True)


def media_base_url(settings: Settings, base_url: str) -> str:
    """Where stored files are found, with a trailing slash: ``CITYGRAPH_MEDIA_PUBLIC_URL``
    (a bucket website or CDN), else the public URL or the request's origin plus ``/media/``."""
    if settings.media_public_url:
        return settings.media_public_url.rstrip("/") + "/"
    base = (settings.public_url or base_url).rstrip("/")
    return f"{base}/{settings.media_url.strip('/')}/"


def media_url(settings: Settings, base_url: str, relative: str | None) -> str | None:
    """Absolute URL of a stored file (see ``media_base_url``)."""
    if not relative:
        return None
    return media_base_url(settings, base_url) + relative
