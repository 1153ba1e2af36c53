"""What the domain publishes, on both databases (PostgreSQL: through NOTIFY and the listener):
each write's change once it has committed — images count as an update of their place, a move
concerns both districts — and nothing for a unit that rolls back."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from citygraph.domain import districts, places
from citygraph.domain.policy import SYSTEM
from citygraph.domain.unit import unit_of_work
from citygraph.feed import Change, ChangeKind, Entity, Subscriber
from citygraph.services import Services
from tests.admin.conftest import SAME_ORIGIN, login
from tests.admin.conftest import make_user as make_admin_user
from tests.admin.test_places import make_district as admin_district
from tests.admin.test_places import place_form
from tests.domain.test_places import make_district, make_place, png


@pytest.fixture
async def listening(services: Services, database_url: str) -> Services:
    """The services with the listener the app's lifespan starts, once it hears notifications."""
    services.changes.listen(database_url)
    with services.feed.subscribe(Entity.DISTRICT) as probe:
        for _ in range(100):  # on PostgreSQL the listener connects in the background
            await services.feed.publish(Change(Entity.DISTRICT, ChangeKind.UPDATED, 0))
            try:
                await asyncio.wait_for(probe.next(), 0.2)
                break
            except TimeoutError:
                continue
        else:
            pytest.fail("the listener never heard a notification")
    return services


async def _next(subscriber: Subscriber) -> Change:
    return await asyncio.wait_for(subscriber.next(), 10)


async def test_each_write_publishes_its_change_after_commit(listening: Services) -> None:
    services = listening
    with (
        services.feed.subscribe(Entity.PLACE) as changes,
        services.feed.subscribe(Entity.DISTRICT) as district_changes,
    ):
        a = await make_district(services, "А")
        b = await make_district(services, "Б")
        assert [(await _next(district_changes)).id for _ in range(2)] == [a, b]
        place = await make_place(services, a)
        assert place.id is not None
        assert await _next(changes) == Change(Entity.PLACE, ChangeKind.CREATED, place.id, (a,))

        async with unit_of_work(services, actor=SYSTEM) as uow:
            await places.update_place(
                uow, place.id, places.PlaceForm.parse(partial=True, district=b)
            )
        moved = await _next(changes)
        assert (moved.kind, moved.district_ids) == (ChangeKind.UPDATED, (a, b))

        async with unit_of_work(services, actor=SYSTEM) as uow:
            image = await places.add_place_image(uow, place.id, png())
        assert await _next(changes) == Change(Entity.PLACE, ChangeKind.UPDATED, place.id, (b,))
        async with unit_of_work(services, actor=SYSTEM) as uow:
            assert image.id is not None
            await places.delete_place_image(uow, image.id)
        assert (await _next(changes)).kind is ChangeKind.UPDATED

        with pytest.raises(RuntimeError):  # the unit rolls back: nothing is published
            async with unit_of_work(services, actor=SYSTEM) as uow:
                await places.update_place(
                    uow, place.id, places.PlaceForm.parse(partial=True, title="Никогда")
                )
                raise RuntimeError("after the write, before the commit")
        async with unit_of_work(services, actor=SYSTEM) as uow:
            await places.delete_place(uow, place.id)
        assert await _next(changes) == Change(Entity.PLACE, ChangeKind.DELETED, place.id, (b,))

        async with unit_of_work(services, actor=SYSTEM) as uow:
            await districts.delete_district(uow, a)
        deleted = await _next(district_changes)
        assert (deleted.kind, deleted.id) == (ChangeKind.DELETED, a)


async def test_the_admin_publishes_through_the_same_domain(
    listening: Services, client: httpx.AsyncClient
) -> None:
    """The admin's forms call the same operations: its edits reach subscribers too."""
    services = listening
    await make_admin_user(services, "operator", staff=True, superuser=True)
    assert (await login(client, "operator")).status_code == 302
    district = await admin_district(services)
    with services.feed.subscribe(Entity.PLACE) as changes:
        response = await client.post(
            "/admin/place/create", data=place_form(district), headers=SAME_ORIGIN
        )
        assert response.status_code == 302, response.text
        created = await _next(changes)
    assert (created.kind, created.district_ids) == (ChangeKind.CREATED, (district.id,))
