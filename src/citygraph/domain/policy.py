"""Who may do what: the actor kinds and the one account policy.

An actor is a ``User``, ``None`` (anonymous) or :data:`SYSTEM`: the operator at the command line
(or an importer), trusted like a superuser but not an account. Inactive accounts never become
actors: their tokens and admin sessions are refused before any operation runs.

The account policy, :func:`decide` (``can``/``require`` wrap it), for every account operation on
every face:

=====================  ==========================  ============================================
actor                  target                      may
=====================  ==========================  ============================================
anonymous              any                         nothing (``NotAuthenticated``)
user                   own account                 view, change e-mail/username/password, delete
user                   another account             nothing; the account is hidden (``NotOwner``)
staff                  own account                 all but deactivate and revoke own staff status
staff                  a non-superuser account     everything
staff (not superuser)  a superuser's account       view only (``superuser_only``)
superuser              any other account           everything
system (command line)  any                         everything
=====================  ==========================  ============================================

Every account operation looks its target up first, then asks the policy (djoser's order, which
the REST contract keeps): a missing id is "not found" for anyone signed in. Account ids are
consecutive numbers shown in every list, so existence is no secret worth a different order.

Districts, places and images are changed by staff only (:func:`require_staff`).
"""

from __future__ import annotations

import enum
from typing import Final

from citygraph.domain.errors import DomainError, NotAuthenticated, NotOwner, PermissionDenied
from citygraph.models import User


class System:
    """The command-line operator."""

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM: Final = System()
Actor = User | System | None


class AccountAction(enum.StrEnum):
    VIEW = "view"
    CHANGE_EMAIL = "change_email"
    CHANGE_USERNAME = "change_username"
    CHANGE_PASSWORD = "change_password"
    DELETE = "delete"
    ACTIVATE = "activate"
    DEACTIVATE = "deactivate"
    GRANT_STAFF = "grant_staff"
    REVOKE_STAFF = "revoke_staff"


#: What an account may do to itself without being staff.
OWNER_ACTIONS: Final = frozenset(
    {
        AccountAction.VIEW,
        AccountAction.CHANGE_EMAIL,
        AccountAction.CHANGE_USERNAME,
        AccountAction.CHANGE_PASSWORD,
        AccountAction.DELETE,
    }
)


def is_staff(actor: Actor) -> bool:
    if isinstance(actor, System):
        return True
    return actor is not None and actor.is_staff and actor.is_active


def is_superuser(actor: Actor) -> bool:
    if isinstance(actor, System):
        return True
    return actor is not None and actor.is_superuser and actor.is_active


def require_user(actor: Actor) -> User:
    """The signed-in account; the command line is not one."""
    if actor is None:
        raise NotAuthenticated
    if isinstance(actor, System):
        raise PermissionDenied("needs_account")
    return actor


def require_staff(actor: Actor) -> None:
    if actor is None:
        raise NotAuthenticated
    if not is_staff(actor):
        raise PermissionDenied


def decide(actor: Actor, action: AccountAction, target: User) -> DomainError | None:
    """``None`` when ``actor`` may do ``action`` to ``target``; else the error to raise."""
    if actor is None:
        return NotAuthenticated()
    if isinstance(actor, System):
        return None
    if actor.id == target.id:
        if action is AccountAction.DEACTIVATE:
            return PermissionDenied("cannot_deactivate_self")
        if action is AccountAction.REVOKE_STAFF:
            return PermissionDenied("cannot_unstaff_self")
        if action in OWNER_ACTIONS or is_staff(actor):
            return None
        return PermissionDenied()
    if not is_staff(actor):
        return NotOwner()
    if target.is_superuser and not is_superuser(actor) and action is not AccountAction.VIEW:
        return PermissionDenied("superuser_only")
    return None


def can(actor: Actor, action: AccountAction, target: User) -> bool:
    return decide(actor, action, target) is None


def require(actor: Actor, action: AccountAction, target: User) -> None:
    error = decide(actor, action, target)
    if error is not None:
        raise error
