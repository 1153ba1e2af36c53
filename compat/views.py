"""The original service's views: read the request's shape, call one domain operation, render.

No SQL, no rules and no permissions here: raw values go to the domain's forms
(``citygraph.domain.parsers.Form``), which report transport and value problems together in
DRF's order. Where DRF checks a permission *before* the method and the body
(``district_create/``, ``profile/``, djoser's actions), the endpoint's permission hook asks the
domain's own rule first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import orjson
from starlette.responses import Response, StreamingResponse

from citygraph.domain import accounts, districts, tokens
from citygraph.domain.accounts import ME
from citygraph.domain.errors import FieldError, NotFound, NotOwner
from citygraph.domain.media import media_prefix, media_url
from citygraph.domain.parsers import Form, parse_id, parse_one, text
from citygraph.domain.policy import require_staff
from citygraph.domain.unit import UnitOfWork
from citygraph.jsonsql import Dialect, Sql
from citygraph.models import District, User
from citygraph.web.cache import mark_cacheable
from compat import errors, lists
from compat.endpoint import Call
from compat.errors import ApiError
from compat.parsing import Body, FieldReader, query_id
from compat.rendering import empty_response

F = TypeVar("F", bound=Form)

# --- representations (DRF serializers' field order) --------------------------------------------


def district_json(call: Call, district: District) -> dict[str, Any]:
    return {
        "id": district.id,
        "title": district.title,
        "abbreviation": district.abbreviation,
        "image": media_url(call.services.settings, call.base_url, district.image),
    }


def user_json(user: User) -> dict[str, Any]:
    """djoser's ``UserSerializer``: ``email, id, username``."""
    return {"email": user.email, "id": user.id, "username": user.username}


# --- permission hooks (domain rules, run before the method and the body, as DRF does) ----------


async def staff_only(call: Call) -> None:
    require_staff(call.uow.actor)


async def signed_in(call: Call) -> None:
    accounts.current_user(call.uow)


async def profile_owner_or_staff(call: Call) -> None:
    """``IsStaffOrProfileOwner`` on the raw ``?id=`` (methods other than GET)."""
    accounts.profile_permission(call.uow, call.request.query_params.get("id"))


# --- /api/v1/ ----------------------------------------------------------------------------------


async def _list(call: Call, statement: str, sql: Sql) -> Response:
    """A public list: JSON from the database, and the response cache may keep it."""
    mark_cacheable(call.request.scope)
    response = await lists.json_list(call.services.reader, statement, sql)
    if call.indent is None:
        return response
    assert not isinstance(response, StreamingResponse)  # indent is for people, not 10k rows
    return call.respond(orjson.loads(response.body))


def _dialect(call: Call) -> Dialect:
    return "sqlite" if call.services.engine.dialect.name == "sqlite" else "postgresql"


async def district_list(call: Call) -> Response:
    statement, sql = lists.districts_statement(_dialect(call), _media_base(call))
    return await _list(call, statement, sql)


async def place_list(call: Call) -> Response:
    district_id = query_id(call.request, "district_id")
    statement, sql = lists.places_statement(_dialect(call), _media_base(call), district_id)
    return await _list(call, statement, sql)


def _media_base(call: Call) -> str:
    return media_prefix(call.services.settings, call.base_url)


async def district_create(call: Call) -> Response:
    reader = FieldReader(await call.body())
    form = districts.DistrictForm.parse(
        title=_not_null(reader.text("title")),
        abbreviation=_not_null(reader.text("abbreviation")),
        image=reader.image("image"),
    )
    district = await districts.create_district(call.uow, form)
    return call.respond(district_json(call, district), 201)


def _not_null(value: object) -> object:
    """The original's ``title``/``abbreviation`` are ``CharField(allow_null=False)``: ``null``
    is refused before the field's own rules (DRF's ``validate_empty_values``)."""
    return FieldError("null") if value is None else value


async def profile(call: Call) -> Response:
    raw = call.request.query_params.get("id")
    users = await accounts.profiles_for(call.uow, raw)
    return call.respond([{"id": user.id, "username": user.username} for user in users])


# --- /auth/users/ (djoser) ---------------------------------------------------------------------


async def user_list(call: Call) -> Response:
    users = await accounts.list_users(call.uow)
    return call.respond([user_json(user) for user in users])


async def register(call: Call) -> Response:
    """djoser's ``UserCreateSerializer``: transport and value errors together, in field order."""
    reader = FieldReader(await call.body())
    form = accounts.NewAccount.parse(
        email=reader.text("email"),
        username=reader.text("username"),
        password=reader.text("password"),
    )
    user = await accounts.register(call.uow, form)
    return call.respond({"email": user.email, "username": user.username, "id": user.id}, 201)


async def user_me(call: Call) -> Response:
    return call.respond(user_json(accounts.current_user(call.uow)))


def _path_ref(call: Call) -> accounts.AccountRef:
    """``ME`` on ``/auth/users/me/``, the account id on ``/auth/users/<id>/``."""
    pk = call.request.path_params.get("pk")
    return ME if pk is None else parse_id(str(pk))


def _hidden_or_missing(call: Call, exc: NotFound | NotOwner) -> ApiError:
    """djoser's 404s: ``HIDE_USERS`` turns another's account into "Not found."; a missing one
    is ``get_object_or_404``'s "No User matches the given query." when the id parses."""
    pk = str(call.request.path_params.get("pk", ""))
    if isinstance(exc, NotFound) and pk.strip().lstrip("+-").isdigit():
        return ApiError.detail(404, exc.message)
    return ApiError.detail(404, errors.NOT_FOUND)


async def user_detail(call: Call) -> Response:
    try:
        user = await accounts.get_account(call.uow, _path_ref(call))
    except (NotFound, NotOwner) as exc:
        raise _hidden_or_missing(call, exc) from exc
    return call.respond(user_json(user))


async def user_update(call: Call) -> Response:
    """``PUT``/``PATCH`` on ``me/`` or ``<id>/``: djoser's ``UserSerializer`` (``email`` only)."""
    reader = FieldReader(await call.body())
    form = accounts.EmailChange.parse(partial=True, email=reader.text("email"))
    try:
        user = await accounts.update_account(call.uow, _path_ref(call), form)
    except (NotFound, NotOwner) as exc:  # HIDE_USERS, as for GET
        raise _hidden_or_missing(call, exc) from exc
    return call.respond(user_json(user))


async def user_delete(call: Call) -> Response:
    """``DELETE`` on ``me/`` or ``<id>/`` with the caller's ``current_password``: 204.

    djoser hides nothing here: another account is a 403.
    """
    reader = FieldReader(await call.body())
    form = accounts.Deletion.parse(current_password=reader.text("current_password"))
    try:
        await accounts.delete_account(call.uow, _path_ref(call), form)
    except NotFound as exc:
        raise _hidden_or_missing(call, exc) from exc
    return empty_response()


async def _action(
    call: Call,
    form: type[F],
    operation: Callable[[UnitOfWork, F], Awaitable[object]],
    *names: str,
) -> Response:
    """djoser's ``POST /auth/users/<action>/`` that answers 204: the body's ``names`` fields
    parsed by ``form``, then ``operation`` on it."""
    reader = FieldReader(await call.body())
    await operation(
        call.uow, form.parse(partial=False, **{name: reader.text(name) for name in names})
    )
    return empty_response()


async def set_username(call: Call) -> Response:
    return await _action(
        call,
        accounts.UsernameChange,
        accounts.change_username,
        "current_password",
        "new_username",
    )


async def _link_request(call: Call, operation: accounts.LinkRequestOperation) -> Response:
    """djoser's ``{"email": ...}`` endpoints: 204 whether or not an account has the address."""
    return await _action(call, accounts.LinkRequest, operation, "email")


async def reset_username(call: Call) -> Response:
    return await _link_request(call, accounts.request_username_reset)


def _raw_text(body: Body, name: str) -> str:
    """djoser reads ``uid``/``token`` of the username reset from the raw data (not fields)."""
    value = body.get(name)
    return value if isinstance(value, str) else ""


async def reset_username_confirm(call: Call) -> Response:
    body = await call.body()
    form = accounts.UsernameResetConfirmation.parse(
        new_username=FieldReader(body).text("new_username"),
        uid=_raw_text(body, "uid"),
        token=_raw_text(body, "token"),
    )
    await accounts.confirm_username_reset(call.uow, form)
    return empty_response()


async def activation(call: Call) -> Response:
    return await _action(call, accounts.LinkToken, accounts.activate_account, "uid", "token")


async def resend_activation(call: Call) -> Response:
    return await _link_request(call, accounts.resend_activation)


async def set_password(call: Call) -> Response:
    return await _action(
        call,
        accounts.PasswordChange,
        accounts.change_password,
        "new_password",
        "current_password",
    )


async def reset_password(call: Call) -> Response:
    return await _link_request(call, accounts.request_password_reset)


async def reset_password_confirm(call: Call) -> Response:
    return await _action(
        call,
        accounts.PasswordResetConfirmation,
        accounts.confirm_password_reset,
        "uid",
        "token",
        "new_password",
    )


# --- /auth/jwt/ (simplejwt) --------------------------------------------------------------------


async def token_create(call: Call) -> Response:
    reader = FieldReader(await call.body())
    credentials = accounts.Credentials.parse(
        username=reader.text("username"), password=reader.text("password")
    )
    pair = await tokens.create_token_pair(call.uow, credentials)
    return call.respond({"refresh": pair.refresh, "access": pair.access})


async def _token_field(call: Call, name: str) -> str:
    """simplejwt's ``refresh``/``token`` field: a ``CharField`` like any other."""
    return parse_one(name, FieldReader(await call.body()).text(name), text())


async def token_refresh(call: Call) -> Response:
    pair = await tokens.refresh(call.uow, await _token_field(call, "refresh"))
    body = {"access": pair.access}
    if pair.refresh is not None:
        body["refresh"] = pair.refresh
    return call.respond(body)


async def token_verify(call: Call) -> Response:
    await tokens.verify(call.uow, await _token_field(call, "token"))
    return call.respond({})
