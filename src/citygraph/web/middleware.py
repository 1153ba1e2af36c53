"""Request ids: every response carries ``X-Request-ID`` and log lines can name it."""

from __future__ import annotations

import contextvars
import itertools
import os
import re
import secrets
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_HEADER = b"x-request-id"


class _Ids:
    """32 hex digits, unique per process: a random prefix and a counter. The ids only correlate
    log lines; ``uuid4()`` per request (a system call for 16 random bytes) cost more."""

    def __init__(self) -> None:
        self.reseed()

    def reseed(self) -> None:
        self.prefix = secrets.token_hex(8)
        self.counter = itertools.count(secrets.randbits(32))

    def next(self) -> str:
        return f"{self.prefix}{next(self.counter) & 0xFFFFFFFFFFFFFFFF:016x}"


_ids = _Ids()
os.register_at_fork(after_in_child=_ids.reseed)  # a forked worker must not repeat its parent's


def new_request_id() -> str:
    return _ids.next()


def _with_header(
    headers: Iterable[tuple[bytes, bytes]], header: tuple[bytes, bytes]
) -> list[tuple[bytes, bytes]]:
    """``headers`` with ``header`` set as ``MutableHeaders`` sets it: in the place of the first
    header of its name (others of that name removed), else last."""
    result = list(headers)
    found = [index for index, (name, _value) in enumerate(result) if name == header[0]]
    if not found:
        result.append(header)
        return result
    for index in reversed(found[1:]):
        del result[index]
    result[found[0]] = header
    return result


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = ""
        for name, value in scope["headers"]:
            if name == _HEADER:
                incoming = value.decode("latin-1")  # the last one, as dict() would keep
        request_id = incoming if incoming and _SAFE_ID.match(incoming) else _ids.next()
        header = (_HEADER, request_id.encode("latin-1"))
        token = request_id_var.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _with_header(message.get("headers", ()), header)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)
