"""JSON from clients, with bounded nesting: the one place every face decodes request JSON.

Python's and orjson's decoders recurse once per nesting level, and so does everything that later
walks the value (GraphQL's variable coercion, the encoders of error bodies): about a thousand
``[`` reach the interpreter's recursion limit, a 500. ``check_depth`` scans the raw text first
and refuses anything nested deeper than :data:`MAX_DEPTH` with ``TooDeep`` (a ``ValueError``, so
faces report it as their usual parse error); nothing legitimate here nests beyond a few levels.
"""

from __future__ import annotations

import re
from typing import Final

#: Deepest nesting of arrays and objects accepted in any request JSON.
MAX_DEPTH: Final = 64

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_OPEN = frozenset(b"[{")
_CLOSE = frozenset(b"]}")
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))


class TooDeep(ValueError):
    def __init__(self) -> None:
        super().__init__(f"Nesting deeper than {MAX_DEPTH} levels")


def check_depth(raw: str | bytes) -> None:
    """Raise ``TooDeep`` if ``raw`` nests arrays/objects deeper than :data:`MAX_DEPTH`.

    Linear, and cheap for ordinary bodies (fewer openers than the limit need no scan); brackets
    inside strings do not count. Malformed text is left to the decoder to report.
    """
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if data.count(b"[") + data.count(b"{") <= MAX_DEPTH:
        return
    brackets = _STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    depth = 0
    for byte in brackets:
        if byte in _OPEN:
            depth += 1
            if depth > MAX_DEPTH:
                raise TooDeep
        elif byte in _CLOSE:
            depth -= 1
