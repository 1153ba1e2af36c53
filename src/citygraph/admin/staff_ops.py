"""FALLBACK account operations the admin needs and ``citygraph.domain.accounts`` lacks (yet).

``set_staff`` and ``set_password`` belong in ``domain/accounts.py`` (owned by the accounts work);
until they exist there, they live here, written like domain functions: a session, the actor and
plain arguments in; ``PermissionDenied`` / ``NotFound`` / ``InvalidInput`` out; no HTTP. Move
them (and their tests in ``tests/admin/test_staff_ops.py``) when the accounts module grows them.

Rules on top of ``require_staff``: only a superuser may change a superuser's password or staff
flag (otherwise any staff member could take over the superuser's account), and nobody removes
their own staff flag here (an operator locking themselves out is never what they meant).
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from citygraph.config import Settings
from citygraph.domain import accounts
from citygraph.domain.errors import InvalidInput, NotFound, PermissionDenied
from citygraph.models import User
from citygraph.security import passwords, validators
from citygraph.security.permissions import Actor, System, require_staff

SUPERUSER_ONLY = "Only a superuser may change a superuser account."
NOT_YOURSELF = "You cannot remove your own staff status."
_MAX_ID = 2**31 - 1


async def _target(session: AsyncSession, actor: Actor, user_id: int) -> User:
    require_staff(actor)
    user = await session.get(User, user_id) if 0 < user_id <= _MAX_ID else None
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    actor_is_superuser = isinstance(actor, System) or (actor is not None and actor.is_superuser)
    if user.is_superuser and not actor_is_superuser:
        raise PermissionDenied(SUPERUSER_ONLY)
    return user


async def set_staff(session: AsyncSession, actor: Actor, user_id: int, is_staff: bool) -> User:
    user = await _target(session, actor, user_id)
    if not is_staff and isinstance(actor, User) and actor.id == user.id:
        raise PermissionDenied(NOT_YOURSELF)
    user.is_staff = is_staff
    session.add(user)
    await session.flush()
    return user


def password_problems(new_password: str, user: User) -> list[str]:
    """The APIs' checks for a new password (blank/NUL first, then Django's validators)."""
    problems = validators.password_field_problems(new_password)
    if problems:
        return problems
    return accounts.validate_password(new_password, username=user.username, email=user.email)


async def set_password(
    session: AsyncSession, settings: Settings, actor: Actor, user_id: int, new_password: str
) -> User:
    """Staff set another account's password; surrounding whitespace is stripped, as the APIs do."""
    user = await _target(session, actor, user_id)
    new_password = new_password.strip()
    problems = password_problems(new_password, user)
    if problems:
        raise InvalidInput({"new_password": problems})
    user.password = await passwords.hash_password(new_password, settings.bcrypt_rounds)
    session.add(user)
    await session.flush()
    return user
