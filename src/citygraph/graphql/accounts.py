"""GraphQL face of accounts and tokens: ``AccountQuery`` and ``AccountMutation``.

``graphql/schema.py`` merges these into the root types. Resolvers only translate arguments and
call ``citygraph.domain.accounts`` / ``citygraph.domain.tokens``; domain errors propagate to the
schema's error mapping (``InvalidInput`` -> ``BAD_USER_INPUT`` with ``extensions.fields``,
``RateLimited`` -> ``TOO_MANY_REQUESTS``...). Field names in ``extensions.fields`` are the
domain's (and REST's): ``username``, ``email``, ``password``, ``current_password``,
``new_password``, ``new_username``, ``uid``, ``token``.

Database work goes through the context's ``read``/``write`` (one session per request, a commit
per mutation field); the acting user is ``context.actor`` and the rate limits key on the
request's client address. ``Profile`` and ``TokenPair`` are snapshots, never live ORM rows.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from citygraph.domain import accounts, tokens
from citygraph.graphql.context import GraphQLInfo
from citygraph.models import User


@strawberry.type(description="A user account, visible to its owner and to staff.")
class Profile:
    id: strawberry.ID
    username: str
    email: str
    date_joined: datetime
    is_active: bool
    is_staff: bool

    @classmethod
    def from_user(cls, user: User) -> Profile:
        assert user.id is not None
        return cls(
            id=strawberry.ID(str(user.id)),
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
    access: str
    refresh: str | None = strawberry.field(
        description="Set by tokenCreate, and by tokenRefresh when refresh-token rotation is on."
    )


# --- resolvers (plain functions: the domain does the work) ------------------------------------


def client_address(info: GraphQLInfo) -> str | None:
    """The caller's address (uvicorn puts the proxy-forwarded one here when trusted)."""
    client = info.context.request.client
    return client.host if client else None


async def _mail_link(info: GraphQLInfo, email: str, request: accounts.MailLinkRequest) -> bool:
    """Run a rate-limited "mail me a link" request; always true, so it reveals no addresses."""
    ctx = info.context
    address = client_address(info)
    await ctx.write(lambda session: request(session, ctx.services, email, client_address=address))
    return True


def resolve_me(info: GraphQLInfo) -> Profile:
    return Profile.from_user(accounts.current_user(info.context.actor))


async def resolve_profile(info: GraphQLInfo, id: strawberry.ID) -> Profile:
    ctx = info.context
    user = await ctx.read(lambda session: accounts.get_profile(session, ctx.actor, str(id)))
    return Profile.from_user(user)


async def resolve_register(
    info: GraphQLInfo, username: str, password: str, email: str = ""
) -> Profile:
    ctx = info.context
    address = client_address(info)
    user = await ctx.write(
        lambda session: accounts.register(
            session,
            ctx.services,
            username=username,
            email=email,
            password=password,
            client_address=address,
        )
    )
    return Profile.from_user(user)


async def resolve_activate_account(info: GraphQLInfo, uid: str, token: str) -> Profile:
    ctx = info.context
    user = await ctx.write(
        lambda session: accounts.activate_account(session, ctx.settings, uid, token)
    )
    return Profile.from_user(user)


async def resolve_resend_activation(info: GraphQLInfo, email: str) -> bool:
    return await _mail_link(info, email, accounts.resend_activation)


async def resolve_token_create(info: GraphQLInfo, username: str, password: str) -> TokenPair:
    ctx = info.context
    address = client_address(info)
    pair = await ctx.write(
        lambda session: tokens.create_token_pair(
            session, ctx.services, username=username, password=password, client_address=address
        )
    )
    return TokenPair(access=pair.access, refresh=pair.refresh)


async def resolve_token_refresh(info: GraphQLInfo, refresh: str) -> TokenPair:
    ctx = info.context
    pair = await ctx.write(lambda session: tokens.refresh(session, ctx.settings, refresh))
    return TokenPair(access=pair.access, refresh=pair.refresh)


async def resolve_token_verify(info: GraphQLInfo, token: str) -> bool:
    ctx = info.context
    await ctx.read(lambda session: tokens.verify(session, ctx.settings, token))
    return True


async def resolve_logout(info: GraphQLInfo, refresh: str) -> bool:
    ctx = info.context
    await ctx.write(lambda session: tokens.logout(session, ctx.settings, refresh))
    return True


async def resolve_change_password(
    info: GraphQLInfo, current_password: str, new_password: str
) -> bool:
    ctx = info.context
    await ctx.write(
        lambda session: accounts.change_password(
            session, ctx.settings, ctx.actor, current_password, new_password
        )
    )
    return True


async def resolve_request_password_reset(info: GraphQLInfo, email: str) -> bool:
    return await _mail_link(info, email, accounts.request_password_reset)


async def resolve_confirm_password_reset(
    info: GraphQLInfo, uid: str, token: str, new_password: str
) -> bool:
    ctx = info.context
    await ctx.write(
        lambda session: accounts.confirm_password_reset(
            session, ctx.settings, uid, token, new_password
        )
    )
    return True


async def resolve_users(info: GraphQLInfo) -> list[Profile]:
    ctx = info.context
    users = await ctx.read(lambda session: accounts.list_users(session, ctx.actor))
    return [Profile.from_user(user) for user in users]


async def resolve_update_me(info: GraphQLInfo, email: str) -> Profile:
    ctx = info.context
    user = await ctx.write(
        lambda session: accounts.update_account(session, ctx.services, ctx.actor, None, email=email)
    )
    return Profile.from_user(user)


async def resolve_delete_account(info: GraphQLInfo, current_password: str) -> bool:
    ctx = info.context
    await ctx.write(
        lambda session: accounts.delete_account(session, ctx.actor, None, current_password)
    )
    return True


async def resolve_change_username(
    info: GraphQLInfo, current_password: str, new_username: str
) -> Profile:
    ctx = info.context
    user = await ctx.write(
        lambda session: accounts.change_username(session, ctx.actor, current_password, new_username)
    )
    return Profile.from_user(user)


async def resolve_request_username_reset(info: GraphQLInfo, email: str) -> bool:
    return await _mail_link(info, email, accounts.request_username_reset)


async def resolve_confirm_username_reset(
    info: GraphQLInfo, uid: str, token: str, new_username: str
) -> Profile:
    ctx = info.context
    user = await ctx.write(
        lambda session: accounts.confirm_username_reset(
            session, ctx.settings, uid, token, new_username
        )
    )
    return Profile.from_user(user)


async def _set_active(info: GraphQLInfo, id: strawberry.ID, active: bool) -> Profile:
    ctx = info.context
    user = await ctx.write(
        lambda session: accounts.set_active_by_id(session, ctx.actor, str(id), active)
    )
    return Profile.from_user(user)


async def resolve_activate_user(info: GraphQLInfo, id: strawberry.ID) -> Profile:
    return await _set_active(info, id, True)


async def resolve_deactivate_user(info: GraphQLInfo, id: strawberry.ID) -> Profile:
    return await _set_active(info, id, False)


# --- root types, merged into Query and Mutation by graphql/schema.py ---------------------------


@strawberry.type
class AccountQuery:
    me: Profile = strawberry.field(resolver=resolve_me, description="The signed-in account.")
    profile: Profile = strawberry.field(
        resolver=resolve_profile, description="An account by id: its owner and staff only."
    )
    users: list[Profile] = strawberry.field(
        resolver=resolve_users,
        description="Every account, ordered by id, for staff; only your own for others.",
    )


@strawberry.type
class AccountMutation:
    register: Profile = strawberry.mutation(
        resolver=resolve_register,
        description="Create an inactive account; an activation link is mailed to `email`.",
    )
    activate_account: Profile = strawberry.mutation(
        resolver=resolve_activate_account,
        description="Activate an account with the uid and token from its e-mail (works once).",
    )
    resend_activation: bool = strawberry.mutation(
        resolver=resolve_resend_activation,
        description="Mail the activation link again. Always true: reveals no addresses.",
    )
    token_create: TokenPair = strawberry.mutation(
        resolver=resolve_token_create,
        description="Log in: a fresh access/refresh pair. Rate-limited.",
    )
    token_refresh: TokenPair = strawberry.mutation(
        resolver=resolve_token_refresh,
        description="A new access token (and a new refresh token when rotation is on).",
    )
    token_verify: bool = strawberry.mutation(
        resolver=resolve_token_verify,
        description="True when the token is valid; an error otherwise.",
    )
    logout: bool = strawberry.mutation(
        resolver=resolve_logout, description="Blacklist a refresh token."
    )
    change_password: bool = strawberry.mutation(
        resolver=resolve_change_password,
        description="Change the signed-in account's password.",
    )
    request_password_reset: bool = strawberry.mutation(
        resolver=resolve_request_password_reset,
        description="Mail a password-reset link. Always true: reveals no addresses.",
    )
    confirm_password_reset: bool = strawberry.mutation(
        resolver=resolve_confirm_password_reset,
        description="Set a new password with the uid and token from the e-mail (works once).",
    )
    update_me: Profile = strawberry.mutation(
        resolver=resolve_update_me,
        description=(
            "Change the signed-in account's e-mail. A different address deactivates the account "
            "until the activation link mailed to it is opened (as djoser does)."
        ),
    )
    delete_account: bool = strawberry.mutation(
        resolver=resolve_delete_account,
        description="Delete the signed-in account (needs its password). Its tokens stop working.",
    )
    change_username: Profile = strawberry.mutation(
        resolver=resolve_change_username,
        description="Rename the signed-in account (needs its password).",
    )
    request_username_reset: bool = strawberry.mutation(
        resolver=resolve_request_username_reset,
        description="Mail a link to choose a new username. Always true: reveals no addresses.",
    )
    confirm_username_reset: Profile = strawberry.mutation(
        resolver=resolve_confirm_username_reset,
        description="Set a new username with the uid and token from the e-mail (works once).",
    )
    activate_user: Profile = strawberry.mutation(
        resolver=resolve_activate_user, description="Staff: activate an account."
    )
    deactivate_user: Profile = strawberry.mutation(
        resolver=resolve_deactivate_user,
        description="Staff: deactivate an account (its tokens stop working).",
    )
