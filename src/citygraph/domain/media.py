"""Image files: checked and re-encoded with Pillow, kept in the media store, linked at the
media URL.

The store (``citygraph.storage``: the media folder, or S3 with ``CITYGRAPH_MEDIA_STORAGE``) is
reached only through this module: ``write_image`` and ``delete_image``/``discard_image`` take a
key relative to the store (the value of the image columns). A store outage while writing is
``ServiceUnavailable`` (the faces answer 503), never a half-done change.

Memory: the upload is read from its file (``uploads.Upload``), Pillow decodes it lazily and
re-encodes into a spooled temporary file (in memory up to ``SPOOL_IN_MEMORY``, on disk past it)
that the store reads in chunks. What must be in memory at once is the decoded pixels (Pillow
cannot re-encode without them), not another copy of the file.

Threads: decoding and re-encoding (and the spooled file's disk writes) take a large photo
hundreds of milliseconds of CPU, so ``check_image`` runs them in a worker thread, never on the
event loop that serves every other request of the worker, and at most ``IMAGE_WORKERS`` at
once per process.
"""

from __future__ import annotations

import logging
import tempfile
import uuid
import warnings
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, cast

import anyio
from anyio.lowlevel import RunVar
from PIL import Image, ImageOps, UnidentifiedImageError

from citygraph.config import Settings
from citygraph.domain.errors import FieldError, ServiceUnavailable
from citygraph.domain.uploads import Upload, as_upload
from citygraph.storage import InvalidKey, StoreUnavailable, store_for
from citygraph.storage.base import IMAGE_TYPES

log = logging.getLogger(__name__)

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
#: Every re-encoded JPEG and WebP.
JPEG_QUALITY = 90
WEBP_QUALITY = 90
#: A re-encoded image up to this size stays in memory; a larger one goes to a temporary file.
SPOOL_IN_MEMORY = 1024 * 1024
#: Images decoded and re-encoded at once, per process (per event loop). Each holds its decoded
#: pixels (up to ``max_image_pixels`` x 4 bytes) and keeps a core busy, and Pillow releases the
#: GIL while it codes: two keep a 2-core machine's cores working while a burst of uploads waits
#: its turn instead of multiplying peak memory and taking the thread pool the database and
#: file I/O also need.
IMAGE_WORKERS = 2
_image_workers: RunVar[anyio.CapacityLimiter] = RunVar("citygraph_image_workers")


def image_workers() -> anyio.CapacityLimiter:
    """The running event loop's limiter for image work (a limiter belongs to one loop)."""
    try:
        return _image_workers.get()
    except LookupError:
        limiter = anyio.CapacityLimiter(IMAGE_WORKERS)
        _image_workers.set(limiter)
        return limiter


@dataclass(frozen=True)
class ValidImage:
    """What Pillow wrote (re-encoded from an upload) in a spooled temporary file, its size and
    its format's extension. ``write_image`` closes it; an image checked but never written is
    closed by whoever checked it (the domain's ``filecleanup.check_image`` leaves that to the
    unit of work)."""

    file: tempfile.SpooledTemporaryFile[bytes]
    size: int
    extension: str

    def close(self) -> None:
        self.file.close()


class _SpoolFailed(Exception):
    """Writing our temporary file failed (a full or failing disk): the server's problem, not
    the upload's. Not an ``OSError``, so that neither Pillow nor the decode-error handler
    below can take it for a broken image."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


class _Sink:
    """The spooled file seen without ``fileno``: Pillow writes through a file number when the
    file has one, and asking a spooled file for it moves even a tiny image to disk. Every
    ``OSError`` of the spooled file becomes ``_SpoolFailed``."""

    def __init__(self, target: tempfile.SpooledTemporaryFile[bytes]) -> None:
        self._target = target

    def write(self, data: bytes) -> int:
        try:
            return self._target.write(data)
        except OSError as exc:
            raise _SpoolFailed(exc) from exc

    def flush(self) -> None:
        try:
            self._target.flush()
        except OSError as exc:
            raise _SpoolFailed(exc) from exc

    def tell(self) -> int:
        try:
            return self._target.tell()
        except OSError as exc:
            raise _SpoolFailed(exc) from exc

    def seek(self, offset: int, whence: int = 0) -> int:
        try:
            return self._target.seek(offset, whence)
        except OSError as exc:
            raise _SpoolFailed(exc) from exc


def _reencode(image: Image.Image, fmt: str) -> ValidImage:
    """The pixels alone, in their format: no metadata (EXIF, ICC, XMP, comments, text chunks),
    no trailing bytes, only the first frame. Orientation is applied to the pixels first, since
    the EXIF that stated it is dropped. JPEG and WebP are written at quality 90."""
    # In place: without an orientation to apply, ``exif_transpose`` would copy every pixel.
    ImageOps.exif_transpose(image, in_place=True)
    keep = image.info.get("transparency")
    image.info = {} if keep is None else {"transparency": keep}
    spool: tempfile.SpooledTemporaryFile[bytes] = tempfile.SpooledTemporaryFile(  # noqa: SIM115
        max_size=SPOOL_IN_MEMORY
    )
    try:
        sink = _Sink(spool)
        out = cast(IO[bytes], sink)
        if fmt == "JPEG":
            image.save(out, "JPEG", quality=JPEG_QUALITY)
        elif fmt == "WEBP":
            image.save(out, "WEBP", quality=WEBP_QUALITY)
        else:
            image.save(out, fmt)
        sink.flush()  # a disk that is full fails here at the latest, not in the store's read
        size = sink.tell()
        sink.seek(0)
    except BaseException:
        spool.close()
        raise
    return ValidImage(spool, size, ALLOWED_FORMATS[fmt])


def _clean_image(upload: Upload, max_pixels: int) -> ValidImage | FieldError:
    """Decode and re-encode: what is stored is only ever what Pillow itself wrote, so a file
    that is also HTML, a ZIP or a script (a polyglot) loses everything but its pixels.

    Runs in a worker thread. ``ServiceUnavailable`` when our temporary file cannot be written:
    the upload may be perfectly good, so it is not reported as an invalid image."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload.rewind()) as image:
                fmt = image.format or ""
                if fmt not in ALLOWED_FORMATS:
                    return FieldError("invalid_image")
                if image.width * image.height > max_pixels:
                    raise Image.DecompressionBombError
                image.load()
                return _reencode(image, fmt)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        megapixels = format(Decimal(max_pixels) / 1_000_000, "f")
        megapixels = megapixels.rstrip("0").rstrip(".") if "." in megapixels else megapixels
        return FieldError("image_too_many_pixels", {"limit_mp": megapixels})
    except _SpoolFailed as exc:
        log.warning("temporary file for a re-encoded image not written: %s", exc.error)
        raise ServiceUnavailable("temporary storage") from exc.error
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        return FieldError("invalid_image")


async def check_image(settings: Settings, upload: Upload | bytes) -> ValidImage | FieldError:
    """The image re-encoded (the caller closes it), or the one problem DRF's ``ImageField``
    (plus our size and pixel limits) reports. The size is the file's, known without reading.

    Pillow works in a worker thread (``image_workers`` bounds how many at once), so the event
    loop keeps serving other requests meanwhile. Cancelling the caller waits for the thread to
    finish: it reads the upload, which its face closes only once the request is over.
    ``ServiceUnavailable`` when our temporary file cannot be written (a full disk)."""
    upload = as_upload(upload)
    if not upload.size:
        return FieldError("empty")
    if upload.size > settings.max_upload_bytes:
        return FieldError("file_too_large", {"limit_mb": f"{settings.max_upload_bytes / 2**20:g}"})
    return await anyio.to_thread.run_sync(
        _clean_image, upload, settings.max_image_pixels, limiter=image_workers()
    )


async def write_image(settings: Settings, image: ValidImage, folder: str) -> str:
    """Store a checked image under a fresh key in ``folder``; returns the key. The store reads
    the image's file from its start, in chunks; the file is closed afterwards, stored or not
    (an image is written once).

    ``ServiceUnavailable`` when the store is down: then nothing is stored under the key.
    """
    key = f"{folder}/{uuid.uuid4().hex}.{image.extension}"
    try:
        image.file.seek(0)
        await store_for(settings).put(
            key, image.file, content_type=IMAGE_TYPES.get(image.extension)
        )
    except StoreUnavailable as exc:
        log.warning("media store unavailable, image not stored: %s", exc)
        raise ServiceUnavailable("media store") from exc
    finally:
        image.close()
    return key


async def delete_image(settings: Settings, key: str) -> None:
    """Remove a stored image now; one already gone (or a key no store could hold) is fine.

    ``ServiceUnavailable`` when the store is down.
    """
    try:
        await store_for(settings).delete(key)
    except InvalidKey:
        log.warning("not deleting media %r: not a valid key", key)
    except StoreUnavailable as exc:
        raise ServiceUnavailable("media store") from exc


async def discard_image(settings: Settings, key: str) -> None:
    """``delete_image`` for clean-up after the fact (a commit, a rollback): an outage is
    logged, not raised, and leaves an unreferenced object behind."""
    try:
        await delete_image(settings, key)
    except ServiceUnavailable:
        log.warning("could not remove media %r: store unavailable", key, exc_info=True)


def media_prefix(settings: Settings, base_url: str) -> str:
    """The absolute URL stored files' keys are appended to: ``CITYGRAPH_MEDIA_PUBLIC_URL``
    (a bucket website or CDN), else the public URL or the given base, plus ``/media/``."""
    if settings.media_public_url:
        return settings.media_public_url.rstrip("/") + "/"
    base = (settings.public_url or base_url).rstrip("/")
    return f"{base}/{settings.media_url.strip('/')}/"


def media_url(settings: Settings, base_url: str, relative: str | None) -> str | None:
    """Absolute URL of a stored file (see ``media_prefix``)."""
    if not relative:
        return None
    return media_prefix(settings, base_url) + relative
