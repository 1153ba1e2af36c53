"""The original service's endpoints, read as its URLconf.

| path                                    | methods (Allow)              | who                   |
|-----------------------------------------|------------------------------|-----------------------|
| /api/v1/disticts/ (sic)                 | GET, HEAD, OPTIONS           | anyone                |
| /api/v1/places/?district_id=N           | GET, HEAD, OPTIONS           | anyone                |
| /api/v1/district_create/                | POST, OPTIONS                | staff                 |
| /api/v1/profile/?id=N                   | GET, HEAD, OPTIONS           | staff or the owner    |
| /auth/users/                            | GET, POST, HEAD, OPTIONS     | POST anyone, GET user |
| /auth/users/me/                         | GET, PUT, PATCH, DELETE,     | signed in             |
|                                         | HEAD, OPTIONS                |                       |
| /auth/users/activation/                 | POST, OPTIONS                | anyone                |
| /auth/users/resend_activation/          | POST, OPTIONS                | anyone                |
| /auth/users/set_password/               | POST, OPTIONS                | signed in             |
| /auth/users/reset_password/             | POST, OPTIONS                | anyone                |
| /auth/users/reset_password_confirm/     | POST, OPTIONS                | anyone                |
| /auth/users/set_username/               | POST, OPTIONS                | signed in             |
| /auth/users/reset_username/             | POST, OPTIONS                | anyone                |
| /auth/users/reset_username_confirm/     | POST, OPTIONS                | anyone                |
| /auth/users/<id>/                       | GET, PUT, PATCH, DELETE,     | staff or the owner    |
|                                         | HEAD, OPTIONS                |                       |
| /auth/jwt/create/, refresh/, verify/    | POST, OPTIONS                | anyone (no auth)      |

Paths without their trailing slash answer 301 to the slashed path (Django's ``APPEND_SLASH``);
djoser's JWT patterns are unanchored regexes (``^jwt/create/?``), so ``/auth/jwt/create`` and
``/auth/jwt/create/anything`` reach the view. Unknown paths get Django's HTML 404.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.convertors import StringConvertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from citygraph.services import Services
from compat import apidocs, errors, metadata, openapi, views
from compat.endpoint import Endpoint, Handler, allow_any
from compat.rendering import json_response, not_found_page, redirect_with_slash


class DjoserLookup(StringConvertor):
    """DRF routers' default lookup: ``[^/.]+`` (``/auth/users/a.b/`` does not resolve)."""

    regex = "[^/.]+"


register_url_convertor("djoser_lookup", DjoserLookup())

LIST = "GET, HEAD, OPTIONS"
ACTION = "POST, OPTIONS"
INSTANCE = "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"
INSTANCE_HANDLERS = {
    "PUT": views.user_update,
    "PATCH": views.user_update,
    "DELETE": views.user_delete,
}


def _user_action(
    action: str, handler: Handler, meta: bytes, *, anyone: bool = True
) -> tuple[str, Endpoint]:
    """djoser's ``POST /auth/users/<action>/``: open to anyone unless it changes the caller's
    own account (``anyone=False``); every other method needs a signed-in caller."""
    return (
        f"/auth/users/{action}/",
        Endpoint(
            allow=ACTION,
            handlers={"POST": handler},
            permissions={"POST": allow_any} if anyone else None,
            other_methods=views.signed_in,
            metadata=meta,
        ),
    )


ENDPOINTS: list[tuple[str, Endpoint]] = [
    (
        "/api/v1/disticts/",
        Endpoint(
            allow=LIST, handlers={"GET": views.district_list}, metadata=metadata.DISTRICT_LIST
        ),
    ),
    (
        "/api/v1/places/",
        Endpoint(allow=LIST, handlers={"GET": views.place_list}, metadata=metadata.PLACE_LIST),
    ),
    (
        "/api/v1/district_create/",
        Endpoint(
            allow=ACTION,
            handlers={"POST": views.district_create},
            other_methods=views.staff_only,
            metadata=metadata.DISTRICT_CREATE,
        ),
    ),
    (
        "/api/v1/profile/",
        Endpoint(
            allow=LIST,
            handlers={"GET": views.profile},
            permissions={"GET": allow_any},  # ``profiles_for`` checks permission first itself
            other_methods=views.profile_owner_or_staff,
            metadata=metadata.PROFILE,
        ),
    ),
    (
        "/auth/users/",
        Endpoint(
            allow="GET, POST, HEAD, OPTIONS",
            handlers={"GET": views.user_list, "POST": views.register},
            permissions={"POST": allow_any},
            other_methods=views.signed_in,
            metadata=metadata.USER_LIST,
        ),
    ),
    (
        "/auth/users/me/",
        Endpoint(
            allow=INSTANCE,
            handlers={"GET": views.user_me, **INSTANCE_HANDLERS},
            other_methods=views.signed_in,
            metadata=metadata.USER_INSTANCE,
        ),
    ),
    _user_action("activation", views.activation, metadata.ACTIVATION),
    _user_action("resend_activation", views.resend_activation, metadata.RESEND_ACTIVATION),
    _user_action("reset_password", views.reset_password, metadata.RESET_PASSWORD),
    _user_action(
        "reset_password_confirm", views.reset_password_confirm, metadata.RESET_PASSWORD_CONFIRM
    ),
    _user_action("reset_username", views.reset_username, metadata.RESET_USERNAME),
    _user_action(
        "reset_username_confirm", views.reset_username_confirm, metadata.RESET_USERNAME_CONFIRM
    ),
    _user_action("set_password", views.set_password, metadata.SET_PASSWORD, anyone=False),
    _user_action("set_username", views.set_username, metadata.SET_USERNAME, anyone=False),
    (
        "/auth/users/{pk:djoser_lookup}/",
        Endpoint(
            allow=INSTANCE,
            handlers={"GET": views.user_detail, **INSTANCE_HANDLERS},
            other_methods=views.signed_in,
            metadata=metadata.USER_INSTANCE,
        ),
    ),
]

JWT_ENDPOINTS: list[tuple[str, Endpoint]] = [
    (
        f"/auth/jwt/{name}",
        Endpoint(allow=ACTION, handlers={"POST": handler}, metadata=meta, authenticates=False),
    )
    for name, handler, meta in (
        ("create", views.token_create, metadata.TOKEN_OBTAIN_PAIR),
        ("refresh", views.token_refresh, metadata.TOKEN_REFRESH),
        ("verify", views.token_verify, metadata.TOKEN_VERIFY),
    )
]


class AppendSlash:
    """301 to the same path with ``/`` appended (raw bytes kept), query string kept.

    An ASGI app rather than a function, so that ``Route`` hands it every method (Django
    redirects ``POST`` and ``DELETE`` too).
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
        path = raw_path.decode("latin-1") if isinstance(raw_path, bytes) else str(raw_path)
        query = scope.get("query_string", b"").decode("latin-1")
        await redirect_with_slash(path, query)(scope, receive, send)


append_slash = AppendSlash()


def build_routes(services: Services) -> list[BaseRoute]:
    del services  # the endpoints find the services on the app at request time
    routes: list[BaseRoute] = []
    for path, endpoint in ENDPOINTS:
        routes.append(Route(path, endpoint))
    for path, _endpoint in ENDPOINTS:
        routes.append(Route(path.rstrip("/"), append_slash))
    for path, endpoint in JWT_ENDPOINTS:
        routes.append(Route(path + "{rest:path}", endpoint))
    routes.extend(openapi.routes())
    routes.extend(apidocs.routes())
    return routes


# Faces with their own 404 wording (the compat page is Django's, for everything else).
_OTHER_FACES = ("/graphql", "/admin", "/healthz", "/readyz")


async def not_found(request: Request, exc: Exception) -> Response:
    path = request.url.path
    if any(path == face or path.startswith(face + "/") for face in _OTHER_FACES):
        detail = exc.detail if isinstance(exc, HTTPException) else "Not Found"
        headers = exc.headers if isinstance(exc, HTTPException) else None
        return PlainTextResponse(detail, status_code=404, headers=headers)
    return not_found_page()


def refusal(status: int, message: str) -> Response:
    """The request guard's refusal in DRF's words: a parse error or an oversized body."""
    if status == 400:
        return json_response(errors.parse_error("JSON", message).body, 400)
    return json_response({"detail": message}, status)


def exception_handlers() -> Mapping[Any, Any]:
    return {404: not_found}
