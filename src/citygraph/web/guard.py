"""The one request guard in front of every face: body size and body decoding.

Every request with a body passes here before any face reads it:

- **size**: a body larger than its limit is refused with 413 — at once when ``Content-Length``
  says so, otherwise as soon as the bytes read exceed it (chunked uploads), so nothing large is
  ever held or parsed. Limits: ``CITYGRAPH_MAX_BODY_BYTES`` for JSON and form bodies; with
  multipart, plus ``CITYGRAPH_MAX_UPLOAD_BYTES`` per file a face accepts (one for REST and
  GraphQL, ``ADMIN_FILES`` for the admin's forms);
- **decoding**: a JSON body must decode in its declared charset (UTF-8 when none is given);
  invalid bytes or an unknown charset are refused with 400.

Each face answers in its own format (``Face.refuse``): DRF's ``{"detail": ...}`` for REST,
GraphQL's error JSON for ``/graphql``, an HTML page for the admin. The request-id middleware
sits outside, so every refusal carries ``X-Request-ID``.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from citygraph.config import Settings

#: Files one admin form may carry (a place with its new images).
ADMIN_FILES: Final = 10
_NO_BODY_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})

Refuse = Callable[[int, str], Response]


@dataclass(frozen=True)
class Face:
    """A face's paths (``prefixes``; empty = every path no other face claims), how many files
    its multipart bodies may carry, and how it words a refusal."""

    prefixes: tuple[str, ...]
    files: int
    refuse: Refuse

    def claims(self, path: str) -> bool:
        return any(path == prefix or path.startswith(prefix + "/") for prefix in self.prefixes)


class BodyTooLarge(Exception):
    pass


def media_type(headers: Headers) -> tuple[str, str | None]:
    """The body's media type and declared charset (lower case)."""
    raw = headers.get("content-type", "")
    mime, *params = (part.strip() for part in raw.split(";"))
    charset = None
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return mime.lower(), charset


def is_json(mime: str) -> bool:
    return mime == "application/json" or mime.endswith("+json")


def decoding_problem(body: bytes, charset: str | None) -> str | None:
    """Why ``body`` does not decode in ``charset`` (UTF-8 by default), or ``None``."""
    try:
        body.decode(codecs.lookup(charset or "utf-8").name)
    except LookupError:
        return f"unknown charset {charset!r}"
    except UnicodeDecodeError as exc:
        return str(exc)
    return None


class RequestGuard:
    def __init__(self, app: ASGIApp, settings: Settings, faces: Sequence[Face]) -> None:
        self.app = app
        self.settings = settings
        self.faces = [face for face in faces if face.prefixes]
        fallback = [face for face in faces if not face.prefixes]
        assert len(fallback) == 1, "exactly one face takes every other path"
        self.fallback = fallback[0]

    def face_for(self, path: str) -> Face:
        return next((face for face in self.faces if face.claims(path)), self.fallback)

    def limit(self, face: Face, mime: str) -> int:
        base = self.settings.max_body_bytes
        if mime == "multipart/form-data":
            return base + self.settings.max_upload_bytes * face.files
        return base

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _NO_BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        face = self.face_for(scope["path"])
        mime, charset = media_type(headers)
        limit = self.limit(face, mime)
        declared = headers.get("content-length", "")
        too_large = f"Request body too large (limit {limit} bytes)."
        if declared.isdigit() and int(declared) > limit:
            await face.refuse(413, too_large)(scope, receive, send)
            return
        if is_json(mime):
            try:
                body = await _read_all(receive, limit)
            except BodyTooLarge:
                await face.refuse(413, too_large)(scope, receive, send)
                return
            problem = decoding_problem(body, charset)
            if problem is not None:
                await face.refuse(400, problem)(scope, receive, send)
                return
            receive = _replay(body, receive)
        else:
            receive = _counted(receive, limit)
        started = False

        async def send_tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_tracked)
        except BodyTooLarge:
            if started:
                raise
            await face.refuse(413, too_large)(scope, receive, send)


async def _read_all(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """``receive`` that hands out the already-read body once, then defers to the server."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _counted(receive: Receive, limit: int) -> Receive:
    """``receive`` that raises ``BodyTooLarge`` once more than ``limit`` bytes have come."""
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge
        return message

    return counted
