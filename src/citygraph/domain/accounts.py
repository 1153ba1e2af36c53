"""User accounts: registration, activation, login checks, passwords and profiles.

Behaviour follows the original stack (Django 5.2 ``User``, djoser 2.3 ``UserViewSet`` with
``SEND_ACTIVATION_EMAIL``): the same validation messages in the same order, the same one-time
``uid``/``token`` links, the same ``Stale token for given user.`` answer to a reused activation
link. Text inputs are stripped of surrounding whitespace first, as DRF's ``CharField`` does, so an
account registered through either face logs in through the other.

Every function takes the session of the current unit of work; ``register`` commits it itself
(before mailing, so no database lock is held while talking to the SMTP server).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from citygraph import mail
from citygraph.config import Settings
from citygraph.domain import account_tokens
from citygraph.domain.errors import (
    AuthenticationFailed,
    FieldErrors,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    NotOwner,
    PermissionDenied,
)
from citygraph.domain.fields import character_problems
from citygraph.models import User
from citygraph.security import passwords, validators
from citygraph.security.permissions import (
    Actor,
    System,
    is_staff,
    require_owner_or_staff,
    require_staff,
    require_user,
)
from citygraph.services import Services

log = logging.getLogger("citygraph.accounts")

DUPLICATE_USERNAME = "A user with that username already exists."
# djoser 2.3 ``constants.Messages``.
INVALID_UID = "Invalid user id or user doesn't exist."
INVALID_TOKEN = "Invalid token for given user."
STALE_TOKEN = "Stale token for given user."
INVALID_PASSWORD = "Invalid password."
CANNOT_DEACTIVATE_YOURSELF = "You cannot deactivate your own account."
# DRF ``IntegerField``.
INVALID_INTEGER = "A valid integer is required."
STRING_TOO_LARGE = "String value too large."
_MAX_INTEGER_STRING = 1000
_MAX_ID = 2**63 - 1
_DRF_DECIMAL_SUFFIX = re.compile(r"\.0*\s*$")


def validate_password(password: str, *, username: str | None, email: str | None) -> list[str]:
    """Django's default password validators (plus the 72-byte bcrypt limit), messages in order."""
    return validators.validate_password(password, username=username, email=email)


async def get_user_by_username(session: AsyncSession, username: str) -> User | None:
    result = await session.exec(select(User).where(User.username == username))
    return result.first()


async def create_user(
    session: AsyncSession,
    settings: Settings,
    *,
    username: str,
    email: str,
    password: str,
    is_active: bool = False,
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    """Insert a user without validation; the unique index decides races (one twin wins)."""
    user = User(
        username=username,
        email=email,
        password=await passwords.hash_password(password, settings.bcrypt_rounds),
        is_active=is_active,
        is_staff=is_staff,
        is_superuser=is_superuser,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise InvalidInput.single("username", DUPLICATE_USERNAME) from exc
    return user


async def create_superuser(
    session: AsyncSession, settings: Settings, *, username: str, email: str, password: str
) -> User:
    return await create_user(
        session,
        settings,
        username=username,
        email=email,
        password=password,
        is_active=True,
        is_staff=True,
        is_superuser=True,
    )


async def _username_problems(session: AsyncSession, username: str) -> list[str]:
    """A (trimmed) new username's messages in DRF's validator order: the character rule,
    uniqueness (after NFKC, as stored), the length limit, then NUL and surrogates."""
    messages = validators.username_problems(username)
    # A name with NUL or a lone surrogate cannot be stored, so no account holds it (and neither
    # database could even be asked).
    if username and not character_problems(username):
        holder = await get_user_by_username(session, validators.normalize_username(username))
        if holder is not None:
            position = 1 if validators.INVALID_USERNAME in messages else 0
            messages.insert(position, DUPLICATE_USERNAME)
    return messages


async def validate_new_account(
    session: AsyncSession, *, username: str | None, email: str | None, password: str | None
) -> None:
    """All registration checks, raising ``InvalidInput`` as the original would.

    Field checks first (keys in djoser's serializer order: email, username, password); the
    password validators run only when those pass, exactly like ``UserCreateSerializer.validate``.
    A ``None`` field was already refused by the caller (REST's transport checks: null, missing,
    not a string): it is skipped, and so are the password validators, so that the caller can
    merge its own messages with these.
    """
    errors = FieldErrors()
    for message in validators.email_problems(email) if email is not None else []:
        errors.add("email", message)
    for message in await _username_problems(session, username) if username is not None else []:
        errors.add("username", message)
    for message in validators.password_field_problems(password) if password is not None else []:
        errors.add("password", message)
    errors.raise_if_any()
    if username is None or email is None or password is None:
        return
    problems = validate_password(password, username=username, email=email)
    if problems:
        raise InvalidInput({"password": problems})


async def register(
    session: AsyncSession,
    services: Services,
    *,
    username: str,
    email: str,
    password: str,
    client_address: str | None = None,
) -> User:
    """Create an inactive account and mail its activation link (when it has an e-mail address).

    Rate-limited per client address and per username (``RateLimited``). Commits the session.
    """
    username, email, password = username.strip(), email.strip(), password.strip()
    await services.limiter.hit("register", [("address", client_address), ("username", username)])
    await validate_new_account(session, username=username, email=email, password=password)
    user = await create_user(
        session,
        services.settings,
        username=validators.normalize_username(username),
        email=validators.normalize_email(email),
        password=password,
    )
    await session.commit()
    if user.email:
        await _send_link(services, user, mail.activation_message)
    return user


async def authenticate(
    session: AsyncSession, settings: Settings, username: str, password: str
) -> User:
    """The active user with these credentials, or ``AuthenticationFailed`` (one message for all).

    An unknown username costs one bcrypt check too, so timing does not tell accounts apart.
    """
    username = username.strip()
    # NUL or a lone surrogate: no such account (and the databases could not be asked).
    user = None if character_problems(username) else await get_user_by_username(session, username)
    if user is None:
        await passwords.dummy_check(settings.bcrypt_rounds)
        raise AuthenticationFailed
    if not await passwords.check_password(password.strip(), user.password) or not user.is_active:
        raise AuthenticationFailed
    return user


async def _user_from_uid_and_token(
    session: AsyncSession, settings: Settings, uid: str, token: str
) -> User:
    pk = account_tokens.decode_uid(uid)
    user = await session.get(User, pk) if pk is not None else None
    if user is None:
        raise InvalidInput.single("uid", INVALID_UID)
    if not account_tokens.check_token(
        user, token, settings.secret_key, settings.account_token_lifetime
    ):
        raise InvalidInput.single("token", INVALID_TOKEN)
    return user


async def activate_account(session: AsyncSession, settings: Settings, uid: str, token: str) -> User:
    """djoser's activation: bad uid/token -> ``InvalidInput``; already active -> stale (403)."""
    user = await _user_from_uid_and_token(session, settings, uid, token)
    if user.is_active:
        raise PermissionDenied(STALE_TOKEN)
    user.is_active = True
    session.add(user)
    await session.flush()
    return user


def _email_for_lookup(email: str) -> str:
    email = email.strip()
    problems = validators.email_problems(email) if email else [validators.BLANK]
    if problems:
        raise InvalidInput({"email": problems})
    return validators.normalize_email(email)


async def _users_with_email(session: AsyncSession, email: str, *, active: bool) -> list[User]:
    result = await session.exec(
        select(User).where(User.email == email, User.is_active == active).order_by(col(User.id))
    )
    # Django's ``has_usable_password``: unusable hashes start with "!".
    return [user for user in result.all() if not user.password.startswith("!")]


async def _mail_recipients(
    session: AsyncSession,
    services: Services,
    email: str,
    client_address: str | None,
    *,
    active: bool,
) -> list[User]:
    """The accounts a mail-sending request reaches, after the shared ``mail`` rate limit.

    The limit counts per client address and per (case-folded) target address, whether or not an
    account has it, so neither a client nor a victim's mailbox can be flooded.
    """
    address = _email_for_lookup(email)
    await services.limiter.hit("mail", [("address", client_address), ("email", address.casefold())])
    return await _users_with_email(session, address, active=active)


async def _send_link(
    services: Services, user: User, compose: Callable[[Settings, str, str, str], tuple[str, str]]
) -> None:
    assert user.id is not None
    uid = account_tokens.encode_uid(user.id)
    token = account_tokens.make_token(user, services.settings.secret_key)
    subject, body = compose(services.settings, user.username, uid, token)
    await services.mailer.send_quietly(user.email, subject, body)


class MailLinkRequest(Protocol):
    """``resend_activation``, ``request_password_reset`` and ``request_username_reset``."""

    def __call__(
        self,
        session: AsyncSession,
        services: Services,
        email: str,
        *,
        client_address: str | None = None,
    ) -> Awaitable[None]: ...


async def resend_activation(
    session: AsyncSession, services: Services, email: str, *, client_address: str | None = None
) -> None:
    """Re-send the activation link to inactive accounts with this address; silent otherwise.

    Rate-limited (``mail``: per client address and per e-mail address).
    """
    for user in await _mail_recipients(session, services, email, client_address, active=False):
        await _send_link(services, user, mail.activation_message)


async def request_password_reset(
    session: AsyncSession, services: Services, email: str, *, client_address: str | None = None
) -> None:
    """Mail a reset link to active accounts with this address; unknown addresses get nothing.

    Rate-limited like ``resend_activation``.
    """
    for user in await _mail_recipients(session, services, email, client_address, active=True):
        await _send_link(services, user, mail.password_reset_message)


async def request_username_reset(
    session: AsyncSession, services: Services, email: str, *, client_address: str | None = None
) -> None:
    """djoser's ``reset_username``: mail a link to choose a new username (active accounts).

    The link is ``settings.username_reset_url_template`` (djoser's unset
    ``USERNAME_RESET_CONFIRM_URL``, with which the original failed). Rate-limited like
    ``resend_activation``.
    """
    for user in await _mail_recipients(session, services, email, client_address, active=True):
        await _send_link(services, user, mail.username_reset_message)


async def _rename(session: AsyncSession, user: User, new_username: str) -> None:
    user.username = validators.normalize_username(new_username)
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent rename or registration took the name
        await session.rollback()
        raise InvalidInput.single("new_username", DUPLICATE_USERNAME) from exc


async def confirm_username_reset(
    session: AsyncSession, settings: Settings, uid: str, token: str, new_username: str
) -> User:
    """djoser's ``reset_username_confirm``: ``new_username`` first, then ``uid``, then ``token``.

    The link works once: ``last_login`` is part of the token and is set here.
    """
    new_username = new_username.strip()
    problems = await _username_problems(session, new_username)
    if problems:
        raise InvalidInput({"new_username": problems})
    user = await _user_from_uid_and_token(session, settings, uid, token)
    user.last_login = datetime.now(UTC)
    await _rename(session, user, new_username)
    return user


def _new_password_problems(new_password: str, *, user: User | None) -> list[str]:
    problems = validators.password_field_problems(new_password)
    if problems:
        return problems
    if user is None:
        return validate_password(new_password, username=None, email=None)
    return validate_password(new_password, username=user.username, email=user.email)


def _check_new_password(new_password: str, *, user: User | None) -> None:
    problems = _new_password_problems(new_password, user=user)
    if problems:
        raise InvalidInput({"new_password": problems})


async def _store_password(
    session: AsyncSession, settings: Settings, user: User, new_password: str
) -> None:
    """Save the hash of a new password that ``_check_new_password`` accepted for this user."""
    user.password = await passwords.hash_password(new_password, settings.bcrypt_rounds)
    session.add(user)
    await session.flush()


async def confirm_password_reset(
    session: AsyncSession, settings: Settings, uid: str, token: str, new_password: str
) -> None:
    """djoser's ``reset_password_confirm``; the link works once (the password hash changes).

    Order as in djoser: the new password's own problems, then ``uid``, then ``token``; the
    similarity to the account's username/e-mail (which djoser skips here) is checked last.
    """
    new_password = new_password.strip()
    _check_new_password(new_password, user=None)
    user = await _user_from_uid_and_token(session, settings, uid, token)
    _check_new_password(new_password, user=user)
    user.last_login = datetime.now(UTC)
    await _store_password(session, settings, user, new_password)


async def change_password(
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    current_password: str,
    new_password: str,
) -> None:
    """djoser's ``set_password``: ``current_password`` must match, then the validators run."""
    account = require_user(actor)
    user = await session.get(User, account.id)
    if user is None:
        raise NotFound
    current_password, new_password = current_password.strip(), new_password.strip()
    errors = FieldErrors()
    if not current_password:
        errors.add("current_password", validators.BLANK)
    elif not await passwords.check_password(current_password, user.password):
        errors.add("current_password", INVALID_PASSWORD)
    if not new_password:
        errors.add("new_password", validators.BLANK)
    errors.raise_if_any()
    _check_new_password(new_password, user=user)
    await _store_password(session, settings, user, new_password)


async def _fresh(session: AsyncSession, account: User) -> User:
    """The acting account's row in this session (it may have been deleted meanwhile)."""
    user = await session.get(User, account.id)
    if user is None:
        raise NotAuthenticated
    return user


async def account_to_change(session: AsyncSession, actor: Actor, user_id: int | str | None) -> User:
    """The account ``/auth/users/me/`` (``user_id=None``) or ``/auth/users/<id>/`` changes.

    djoser's ``CurrentUserOrAdmin`` in its order: signed in, then the lookup (``NotFound``), then
    the owner or staff (``PermissionDenied``). Only superusers may change a superuser's account
    (``PermissionDenied(SUPERUSER_ONLY)``; djoser lets any staff member).
    """
    account = require_user(actor)
    if user_id is None:
        return await _fresh(session, account)
    number = _parse_id(user_id)
    user = await session.get(User, number) if number is not None else None
    if user is None:
        raise NotFound
    if user.id != account.id:
        if not is_staff(account):
            raise NotOwner
        if user.is_superuser and not account.is_superuser:
            raise PermissionDenied(SUPERUSER_ONLY)
    return user


async def update_account(
    session: AsyncSession,
    services: Services,
    actor: Actor,
    user_id: int | str | None,
    *,
    email: str | None = None,
) -> User:
    """djoser's ``PUT``/``PATCH`` of a user (its ``UserSerializer`` edits only ``email``).

    As djoser with ``SEND_ACTIVATION_EMAIL``: a different address deactivates the account, and an
    inactive account is (re)sent its activation link, to the new address. The address is stored
    as given (trimmed, not normalised), as the original does. Commits before mailing.
    """
    user = await account_to_change(session, actor, user_id)
    if email is not None:
        email = email.strip()
        problems = validators.email_problems(email)
        if problems:
            raise InvalidInput({"email": problems})
        if email != user.email:
            user.is_active = False
        user.email = email
        session.add(user)
    await session.commit()
    if not user.is_active and user.email:
        await _send_link(services, user, mail.activation_message)
    return user


async def delete_account(
    session: AsyncSession,
    actor: Actor,
    user_id: int | str | None,
    current_password: str,
) -> None:
    """djoser's ``DELETE``: the *actor's* ``current_password`` must match, then the row goes.

    Its tokens stop working at once (``User not found``).
    """
    user = await account_to_change(session, actor, user_id)
    me = await _fresh(session, require_user(actor))
    current_password = current_password.strip()
    if not current_password:
        raise InvalidInput.single("current_password", validators.BLANK)
    if not await passwords.check_password(current_password, me.password):
        raise InvalidInput.single("current_password", INVALID_PASSWORD)
    await session.delete(user)
    await session.flush()


async def validate_username_change(
    session: AsyncSession,
    actor: Actor,
    *,
    current_password: str | None,
    new_username: str | None,
) -> User:
    """djoser's ``SetUsernameSerializer`` checks, keys in its order (``current_password``,
    ``new_username``), every field at once. ``None`` skips a field the caller already refused;
    returns the actor's row when nothing is wrong."""
    me = await _fresh(session, require_user(actor))
    errors = FieldErrors()
    if current_password is not None:
        if not current_password.strip():
            errors.add("current_password", validators.BLANK)
        elif not await passwords.check_password(current_password.strip(), me.password):
            errors.add("current_password", INVALID_PASSWORD)
    if new_username is not None:
        for message in await _username_problems(session, new_username.strip()):
            errors.add("new_username", message)
    errors.raise_if_any()
    return me


async def change_username(
    session: AsyncSession, actor: Actor, current_password: str, new_username: str
) -> User:
    """djoser's ``set_username``. The new name is stored NFKC-normalised (as at registration), so
    ``ａｌｉｃｅ`` is ``alice`` and taken; djoser stored it as typed."""
    me = await validate_username_change(
        session, actor, current_password=current_password, new_username=new_username
    )
    await _rename(session, me, new_username.strip())
    return me


async def set_user_active(
    session: AsyncSession, actor: Actor, username: str, *, active: bool
) -> User:
    require_staff(actor)
    user = await get_user_by_username(session, username)
    if user is None:
        raise NotFound(f"No user named {username!r}.")
    user.is_active = active
    session.add(user)
    await session.flush()
    return user


def _parse_id(user_id: int | str) -> int | None:
    """An account number from an int or a decimal string; ``None`` when it cannot name one."""
    if isinstance(user_id, int):
        number = user_id
    elif user_id.isascii() and user_id.isdigit() and len(user_id) <= 20:
        number = int(user_id)
    else:
        return None
    return number if 0 < number <= _MAX_ID else None


async def set_active_by_id(
    session: AsyncSession, actor: Actor, user_id: int | str, active: bool
) -> User:
    """Staff switch an account on or off (``activateUser``/``deactivateUser``), never their own
    off (``PermissionDenied(CANNOT_DEACTIVATE_YOURSELF)``)."""
    require_staff(actor)
    number = _parse_id(user_id)
    user = await session.get(User, number) if number is not None else None
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    if not active and isinstance(actor, User) and actor.id == user.id:
        raise PermissionDenied(CANNOT_DEACTIVATE_YOURSELF)
    user.is_active = active
    session.add(user)
    await session.flush()
    return user


SUPERUSER_ONLY = "Only a superuser may change a superuser account."
NOT_YOURSELF = "You cannot remove your own staff status."


async def _staff_target(session: AsyncSession, actor: Actor, user_id: int | str) -> User:
    """The account a staff operation changes; only superusers may touch a superuser."""
    require_staff(actor)
    number = _parse_id(user_id)
    user = await session.get(User, number) if number is not None else None
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    actor_is_superuser = isinstance(actor, System) or (actor is not None and actor.is_superuser)
    if user.is_superuser and not actor_is_superuser:
        raise PermissionDenied(SUPERUSER_ONLY)
    return user


async def set_staff(
    session: AsyncSession, actor: Actor, user_id: int | str, is_staff: bool
) -> User:
    """Staff grant or remove staff status (never their own)."""
    user = await _staff_target(session, actor, user_id)
    if not is_staff and isinstance(actor, User) and actor.id == user.id:
        raise PermissionDenied(NOT_YOURSELF)
    user.is_staff = is_staff
    session.add(user)
    await session.flush()
    return user


async def set_password(
    session: AsyncSession, settings: Settings, actor: Actor, user_id: int | str, new_password: str
) -> User:
    """Staff set another account's password, with the same validators (``new_password`` field)."""
    user = await _staff_target(session, actor, user_id)
    new_password = new_password.strip()
    _check_new_password(new_password, user=user)
    await _store_password(session, settings, user, new_password)
    return user


def current_user(actor: Actor) -> User:
    """The signed-in account (``Query.me``, ``/auth/users/me/``)."""
    return require_user(actor)


async def list_users(session: AsyncSession, actor: Actor) -> list[User]:
    """djoser's ``GET /auth/users/``: staff see every account, others only their own (by id)."""
    account = require_user(actor)
    if is_staff(account):
        result = await session.exec(select(User).order_by(col(User.id)))
        return list(result.all())
    user = await session.get(User, account.id)
    return [user] if user is not None else []


async def get_profile(session: AsyncSession, actor: Actor, user_id: int | str) -> User:
    """One account, for its owner or staff (checked first); ``NotFound`` when there is none."""
    require_owner_or_staff(actor, user_id)
    number = _parse_id(user_id)
    user = await session.get(User, number) if number is not None else None
    if user is None:
        raise NotFound
    return user


def _parse_drf_integer(raw: str) -> int:
    if len(raw) > _MAX_INTEGER_STRING:
        raise InvalidInput.single("id", STRING_TOO_LARGE)
    try:
        return int(_DRF_DECIMAL_SUFFIX.sub("", raw))
    except ValueError as exc:
        raise InvalidInput.single("id", INVALID_INTEGER) from exc


async def profiles_for(
    session: AsyncSession, actor: Actor, user_id: int | str | None
) -> list[User]:
    """``GET /api/v1/profile/?id=``: the original's rules, permission first.

    ``user_id`` is the raw query value (the last one when repeated) or an int. Non-staff may ask
    only for ``str(their id)`` exactly; anything else is ``PermissionDenied``. For staff a missing
    id is ``InvalidInput`` (``This field is required.``), a non-integer ``A valid integer is
    required.``, and an unknown or out-of-range id an empty list.
    """
    account = require_user(actor)
    if not is_staff(account):
        if user_id is None or str(user_id) != str(account.id):
            raise PermissionDenied
        return [account]
    if user_id is None:
        raise InvalidInput.single("id", validators.REQUIRED)
    number = user_id if isinstance(user_id, int) else _parse_drf_integer(user_id)
    if not 0 < number <= _MAX_ID:
        return []
    user = await session.get(User, number)
    return [user] if user is not None else []
