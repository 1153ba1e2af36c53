"""User accounts: creation, lookup and activation."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from citygraph.config import Settings
from citygraph.domain.errors import InvalidInput, NotFound
from citygraph.models import User
from citygraph.security import passwords
from citygraph.security.permissions import Actor, require_staff

DUPLICATE_USERNAME = "A user with that username already exists."


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
    """Insert a user; the unique index decides races, so exactly one of two twins wins."""
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
