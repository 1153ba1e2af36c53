"""The change log: every change a staff member makes is written down, whatever the face.

Every unit of work names its actor on its session when it is made (:func:`attach`); after each
flush, :func:`_record` writes one ``change_log`` row for every district, place, image or account
the flush added, changed or deleted, when the actor is a staff account. The rows go into the
same transaction, so a change that rolls back leaves no entry, and no domain operation has to
remember to log. The command line (``SYSTEM``: demo data, imports), anonymous visitors
(registration) and accounts without staff rights are not logged, as in Django's admin log.

Readers: :func:`recent_changes` (the admin's start page).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Final

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from citygraph.domain.policy import Actor, is_staff
from citygraph.models import ChangeLog, District, Place, PlaceImage, User

ACTOR_KEY: Final = "citygraph.changelog.actor"
CLOCK_KEY: Final = "citygraph.changelog.clock"

ADDED: Final = "added"
CHANGED: Final = "changed"
DELETED: Final = "deleted"

#: Tracked model -> the kind shown in the log.
KINDS: Final[dict[type[Any], str]] = {
    District: "district",
    Place: "place",
    PlaceImage: "place image",
    User: "user",
}
#: Columns whose change is bookkeeping, not an edit (a login moves ``last_login``).
UNLOGGED: Final = frozenset({"last_login"})
_REPR_MAX = 200
_FIELDS_MAX = 300


def attach(
    session: AsyncSession, actor: Callable[[], Actor], clock: Callable[[], datetime]
) -> None:
    """Log the changes ``session`` flushes on behalf of ``actor()`` (when staff), at ``clock()``.

    ``actor`` is asked at each flush: a face may learn who acts after the unit exists."""
    session.sync_session.info[ACTOR_KEY] = actor
    session.sync_session.info[CLOCK_KEY] = clock


def _label(obj: Any) -> str:
    if isinstance(obj, User):
        text = obj.username
    elif isinstance(obj, PlaceImage):
        text = f"{obj.image} (place #{obj.place_id})"
    else:
        text = str(obj.title)
    return text[:_REPR_MAX]


def _changed_fields(obj: Any) -> list[str]:
    state = inspect(obj)
    return [
        attr.key
        for attr in state.mapper.column_attrs
        if attr.key not in UNLOGGED and state.attrs[attr.key].history.has_changes()
    ]


@event.listens_for(Session, "after_flush")
def _record(session: Session, _context: object) -> None:
    who = session.info.get(ACTOR_KEY)
    actor = who() if callable(who) else None
    if not isinstance(actor, User) or not is_staff(actor):
        return
    rows: list[dict[str, object]] = []

    def entry(obj: Any, action: str, fields: Sequence[str] = ()) -> None:
        rows.append(
            {
                "actor_id": actor.id,
                "actor": actor.username,
                "action": action,
                "kind": KINDS[type(obj)],
                "object_id": obj.id,
                "object_repr": _label(obj),
                "fields": ", ".join(fields)[:_FIELDS_MAX],
            }
        )

    for obj in session.new:
        if type(obj) in KINDS:
            entry(obj, ADDED)
    for obj in session.dirty:
        if type(obj) in KINDS and session.is_modified(obj):
            fields = _changed_fields(obj)
            if fields:
                entry(obj, CHANGED, fields)
    for obj in session.deleted:
        if type(obj) in KINDS:
            entry(obj, DELETED)
    if rows:
        clock = session.info[CLOCK_KEY]
        session.connection().execute(
            insert(ChangeLog).values([{**row, "at": clock()} for row in rows])
        )


async def recent_changes(session: AsyncSession, limit: int = 10) -> list[ChangeLog]:
    """The last ``limit`` entries, newest first."""
    query = select(ChangeLog).order_by(col(ChangeLog.id).desc()).limit(limit)
    return list((await session.exec(query)).all())
