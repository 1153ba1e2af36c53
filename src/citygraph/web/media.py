"""``GET``/``HEAD /media/<key>``: stored images, streamed from the configured media store.

What a static file server does, over any store: ``ETag``, ``Last-Modified`` and
``Cache-Control``; ``If-None-Match``/``If-Modified-Since`` (304); a single byte range
(``Range``/``If-Range``, 206, 416; several ranges get the whole object, as RFC 9110 allows).
Every answer carries ``X-Content-Type-Options: nosniff`` and a CSP that forbids everything, so
a file that is not what its name says can never run as a page; anything but an image is sent as
an ``application/octet-stream`` attachment. Invalid keys (``..``, hidden files) and missing
objects are 404 (Django's page, like every unknown path); a store outage is 503.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from citygraph.storage import InvalidKey, ObjectInfo, ObjectNotFound, ObjectStream, StoreUnavailable
from citygraph.storage.base import CACHE_CONTROL, IMAGE_TYPES, check_key
from citygraph.web.state import get_services

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}
SERVED_IMAGE_TYPES = frozenset(IMAGE_TYPES.values())
RETRY_AFTER_SECONDS = 10
UNAVAILABLE = "Media storage is temporarily unavailable. Try again later."

_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


class Unsatisfiable(Exception):
    """The Range names no byte of the object: 416."""


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """``(start, end)`` (end exclusive) for a single-range ``Range`` header, None to ignore it
    (malformed, several ranges, another unit), :class:`Unsatisfiable` for a range past the end.
    """
    match = _RANGE.match(header)
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return max(size - suffix, 0), size
    start = int(first)
    end = int(last) + 1 if last else size
    if last and end <= start:
        return None  # last < first: invalid, ignored
    if start >= size:
        raise Unsatisfiable
    return start, min(end, size)


def _http_date(moment: datetime) -> str:
    return email.utils.format_datetime(moment.astimezone(UTC), usegmt=True)


def _parse_http_date(value: str) -> datetime | None:
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _opaque(tag: str) -> str:
    return tag.strip().removeprefix("W/")


def _etag_matches(header: str, etag: str | None) -> bool:
    """Weak comparison against an ``If-None-Match`` list (``*`` matches any object)."""
    tags = [tag.strip() for tag in header.split(",")]
    return "*" in tags or (etag is not None and _opaque(etag) in {_opaque(t) for t in tags})


def _not_modified(request: Request, info: ObjectInfo) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        return _etag_matches(if_none_match, info.etag)
    since = _parse_http_date(request.headers.get("if-modified-since", ""))
    return since is not None and info.last_modified.replace(microsecond=0) <= since


def _range_applies(request: Request, info: ObjectInfo) -> bool:
    """``If-Range``: honour the Range only while the object is the one the client has."""
    if_range = request.headers.get("if-range")
    if if_range is None:
        return True
    if_range = if_range.strip()
    if if_range.startswith(('"', "W/")):  # strong comparison: a weak tag never matches
        return info.etag is not None and not if_range.startswith("W/") and if_range == info.etag
    moment = _parse_http_date(if_range)
    return moment is not None and info.last_modified.replace(microsecond=0) == moment


def _disposition(key: str, *, inline: bool) -> str:
    name = key.rsplit("/", 1)[-1]
    kind = "inline" if inline else "attachment"
    if name.isascii() and name.isprintable() and '"' not in name and "\\" not in name:
        return f'{kind}; filename="{name}"'
    return f"{kind}; filename*=UTF-8''{quote(name, safe='')}"


def _headers(info: ObjectInfo) -> dict[str, str]:
    """Validators, caching and the media security headers (every status but 404/503)."""
    headers = {"Cache-Control": CACHE_CONTROL, **SECURITY_HEADERS}
    if info.etag:
        headers["ETag"] = info.etag
    headers["Last-Modified"] = _http_date(info.last_modified)
    return headers


def _content_headers(info: ObjectInfo) -> dict[str, str]:
    declared = (info.content_type or "").split(";", 1)[0].strip().lower()
    guessed = IMAGE_TYPES.get(info.key.rsplit(".", 1)[-1].lower(), "")
    content_type = declared if declared in SERVED_IMAGE_TYPES else guessed
    is_image = content_type in SERVED_IMAGE_TYPES
    return {
        **_headers(info),
        "Accept-Ranges": "bytes",
        "Content-Type": content_type if is_image else "application/octet-stream",
        "Content-Disposition": _disposition(info.key, inline=is_image),
    }


def _stream_response(stream: ObjectStream, *, partial: bool) -> Response:
    headers = _content_headers(stream.info)
    headers["Content-Length"] = str(stream.length)
    if partial:
        headers["Content-Range"] = f"bytes {stream.start}-{stream.end - 1}/{stream.info.size}"

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in stream:
                yield chunk
        finally:
            await stream.aclose()

    return StreamingResponse(body(), status_code=206 if partial else 200, headers=headers)


async def _respond(request: Request, key: str) -> Response:
    store = get_services(request).store
    is_get = request.method == "GET"
    range_header = request.headers.get("range") if is_get else None
    conditional = "if-none-match" in request.headers or "if-modified-since" in request.headers
    if is_get and range_header is None and not conditional:  # the common case: one request
        return _stream_response(await store.get(key), partial=False)

    info = await store.head(key)
    if _not_modified(request, info):
        return Response(status_code=304, headers=_headers(info))
    if range_header is not None and _range_applies(request, info):
        try:
            span = parse_range(range_header, info.size)
        except Unsatisfiable:
            headers = {**_headers(info), "Content-Range": f"bytes */{info.size}"}
            return Response(status_code=416, headers=headers)
        if span is not None:
            return _stream_response(await store.get(key, byte_range=span), partial=True)
    if not is_get:
        headers = {**_content_headers(info), "Content-Length": str(info.size)}
        return Response(status_code=200, headers=headers)
    return _stream_response(await store.get(key), partial=False)


async def serve_media(request: Request) -> Response:
    key: str = request.path_params["key"]
    try:
        return await _respond(request, check_key(key))
    except (InvalidKey, ObjectNotFound) as exc:
        raise HTTPException(404) from exc
    except StoreUnavailable:
        return JSONResponse(
            {"detail": UNAVAILABLE},
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS), **SECURITY_HEADERS},
        )


routes = [Route("/media/{key:path}", serve_media, methods=["GET", "HEAD"], name="media")]
