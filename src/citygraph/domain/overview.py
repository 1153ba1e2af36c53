"""What the admin's start page shows: how much there is, who waits, what changed last.

Reads only, for staff (the admin checks its session before it asks). Each figure is one cheap
statement: counts are plain ``count(*)``, the lists are bounded.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from citygraph.domain.changelog import recent_changes
from citygraph.models import ChangeLog, District, Place, PlaceImage, User

#: How many waiting accounts and log entries the start page lists.
LISTED = 10


@dataclass(frozen=True)
class Overview:
    districts: int
    places: int
    images: int
    users: int
    waiting: list[User]
    waiting_total: int
    changes: list[ChangeLog]


def _waiting() -> ColumnElement[bool]:
    """Inactive accounts: registered and not yet activated (or deactivated by staff; the
    original service kept no record that tells the two apart)."""
    return col(User.is_active).is_(False)


async def _count(
    session: AsyncSession, model: type[object], where: ColumnElement[bool] | None = None
) -> int:
    query = select(func.count()).select_from(model)
    if where is not None:
        query = query.where(where)
    return int((await session.exec(query)).one())


async def overview(session: AsyncSession) -> Overview:
    waiting = select(User).where(_waiting()).order_by(col(User.id).desc()).limit(LISTED)
    return Overview(
        districts=await _count(session, District),
        places=await _count(session, Place),
        images=await _count(session, PlaceImage),
        users=await _count(session, User),
        waiting=list((await session.exec(waiting)).all()),
        waiting_total=await _count(session, User, _waiting()),
        changes=await recent_changes(session, LISTED),
    )
