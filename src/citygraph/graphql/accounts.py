"""GraphQL face of accounts and tokens: ``AccountQuery`` and ``AccountMutation``.

``graphql/schema.py`` merges these into the root types. Resolvers only hand their arguments to
the domain's forms and call one operation of ``citygraph.domain.accounts`` /
``citygraph.domain.tokens``; each mutation is declared as that operation, its arguments and how
its result shows (``graphql/operations.py``). Domain errors go to the schema's one error
mapping; field names in ``extensions.fields`` are the GraphQL argument names (``newPassword``,
``currentPassword``...).

Every mutation returns a nullable result: the changed object (or ``true``) on success, ``null``
and an error otherwise, so one failing field never wipes out the others' results.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

import strawberry

from citygraph.domain import accounts, tokens
from citygraph.domain.accounts import ME
from citygraph.domain.parsers import parse_id
from citygraph.graphql.context import GraphQLInfo
from citygraph.graphql.operations import Arg, Argument, Result, Work, operation_field, with_form
from citygraph.models import User as UserRow


@strawberry.type(name="User", description="A user account, visible to its owner and to staff.")
class UserNode:
    id: int = strawberry.field(description="The account's id (as REST shows it).")
    username: str = strawberry.field(description="Unique, case-sensitive, NFKC-normalised.")
    email: str = strawberry.field(description="The account's e-mail address (may be empty).")
    date_joined: datetime = strawberry.field(description="When the account was registered.")
    is_active: bool = strawberry.field(description="Activated (by its e-mail link or by staff).")
    is_staff: bool = strawberry.field(description="May use the admin and the staff operations.")

    @classmethod
    def from_row(cls, user: UserRow) -> UserNode:
        assert user.id is not None
        return cls(
            id=user.id,
            username=user.username,
            email=user.email,
            date_joined=user.date_joined,
            is_active=user.is_active,
            is_staff=user.is_staff,
        )


@strawberry.type(
    description="A JWT pair (simplejwt layout). Send `access` as `Authorization: JWT …`."
)
class TokenPair:
    access: str = strawberry.field(description="The access token (5 minutes by default).")
    refresh: str | None = strawberry.field(
        description="Set by createToken, and by refreshToken when refresh-token rotation is on."
    )

    @classmethod
    def from_pair(cls, pair: tokens.TokenPair) -> TokenPair:
        return cls(access=pair.access, refresh=pair.refresh)


# --- queries (plain functions: the domain does the work) ---------------------------------------


def resolve_me(info: GraphQLInfo) -> UserNode | None:
    """Anonymous callers get ``null``, not an error, so ``{ districts { id } me { id } }``
    keeps its districts."""
    actor = info.context.uow.actor
    return UserNode.from_row(actor) if isinstance(actor, UserRow) else None


async def resolve_user(
    info: GraphQLInfo, id: Annotated[int, Arg("The account's id.")]
) -> UserNode | None:
    user = await info.context.read(lambda uow: accounts.get_account(uow, parse_id(id)))
    return UserNode.from_row(user)


async def resolve_users(info: GraphQLInfo) -> list[UserNode] | None:
    users = await info.context.read(accounts.list_users)
    return [UserNode.from_row(user) for user in users]


@strawberry.type
class AccountQuery:
    me: UserNode | None = strawberry.field(
        resolver=resolve_me, description="The signed-in account; null when anonymous."
    )
    user: UserNode | None = strawberry.field(
        resolver=resolve_user, description="An account by id: its owner and staff only."
    )
    users: list[UserNode] | None = strawberry.field(
        resolver=resolve_users,
        description="Every account, ordered by id, for staff; only your own for others.",
    )


# --- mutations: each runs one domain operation (see graphql/operations.py) --------------------

USER = Result[UserRow](UserNode | None, UserNode.from_row)
TOKENS = Result[tokens.TokenPair](TokenPair | None, TokenPair.from_pair)
#: A mutation with nothing to show: ``true``, or ``null`` and its error.
DONE = Result[None](bool | None, lambda _: True)

NEW_USERNAME = "Letters, digits and @ . + - _; at most 150 characters."
NEW_PASSWORD = "Checked by Django's four password validators."
#: The "mail me a link" requests' one argument (they answer true either way: no address leaks).
EMAIL = Argument("email", "The account's e-mail address.")
PASSWORD = Argument("current_password", "The account's password.")
ACCOUNT_ID = Argument("id", "The account's id.", int)


def _link(what: str) -> tuple[Argument, Argument]:
    """The ``uid`` and ``token`` arguments of a link mailed for ``what``."""
    return Argument("uid", f"The uid from {what}."), Argument("token", f"The token from {what}.")


def _set_active(active: bool) -> Callable[..., Work[UserRow]]:
    def bind(id: int) -> Work[UserRow]:
        return lambda uow: accounts.set_active(uow, parse_id(id), active)

    return bind


@strawberry.type
class AccountMutation:
    register_account = operation_field(
        "Create an inactive account; an activation link is mailed to `email`.",
        USER,
        with_form(accounts.NewAccount, accounts.register),
        Argument("username", NEW_USERNAME),
        Argument("password", NEW_PASSWORD),
        Argument("email", "Where the activation link goes (optional).", default=""),
    )
    activate_account = operation_field(
        "Activate an account with the uid and token from its e-mail (works once).",
        USER,
        with_form(accounts.LinkToken, accounts.activate_account),
        *_link("the activation link"),
    )
    resend_activation = operation_field(
        "Mail the activation link again. Always true: reveals no addresses.",
        DONE,
        with_form(accounts.LinkRequest, accounts.resend_activation),
        EMAIL,
    )
    create_token = operation_field(
        "Log in: a fresh access/refresh pair. Rate-limited.",
        TOKENS,
        with_form(accounts.Credentials, tokens.create_token_pair),
        Argument("username", "The account's username."),
        Argument("password", "The account's password."),
    )
    refresh_token = operation_field(
        "A new access token (and a new refresh token when rotation is on).",
        TOKENS,
        lambda refresh: lambda uow: tokens.refresh(uow, refresh),
        Argument("refresh", "A refresh token."),
    )
    verify_token = operation_field(
        "True when the token is valid; an error otherwise.",
        DONE,
        lambda token: lambda uow: tokens.verify(uow, token),
        Argument("token", "An access or refresh token."),
        writes=False,
    )
    logout = operation_field(
        "Revoke (blacklist) a refresh token.",
        DONE,
        lambda refresh: lambda uow: tokens.logout(uow, refresh),
        Argument("refresh", "The refresh token to revoke."),
    )
    change_password = operation_field(
        "Change the signed-in account's password.",
        DONE,
        with_form(accounts.PasswordChange, accounts.change_password),
        Argument("current_password", "The account's password now."),
        Argument("new_password", NEW_PASSWORD),
    )
    request_password_reset = operation_field(
        "Mail a password-reset link. Always true: reveals no addresses.",
        DONE,
        with_form(accounts.LinkRequest, accounts.request_password_reset),
        EMAIL,
    )
    confirm_password_reset = operation_field(
        "Set a new password with the uid and token from the e-mail (works once).",
        DONE,
        with_form(accounts.PasswordResetConfirmation, accounts.confirm_password_reset),
        *_link("the reset link"),
        Argument("new_password", NEW_PASSWORD),
    )
    change_email = operation_field(
        "Change the signed-in account's e-mail. A different address deactivates the account "
        "until the activation link mailed to it is opened (as djoser does).",
        USER,
        with_form(accounts.EmailChange, lambda uow, form: accounts.update_account(uow, ME, form)),
        Argument("email", "The new address (empty: none)."),
    )
    delete_account = operation_field(
        "Delete the signed-in account (needs its password). Its tokens stop working.",
        DONE,
        with_form(accounts.Deletion, lambda uow, form: accounts.delete_account(uow, ME, form)),
        PASSWORD,
    )
    change_username = operation_field(
        "Rename the signed-in account (needs its password).",
        USER,
        with_form(accounts.UsernameChange, accounts.change_username),
        PASSWORD,
        Argument("new_username", NEW_USERNAME),
    )
    request_username_reset = operation_field(
        "Mail a link to choose a new username. Always true: reveals no addresses.",
        DONE,
        with_form(accounts.LinkRequest, accounts.request_username_reset),
        EMAIL,
    )
    confirm_username_reset = operation_field(
        "Set a new username with the uid and token from the e-mail (works once).",
        USER,
        with_form(accounts.UsernameResetConfirmation, accounts.confirm_username_reset),
        *_link("the link"),
        Argument("new_username", NEW_USERNAME),
    )
    activate_user = operation_field(
        "Staff: activate an account.", USER, _set_active(True), ACCOUNT_ID
    )
    deactivate_user = operation_field(
        "Staff: deactivate an account (its tokens stop working).",
        USER,
        _set_active(False),
        ACCOUNT_ID,
    )
