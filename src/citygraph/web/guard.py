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

A JSON body that passed is handed on as read (``json_body``), so the response cache keys a
GraphQL POST by it without reading the body a second time.
"""

from __future__ import annotations

import codecs
from collections.abc import AsyncGenerator, Callable, Iterable, Sequence
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
#: Where the guard leaves a JSON body it read and passed, in the request's ``state``.
JSON_BODY: Final = "citygraph.json_body"
_NO_BODY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_UTF8: Final = frozenset({None, "utf-8", "utf8"})
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
    return parse_content_type(headers.get("content-type", ""))


def parse_content_type(raw: str) -> tuple[str, str | None]:
    """A ``Content-Type`` value's media type and charset (lower case)."""
    if ";" not in raw:  # the usual value: no parameters to look through
        return raw.strip().lower(), None
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
    if charset in _UTF8 and body.isascii():  # the usual body: nothing to look up or decode
        return None
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


def json_body(scope: Scope) -> bytes | None:
    """The JSON body the guard read and passed for this request, or ``None`` (not JSON, no
    body, or no guard in front)."""
    state = scope.get("state")
    return state.get(JSON_BODY) if state else None


def _body_headers(raw: Iterable[tuple[bytes, bytes]]) -> tuple[str, str]:
    """The first ``Content-Type`` and ``Content-Length`` (as Starlette's ``Headers.get`` would
    give them), in one pass and without copying the header list."""
    content_type: bytes | None = None
    length: bytes | None = None
    for name, value in raw:
        if name == b"content-type":
            if content_type is None:
                content_type = value
        elif name == b"content-length" and length is None:
            length = value
    return (content_type or b"").decode("latin-1"), (length or b"").decode("latin-1")


class RequestGuard:
    def __init__(self, app: ASGIApp, settings: Settings, faces: Sequence[Face]) -> None:
        self.app = app
        self.settings = settings
        self.faces, self.fallback = split_faces(faces)
        # Per face: the exact paths and the prefixes of the paths below them (one
        # ``startswith`` each, as ``Face.claims`` decides).
        self._claims = [
            (face, face.prefixes, tuple(prefix + "/" for prefix in face.prefixes))
            for face in self.faces
        ]

    def face_for(self, path: str) -> Face:
        for face, exact, below in self._claims:
            if path in exact or path.startswith(below):
                return face
        return self.fallback

    def limit(self, face: Face, mime: str) -> int:
        base = self.settings.max_body_bytes
        if mime == "multipart/form-data":
            return base + self.settings.max_upload_bytes * face.files
        return base

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _NO_BODY_METHODS:
            await self.app(scope, receive, send)
            return
        content_type, declared = _body_headers(scope["headers"])
        face = self.face_for(scope["path"])
        mime, charset = parse_content_type(content_type)
        limit = self.limit(face, mime)
        if declared.isdigit() and int(declared) > limit:
            await face.refuse(413, _too_large(limit))(scope, receive, send)
            return
        if is_json(mime):
            try:
                body = await _read_all(receive, limit)
            except BodyTooLarge:
                await face.refuse(413, _too_large(limit))(scope, receive, send)
                return
            problem = decoding_problem(body, charset) or depth_problem(body)
            if problem is not None:
                await face.refuse(400, problem)(scope, receive, send)
                return
            scope.setdefault("state", {})[JSON_BODY] = body
            receive = _replay(body, receive)
        elif not declared.isdigit():
            try:
                spool = await _spool(receive, limit)
            except BodyTooLarge:
                await face.refuse(413, _too_large(limit))(scope, receive, send)
                return
            try:
                await self.app(scope, _replay_spool(spool, receive), send)
            finally:
                spool.close()
            return
        await self.app(scope, receive, send)


def _too_large(limit: int) -> str:
    return f"Request body too large (limit {limit} bytes)."


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
    """The whole body, as ``_body`` hands it out, without an async generator per request (a
    small body is one message: its bytes are returned as they came)."""
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
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


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
