"""The error boundary: every failure still gets a complete answer in its face's format.

An exception escaping a face would otherwise reach Starlette's ``ServerErrorMiddleware``, which
answers a plain-text 500 and re-raises, so the server then drops the keep-alive connection (and
the answer has no ``X-Request-ID``: it is built outside the request-id middleware). This
middleware sits just inside the request-id middleware and:

- turns a database outage (``domain.outages``) into a 503 with ``Retry-After``;
- turns anything else into a 500; both worded by the face that owns the path (``Face.refuse``:
  DRF's ``{"detail"}``, GraphQL's error JSON, the admin's page), with the headers the routed
  face recorded for all its answers (``answer_headers``: REST's ``Allow`` and ``Vary``);
- logs the traceback with the request id, never sends it, and does not re-raise, so the
  connection stays usable.

An exception after the response has started cannot be answered any more: it is re-raised, and
the server closes the connection (a truncated body must not look complete).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from citygraph.domain.outages import database_unavailable
from citygraph.web import answer_headers
from citygraph.web.guard import Face, face_for, split_faces
from citygraph.web.middleware import request_id_var

log = logging.getLogger("citygraph.errors")

INTERNAL_MESSAGE = "A server error occurred."


class ErrorBoundary:
    def __init__(self, app: ASGIApp, faces: Sequence[Face]) -> None:
        self.app = app
        self.faces, self.fallback = split_faces(faces)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        finished = False

        async def tracking_send(message: Message) -> None:
            nonlocal started, finished
            if message["type"] == "http.response.start":
                started = True
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                finished = True
            await send(message)

        answer_headers.prepare(scope)
        try:
            await self.app(scope, receive, tracking_send)
        except ClientDisconnect:  # nobody is left to answer
            log.info("client went away during %s %s", scope.get("method"), scope.get("path"))
        except Exception as exc:
            unavailable = database_unavailable(exc)
            request_id = request_id_var.get()
            if unavailable is not None:
                log.warning("%s unavailable [request %s]: %s", unavailable.what, request_id, exc)
            else:
                log.error(
                    "unhandled error in %s %s [request %s]",
                    scope.get("method"),
                    scope.get("path"),
                    request_id,
                    exc_info=exc,
                )
            if finished:
                return
            if started:  # too late for a status: the server must cut the connection
                raise
            face = face_for(self.faces, self.fallback, scope["path"])
            if unavailable is not None:
                response = face.refuse(503, unavailable.message)
                response.headers["Retry-After"] = str(unavailable.retry_after)
            else:
                response = face.refuse(500, INTERNAL_MESSAGE)
            answer_headers.apply(scope, response)
            await response(scope, receive, send)
