"""citygraph.domain.changelog and the admin's domain operations, on both databases.

Who is logged (staff accounts) and who is not (the command line, plain accounts), that a rolled
back change leaves no entry, and that the operations behind the admin's account creation and
inline image deletion refuse non-staff actors.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import col, select

from citygraph.domain import accounts, changelog, districts, places
from citygraph.domain.errors import NotAuthenticated, NotFound, PermissionDenied
from citygraph.domain.overview import overview
from citygraph.domain.policy import SYSTEM, Actor
from citygraph.domain.unit import unit_of_work
from citygraph.models import ChangeLog, Place, PlaceImage, User
from citygraph.services import Services
from tests.support.users import create_account


async def entries(services: Services) -> list[ChangeLog]:
    async with services.sessions() as session:
        return list((await session.exec(select(ChangeLog).order_by(col(ChangeLog.id)))).all())


async def account(services: Services, name: str, *, staff: bool) -> User:
    return await create_account(
        services,
        name,
        email=f"{name}@example.com",
        password="Xy7!pQz9-long",
        active=True,
        staff=staff,
    )


def new_account(name: str) -> accounts.NewAccount:
    return accounts.NewAccount.parse(
        username=name, email=f"{name}@example.com", password="Lantern-Ocean-73"
    )


async def test_staff_changes_are_logged_in_their_transaction(services: Services) -> None:
    staff = await account(services, "clerk", staff=True)
    async with unit_of_work(services, actor=staff) as uow:
        district = await districts.create_district(uow, districts.DistrictForm.parse(title="Арбат"))
    with pytest.raises(RuntimeError):
        async with unit_of_work(services, actor=staff) as uow:
            await districts.create_district(uow, districts.DistrictForm.parse(title="Пресня"))
            raise RuntimeError("the face failed after the flush")
    (entry,) = await entries(services)
    assert (entry.action, entry.kind, entry.object_id, entry.object_repr) == (
        changelog.ADDED,
        "district",
        district.id,
        "Арбат",
    )
    assert (entry.actor_id, entry.actor) == (staff.id, "clerk")
    assert entry.at is not None


async def test_system_and_plain_accounts_are_not_logged(services: Services) -> None:
    plain = await account(services, "reader", staff=False)
    async with unit_of_work(services, actor=SYSTEM) as uow:
        await districts.create_district(uow, districts.DistrictForm.parse(title="Арбат"))
    async with unit_of_work(services, actor=plain) as uow:
        await accounts.update_account(
            uow, accounts.ME, accounts.EmailChange.parse(email="r@example.com")
        )
    assert await entries(services) == []


@pytest.mark.parametrize("who", ["anonymous", "plain"])
async def test_admin_operations_refuse_non_staff(services: Services, who: str) -> None:
    plain = await account(services, "reader", staff=False)
    actor: Actor = None if who == "anonymous" else plain
    expected = NotAuthenticated if who == "anonymous" else PermissionDenied
    async with unit_of_work(services, actor=SYSTEM) as uow:
        district = await districts.create_district(uow, districts.DistrictForm.parse(title="Арбат"))
        assert district.id is not None
        place = Place(
            title="Арбат",
            latitude=Decimal("55.75"),
            longitude=Decimal("37.59"),
            district_id=district.id,
        )
        uow.session.add(place)
    with pytest.raises(expected):
        async with unit_of_work(services, actor=actor) as uow:
            await accounts.add_account(uow, new_account("intruder"), active=True, staff=True)
    with pytest.raises(expected):
        async with unit_of_work(services, actor=actor) as uow:
            await places.delete_images_of_place(uow, place.id, [])  # type: ignore[arg-type]
    async with services.sessions() as session:
        names = (await session.exec(select(User.username))).all()
    assert sorted(names) == ["reader"]


async def test_an_image_of_another_place_is_not_found(services: Services) -> None:
    staff = await account(services, "clerk", staff=True)
    async with unit_of_work(services, actor=SYSTEM) as uow:
        district = await districts.create_district(uow, districts.DistrictForm.parse(title="Арбат"))
        assert district.id is not None
        one = Place(title="A", latitude=Decimal(55), longitude=Decimal(37), district_id=district.id)
        two = Place(title="B", latitude=Decimal(55), longitude=Decimal(37), district_id=district.id)
        uow.session.add_all([one, two])
        await uow.session.flush()
        assert two.id is not None
        image = PlaceImage(image="places/x.png", place_id=two.id)
        uow.session.add(image)
    with pytest.raises(NotFound):
        async with unit_of_work(services, actor=staff) as uow:
            await places.delete_images_of_place(uow, one.id, [image.id])  # type: ignore[arg-type,list-item]
    async with services.sessions() as session:
        assert await session.get(PlaceImage, image.id) is not None


async def test_overview_counts_and_waiting_accounts(services: Services) -> None:
    staff = await account(services, "clerk", staff=True)
    async with unit_of_work(services, actor=staff) as uow:
        waiting = await accounts.add_account(uow, new_account("later"), active=False, staff=False)
        await accounts.add_account(uow, new_account("now"), active=True, staff=False)
    async with services.sessions() as session:
        summary = await overview(session)
    assert (summary.districts, summary.places, summary.images, summary.users) == (0, 0, 0, 3)
    assert [user.username for user in summary.waiting] == ["later"]
    assert summary.waiting_total == 1
    # Newest first.
    assert [entry.object_id for entry in summary.changes] == await _ids(services, "now", "later")
    assert waiting.is_active is False


async def _ids(services: Services, *names: str) -> list[int | None]:
    async with services.sessions() as session:
        found = {
            user.username: user.id
            for user in (
                await session.exec(select(User).where(col(User.username).in_(names)))
            ).all()
        }
    return [found[name] for name in names]
