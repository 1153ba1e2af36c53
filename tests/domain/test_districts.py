"""citygraph.domain.districts: permissions first, DRF-worded validation, files tied to commits."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image

from citygraph.config import Settings
from citygraph.domain import districts
from citygraph.domain.errors import (
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from citygraph.domain.parsers import Id, parse_id
from citygraph.domain.policy import SYSTEM, Actor
from citygraph.domain.unit import UnitOfWork, unit_of_work
from citygraph.domain.values import UNSET
from citygraph.models import District, Place, PlaceType, User
from citygraph.services import Services

Form = districts.DistrictForm


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (3, 2), "blue").save(buffer, format="PNG")
    return buffer.getvalue()


def stored_files(settings: Settings) -> list[Path]:
    root = settings.media_root
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def plain_user() -> User:
    return User(id=999, username="u", password="-", is_active=True, is_staff=False)


@asynccontextmanager
async def uncommitted(services: Services, actor: Actor = SYSTEM) -> AsyncIterator[UnitOfWork]:
    """A unit that never commits (rolled back at the end), for refusals and reads."""
    async with services.sessions() as session:
        uow = UnitOfWork(session, services, actor=actor)
        try:
            yield uow
        finally:
            await uow.rollback()


async def test_list_and_get(services: Services) -> None:
    async with unit_of_work(services, actor=SYSTEM) as uow:
        b = await districts.create_district(uow, Form.parse(title="B"))
        a = await districts.create_district(uow, Form.parse(title="A"))
    async with services.sessions() as session:
        listed = await districts.list_districts(session)
        assert [d.id for d in listed] == sorted([b.id, a.id])  # type: ignore[type-var]
        assert a.id is not None
        assert (await districts.get_district(session, Id(a.id))).title == "A"
        for missing in (0, -1, 10**6, 2**63, "1.5", None):
            with pytest.raises(NotFound):
                await districts.get_district(session, parse_id(missing))


async def test_staff_is_checked_before_validation(services: Services) -> None:
    async with uncommitted(services, actor=None) as uow:
        with pytest.raises(NotAuthenticated):
            await districts.create_district(uow, Form.parse(title=""))
        with pytest.raises(NotAuthenticated):
            await districts.delete_district(uow, Id(12345))
        with pytest.raises(NotAuthenticated):
            await districts.update_district(uow, Id(12345), Form.parse(partial=True, title=""))
    async with uncommitted(services, actor=plain_user()) as uow:
        with pytest.raises(PermissionDenied):
            await districts.create_district(uow, Form.parse(title=""))
        with pytest.raises(PermissionDenied):
            await districts.check_new_district(uow, Form.parse(title=""))


async def test_validation_reports_every_field(services: Services) -> None:
    settings = services.settings
    async with uncommitted(services) as uow:
        with pytest.raises(InvalidInput) as caught:
            await districts.create_district(uow, Form.parse(abbreviation="x" * 11, image=b"nope"))
    assert caught.value.messages() == {
        "title": ["This field is required."],
        "abbreviation": ["Ensure this field has no more than 10 characters."],
        "image": [
            "Upload a valid image. The file you uploaded was either not an image or a "
            "corrupted image."
        ],
    }
    assert {name: [e.code for e in errors] for name, errors in caught.value.fields.items()} == {
        "title": ["required"],
        "abbreviation": ["max_length"],
        "image": ["invalid_image"],
    }
    assert stored_files(settings) == []
    cases = {
        None: "This field may not be null.",
        "   ": "This field may not be blank.",
        "x" * 101: "Ensure this field has no more than 100 characters.",
        "a\x00b": "Null characters are not allowed.",
        "\ud800": "Surrogate characters are not allowed: U+D800.",
    }
    for title, message in cases.items():
        async with uncommitted(services) as uow:
            with pytest.raises(InvalidInput) as caught:
                await districts.create_district(uow, Form.parse(title=title))
            with pytest.raises(InvalidInput) as checked:
                await districts.check_new_district(uow, Form.parse(title=title))
        assert caught.value.messages() == {"title": [message]}
        assert checked.value.messages() == {"title": [message]}
    async with services.sessions() as session:
        assert await districts.list_districts(session) == []


async def test_create_trims_and_stores_the_image(services: Services) -> None:
    settings = services.settings
    async with unit_of_work(services, actor=SYSTEM) as uow:
        district = await districts.create_district(
            uow, Form.parse(title="  Центральный ", abbreviation="ЦАО", image=png())
        )
    assert district.title == "Центральный"
    assert district.image is not None
    assert district.image.startswith("districts/")
    assert district.image.endswith(".png")
    assert stored_files(settings) == [settings.media_root / district.image]


async def test_stored_image_is_removed_when_the_transaction_rolls_back(
    services: Services,
) -> None:
    settings = services.settings
    with pytest.raises(RuntimeError):
        async with unit_of_work(services, actor=SYSTEM) as uow:
            await districts.create_district(uow, Form.parse(title="T", image=png()))
            assert len(stored_files(settings)) == 1
            raise RuntimeError("the face failed after the domain call")
    assert stored_files(settings) == []
    async with services.sessions() as session:
        assert await districts.list_districts(session) == []


async def test_update_keeps_unset_fields_and_swaps_images_after_commit(
    services: Services,
) -> None:
    settings = services.settings
    async with unit_of_work(services, actor=SYSTEM) as uow:
        created = await districts.create_district(
            uow, Form.parse(title="Old", abbreviation="O", image=png())
        )
    assert created.id is not None
    district_id = Id(created.id)
    old_file = settings.media_root / str(created.image)

    with pytest.raises(RuntimeError):
        async with unit_of_work(services, actor=SYSTEM) as uow:
            await districts.update_district(uow, district_id, Form.parse(partial=True, image=png()))
            raise RuntimeError("rolled back")
    assert stored_files(settings) == [old_file]  # old kept, new discarded

    async with unit_of_work(services, actor=SYSTEM) as uow:
        updated = await districts.update_district(
            uow, district_id, Form.parse(partial=True, title="New", image=png())
        )
        assert old_file.exists()  # not before the commit
    assert (updated.title, updated.abbreviation) == ("New", "O")
    assert not old_file.exists()
    assert stored_files(settings) == [settings.media_root / str(updated.image)]

    async with unit_of_work(services, actor=SYSTEM) as uow:
        cleared = await districts.update_district(
            uow, district_id, Form.parse(partial=True, image=None, abbreviation=UNSET)
        )
    assert (cleared.title, cleared.abbreviation, cleared.image) == ("New", "O", None)
    assert stored_files(settings) == []

    async with uncommitted(services) as uow:
        with pytest.raises(InvalidInput) as caught:
            await districts.update_district(
                uow, district_id, Form.parse(partial=True, title=None, abbreviation=None)
            )
        with pytest.raises(NotFound):
            await districts.update_district(uow, Id(424242), Form.parse(partial=True, title="x"))
    assert caught.value.messages() == {
        "title": ["This field may not be null."],
        "abbreviation": ["This field may not be null."],
    }


async def test_delete_refuses_a_district_with_places(services: Services) -> None:
    settings = services.settings
    async with unit_of_work(services, actor=SYSTEM) as uow:
        full = await districts.create_district(uow, Form.parse(title="Full"))
        empty = await districts.create_district(uow, Form.parse(title="Empty", image=png()))
        assert full.id is not None
        assert empty.id is not None
        uow.session.add(
            Place(
                title="P",
                latitude=Decimal(1),
                longitude=Decimal(2),
                type=PlaceType.PARK,
                district_id=full.id,
            )
        )
    full_id, empty_id = Id(full.id), Id(empty.id)
    async with uncommitted(services) as uow:
        with pytest.raises(Conflict) as conflict:
            await districts.delete_district(uow, full_id)
        assert conflict.value.id == "has_places"
        assert await districts.count_places(uow.session, [full_id, empty_id, Id(777)]) == {
            full_id: 1,
            empty_id: 0,
            777: 0,
        }
    async with unit_of_work(services, actor=SYSTEM) as uow:
        await districts.delete_district(uow, empty_id)
    assert stored_files(settings) == []
    async with uncommitted(services) as uow:
        assert await uow.session.get(District, empty_id) is None
        assert await uow.session.get(District, full_id) is not None
        with pytest.raises(NotFound):
            await districts.delete_district(uow, empty_id)
