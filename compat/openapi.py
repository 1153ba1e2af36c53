"""OpenAPI 3.1 description of the REST compatibility layer, served at ``GET /api/openapi.json``.

People read it at ``/api/docs`` (Swagger UI, ``compat.apidocs``).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from citygraph.domain.parsers import MAX_INTEGER_STRING
from compat.rendering import json_bytes

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {JSON: {"schema": schema}}}


def _response(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"description": description}
    if schema is not None:
        result.update(_json(schema))
    return result


UNAUTHORIZED = {
    "description": 'No, or invalid, credentials (`WWW-Authenticate: JWT realm="api"`).',
    "headers": {"WWW-Authenticate": {"schema": {"type": "string", "const": 'JWT realm="api"'}}},
    **_json(_ref("AuthenticationError")),
}
FORBIDDEN = _response("Authenticated but not allowed.", _ref("Detail"))
BAD_REQUEST = _response(
    "Field errors (`{field: [messages]}`), `non_field_errors`, or a parse error `{detail}`.",
    {"anyOf": [_ref("FieldErrors"), _ref("Detail")]},
)
UNSUPPORTED = _response("Unsupported media type.", _ref("Detail"))
THROTTLED = {
    "description": "Too many attempts.",
    "headers": {"Retry-After": {"schema": {"type": "string"}}},
    **_json(_ref("Detail")),
}
NOT_ACCEPTABLE = _response("The `Accept` header does not allow JSON.", _ref("Detail"))


def _body(schema_name: str, *, required: bool = True) -> dict[str, Any]:
    schema = _ref(schema_name)
    return {
        "required": required,
        "content": {JSON: {"schema": schema}, FORM: {"schema": schema}},
    }


def _operation(
    summary: str,
    responses: dict[str, Any],
    *,
    tag: str,
    body: str | None = None,
    body_required: bool = True,
    parameters: list[dict[str, Any]] | None = None,
    secured: bool = True,
    operation_id: str,
) -> dict[str, Any]:
    operation: dict[str, Any] = {"tags": [tag], "summary": summary, "operationId": operation_id}
    if parameters:
        operation["parameters"] = parameters
    if body:
        operation["requestBody"] = _body(body, required=body_required)
    all_responses = dict(responses)
    all_responses.setdefault("406", NOT_ACCEPTABLE)
    if secured:
        all_responses.setdefault("401", UNAUTHORIZED)
        operation["security"] = [{}, {"jwt": []}]
    if body:
        all_responses.setdefault("400", BAD_REQUEST)
        all_responses.setdefault("415", UNSUPPORTED)
    operation["responses"] = dict(sorted(all_responses.items()))
    return operation


#: DRF's ``IntegerField`` on a string (Python's ``int`` after dropping a ``.000`` tail).
DRF_INTEGER = r"^\s*[+-]?\d+(_\d+)*(\.0*)?\s*$"


#: Django's ``EmailValidator``, the common part of it (dot-atom local part, a host name with
#: a letters-only top-level domain): every address matching is accepted; quoted local parts,
#: ``localhost``, IP literals and IDNs are accepted too, undocumented.
_LABEL = "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ATOM = "[-!#$%&'*+/=?^_`{}|~0-9A-Za-z]+"
EMAIL = rf"^\s*{_ATOM}(\.{_ATOM})*@{_LABEL}(\.{_LABEL})*\.[A-Za-z]{{2,63}}\s*$"
#: Django's username validator (``\w`` in Python's Unicode sense).
USERNAME = r"^\s*[\w.@+-]+\s*$"


def _integer_query(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": True,
        "description": description,
        "schema": {
            "type": "string",
            "pattern": DRF_INTEGER,
            "maxLength": MAX_INTEGER_STRING,
            "examples": ["1"],
        },
    }


NO_CONTENT = {"204": {"description": "Done."}}
#: An account action that answers 204, or 403 when it is refused.
DONE_OR_FORBIDDEN = {**NO_CONTENT, "403": FORBIDDEN}
#: DRF's ``CharField`` (``allow_blank=False``, whitespace trimmed): "This field may not be
#: blank." unless something but whitespace is in it.
NON_BLANK: dict[str, Any] = {
    "type": "string",
    "minLength": 1,
    # something but whitespace; no NUL, no lone surrogate (DRF's validators refuse both)
    "pattern": r"^[^\u0000\ud800-\udfff]*[^\s\u0000\ud800-\udfff][^\u0000\ud800-\udfff]*$",
}

OPTIONAL_EMAIL = {
    "type": "string",
    "maxLength": 254,
    "pattern": f"^\\s*$|{EMAIL}",
    "description": "An e-mail address, or blank for none.",
}


def _object(
    properties: dict[str, Any], *, optional: tuple[str, ...] = (), description: str | None = None
) -> dict[str, Any]:
    """A JSON object schema whose properties are all required but the ``optional`` ones."""
    schema: dict[str, Any] = {"type": "object"}
    if description is not None:
        schema["description"] = description
    required = [name for name in properties if name not in optional]
    if required:
        schema["required"] = required
    schema["properties"] = properties
    return schema


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
#: A coordinate as REST shows it: a string with exactly six decimals.
COORDINATE = {"type": "string", "pattern": r"^-?\d+\.\d{6}$"}
NEW_USERNAME = {**NON_BLANK, "maxLength": 150}

SCHEMAS: dict[str, Any] = {
    "Detail": _object({"detail": STRING, "code": STRING}, optional=("code",)),
    "AuthenticationError": _object(
        {
            "detail": STRING,
            "code": STRING,
            "messages": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "token_class": STRING,
                        "token_type": STRING,
                        "message": STRING,
                    },
                },
            },
        },
        optional=("code", "messages"),
    ),
    "FieldErrors": {
        "type": "object",
        "description": "Messages per field, in DRF's order; `non_field_errors` for the whole body.",
        "additionalProperties": {"type": "array", "items": STRING},
    },
    "District": _object(
        {
            "id": INTEGER,
            "title": {"type": "string", "maxLength": 100},
            "abbreviation": {"type": "string", "maxLength": 10},
            "image": {"type": ["string", "null"], "format": "uri"},
        }
    ),
    "DistrictInput": _object(
        {
            "title": {**NON_BLANK, "maxLength": 100},
            "abbreviation": {"type": "string", "maxLength": 10},
            "image": {
                "type": ["string", "null"],
                "format": "binary",
                "description": "A JPEG, PNG or WebP file (multipart); null or absent: none.",
            },
        },
        optional=("abbreviation", "image"),
    ),
    "PlaceImage": _object(
        {"id": INTEGER, "image": {"type": "string", "format": "uri"}, "place": INTEGER}
    ),
    "Place": _object(
        {
            "id": INTEGER,
            "images": {"type": "array", "items": _ref("PlaceImage")},
            "title": STRING,
            "short_description": STRING,
            "full_description": STRING,
            "longitude": COORDINATE,
            "latitude": COORDINATE,
            "type": {"enum": ["unique_place", "park", "museum", "temple", "monument"]},
            "district": INTEGER,
        }
    ),
    "Profile": _object({"id": INTEGER, "username": STRING}),
    "User": _object({"email": STRING, "id": INTEGER, "username": STRING}),
    "Registration": _object(
        {
            "username": {**NON_BLANK, "maxLength": 150, "pattern": USERNAME},
            "email": OPTIONAL_EMAIL,
            "password": NON_BLANK,
        },
        optional=("email",),
    ),
    "Registered": _object({"email": STRING, "username": STRING, "id": INTEGER}),
    "Credentials": _object({"username": NON_BLANK, "password": NON_BLANK}),
    "TokenPair": _object({"refresh": STRING, "access": STRING}),
    "RefreshInput": _object({"refresh": NON_BLANK}),
    "AccessToken": _object({"access": STRING, "refresh": STRING}, optional=("refresh",)),
    "VerifyInput": _object({"token": NON_BLANK}),
    "Empty": {"type": "object", "maxProperties": 0},
    "UidToken": _object({"uid": NON_BLANK, "token": NON_BLANK}),
    "EmailInput": _object({"email": {**NON_BLANK, "maxLength": 254, "pattern": EMAIL}}),
    "SetPassword": _object({"new_password": NON_BLANK, "current_password": NON_BLANK}),
    "UserUpdate": _object(
        {"email": OPTIONAL_EMAIL},
        optional=("email",),
        description="djoser's `UserSerializer`: only `email` can change (`id`, `username` "
        "are read-only and ignored). A different address deactivates the account and mails a "
        "new activation link.",
    ),
    "CurrentPassword": _object({"current_password": NON_BLANK}),
    "SetUsername": _object({"current_password": NON_BLANK, "new_username": NEW_USERNAME}),
    "ResetUsernameConfirm": _object(
        {"uid": NON_BLANK, "token": NON_BLANK, "new_username": NEW_USERNAME}
    ),
    "ResetPasswordConfirm": _object(
        {"uid": NON_BLANK, "token": NON_BLANK, "new_password": NON_BLANK}
    ),
}


def _list(schema: str) -> dict[str, Any]:
    return {"type": "array", "items": _ref(schema)}


USER_ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[^/.]+$"},
}
#: An id the route does not match (a ``.`` in it) gets Django's HTML page, as every unknown path.
NOT_FOUND_PAGE = {"text/html": {"schema": {"type": "string"}}}


def _not_found(description: str) -> dict[str, Any]:
    response = _response(description + " An id with a `.` is Django's HTML 404 page.")
    response["content"] = {JSON: {"schema": _ref("Detail")}, **NOT_FOUND_PAGE}
    return response


NOT_FOUND = _not_found("No such account (or, for PUT/PATCH, another's account).")


def _account_changes(
    what: str, suffix: str, *, parameters: list[dict[str, Any]] | None
) -> dict[str, Any]:
    """djoser's ``PUT``/``PATCH``/``DELETE`` on ``me/`` and ``<id>/``."""
    extra = {"404": NOT_FOUND} if parameters else {}

    def update(summary: str, operation_id: str) -> dict[str, Any]:
        return _operation(
            summary,
            {"200": _response("The account.", _ref("User")), **extra},
            tag="accounts",
            body="UserUpdate",
            body_required=False,  # no body, or an empty one: nothing changes
            parameters=parameters,
            operation_id=operation_id,
        )

    return {
        "put": update(
            f"Change {what}: its e-mail (a new address deactivates until re-activated).",
            f"replace{suffix}",
        ),
        "patch": update(f"Change {what}: its e-mail, as PUT.", f"update{suffix}"),
        "delete": _operation(
            f"Delete {what}; `current_password` is the caller's own.",
            {**DONE_OR_FORBIDDEN, **extra},
            tag="accounts",
            body="CurrentPassword",
            parameters=parameters,
            operation_id=f"delete{suffix}",
        ),
    }


def _account_post(
    summary: str,
    responses: dict[str, Any] = NO_CONTENT,
    *,
    body: str,
    operation_id: str,
) -> dict[str, Any]:
    """A djoser ``POST /auth/users/<action>/`` that answers 204."""
    return {
        "post": _operation(summary, responses, tag="accounts", body=body, operation_id=operation_id)
    }


def _mail_link(summary: str, *, operation_id: str) -> dict[str, Any]:
    """djoser's ``{"email": ...}`` actions: 204 whether or not an account has the address."""
    return _account_post(
        summary, {**NO_CONTENT, "429": THROTTLED}, body="EmailInput", operation_id=operation_id
    )


def _token_post(
    summary: str,
    ok: dict[str, Any],
    *,
    body: str,
    operation_id: str,
    unauthorized: str = "Invalid or expired token.",
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """simplejwt's ``POST /auth/jwt/<action>/``: no credentials needed, a 401 ``{detail}``."""
    responses = {"200": ok, "401": _response(unauthorized, _ref("Detail")), **(extra or {})}
    return {
        "post": _operation(
            summary,
            responses,
            tag="tokens",
            body=body,
            secured=False,
            operation_id=operation_id,
        )
    }


PATHS: dict[str, Any] = {
    "/api/v1/disticts/": {
        "get": _operation(
            "All districts, ordered by id (the path's spelling is the original's).",
            {"200": _response("Districts.", _list("District"))},
            tag="places",
            operation_id="listDistricts",
        )
    },
    "/api/v1/places/": {
        "get": _operation(
            "The places of one district, ordered by id, with their images.",
            {"200": _response("Places.", _list("Place")), "400": BAD_REQUEST},
            tag="places",
            parameters=[_integer_query("district_id", "District id (DRF integer rules).")],
            operation_id="listPlaces",
        )
    },
    "/api/v1/district_create/": {
        "post": {
            **_operation(
                "Create a district (staff).",
                {
                    "201": _response("Created.", _ref("District")),
                    "400": BAD_REQUEST,
                    "403": FORBIDDEN,
                    "415": UNSUPPORTED,
                },
                tag="places",
                operation_id="createDistrict",
            ),
            "requestBody": {
                "required": True,
                "content": {
                    JSON: {"schema": _ref("DistrictInput")},
                    FORM: {"schema": _ref("DistrictInput")},
                    MULTIPART: {"schema": _ref("DistrictInput")},
                },
            },
        }
    },
    "/api/v1/profile/": {
        "get": _operation(
            "A profile, for staff or its owner; `[]` when staff ask for an unknown id.",
            {"200": _response("Profiles.", _list("Profile")), "400": BAD_REQUEST, "403": FORBIDDEN},
            tag="accounts",
            parameters=[_integer_query("id", "Account id (required: 400 without it).")],
            operation_id="getProfile",
        )
    },
    "/auth/users/": {
        "get": _operation(
            "Accounts visible to the caller (staff: all; others: their own).",
            {"200": _response("Accounts.", _list("User"))},
            tag="accounts",
            operation_id="listUsers",
        ),
        "post": _operation(
            "Register an (inactive) account.",
            {"201": _response("Registered.", _ref("Registered")), "429": THROTTLED},
            tag="accounts",
            body="Registration",
            operation_id="register",
        ),
    },
    "/auth/users/me/": {
        "get": _operation(
            "The signed-in account.",
            {"200": _response("The account.", _ref("User"))},
            tag="accounts",
            operation_id="me",
        ),
        **_account_changes("the signed-in account", "Me", parameters=None),
    },
    "/auth/users/{id}/": {
        "get": _operation(
            "One account (its owner or staff; others' accounts are 404).",
            {
                "200": _response("The account.", _ref("User")),
                "404": _not_found("No such account."),
            },
            tag="accounts",
            parameters=[USER_ID],
            operation_id="getUser",
        ),
        **_account_changes("one account (its owner or staff)", "User", parameters=[USER_ID]),
    },
    "/auth/users/activation/": _account_post(
        "Activate an account with the mailed `uid` and `token`.",
        DONE_OR_FORBIDDEN,
        body="UidToken",
        operation_id="activateAccount",
    ),
    "/auth/users/resend_activation/": _mail_link(
        "Mail the activation link again (always 204). Rate-limited.",
        operation_id="resendActivation",
    ),
    "/auth/users/set_password/": _account_post(
        "Change the signed-in account's password.",
        DONE_OR_FORBIDDEN,
        body="SetPassword",
        operation_id="setPassword",
    ),
    "/auth/users/reset_password/": _mail_link(
        "Mail a password-reset link (always 204). Rate-limited.", operation_id="resetPassword"
    ),
    "/auth/users/reset_password_confirm/": _account_post(
        "Set a new password with the mailed `uid` and `token`.",
        body="ResetPasswordConfirm",
        operation_id="resetPasswordConfirm",
    ),
    "/auth/users/set_username/": _account_post(
        "Rename the signed-in account.",
        DONE_OR_FORBIDDEN,
        body="SetUsername",
        operation_id="setUsername",
    ),
    "/auth/users/reset_username/": _mail_link(
        "Mail a link to choose a new username (always 204). Rate-limited.",
        operation_id="resetUsername",
    ),
    "/auth/users/reset_username_confirm/": _account_post(
        "Set a new username with the mailed `uid` and `token`.",
        body="ResetUsernameConfirm",
        operation_id="resetUsernameConfirm",
    ),
    "/auth/jwt/create/": _token_post(
        "Log in: an access and a refresh token.",
        _response("Tokens.", _ref("TokenPair")),
        body="Credentials",
        operation_id="tokenCreate",
        unauthorized="No active account found with the given credentials.",
        extra={"429": THROTTLED},
    ),
    "/auth/jwt/refresh/": _token_post(
        "A new access token for a refresh token.",
        _response("Access token.", _ref("AccessToken")),
        body="RefreshInput",
        operation_id="tokenRefresh",
    ),
    "/auth/jwt/verify/": _token_post(
        "Check a token's signature and expiry.",
        _response("Valid.", _ref("Empty")),
        body="VerifyInput",
        operation_id="tokenVerify",
    ),
}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "citygraph REST compatibility API",
            "version": "1.0.0",
            "description": (
                "The original Django/DRF service's REST API, served over the citygraph domain. "
                "Authenticate with `Authorization: JWT <access token>` from `/auth/jwt/create/`. "
                "New clients should prefer GraphQL at `/graphql`."
            ),
        },
        "servers": [{"url": "/"}],
        "tags": [
            {"name": "places", "description": "Districts and places."},
            {"name": "accounts", "description": "Registration and accounts (djoser)."},
            {"name": "tokens", "description": "JSON web tokens (simplejwt)."},
        ],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "jwt": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "`JWT <access token>` (the keyword is `JWT`, not `Bearer`).",
                }
            },
        },
    }


_DOCUMENT = json_bytes(document())


async def openapi_json(_request: Request) -> Response:
    return Response(_DOCUMENT, media_type=JSON)


def routes() -> list[BaseRoute]:
    return [
        Route("/api/openapi.json", openapi_json, methods=["GET", "HEAD"]),
    ]
