"""Headers every answer to a request carries, whoever ends up writing the answer.

A face that learns, once the request is routed, headers all of its answers must have (REST:
DRF's ``Allow`` of the matched endpoint and ``Vary: Accept``) records them in the request's
scope. The error boundary writes the 503 or 500 in the face's place when the face fails, and
adds the recorded headers, so those answers look like the face's own.

The boundary puts the (mutable) record into the scope before calling inward, so a middleware
that copies the scope still shares it with the face.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import Response
from starlette.types import Scope

SCOPE_KEY = "citygraph.answer_headers"


def prepare(scope: Scope) -> None:
    """Give the request an empty record (the error boundary, before calling the app)."""
    scope[SCOPE_KEY] = {}


def record(scope: Scope, headers: Mapping[str, str]) -> None:
    """Every answer to this request is to carry ``headers`` (unless it sets them itself)."""
    recorded: dict[str, str] = scope.setdefault(SCOPE_KEY, {})
    recorded.update(headers)


def apply(scope: Scope, response: Response) -> None:
    """Add the recorded headers the response does not set itself (as ``MutableHeaders.setdefault``
    would, on the raw list: no headers object per call)."""
    recorded: dict[str, str] = scope.get(SCOPE_KEY, {})
    if not recorded:
        return
    raw = response.raw_headers
    present = {name for name, _value in raw}
    for name, value in recorded.items():
        key = name.lower().encode("latin-1")
        if key not in present:
            raw.append((key, value.encode("latin-1")))
            present.add(key)
