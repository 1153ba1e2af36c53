"""``Authorization: JWT <access>`` -> the acting user, as simplejwt's ``JWTAuthentication`` does.

* no header, an empty one, or another keyword (``Bearer``, ``jwt``, ``Basic``) -> anonymous;
* ``JWT`` followed by anything but exactly one more whitespace-separated part -> 401
  ``bad_authorization_header``;
* a token the domain refuses -> 401 with simplejwt's body (``compat.errors.authentication_error``).

The token itself is checked by ``citygraph.domain.tokens.user_from_access_token``.
"""

from __future__ import annotations

from starlette.requests import Request

from citygraph.domain.errors import TokenInvalid
from citygraph.domain.tokens import user_from_access_token
from citygraph.domain.unit import UnitOfWork
from citygraph.models import User
from compat import errors

HEADER_TYPE = b"JWT"


def raw_token(request: Request) -> str | None:
    """The token of a ``JWT`` header, ``None`` for anonymous; raises on a malformed header."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    parts = header.encode("latin-1").split()
    if not parts or parts[0] != HEADER_TYPE:
        return None
    if len(parts) != 2:
        raise errors.bad_authorization_header()
    return parts[1].decode("latin-1")


async def authenticate(request: Request, uow: UnitOfWork) -> User | None:
    token = raw_token(request)
    if token is None:
        return None
    try:
        return await user_from_access_token(uow, token)
    except TokenInvalid as exc:
        raise errors.authentication_error(exc) from exc
