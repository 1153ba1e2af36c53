"""User accounts: registration, login, activation, passwords, usernames, profiles, staff switches.

Behaviour follows the original stack (Django 5.2 ``User``, djoser 2.3 ``UserViewSet`` with
``SEND_ACTIVATION_EMAIL``, simplejwt 5.4): the same validation messages in the same order, the
same one-time ``uid``/``token`` links, ``Stale token for given user.`` for a reused activation
link. Input arrives as :class:`~citygraph.domain.parsers.Form` objects built by the faces from
raw values; every account operation loads its target with :func:`load_account`, which applies
the one account policy (:mod:`citygraph.domain.policy`). Mail goes out after the commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from citygraph import mail
from citygraph.config import Settings
from citygraph.domain import account_tokens, check_cost, policy
from citygraph.domain.credentials import (
    Email,
    LoginName,
    Password,
    Username,
    login_key,
    parse_current_password,
    parse_email,
    parse_login_name,
    parse_lookup_email,
    parse_new_email,
    parse_password,
    parse_username,
    password_problems,
)
from citygraph.domain.errors import (
    AuthenticationFailed,
    FieldError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RateLimited,
)
from citygraph.domain.parsers import (
    NO_ID,
    Form,
    Id,
    any_text,
    parse_integer_id,
    parse_one,
    parsed_by,
    text,
)
from citygraph.domain.policy import AccountAction, System, is_staff, require_user
from citygraph.domain.unit import UnitOfWork
from citygraph.models import User
from citygraph.security import passwords

log = logging.getLogger("citygraph.accounts")

#: ``load_account``'s reference to the actor's own account (``/auth/users/me/``, ``me``).
ME = None
AccountRef = Id | None


# --- rate limits ------------------------------------------------------------------------------


async def limit(uow: UnitOfWork, action: str, key_kind: str, key: str) -> None:
    """Count one attempt of ``action`` per client address and per ``key``; refuse when over."""
    wait = await uow.limiter.hit(action, [("address", uow.client_address), (key_kind, key)])
    if wait is not None:
        raise RateLimited(wait)


# --- the target of an account operation -------------------------------------------------------


async def get_user_by_username(session: AsyncSession, username: str) -> User | None:
    result = await session.exec(select(User).where(User.username == username))
    return result.first()


async def _own_account(uow: UnitOfWork) -> User:
    """The acting account's row in this unit (it may have been deleted meanwhile)."""
    account = require_user(uow.actor)
    user = await uow.session.get(User, account.id)
    if user is None:
        raise NotAuthenticated
    return user


async def load_account(uow: UnitOfWork, ref: AccountRef, action: AccountAction) -> User:
    """The account an operation acts on, after the policy allowed ``action`` on it.

    ``ref`` is an id or :data:`ME`. In djoser's order: signed in (``NotAuthenticated``), the
    lookup (``NotFound``), then the policy (``NotOwner``, ``PermissionDenied``).
    """
    if uow.actor is None:
        raise NotAuthenticated
    if ref is ME:
        target = await _own_account(uow)
    else:
        found = await uow.session.get(User, ref) if ref != NO_ID else None
        if found is None:
            raise NotFound("object_not_found", model="User")
        target = found
    policy.require(uow.actor, action, target)
    return target


# --- reading ------------------------------------------------------------------------------------


def current_user(uow: UnitOfWork) -> User:
    """The signed-in account (``me``, ``/auth/users/me/``)."""
    return require_user(uow.actor)


async def get_account(uow: UnitOfWork, ref: AccountRef) -> User:
    """One account, for its owner and staff (``profile(id)``, ``GET /auth/users/<id>/``)."""
    return await load_account(uow, ref, AccountAction.VIEW)


async def list_users(uow: UnitOfWork) -> list[User]:
    """djoser's ``GET /auth/users/``: staff see every account, others only their own."""
    account = require_user(uow.actor)
    if is_staff(account):
        result = await uow.session.exec(select(User).order_by(col(User.id)))
        return list(result.all())
    user = await uow.session.get(User, account.id)
    return [user] if user is not None else []


def profile_permission(uow: UnitOfWork, raw_id: str | None) -> User:
    """The original's ``IsStaffOrProfileOwner``: staff, or ``?id=`` is exactly the actor's id."""
    account = require_user(uow.actor)
    if not is_staff(account) and (raw_id is None or raw_id != str(account.id)):
        raise PermissionDenied
    return account


async def profiles_for(uow: UnitOfWork, raw_id: str | None) -> list[User]:
    """The original's ``GET /api/v1/profile/?id=``: its permission first, on the raw value.

    Non-staff may ask only for ``str(their id)`` exactly; anything else is ``PermissionDenied``.
    For staff a missing id is ``required``, a non-integer ``integer.invalid``, and an unknown
    or impossible id an empty list.
    """
    account = profile_permission(uow, raw_id)
    if not is_staff(account):
        return [account]
    if raw_id is None:
        raise InvalidInput.single("id", "required")
    pk = parse_one("id", raw_id, parse_integer_id)
    user = await uow.session.get(User, pk) if pk != NO_ID else None
    return [user] if user is not None else []


# --- new accounts -------------------------------------------------------------------------------


@dataclass
class NewAccount(Form):
    """djoser's ``UserCreateSerializer`` fields, in its order."""

    email: Email = parsed_by(parse_new_email, default=Email(""))
    username: Username = parsed_by(parse_username)
    password: Password = parsed_by(parse_password)


async def _checked_new_account(uow: UnitOfWork, form: NewAccount) -> NewAccount:
    """Field rules, then uniqueness, then (only when those pass) the password validators."""
    await _check_free_username(uow, form, "username")
    problems = password_problems(form.password, username=form.username, email=form.email)
    if problems:
        raise InvalidInput({"password": problems})
    return form


async def create_account(
    uow: UnitOfWork,
    form: NewAccount,
    *,
    is_active: bool = False,
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    """Insert a checked account; the unique index decides races (exactly one twin wins)."""
    user = User(
        username=form.username,
        email=form.email,
        password=await passwords.hash_password(form.password, uow.settings.bcrypt_rounds),
        is_active=is_active,
        is_staff=is_staff,
        is_superuser=is_superuser,
        date_joined=uow.now(),
    )
    uow.session.add(user)
    try:
        await uow.session.flush()
    except IntegrityError as exc:
        raise InvalidInput.single("username", "username.unique") from exc
    return user


async def register(uow: UnitOfWork, form: NewAccount) -> User:
    """Create an inactive account; its activation link is mailed once the account is committed.

    Rate-limited per client address and per (folded) username, before anything is checked.
    """
    await limit(uow, "register", "username", _attempt_key(form))
    await _checked_new_account(uow, form)
    user = await create_account(uow, form)
    if user.email:
        _mail_link(uow, user, mail.activation_message)
    return user


def _attempt_key(form: NewAccount) -> str:
    """The folded username, or the raw text when it did not parse (the attempt counts too)."""
    if form.username is not None:
        return login_key(form.username)
    raw = form.raw.get("username")
    return raw.strip() if isinstance(raw, str) else "-"


async def create_superuser(uow: UnitOfWork, form: NewAccount) -> User:
    """An active staff superuser, checked with the registration rules (the command line)."""
    if not isinstance(uow.actor, System):
        raise PermissionDenied
    await _checked_new_account(uow, form)
    return await create_account(uow, form, is_active=True, is_staff=True, is_superuser=True)


async def add_account(uow: UnitOfWork, form: NewAccount, *, active: bool, staff: bool) -> User:
    """An account that staff create (the admin): registration's rules, no rate limit.

    Staff only; an active account needs no activation, an inactive one with an e-mail address
    is sent the activation link, as a registration is.
    """
    policy.require_staff(uow.actor)
    await _checked_new_account(uow, form)
    user = await create_account(uow, form, is_active=active, is_staff=staff)
    if not active and user.email:
        _mail_link(uow, user, mail.activation_message)
    return user


# --- login --------------------------------------------------------------------------------------


@dataclass
class Credentials(Form):
    """A login: simplejwt's ``TokenObtainSerializer`` fields (and the admin's login form)."""

    username: LoginName = parsed_by(parse_login_name)
    password: Password = parsed_by(parse_current_password)


async def log_in(uow: UnitOfWork, credentials: Credentials) -> User:
    """The one login: normalise (the form did), rate-limit, authenticate.

    REST ``/auth/jwt/create/``, GraphQL ``createToken`` and the admin all come here, so the
    budget is one per client address and per folded username whatever the face or the
    spelling (``" alice"``, ``"ALICE"``). Any failure is ``AuthenticationFailed`` with one
    message; an unknown username or an unusable password costs a check too
    (:mod:`~citygraph.domain.check_cost`), so timing tells nothing. A Django hash kept by
    ``import-django`` is checked too and upgraded to bcrypt on success.
    """
    credentials.check()
    await limit(uow, "login", "username", credentials.username.key)
    user = await get_user_by_username(uow.session, credentials.username.lookup)
    if user is None:
        await check_cost.spend_unknown_user_check(
            uow, credentials.password, credentials.username.lookup
        )
        raise AuthenticationFailed
    if not passwords.is_usable(user.password):
        await check_cost.spend_unusable_check(uow)
        raise AuthenticationFailed
    if (
        not await passwords.check_password(credentials.password, user.password)
        or not user.is_active
    ):
        raise AuthenticationFailed
    await _upgrade_hash(uow, user, credentials.password)
    return user


async def _upgrade_hash(uow: UnitOfWork, user: User, password: str) -> None:
    """Replace an imported Django hash by bcrypt after its first successful login, in the
    login's own transaction (a password bcrypt cannot hold, over 72 bytes, keeps its hash)."""
    if passwords.needs_upgrade(user.password) and passwords.can_hash(password):
        await _store_password(uow, user, password)


# --- one-time links -----------------------------------------------------------------------------

MessageBuilder = Callable[[Settings, mail.LinkParts], tuple[str, str]]


def _mail_link(uow: UnitOfWork, user: User, compose: MessageBuilder) -> None:
    """Mail ``user`` a one-time link (after the commit, with the state the token hashes)."""
    assert user.id is not None
    uid = account_tokens.encode_uid(user.id)
    token = account_tokens.make_token(user, uow.settings.secret_key, now=uow.now())
    parts = mail.LinkParts(user.username, uid, token, uow.site_url)
    subject, body = compose(uow.settings, parts)
    uow.send_mail(user.email, subject, body)


@dataclass
class LinkRequest(Form):
    """djoser's ``{"email": ...}`` requests: resend activation, reset password or username."""

    email: Email = parsed_by(parse_lookup_email)


class LinkRequestOperation(Protocol):
    async def __call__(self, uow: UnitOfWork, form: LinkRequest) -> None: ...


async def _link_recipients(uow: UnitOfWork, form: LinkRequest, *, active: bool) -> list[User]:
    """The accounts a mail-sending request reaches, after the shared ``mail`` rate limit.

    The limit counts per client address and per (case-folded) target address, whether or not an
    account has it, so neither a client nor a victim's mailbox can be flooded.
    """
    form.check()
    await limit(uow, "mail", "email", form.email.casefold())
    result = await uow.session.exec(
        select(User)
        .where(User.email == form.email, User.is_active == active)
        .order_by(col(User.id))
    )
    # Django's ``has_usable_password``: unusable hashes start with "!".
    return [user for user in result.all() if not user.password.startswith("!")]


async def resend_activation(uow: UnitOfWork, form: LinkRequest) -> None:
    """Re-send the activation link to inactive accounts with this address; silent otherwise."""
    for user in await _link_recipients(uow, form, active=False):
        _mail_link(uow, user, mail.activation_message)


async def request_password_reset(uow: UnitOfWork, form: LinkRequest) -> None:
    """Mail a reset link to active accounts with this address; unknown addresses get nothing."""
    for user in await _link_recipients(uow, form, active=True):
        _mail_link(uow, user, mail.password_reset_message)


async def request_username_reset(uow: UnitOfWork, form: LinkRequest) -> None:
    """djoser's ``reset_username``: mail a link to choose a new username (active accounts)."""
    for user in await _link_recipients(uow, form, active=True):
        _mail_link(uow, user, mail.username_reset_message)


@dataclass
class LinkToken(Form):
    """The ``uid`` and ``token`` of a one-time link (djoser's ``UidAndTokenSerializer``)."""

    uid: str = parsed_by(text())
    token: str = parsed_by(text())


async def _link_owner(uow: UnitOfWork, uid: str | None, token: str | None) -> User:
    """The account ``uid`` names if ``token`` is valid for it; ``invalid_uid``/``invalid_token``."""
    pk = account_tokens.decode_uid(uid or "")
    user = await uow.session.get(User, pk) if pk is not None else None
    if user is None:
        raise InvalidInput.single("uid", "invalid_uid")
    if not account_tokens.check_token(
        user,
        token or "",
        uow.settings.secret_key,
        uow.settings.account_token_lifetime,
        now=uow.now(),
    ):
        raise InvalidInput.single("token", "invalid_token")
    return user


async def activate_account(uow: UnitOfWork, form: LinkToken) -> User:
    """djoser's activation: bad uid/token -> ``InvalidInput``; already active -> stale (403)."""
    form.check()
    user = await _link_owner(uow, form.uid, form.token)
    if user.is_active:
        raise PermissionDenied("stale_token")
    user.is_active = True
    uow.session.add(user)
    await uow.session.flush()
    return user


@dataclass
class PasswordResetConfirmation(Form):
    """djoser's ``PasswordResetConfirmSerializer`` fields, in its order."""

    uid: str = parsed_by(text())
    token: str = parsed_by(text())
    new_password: Password = parsed_by(parse_password)


async def confirm_password_reset(uow: UnitOfWork, form: PasswordResetConfirmation) -> None:
    """djoser's ``reset_password_confirm``; the link works once (the password hash changes).

    Order as in djoser: the fields, the new password's own problems, then ``uid``, then
    ``token``; the similarity to the account's username/e-mail (which djoser skips here) last.
    """
    form.check()
    _check_new_password(form.new_password, user=None)
    user = await _link_owner(uow, form.uid, form.token)
    _check_new_password(form.new_password, user=user)
    user.last_login = uow.now()
    await _store_password(uow, user, form.new_password)


@dataclass
class UsernameResetConfirmation(Form):
    """djoser's ``UsernameResetConfirmSerializer``: ``new_username`` is checked before the link."""

    new_username: Username = parsed_by(parse_username)
    # djoser reads these two from the raw data, not as serializer fields: anything else is "".
    uid: str = parsed_by(any_text, default="")
    token: str = parsed_by(any_text, default="")


async def confirm_username_reset(uow: UnitOfWork, form: UsernameResetConfirmation) -> User:
    """djoser's ``reset_username_confirm``: ``new_username`` first, then ``uid``, then ``token``.

    The link works once: ``last_login`` is part of the token and is set here.
    """
    await _check_free_username(uow, form, "new_username")
    user = await _link_owner(uow, form.uid, form.token)
    user.last_login = uow.now()
    await _rename(uow, user, form.new_username)
    return user


# --- changes by the account itself (or staff) ---------------------------------------------------


def _check_new_password(new_password: str, *, user: User | None) -> None:
    """Django's validators on a new password; the account's attributes when there is one."""
    problems = password_problems(
        new_password,
        username=user.username if user else None,
        email=user.email if user else None,
    )
    if problems:
        raise InvalidInput({"new_password": problems})


def _end_sessions(user: User) -> None:
    """Invalidate every admin session of ``user`` (they carry the version they began with)."""
    user.session_version = (user.session_version or 0) + 1


async def end_sessions(uow: UnitOfWork, user_id: Id) -> None:
    """Log ``user_id`` out of the admin everywhere: a copy of an old session cookie is refused
    from now on (logout; deactivation and password changes do it too)."""
    user = await uow.session.get(User, user_id)
    if user is None:
        return
    _end_sessions(user)
    uow.session.add(user)
    await uow.session.flush()


async def _store_password(uow: UnitOfWork, user: User, new_password: str) -> None:
    user.password = await passwords.hash_password(new_password, uow.settings.bcrypt_rounds)
    _end_sessions(user)
    uow.session.add(user)
    await uow.session.flush()


async def _check_current_password(
    uow: UnitOfWork, form: Form, user: User, current_password: str | None
) -> None:
    """djoser's ``current_password`` field: it must match the acting account's password."""
    if current_password is not None and not await passwords.check_password(
        current_password, user.password
    ):
        form.problems.add("current_password", FieldError("invalid_password"))


@dataclass
class PasswordChange(Form):
    """djoser's ``SetPasswordSerializer`` fields, in its order."""

    new_password: Password = parsed_by(parse_password)
    current_password: Password = parsed_by(parse_current_password)


async def change_password(uow: UnitOfWork, form: PasswordChange) -> None:
    """djoser's ``set_password``: ``current_password`` must match, then the validators run."""
    user = await load_account(uow, ME, AccountAction.CHANGE_PASSWORD)
    await _check_current_password(uow, form, user, form.current_password)
    form.check()
    _check_new_password(form.new_password, user=user)
    await _store_password(uow, user, form.new_password)


@dataclass
class NewPassword(Form):
    """A password staff set for an account (the admin), with the same validators."""

    new_password: Password = parsed_by(parse_password)


async def set_password(uow: UnitOfWork, ref: AccountRef, form: NewPassword) -> User:
    user = await load_account(uow, ref, AccountAction.CHANGE_PASSWORD)
    form.check()
    _check_new_password(form.new_password, user=user)
    await _store_password(uow, user, form.new_password)
    return user


@dataclass
class EmailChange(Form):
    """djoser's ``UserSerializer`` for ``PUT``/``PATCH``: only ``email`` is writable."""

    email: Email = parsed_by(parse_email)


async def update_account(uow: UnitOfWork, ref: AccountRef, form: EmailChange) -> User:
    """As djoser with ``SEND_ACTIVATION_EMAIL``: a different address deactivates the account,
    and an inactive account is (re)sent its activation link, to the new address, once the
    change has committed. The address is stored as given (trimmed, not normalised)."""
    user = await load_account(uow, ref, AccountAction.CHANGE_EMAIL)
    form.check()
    if form.given("email"):
        if form.email != user.email:
            user.is_active = False
            _end_sessions(user)
        user.email = form.email
        uow.session.add(user)
        await uow.session.flush()
    if not user.is_active and user.email:
        _mail_link(uow, user, mail.activation_message)
    return user


@dataclass
class Deletion(Form):
    current_password: Password = parsed_by(parse_current_password)


async def delete_account(uow: UnitOfWork, ref: AccountRef, form: Deletion) -> None:
    """djoser's ``DELETE``: the *actor's* ``current_password`` must match, then the row goes.

    Its tokens stop working at once (``User not found``).
    """
    user = await load_account(uow, ref, AccountAction.DELETE)
    me = await _own_account(uow)
    await _check_current_password(uow, form, me, form.current_password)
    form.check()
    await uow.session.delete(user)
    await uow.session.flush()


@dataclass
class UsernameChange(Form):
    """djoser's ``SetUsernameSerializer`` fields, in its order."""

    current_password: Password = parsed_by(parse_current_password)
    new_username: Username = parsed_by(parse_username)


async def _check_free_username(uow: UnitOfWork, form: Form, name: str) -> None:
    username = getattr(form, name)
    if username is not None and await get_user_by_username(uow.session, username) is not None:
        form.problems.add(name, FieldError("username.unique"))
    form.check()


async def change_username(uow: UnitOfWork, form: UsernameChange) -> User:
    """djoser's ``set_username``; the new name is stored NFKC-normalised, as at registration
    (djoser stored it as typed), so ``ａｌｉｃｅ`` is ``alice`` and taken."""
    user = await load_account(uow, ME, AccountAction.CHANGE_USERNAME)
    await _check_current_password(uow, form, user, form.current_password)
    await _check_free_username(uow, form, "new_username")
    await _rename(uow, user, form.new_username)
    return user


async def _rename(uow: UnitOfWork, user: User, new_username: str) -> None:
    user.username = new_username
    uow.session.add(user)
    try:
        await uow.session.flush()
    except IntegrityError as exc:  # a concurrent rename or registration took the name
        raise InvalidInput.single("new_username", "username.unique") from exc


# --- staff switches -----------------------------------------------------------------------------


async def set_active(uow: UnitOfWork, ref: AccountRef, active: bool) -> User:
    """Switch an account on or off (staff; never one's own off; a superuser's only by one)."""
    action = AccountAction.ACTIVATE if active else AccountAction.DEACTIVATE
    return await _switch(uow, ref, action, "is_active", active)


async def set_staff(uow: UnitOfWork, ref: AccountRef, staff: bool) -> User:
    """Grant or revoke staff status (never one's own revoked; a superuser's only by one)."""
    action = AccountAction.GRANT_STAFF if staff else AccountAction.REVOKE_STAFF
    return await _switch(uow, ref, action, "is_staff", staff)


async def _switch(
    uow: UnitOfWork,
    ref: AccountRef,
    action: AccountAction,
    flag: Literal["is_active", "is_staff"],
    on: bool,
) -> User:
    """Set one of an account's switches; turning one off ends the account's sessions."""
    user = await load_account(uow, ref, action)
    if getattr(user, flag) and not on:
        _end_sessions(user)
    setattr(user, flag, on)
    uow.session.add(user)
    await uow.session.flush()
    return user


async def find_by_username(uow: UnitOfWork, username: str) -> Id:
    """The id of the account named ``username`` (the command line names accounts)."""
    user = await get_user_by_username(uow.session, username.strip())
    if user is None or user.id is None:
        raise NotFound("no_user_named", username=username)
    return Id(user.id)
