"""GraphQL face of accounts and tokens: ``AccountQuery`` and ``AccountMutation``.

``graphql/schema.py`` merges these into the root types. Resolvers only hand their arguments to
the domain's forms and call one operation of ``citygraph.domain.accounts`` /
``citygraph.domain.tokens``; domain errors go to the schema's one error mapping. Field names in
``extensions.fields`` are the GraphQL argument names (``newPassword``, ``currentPassword``...).

Every mutation returns a nullable result: the changed object (or ``true``) on success, ``null``
and an error otherwise, so one failing field never wipes out the others' results.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from citygraph.domain import accounts, tokens
from citygraph.domain.accounts import ME
from citygraph.domain.parsers import parse_id
from citygraph.graphql.context import GraphQLInfo
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


def Arg(description: str) -> object:
    return strawberry.argument(description=description)


# --- resolvers (plain functions: the domain does the work) ------------------------------------


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


async def resolve_register_account(
    info: GraphQLInfo,
    username: Annotated[str, Arg("Letters, digits and @ . + - _; at most 150 characters.")],
    password: Annotated[str, Arg("Checked by Django's four password validators.")],
    email: Annotated[str, Arg("Where the activation link goes (optional).")] = "",
) -> UserNode | None:
    form = accounts.NewAccount.parse(email=email, username=username, password=password)
    user = await info.context.write(lambda uow: accounts.register(uow, form))
    return UserNode.from_row(user)


async def resolve_activate_account(
    info: GraphQLInfo,
    uid: Annotated[str, Arg("The uid from the activation link.")],
    token: Annotated[str, Arg("The token from the activation link.")],
) -> UserNode | None:
    form = accounts.LinkToken.parse(uid=uid, token=token)
    user = await info.context.write(lambda uow: accounts.activate_account(uow, form))
    return UserNode.from_row(user)


async def _link_request(
    info: GraphQLInfo, email: str, operation: accounts.LinkRequestOperation
) -> bool | None:
    """A rate-limited "mail me a link" request; always true, so it reveals no addresses."""
    form = accounts.LinkRequest.parse(email=email)
    await info.context.write(lambda uow: operation(uow, form))
    return True


EMAIL = "The account's e-mail address."


async def resolve_resend_activation(
    info: GraphQLInfo, email: Annotated[str, Arg(EMAIL)]
) -> bool | None:
    return await _link_request(info, email, accounts.resend_activation)


async def resolve_request_password_reset(
    info: GraphQLInfo, email: Annotated[str, Arg(EMAIL)]
) -> bool | None:
    return await _link_request(info, email, accounts.request_password_reset)


async def resolve_request_username_reset(
    info: GraphQLInfo, email: Annotated[str, Arg(EMAIL)]
) -> bool | None:
    return await _link_request(info, email, accounts.request_username_reset)


async def resolve_create_token(
    info: GraphQLInfo,
    username: Annotated[str, Arg("The account's username.")],
    password: Annotated[str, Arg("The account's password.")],
) -> TokenPair | None:
    credentials = accounts.Credentials.parse(username=username, password=password)
    pair = await info.context.write(lambda uow: tokens.create_token_pair(uow, credentials))
    return TokenPair(access=pair.access, refresh=pair.refresh)


async def resolve_refresh_token(
    info: GraphQLInfo, refresh: Annotated[str, Arg("A refresh token.")]
) -> TokenPair | None:
    pair = await info.context.write(lambda uow: tokens.refresh(uow, refresh))
    return TokenPair(access=pair.access, refresh=pair.refresh)


async def resolve_verify_token(
    info: GraphQLInfo, token: Annotated[str, Arg("An access or refresh token.")]
) -> bool | None:
    await info.context.read(lambda uow: tokens.verify(uow, token))
    return True


async def resolve_logout(
    info: GraphQLInfo, refresh: Annotated[str, Arg("The refresh token to revoke.")]
) -> bool | None:
    await info.context.write(lambda uow: tokens.logout(uow, refresh))
    return True


async def resolve_change_password(
    info: GraphQLInfo,
    current_password: Annotated[str, Arg("The account's password now.")],
    new_password: Annotated[str, Arg("Checked by Django's four password validators.")],
) -> bool | None:
    form = accounts.PasswordChange.parse(
        new_password=new_password, current_password=current_password
    )
    await info.context.write(lambda uow: accounts.change_password(uow, form))
    return True


async def resolve_confirm_password_reset(
    info: GraphQLInfo,
    uid: Annotated[str, Arg("The uid from the reset link.")],
    token: Annotated[str, Arg("The token from the reset link.")],
    new_password: Annotated[str, Arg("Checked by Django's four password validators.")],
) -> bool | None:
    form = accounts.PasswordResetConfirmation.parse(uid=uid, token=token, new_password=new_password)
    await info.context.write(lambda uow: accounts.confirm_password_reset(uow, form))
    return True


async def resolve_change_email(
    info: GraphQLInfo, email: Annotated[str, Arg("The new address (empty: none).")]
) -> UserNode | None:
    form = accounts.EmailChange.parse(email=email)
    user = await info.context.write(lambda uow: accounts.update_account(uow, ME, form))
    return UserNode.from_row(user)


async def resolve_delete_account(
    info: GraphQLInfo, current_password: Annotated[str, Arg("The account's password.")]
) -> bool | None:
    form = accounts.Deletion.parse(current_password=current_password)
    await info.context.write(lambda uow: accounts.delete_account(uow, ME, form))
    return True


async def resolve_change_username(
    info: GraphQLInfo,
    current_password: Annotated[str, Arg("The account's password.")],
    new_username: Annotated[str, Arg("Letters, digits and @ . + - _; at most 150 characters.")],
) -> UserNode | None:
    form = accounts.UsernameChange.parse(
        current_password=current_password, new_username=new_username
    )
    user = await info.context.write(lambda uow: accounts.change_username(uow, form))
    return UserNode.from_row(user)


async def resolve_confirm_username_reset(
    info: GraphQLInfo,
    uid: Annotated[str, Arg("The uid from the link.")],
    token: Annotated[str, Arg("The token from the link.")],
    new_username: Annotated[str, Arg("Letters, digits and @ . + - _; at most 150 characters.")],
) -> UserNode | None:
    form = accounts.UsernameResetConfirmation.parse(new_username=new_username, uid=uid, token=token)
    user = await info.context.write(lambda uow: accounts.confirm_username_reset(uow, form))
    return UserNode.from_row(user)


async def _set_active(info: GraphQLInfo, id: int, active: bool) -> UserNode | None:
    user = await info.context.write(lambda uow: accounts.set_active(uow, parse_id(id), active))
    return UserNode.from_row(user)


async def resolve_activate_user(
    info: GraphQLInfo, id: Annotated[int, Arg("The account's id.")]
) -> UserNode | None:
    return await _set_active(info, id, True)


async def resolve_deactivate_user(
    info: GraphQLInfo, id: Annotated[int, Arg("The account's id.")]
) -> UserNode | None:
    return await _set_active(info, id, False)


# --- root types, merged into Query and Mutation by graphql/schema.py ---------------------------


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


@strawberry.type
class AccountMutation:
    register_account: UserNode | None = strawberry.mutation(
        resolver=resolve_register_account,
        description="Create an inactive account; an activation link is mailed to `email`.",
    )
    activate_account: UserNode | None = strawberry.mutation(
        resolver=resolve_activate_account,
        description="Activate an account with the uid and token from its e-mail (works once).",
    )
    resend_activation: bool | None = strawberry.mutation(
        resolver=resolve_resend_activation,
        description="Mail the activation link again. Always true: reveals no addresses.",
    )
    create_token: TokenPair | None = strawberry.mutation(
        resolver=resolve_create_token,
        description="Log in: a fresh access/refresh pair. Rate-limited.",
    )
    refresh_token: TokenPair | None = strawberry.mutation(
        resolver=resolve_refresh_token,
        description="A new access token (and a new refresh token when rotation is on).",
    )
    verify_token: bool | None = strawberry.mutation(
        resolver=resolve_verify_token,
        description="True when the token is valid; an error otherwise.",
    )
    logout: bool | None = strawberry.mutation(
        resolver=resolve_logout, description="Revoke (blacklist) a refresh token."
    )
    change_password: bool | None = strawberry.mutation(
        resolver=resolve_change_password,
        description="Change the signed-in account's password.",
    )
    request_password_reset: bool | None = strawberry.mutation(
        resolver=resolve_request_password_reset,
        description="Mail a password-reset link. Always true: reveals no addresses.",
    )
    confirm_password_reset: bool | None = strawberry.mutation(
        resolver=resolve_confirm_password_reset,
        description="Set a new password with the uid and token from the e-mail (works once).",
    )
    change_email: UserNode | None = strawberry.mutation(
        resolver=resolve_change_email,
        description=(
            "Change the signed-in account's e-mail. A different address deactivates the account "
            "until the activation link mailed to it is opened (as djoser does)."
        ),
    )
    delete_account: bool | None = strawberry.mutation(
        resolver=resolve_delete_account,
        description="Delete the signed-in account (needs its password). Its tokens stop working.",
    )
    change_username: UserNode | None = strawberry.mutation(
        resolver=resolve_change_username,
        description="Rename the signed-in account (needs its password).",
    )
    request_username_reset: bool | None = strawberry.mutation(
        resolver=resolve_request_username_reset,
        description="Mail a link to choose a new username. Always true: reveals no addresses.",
    )
    confirm_username_reset: UserNode | None = strawberry.mutation(
        resolver=resolve_confirm_username_reset,
        description="Set a new username with the uid and token from the e-mail (works once).",
    )
    activate_user: UserNode | None = strawberry.mutation(
        resolver=resolve_activate_user, description="Staff: activate an account."
    )
    deactivate_user: UserNode | None = strawberry.mutation(
        resolver=resolve_deactivate_user,
        description="Staff: deactivate an account (its tokens stop working).",
    )
