"""The one request guard in front of every face: body size and body decoding.

Every request with a body passes here before any face reads it:

- **size**: a body larger than its limit is refused with 413 before the face reads a byte of
  it: at once when ``Content-Length`` says so (the server holds the client to that length), and
  a body without one (chunked) is read ahead — spooled to disk past 1 MB — and refused as soon
  as it passes the limit, so nothing large is ever held or parsed. Limits:
  ``CITYGRAPH_MAX_BODY_BYTES`` for JSON and form bodies; with multipart, plus
  ``CITYGRAPH_MAX_UPLOAD_BYTES`` per file a face accepts (one for REST and GraphQL,
  ``ADMIN_FILES`` for the admin's forms);
- **decoding**: a JSON body must decode in its declared charset (UTF-8 when none is given)
  and nest no deeper than ``jsonbody.MAX_DEPTH``; invalid bytes, an unknown charset or deeper
  nesting are refused with 400 (before the response cache or a face decodes it).

Each face answers in its own format (``Face.refuse``): DRF's ``{"detail": ...}`` for REST,
GraphQL's error JSON for ``/graphql``, an HTML page for the admin. The request-id middleware
sits outside, so every refusal carries ``X-Request-ID``.
"""

from __future__ import annotations

import codecs
from collections.abc import AsyncGenerator, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from tempfile import SpooledTemporaryFile
from typing import Final

import anyio.to_thread
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from citygraph.config import Settings
from citygraph.web.jsonbody import TooDeep, check_depth

#: Files one admin form may carry (a place with its new images).
ADMIN_FILES: Final = 10
_NO_BODY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SPOOL_IN_MEMORY = 1 << 20
_CHUNK = 1 << 16

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


def face_for(faces: Sequence[Face], fallback: Face, path: str) -> Face:
    """The face that owns ``path``: the first claiming it, else ``fallback``."""
    return next((face for face in faces if face.claims(path)), fallback)


def split_faces(faces: Sequence[Face]) -> tuple[list[Face], Face]:
    """The faces with prefixes, and the one (there must be exactly one) that takes the rest."""
    fallback = [face for face in faces if not face.prefixes]
    assert len(fallback) == 1, "exactly one face takes every other path"
    return [face for face in faces if face.prefixes], fallback[0]


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


def depth_problem(body: bytes) -> str | None:
    """Why ``body`` nests too deep to decode safely (``jsonbody.MAX_DEPTH``), or ``None``."""
    try:
        check_depth(body)
    except TooDeep as exc:
        return str(exc)
    return None


class RequestGuard:
    def __init__(self, app: ASGIApp, settings: Settings, faces: Sequence[Face]) -> None:
        self.app = app
        self.settings = settings
        self.faces, self.fallback = split_faces(faces)

    def face_for(self, path: str) -> Face:
        return face_for(self.faces, self.fallback, path)

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
            problem = decoding_problem(body, charset) or depth_problem(body)
            if problem is not None:
                await face.refuse(400, problem)(scope, receive, send)
                return
            receive = _replay(body, receive)
        elif not declared.isdigit():
            try:
                spool = await _spool(receive, limit)
            except BodyTooLarge:
                await face.refuse(413, too_large)(scope, receive, send)
                return
            try:
                await self.app(scope, _replay_spool(spool, receive), send)
            finally:
                spool.close()
            return
        await self.app(scope, receive, send)


async def _body(receive: Receive, limit: int) -> AsyncGenerator[bytes]:
    """The request body's chunks as they arrive; ``BodyTooLarge`` as soon as they pass ``limit``
    bytes (the chunk that passes it is not handed out)."""
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        yield chunk
        if not message.get("more_body", False):
            return


async def _read_all(receive: Receive, limit: int) -> bytes:
    return b"".join([chunk async for chunk in _body(receive, limit)])


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


async def _spool(receive: Receive, limit: int) -> SpooledTemporaryFile[bytes]:
    """Read a body of unknown length ahead, up to ``limit`` bytes (on disk past 1 MB)."""
    # Closed by the guard once the face is done with it, or here on failure.
    spool: SpooledTemporaryFile[bytes] = SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115
    try:
        async with aclosing(_body(receive, limit)) as chunks:
            async for chunk in chunks:
                await anyio.to_thread.run_sync(spool.write, chunk)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def _replay_spool(spool: SpooledTemporaryFile[bytes], receive: Receive) -> Receive:
    """``receive`` that hands out a spooled body in chunks, then defers to the server."""
    done = False

    async def replay() -> Message:
        nonlocal done
        if done:
            return await receive()
        chunk = await anyio.to_thread.run_sync(spool.read, _CHUNK)
        done = len(chunk) < _CHUNK
        return {"type": "http.request", "body": chunk, "more_body": not done}

    return replay
