"""The change feed on its own (SQLite: in-process fan-out): every subscriber of an entity gets
each change once, in order; one that falls behind is told so instead of growing without bound;
a malformed notification is ignored."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from citygraph.feed import Change, ChangeFeed, ChangeKind, Entity, FellBehind
from citygraph.services import Services
from tests.conftest import make_settings


@pytest.fixture
async def feed(sqlite_url: str, tmp_path: Path) -> AsyncIterator[ChangeFeed]:
    services = Services.from_settings(make_settings(sqlite_url, tmp_path / "media"))
    yield services.feed
    await services.aclose()


def _place(kind: ChangeKind, pk: int) -> Change:
    return Change(Entity.PLACE, kind, pk, (1,))


async def test_every_subscriber_gets_each_change_once_in_order(feed: ChangeFeed) -> None:
    with (
        feed.subscribe(Entity.PLACE) as first,
        feed.subscribe(Entity.PLACE) as second,
        feed.subscribe(Entity.DISTRICT) as districts,
    ):
        changes = [_place(ChangeKind.CREATED, 1), _place(ChangeKind.DELETED, 1)]
        for change in changes:
            await feed.publish(change)
        await feed.publish(Change(Entity.DISTRICT, ChangeKind.UPDATED, 7, (7,)))
        assert [await first.next(), await first.next()] == changes
        assert [await second.next(), await second.next()] == changes
        assert (await districts.next()).id == 7
        assert feed.subscriber_count == 3
    assert feed.subscriber_count == 0


async def test_a_subscriber_that_falls_behind_is_told(feed: ChangeFeed) -> None:
    feed.backlog = 3
    with feed.subscribe(Entity.PLACE) as slow:
        for pk in range(5):
            await feed.publish(_place(ChangeKind.UPDATED, pk))
        assert [(await slow.next()).id for _ in range(3)] == [0, 1, 2]
        with pytest.raises(FellBehind):
            await slow.next()


def test_notifications_round_trip_and_garbage_is_ignored(feed: ChangeFeed) -> None:
    change = Change(Entity.PLACE, ChangeKind.UPDATED, 5, (1, 2))
    assert Change.decode(change.encode()) == change
    assert Change.decode("places") is None  # the change counter's trigger
    assert Change.decode('{"feed": "nope"}') is None
    feed.receive('{"feed": "place", "kind": "EXPLODED", "id": 1, "districts": []}')  # no error
