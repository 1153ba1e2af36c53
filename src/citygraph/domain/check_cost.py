"""What a login costs when there is no usable hash to check, so timing does not tell.

An unknown username is checked against a *real* account's hash, chosen by an HMAC of the name
under the secret key: while accounts imported from the original still carry Django hashes
(pbkdf2, argon2…) next to bcrypt ones, an unknown name costs what some real account costs, and
always the same one, so repeating a probe reveals nothing either. An account whose hash can
never match (Django's unusable ``!…``), and an empty accounts table, cost one bcrypt check at
the configured cost, as Django does since its fix for CVE-2024-39329.
"""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import func
from sqlmodel import col, select

from citygraph.domain.unit import UnitOfWork
from citygraph.models import User
from citygraph.security import passwords


async def _stand_in_hash(uow: UnitOfWork, name: str) -> str | None:
    top = (await uow.session.exec(select(func.max(User.id)))).one()
    if top is None:
        return None
    digest = hmac.new(uow.settings.secret_key.encode(), name.encode(), hashlib.sha256).digest()
    start = int.from_bytes(digest[:8], "big") % int(top) + 1
    query = select(User.password).where(col(User.id) >= start).order_by(col(User.id)).limit(1)
    return (await uow.session.exec(query)).first()


async def spend_unknown_user_check(uow: UnitOfWork, password: str, name: str) -> None:
    """The cost of checking ``password`` for ``name``, an account that does not exist."""
    stand_in = await _stand_in_hash(uow, name)
    if stand_in is not None and passwords.is_usable(stand_in):
        await passwords.check_password(password, stand_in)
    else:
        await passwords.dummy_check(uow.settings.bcrypt_rounds)


async def spend_unusable_check(uow: UnitOfWork) -> None:
    """The cost of a check for an account whose hash can never match."""
    await passwords.dummy_check(uow.settings.bcrypt_rounds)
