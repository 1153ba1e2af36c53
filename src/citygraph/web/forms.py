"""Reading form bodies without Starlette's plain-text 400.

``Request.form()`` turns a malformed multipart body into an ``HTTPException`` whose plain-text
answer ("Missing boundary in multipart.") no face wants: REST answers DRF's JSON parse error,
GraphQL its own JSON. ``read_form`` raises ``MultiPartException`` instead, for the face to word.
"""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request


async def read_form(request: Request) -> FormData:
    """The request's form; a body that does not parse raises ``MultiPartException``."""
    try:
        return await request.form()
    except HTTPException as exc:
        raise MultiPartException(exc.detail) from None
    except (ValueError, KeyError, AssertionError, UnicodeDecodeError) as exc:
        raise MultiPartException(str(exc) or "Invalid multipart data.") from None
