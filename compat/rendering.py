"""DRF's ``JSONRenderer`` output, byte for byte, and the responses that carry it.

DRF renders with ``json.dumps(data, ensure_ascii=False, allow_nan=False,
separators=(",", ":"))`` (``indent`` when the client's ``Accept`` asks for it), escapes U+2028
and U+2029, encodes UTF-8 and answers ``Content-Type: application/json`` without a charset.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from compat.errors import NOT_FOUND_PAGE

JSON_MEDIA_TYPE = "application/json"
HTML_MEDIA_TYPE = "text/html; charset=utf-8"


def json_bytes(data: Any, indent: int | None = None) -> bytes:
    text = json.dumps(
        data,
        ensure_ascii=False,
        allow_nan=False,
        indent=indent,
        separators=(",", ": ") if indent else (",", ":"),
    )
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return text.encode("utf-8")


def json_response(
    data: Any,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    indent: int | None = None,
) -> Response:
    return Response(
        json_bytes(data, indent),
        status_code=status,
        headers=dict(headers or {}),
        media_type=JSON_MEDIA_TYPE,
    )


def empty_response(status: int = 204, headers: Mapping[str, str] | None = None) -> Response:
    """A body-less answer (djoser's 204s). DRF still names no content type on those."""
    return Response(b"", status_code=status, headers=dict(headers or {}))


def not_found_page() -> Response:
    return Response(NOT_FOUND_PAGE, status_code=404, media_type=HTML_MEDIA_TYPE)


def redirect_with_slash(path: str, query: str) -> Response:
    """Django's ``APPEND_SLASH``: 301, relative ``Location``, query string kept, empty body."""
    location = f"{path}/" + (f"?{query}" if query else "")
    return Response(
        b"", status_code=301, headers={"Location": location}, media_type=HTML_MEDIA_TYPE
    )
