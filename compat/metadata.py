"""DRF's ``OPTIONS`` answers (``SimpleMetadata``), as the original renders them.

DRF builds these from the view's name, docstring and serializer; the original's never change, so
they are written out here and rendered once (compact JSON, as on the wire).
"""

from __future__ import annotations

from typing import Any

from compat.rendering import json_bytes

RENDERS = ["application/json", "text/html"]
PARSES = ["application/json", "application/x-www-form-urlencoded", "multipart/form-data"]

ID = {"type": "integer", "required": False, "read_only": True, "label": "ID"}
EMAIL = {
    "type": "email",
    "required": False,
    "read_only": False,
    "label": "Email address",
    "max_length": 254,
}
USERNAME_READ_ONLY = {
    "type": "string",
    "required": False,
    "read_only": True,
    "label": "Username",
    "help_text": "Required. 150 characters or fewer. Letters, digits and @/./+/-/_ only.",
}
# djoser answers every user action's OPTIONS with its ``UserSerializer`` fields.
USER_FIELDS = {"email": EMAIL, "id": ID, "username": USERNAME_READ_ONLY}


def _string(label: str, *, required: bool = True, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "required": required, "read_only": False, "label": label, **extra}


def _meta(name: str, description: str = "", actions: dict[str, Any] | None = None) -> bytes:
    body: dict[str, Any] = {
        "name": name,
        "description": description,
        "renders": RENDERS,
        "parses": PARSES,
    }
    if actions is not None:
        body["actions"] = actions
    return json_bytes(body)


DISTRICT_LIST = _meta("District List")
PLACE_LIST = _meta("Place List")
PROFILE = _meta("Profile")
DISTRICT_CREATE = _meta(
    "District Create",
    actions={
        "POST": {
            "id": ID,
            "title": _string("Title", max_length=100),
            "abbreviation": _string("Abbreviation", required=False, max_length=10),
            "image": {
                "type": "image upload",
                "required": False,
                "read_only": False,
                "label": "Image",
                "max_length": 100,
            },
        }
    },
)
USER_LIST = _meta("User List", actions={"POST": USER_FIELDS})
USER_INSTANCE = _meta("User Instance", actions={"PUT": USER_FIELDS})
ACTIVATION = _meta("Activation", actions={"POST": USER_FIELDS})
RESEND_ACTIVATION = _meta("Resend activation", actions={"POST": USER_FIELDS})
SET_PASSWORD = _meta("Set password", actions={"POST": USER_FIELDS})
RESET_PASSWORD = _meta("Reset password", actions={"POST": USER_FIELDS})
RESET_PASSWORD_CONFIRM = _meta("Reset password confirm", actions={"POST": USER_FIELDS})
SET_USERNAME = _meta("Set username", actions={"POST": USER_FIELDS})
RESET_USERNAME = _meta("Reset username", actions={"POST": USER_FIELDS})
RESET_USERNAME_CONFIRM = _meta("Reset username confirm", actions={"POST": USER_FIELDS})
TOKEN_OBTAIN_PAIR = _meta(
    "Token Obtain Pair",
    "Takes a set of user credentials and returns an access and refresh JSON web\n"
    "token pair to prove the authentication of those credentials.",
    {"POST": {"username": _string("Username"), "password": _string("Password")}},
)
TOKEN_REFRESH = _meta(
    "Token Refresh",
    "Takes a refresh type JSON web token and returns an access type JSON web\n"
    "token if the refresh token is valid.",
    {
        "POST": {
            "refresh": _string("Refresh"),
            "access": {"type": "string", "required": False, "read_only": True, "label": "Access"},
        }
    },
)
TOKEN_VERIFY = _meta(
    "Token Verify",
    "Takes a token and indicates if it is valid.  This view provides no\n"
    "information about a token's fitness for a particular use.",
    {"POST": {"token": _string("Token")}},
)
