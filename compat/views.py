"""The original service's views: parse the request, call one domain function, render.

No SQL and no permission rules here. Where DRF checks a permission *before* the method and the
body (``district_create/``, ``profile/``, djoser's actions), the endpoint's permission hook
calls the domain's own rule (``require_staff``, ``current_user``, ``get_profile``) first.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from starlette.responses import Response

from citygraph.domain import accounts, districts, places, tokens
from citygraph.domain.errors import InvalidInput, NotFound, NotOwner
from citygraph.domain.media import media_url
from citygraph.domain.values import UNSET
from citygraph.models import District, Place, PlaceImage, User
from citygraph.security.permissions import require_staff
from compat import errors
from compat.endpoint import Call
from compat.errors import ApiError
from compat.parsing import EMPTY, Body, FieldReader, Upload, query_integer
from compat.rendering import empty_response

COORDINATE_QUANTUM = Decimal("0.000001")

# --- representations (DRF serializers' field order) --------------------------------------------


def district_json(call: Call, district: District) -> dict[str, Any]:
    return {
        "id": district.id,
        "title": district.title,
        "abbreviation": district.abbreviation,
        "image": media_url(call.services.settings, call.base_url, district.image),
    }


def _coordinate(value: Decimal) -> str:
    return format(Decimal(value).quantize(COORDINATE_QUANTUM), "f")


def place_json(call: Call, place: Place, images: list[PlaceImage]) -> dict[str, Any]:
    settings = call.services.settings
    return {
        "id": place.id,
        "images": [
            {
                "id": image.id,
                "image": media_url(settings, call.base_url, image.image),
                "place": image.place_id,
            }
            for image in images
        ],
        "title": place.title,
        "short_description": place.short_description,
        "full_description": place.full_description,
        "longitude": _coordinate(place.longitude),
        "latitude": _coordinate(place.latitude),
        "type": str(place.type.value if hasattr(place.type, "value") else place.type),
        "district": place.district_id,
    }


def user_json(user: User) -> dict[str, Any]:
    """djoser's ``UserSerializer``: ``email, id, username``."""
    return {"email": user.email, "id": user.id, "username": user.username}


def _client_address(call: Call) -> str | None:
    client = call.request.client
    return client.host if client else None


# --- permission hooks (domain rules, run before the method and the body, as DRF does) ----------


async def staff_only(call: Call) -> None:
    require_staff(call.actor)


async def signed_in(call: Call) -> None:
    accounts.current_user(call.actor)


async def profile_owner_or_staff(call: Call) -> None:
    """``IsStaffOrProfileOwner`` on the raw ``?id=`` (methods other than GET)."""
    try:
        await accounts.get_profile(
            call.session, call.actor, call.request.query_params.get("id", "")
        )
    except NotFound:
        return


# --- /api/v1/ ----------------------------------------------------------------------------------


async def district_list(call: Call) -> Response:
    rows = await districts.list_districts(call.session)
    return call.respond([district_json(call, district) for district in rows])


async def place_list(call: Call) -> Response:
    district_id = query_integer(call.request, "district_id")
    rows = await places.list_district_places(call.session, district_id)
    images = await places.images_for_places(call.session, [p.id for p in rows if p.id])
    return call.respond([place_json(call, p, images.get(p.id or 0, [])) for p in rows])


async def district_create(call: Call) -> Response:
    body = await call.body()
    reader = FieldReader(body)
    values: dict[str, Any] = {}
    for name in ("title", "abbreviation"):
        value = _form_text(body.get(name))
        if value is None:
            reader.errors[name] = [errors.NULL]
        elif value is not EMPTY:  # NUL and surrogates are the domain's (``clean_text``)
            values[name] = value
    image = reader.image("image")
    upload = image if isinstance(image, bytes) else None
    fields = {
        "title": values.get("title", UNSET),
        "abbreviation": values.get("abbreviation", UNSET),
        "image": upload,
    }
    settings = call.services.settings
    if reader.errors:  # DRF reports its own and the field rules' errors together
        try:
            districts.check_new_district(settings, call.actor, **fields)
            problems: dict[str, list[str]] = {}
        except InvalidInput as exc:
            problems = {key: msgs for key, msgs in exc.fields.items() if key not in reader.errors}
        merged = {**problems, **reader.errors}
        raise ApiError.fields({key: merged[key] for key in fields if key in merged})
    district = await districts.create_district(call.session, settings, call.actor, **fields)
    return call.respond(district_json(call, district), 201)


def _form_text(value: Any) -> Any:
    """A file sent where text is expected reads as its name (Django's ``QueryDict`` merge)."""
    return value.filename if isinstance(value, Upload) else value


async def profile(call: Call) -> Response:
    raw = call.request.query_params.get("id")
    users = await accounts.profiles_for(call.session, call.actor, raw)
    return call.respond([{"id": user.id, "username": user.username} for user in users])


# --- /auth/users/ (djoser) ---------------------------------------------------------------------


async def user_list(call: Call) -> Response:
    users = await accounts.list_users(call.session, call.actor)
    return call.respond([user_json(user) for user in users])


REGISTRATION_FIELDS = ("email", "username", "password")


async def register(call: Call) -> Response:
    """djoser's ``UserCreateSerializer``: transport and value errors together, in field order."""
    reader = FieldReader(await call.body())
    email = reader.string("email", required=False, allow_blank=True, default="", characters=False)
    username = reader.string("username", allow_blank=True, characters=False)
    password = reader.string("password", allow_blank=True, characters=False)
    if reader.errors:
        values = {"email": email, "username": username, "password": password}
        checked = {key: None if key in reader.errors else value for key, value in values.items()}
        try:
            await accounts.validate_new_account(call.session, **checked)
        except InvalidInput as exc:
            reader.errors.update(exc.fields)
        reader.raise_if_errors(REGISTRATION_FIELDS)
    user = await accounts.register(
        call.session,
        call.services,
        username=username,
        email=email,
        password=password,
        client_address=_client_address(call),
    )
    return call.respond({"email": user.email, "username": user.username, "id": user.id}, 201)


async def user_me(call: Call) -> Response:
    return call.respond(user_json(accounts.current_user(call.actor)))


def _no_such_user(pk: str) -> ApiError:
    """DRF's ``get_object_or_404``: an id that parses names no user; anything else is a 404."""
    message = errors.NOT_FOUND
    if pk.strip().lstrip("+-").isdigit():
        message = "No User matches the given query."
    return ApiError.detail(404, message)


async def user_detail(call: Call) -> Response:
    pk = call.request.path_params["pk"]
    try:
        user = await accounts.get_profile(call.session, call.actor, pk)
    except NotOwner as exc:  # djoser's HIDE_USERS: others' accounts do not exist
        raise ApiError.detail(404, errors.NOT_FOUND) from exc
    except NotFound as exc:
        raise _no_such_user(pk) from exc
    return call.respond(user_json(user))


def _path_user(call: Call) -> str | None:
    """``None`` on ``/auth/users/me/``, the raw ``<id>`` on ``/auth/users/<id>/``."""
    pk = call.request.path_params.get("pk")
    return None if pk is None else str(pk)


async def user_update(call: Call) -> Response:
    """``PUT``/``PATCH`` on ``me/`` or ``<id>/``: djoser's ``UserSerializer`` (``email`` only)."""
    reader = FieldReader(await call.body())
    email = reader.string("email", required=False, allow_blank=True, characters=False)
    reader.raise_if_errors()
    pk = _path_user(call)
    try:
        user = await accounts.update_account(
            call.session,
            call.services,
            call.actor,
            pk,
            email=None if email is EMPTY else email,
        )
    except NotFound as exc:
        raise _no_such_user(pk or "") from exc
    except NotOwner as exc:
        raise ApiError.detail(404, errors.NOT_FOUND) from exc  # HIDE_USERS, as for GET
    return call.respond(user_json(user))


async def user_delete(call: Call) -> Response:
    """``DELETE`` on ``me/`` or ``<id>/`` with the caller's ``current_password``: 204."""
    reader = FieldReader(await call.body())
    current_password = reader.string("current_password")
    pk = _path_user(call)
    try:
        # djoser looks the account up and checks the permission before reading the body.
        await accounts.account_to_change(call.session, call.actor, pk)
    except NotFound as exc:
        raise _no_such_user(pk or "") from exc
    reader.raise_if_errors()
    await accounts.delete_account(call.session, call.actor, pk, current_password)
    return empty_response()


async def set_username(call: Call) -> Response:
    reader = FieldReader(await call.body())
    current_password = reader.string("current_password")
    new_username = reader.string("new_username", characters=False)
    if reader.errors:
        try:
            await accounts.validate_username_change(
                call.session,
                call.actor,
                current_password=None if "current_password" in reader.errors else current_password,
                new_username=None if "new_username" in reader.errors else new_username,
            )
        except InvalidInput as exc:
            reader.errors.update(exc.fields)
        reader.raise_if_errors(("current_password", "new_username"))
    await accounts.change_username(call.session, call.actor, current_password, new_username)
    return empty_response()


async def _mail_link(call: Call, request: accounts.MailLinkRequest) -> Response:
    """djoser's ``{"email": ...}`` endpoints: 204 whether or not an account has the address."""
    reader = FieldReader(await call.body())
    email = reader.string("email", allow_blank=True)
    reader.raise_if_errors()
    await request(call.session, call.services, email, client_address=_client_address(call))
    return empty_response()


async def reset_username(call: Call) -> Response:
    return await _mail_link(call, accounts.request_username_reset)


def _raw_text(body: Body, name: str) -> str:
    """djoser reads ``uid``/``token`` of the username reset from the raw data (not fields)."""
    value = body.get(name)
    return value if isinstance(value, str) else ""


async def reset_username_confirm(call: Call) -> Response:
    body = await call.body()
    reader = FieldReader(body)
    new_username = reader.string("new_username", characters=False)
    reader.raise_if_errors()
    await accounts.confirm_username_reset(
        call.session,
        call.services.settings,
        _raw_text(body, "uid"),
        _raw_text(body, "token"),
        new_username,
    )
    return empty_response()


async def activation(call: Call) -> Response:
    reader = FieldReader(await call.body())
    uid = reader.string("uid")
    token = reader.string("token")
    reader.raise_if_errors(("uid", "token"))
    await accounts.activate_account(call.session, call.services.settings, uid, token)
    return empty_response()


async def resend_activation(call: Call) -> Response:
    return await _mail_link(call, accounts.resend_activation)


async def set_password(call: Call) -> Response:
    reader = FieldReader(await call.body())
    new_password = reader.string("new_password", allow_blank=True)
    current_password = reader.string("current_password", allow_blank=True)
    reader.raise_if_errors(("new_password", "current_password"))
    await accounts.change_password(
        call.session, call.services.settings, call.actor, current_password, new_password
    )
    return empty_response()


async def reset_password(call: Call) -> Response:
    return await _mail_link(call, accounts.request_password_reset)


async def reset_password_confirm(call: Call) -> Response:
    reader = FieldReader(await call.body())
    uid = reader.string("uid")
    token = reader.string("token")
    new_password = reader.string("new_password", allow_blank=True)
    reader.raise_if_errors(("uid", "token", "new_password"))
    await accounts.confirm_password_reset(
        call.session, call.services.settings, uid, token, new_password
    )
    return empty_response()


# --- /auth/jwt/ (simplejwt) --------------------------------------------------------------------


async def token_create(call: Call) -> Response:
    reader = FieldReader(await call.body())
    username = reader.string("username")
    password = reader.string("password")
    reader.raise_if_errors(("username", "password"))
    pair = await tokens.create_token_pair(
        call.session,
        call.services,
        username=username,
        password=password,
        client_address=_client_address(call),
    )
    return call.respond({"refresh": pair.refresh, "access": pair.access})


async def token_refresh(call: Call) -> Response:
    reader = FieldReader(await call.body())
    refresh = reader.string("refresh")
    reader.raise_if_errors()
    pair = await tokens.refresh(call.session, call.services.settings, refresh)
    body = {"access": pair.access}
    if pair.refresh is not None:
        body["refresh"] = pair.refresh
    return call.respond(body)


async def token_verify(call: Call) -> Response:
    reader = FieldReader(await call.body())
    token = reader.string("token")
    reader.raise_if_errors()
    await tokens.verify(call.session, call.services.settings, token)
    return call.respond({})
