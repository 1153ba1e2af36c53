"""What each write tells live subscribers (``feed``), sent once the unit has committed.

One place for the rule, whichever face wrote (GraphQL, REST, the admin): a place's images are
part of the place, so adding or deleting one is an update of the place; a place that moved
concerns its old district and its new one.
"""

from __future__ import annotations

from citygraph.domain.unit import UnitOfWork
from citygraph.feed import Change, ChangeKind, Entity


def place_changed(
    uow: UnitOfWork, kind: ChangeKind, place_id: int | None, *district_ids: int | None
) -> None:
    assert place_id is not None
    districts = tuple(dict.fromkeys(pk for pk in district_ids if pk is not None))
    uow.publish(Change(Entity.PLACE, kind, place_id, districts))


def district_changed(uow: UnitOfWork, kind: ChangeKind, district_id: int | None) -> None:
    assert district_id is not None
    uow.publish(Change(Entity.DISTRICT, kind, district_id, (district_id,)))
