"""Permission rules, checked by domain functions on the acting user.

An actor is a ``User``, ``None`` (anonymous) or ``SYSTEM``: the operator at the command line,
who is trusted like a superuser but is not an account.
"""

from __future__ import annotations

from typing import Final

from citygraph.domain.errors import NotAuthenticated, NotOwner, PermissionDenied
from citygraph.models import User


class System:
    """The command-line operator."""

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM: Final = System()
Actor = User | System | None


def require_user(actor: Actor) -> User:
    if actor is None:
        raise NotAuthenticated
    if isinstance(actor, System):
        raise PermissionDenied("This operation needs a user account.")
    return actor


def is_staff(actor: Actor) -> bool:
    if isinstance(actor, System):
        return True
    return actor is not None and actor.is_staff and actor.is_active


def require_staff(actor: Actor) -> None:
    if actor is None:
        raise NotAuthenticated
    if not is_staff(actor):
        raise PermissionDenied


def require_owner_or_staff(actor: Actor, owner_id: int | str) -> None:
    """The account ``owner_id`` (an int or the raw id a client sent) or staff."""
    if actor is None:
        raise NotAuthenticated
    if is_staff(actor):
        return
    if isinstance(actor, User) and str(actor.id) == str(owner_id):
        return
    raise NotOwner
