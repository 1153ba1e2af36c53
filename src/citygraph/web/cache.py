"""The response cache: anonymous reads of the public graph, served from memory until it changes.

In front of both faces. A request may be answered from here when it is anonymous (no
``Authorization`` header at all: a bad token must still be refused) and is a ``GET`` (or a
``HEAD``) of a cacheable path, or a ``POST`` to ``/graphql``. Its key is the normalised request:
method class, path, sorted query parameters or the GraphQL parameters (query, canonical
variables, operation name, extensions), the ``Accept`` header (it picks the media type and DRF's
indent) and the base URL absolute image URLs are built from — which comes from configuration
in production (``web.state.base_url``), so no ``Host`` header can put other URLs into what
others receive.

Only what a face marks as cacheable is stored (``mark_cacheable``: the REST lists, GraphQL
query operations without errors), with the change counter's value read before the face ran;
an entry is served only while the counter has not moved (``changes``), so a write is visible in
the very next response, on every worker. Every cacheable response carries a strong ``ETag``,
``Vary: Accept, Authorization`` and, for GET, ``Cache-Control: public, max-age=0,
must-revalidate`` (browsers and CDNs keep it and revalidate every time), for POST ``private,
no-cache``; a matching ``If-None-Match`` gets 304 (after a write, only for the same bytes).
Bounded: at most ``MAX_ENTRIES`` entries and ``MAX_BYTES`` bytes in all, least recently used
first out; larger responses (a streamed 10,000-place list) pass through uncached.

A POST is keyed by the body the guard read and checked (``guard.json_body``): the body is
read once per request, and nothing is cached without the guard in front. The normalised form
of each request key is remembered, so a repeated request — the same bytes — is keyed without
decoding its JSON again, while bodies that differ only in key order or whitespace still share
one entry. Each request's headers are scanned once.

``CITYGRAPH_RESPONSE_CACHE=off`` switches it off.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Final, NamedTuple

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from citygraph.changes import ChangeCounter
from citygraph.web.guard import json_body
from citygraph.web.state import base_url_of

MAX_ENTRIES: Final = 2048
MAX_BYTES: Final = 64 << 20
MAX_ENTRY_BYTES: Final = 2 << 20
MAX_KEY_BODY: Final = 64 << 10
#: Bound of the remembered normalised keys (request key -> key): entries and bytes of keys.
MAX_ALIASES: Final = 4096
MAX_ALIAS_BYTES: Final = 8 << 20
CACHEABLE: Final = "citygraph.cacheable"
#: GET (and HEAD): any cache, a browser's or a CDN's, may keep the answer but must ask again
#: each time, with ``If-None-Match`` (a 304 costs no database work here).
PUBLIC_CACHE_CONTROL: Final = b"public, max-age=0, must-revalidate"
#: POST: the answer is for the one client that posted (a 304 is still possible with the ETag).
POST_CACHE_CONTROL: Final = b"private, no-cache"
#: The answer depends on these (the key has ``Accept``; credentials skip the cache).
VARY: Final = b"Accept, Authorization"


def mark_cacheable(scope: Scope) -> None:
    """Let the cache keep this response (a face calls it for an anonymous public read)."""
    scope.setdefault("state", {})[CACHEABLE] = True


def is_cacheable(scope: Scope) -> bool:
    return bool(scope.get("state", {}).get(CACHEABLE, False))


@dataclass(frozen=True)
class Entry:
    generation: int
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: bytes
    #: The full 200 answer's headers for GET/HEAD and for POST, built once when stored.
    get_headers: list[tuple[bytes, bytes]]
    post_headers: list[tuple[bytes, bytes]]

    @classmethod
    def of(
        cls, generation: int, headers: list[tuple[bytes, bytes]], body: bytes, etag: bytes
    ) -> Entry:
        length = (b"content-length", str(len(body)).encode())
        return cls(
            generation,
            200,
            headers,
            body,
            etag,
            [*headers, *_cache_headers(etag, PUBLIC_CACHE_CONTROL), length],
            [*headers, *_cache_headers(etag, POST_CACHE_CONTROL), length],
        )


def _cache_headers(etag: bytes, control: bytes) -> list[tuple[bytes, bytes]]:
    return [(b"etag", etag), (b"cache-control", control), (b"vary", VARY)]


class _Request(NamedTuple):
    """What the cache needs of a request's headers, found in one pass."""

    accept: bytes
    content_type: bytes | None
    if_none_match: bytes | None
    credentials: bool

    @classmethod
    def of(cls, headers: list[tuple[bytes, bytes]]) -> _Request:
        accept = b""
        content_type = if_none_match = None
        credentials = False
        several_types = False
        for name, value in headers:
            if name == b"accept":
                # Every Accept value is in the key: two requests differing in any of them never
                # share an answer, whichever one a face reads.
                accept = value if not accept else accept + b"\n" + value
            elif name == b"content-type":
                several_types = content_type is not None
                content_type = value
            elif name == b"if-none-match":
                if_none_match = value
            elif name == b"authorization":
                credentials = True
        if several_types:
            content_type = b""
        return cls(accept.lower(), content_type, if_none_match, credentials)


def etag_of(body: bytes, content_type: bytes = b"") -> bytes:
    """A strong tag of these bytes as this media type: the same bytes sent as
    ``application/json`` and as ``application/graphql-response+json`` are two representations
    (``Vary: Accept``), so a cache never takes one's 304 for the other."""
    digest = hashlib.blake2b(body, digest_size=16)
    digest.update(b"\0" + content_type)
    return b'"' + digest.hexdigest().encode() + b'"'


class ResponseCache:
    def __init__(
        self,
        app: ASGIApp,
        *,
        changes: ChangeCounter,
        get_paths: tuple[str, ...],
        post_paths: tuple[str, ...],
        enabled: bool = True,
    ) -> None:
        self.app = app
        self.changes = changes
        self.get_paths = get_paths
        self.post_paths = post_paths
        self.enabled = enabled
        self._entries: OrderedDict[bytes, Entry] = OrderedDict()
        self._bytes = 0
        #: A POST's exact key (its body as sent) -> its normalised key (``None``: not cacheable).
        self._aliases: dict[bytes, bytes | None] = {}
        self._alias_bytes = 0

    # --- the key ----------------------------------------------------------------------------

    def _paths(self, scope: Scope) -> tuple[str, ...]:
        method = scope["method"]
        if method in ("GET", "HEAD"):
            return self.get_paths
        if method == "POST":
            return self.post_paths
        return ()

    def _key(self, scope: Scope, request: _Request, body: bytes | None) -> bytes | None:
        parts = [
            b"POST" if body is not None else b"GET",
            scope["path"].encode(),
            request.accept,
            base_url_of(scope).encode(),
        ]
        if body is None:
            query = scope.get("query_string", b"").split(b"&")
            parts.append(b"&".join(sorted(query)))
            return b"\0".join(parts)
        # Bytes seen before were normalised then: no JSON is decoded again (``exact`` keeps
        # its hash, so the second look-up costs no hashing).
        parts.append(body)
        exact = b"\0".join(parts)
        if exact in self._aliases:
            return self._aliases[exact]
        normalised = _normalised(body)
        key = None if normalised is None else b"\0".join([*parts[:-1], normalised])
        self._remember(exact, key)
        return key

    def _remember(self, exact: bytes, key: bytes | None) -> None:
        size = len(exact) + (len(key) if key is not None else 0)
        if len(self._aliases) >= MAX_ALIASES or self._alias_bytes + size > MAX_ALIAS_BYTES:
            self._aliases.clear()  # bounded; the next requests fill it again
            self._alias_bytes = 0
        self._aliases[exact] = key
        self._alias_bytes += size

    # --- the store ----------------------------------------------------------------------------

    def _get(self, key: bytes) -> Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.generation != self.changes.current():
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry

    def _drop(self, key: bytes) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= len(entry.body)

    def _put(self, key: bytes, entry: Entry) -> None:
        self._drop(key)
        self._entries[key] = entry
        self._bytes += len(entry.body)
        while len(self._entries) > MAX_ENTRIES or self._bytes > MAX_BYTES:
            oldest = next(iter(self._entries))
            self._drop(oldest)

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0
        self._aliases.clear()
        self._alias_bytes = 0

    # --- ASGI ---------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.enabled or scope["type"] != "http" or scope["path"] not in self._paths(scope):
            await self.app(scope, receive, send)
            return
        request = _Request.of(scope["headers"])
        if request.credentials:
            await self.app(scope, receive, send)
            return
        body: bytes | None = None
        if scope["method"] == "POST":
            if not _is_plain_json(request.content_type):  # not keyed: the body stays unread
                await self.app(scope, receive, send)
                return
            body = json_body(scope)
            if body is None or len(body) > MAX_KEY_BODY:  # no guard in front, or too long
                await self.app(scope, receive, send)
                return
        key = self._key(scope, request, body)
        if key is None:
            await self.app(scope, receive, send)
            return
        entry = self._get(key)
        if entry is not None:
            await _answer(scope, send, entry, request.if_none_match)
            return
        if scope["method"] == "HEAD":  # no body to keep: answered, not stored
            await self.app(scope, receive, send)
            return
        generation = self.changes.current()
        recorder = _Recorder(self, scope, send, key, generation, request.if_none_match)
        await self.app(scope, receive, recorder.send)


def _is_plain_json(content_type: bytes | None) -> bool:
    return content_type is not None and content_type.split(b";")[0].strip() == b"application/json"


def _normalised(body: bytes) -> bytes | None:
    """The GraphQL parameters with sorted keys and no whitespace, or ``None`` (not an object)."""
    try:
        request = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(request, dict):
        return None
    return orjson.dumps(request, option=orjson.OPT_SORT_KEYS)


class _Recorder:
    """Passes a response through, adding the cache headers and keeping a copy when allowed."""

    def __init__(
        self,
        cache: ResponseCache,
        scope: Scope,
        send: Send,
        key: bytes,
        generation: int,
        if_none_match: bytes | None,
    ) -> None:
        self.cache = cache
        self.scope = scope
        self._send = send
        self.key = key
        self.generation = generation
        self.if_none_match = if_none_match
        self.start: Message | None = None
        self.chunks: list[bytes] = []
        self.size = 0
        self.passing = False

    async def send(self, message: Message) -> None:
        if self.passing:
            await self._send(message)
            return
        if message["type"] == "http.response.start":
            cacheable = self.scope.get("state", {}).get(CACHEABLE, False)
            names = {name for name, _ in message.get("headers", [])}
            if message["status"] != 200 or not cacheable or b"content-length" not in names:
                self.passing = True
                await self._send(message)
                return
            self.start = message
            return
        if message["type"] != "http.response.body":  # pragma: no cover - nothing else is sent
            await self._send(message)
            return
        self.chunks.append(message.get("body", b""))
        self.size += len(self.chunks[-1])
        if self.size > MAX_ENTRY_BYTES:  # a large response: send what was held, keep nothing
            await self._flush(more_body=message.get("more_body", False))
            return
        if message.get("more_body", False):
            return
        assert self.start is not None
        body = b"".join(self.chunks)
        headers = [
            (name, value)
            for name, value in self.start.get("headers", [])
            if name not in (b"etag", b"cache-control", b"content-length", b"vary")
        ]
        content_type = dict(headers).get(b"content-type", b"")
        entry = Entry.of(self.generation, headers, body, etag_of(body, content_type))
        self.cache._put(self.key, entry)
        await _answer(self.scope, self._send, entry, self.if_none_match)

    async def _flush(self, *, more_body: bool) -> None:
        self.passing = True
        assert self.start is not None
        await self._send(self.start)
        await self._send(
            {"type": "http.response.body", "body": b"".join(self.chunks), "more_body": more_body}
        )


def _held_by_client(match: bytes | None, etag: bytes) -> bool:
    """``If-None-Match`` names these bytes (or ``*``)."""
    if match is None:
        return False
    if match == etag:
        return True
    tags = [tag.strip().removeprefix(b"W/") for tag in match.split(b",")]
    return b"*" in tags or etag in tags


async def _answer(scope: Scope, send: Send, entry: Entry, if_none_match: bytes | None) -> None:
    """The entry as a response: 304 when the client holds these bytes already."""
    post = scope["method"] == "POST"
    if _held_by_client(if_none_match, entry.etag):
        control = POST_CACHE_CONTROL if post else PUBLIC_CACHE_CONTROL
        headers = _cache_headers(entry.etag, control)
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    body = b"" if scope["method"] == "HEAD" else entry.body
    # A copy: a middleware outside may add to the list it is sent.
    headers = list(entry.post_headers if post else entry.get_headers)
    await send({"type": "http.response.start", "status": entry.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
