"""GraphQL face of accounts and tokens: ``AccountQuery`` and ``AccountMutation``.

``graphql/schema.py`` merges these into the root types. Resolvers only translate arguments and
call ``citygraph.domain.accounts`` / ``citygraph.domain.tokens``; domain errors propagate to the
schema's error mapping (``InvalidInput`` -> ``BAD_USER_INPUT`` with ``extensions.fields``,
``RateLimited`` -> ``TOO_MANY_REQUESTS``...). Field names in ``extensions.fields`` are the
domain's (and REST's): ``username``, ``email``, ``password``, ``current_password``,
``new_password``, ``uid``, ``token``.

The context must provide ``session`` (the request's ``AsyncSession``), ``services``
(``citygraph.services.Services``), ``actor`` (the ``User`` from the access token, or ``None``)
and ``client_address`` (``str | None``), as attributes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import strawberry
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.types import Info

from citygraph.domain import accounts, tokens
from citygraph.models import User
from citygraph.services import Services


class AccountContext(Protocol):
    @property
    def session(self) -> AsyncSession: ...
    @property
    def services(self) -> Services: ...
    @property
    def actor(self) -> User | None: ...
    @property
    def client_address(self) -> str | None: ...


AccountInfo = Info[AccountContext, None]


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


def resolve_me(info: AccountInfo) -> Profile:
    return Profile.from_user(accounts.current_user(info.context.actor))


async def resolve_profile(info: AccountInfo, id: strawberry.ID) -> Profile:
    ctx = info.context
    return Profile.from_user(await accounts.get_profile(ctx.session, ctx.actor, str(id)))


async def resolve_register(
    info: AccountInfo, username: str, password: str, email: str = ""
) -> Profile:
    ctx = info.context
    user = await accounts.register(
        ctx.session,
        ctx.services,
        username=username,
        email=email,
        password=password,
        client_address=ctx.client_address,
    )
    return Profile.from_user(user)


async def resolve_activate_account(info: AccountInfo, uid: str, token: str) -> Profile:
    ctx = info.context
    user = await accounts.activate_account(ctx.session, ctx.services.settings, uid, token)
    return Profile.from_user(user)


async def resolve_resend_activation(info: AccountInfo, email: str) -> bool:
    await accounts.resend_activation(info.context.session, info.context.services, email)
    return True


async def resolve_token_create(info: AccountInfo, username: str, password: str) -> TokenPair:
    ctx = info.context
    pair = await tokens.create_token_pair(
        ctx.session,
        ctx.services,
        username=username,
        password=password,
        client_address=ctx.client_address,
    )
    return TokenPair(access=pair.access, refresh=pair.refresh)


async def resolve_token_refresh(info: AccountInfo, refresh: str) -> TokenPair:
    pair = await tokens.refresh(info.context.session, info.context.services.settings, refresh)
    return TokenPair(access=pair.access, refresh=pair.refresh)


async def resolve_token_verify(info: AccountInfo, token: str) -> bool:
    await tokens.verify(info.context.session, info.context.services.settings, token)
    return True


async def resolve_logout(info: AccountInfo, refresh: str) -> bool:
    await tokens.logout(info.context.session, info.context.services.settings, refresh)
    return True


async def resolve_change_password(
    info: AccountInfo, current_password: str, new_password: str
) -> bool:
    ctx = info.context
    await accounts.change_password(
        ctx.session, ctx.services.settings, ctx.actor, current_password, new_password
    )
    return True


async def resolve_request_password_reset(info: AccountInfo, email: str) -> bool:
    await accounts.request_password_reset(info.context.session, info.context.services, email)
    return True


async def resolve_confirm_password_reset(
    info: AccountInfo, uid: str, token: str, new_password: str
) -> bool:
    ctx = info.context
    await accounts.confirm_password_reset(
        ctx.session, ctx.services.settings, uid, token, new_password
    )
    return True


async def resolve_activate_user(info: AccountInfo, id: strawberry.ID) -> Profile:
    ctx = info.context
    return Profile.from_user(await accounts.set_active_by_id(ctx.session, ctx.actor, str(id), True))


async def resolve_deactivate_user(info: AccountInfo, id: strawberry.ID) -> Profile:
    ctx = info.context
    user = await accounts.set_active_by_id(ctx.session, ctx.actor, str(id), False)
    return Profile.from_user(user)


# --- root types, merged into Query and Mutation by graphql/schema.py ---------------------------


@strawberry.type
class AccountQuery:
    me: Profile = strawberry.field(resolver=resolve_me, description="The signed-in account.")
    profile: Profile = strawberry.field(
        resolver=resolve_profile, description="An account by id: its owner and staff only."
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
    activate_user: Profile = strawberry.mutation(
        resolver=resolve_activate_user, description="Staff: activate an account."
    )
    deactivate_user: Profile = strawberry.mutation(
        resolver=resolve_deactivate_user,
        description="Staff: deactivate an account (its tokens stop working).",
    )
