"""citygraph.domain.districts: permissions first, DRF-worded validation, files tied to commits."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image

from citygraph.config import Settings
from citygraph.db import session_scope
from citygraph.domain import districts
from citygraph.domain.errors import (
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from citygraph.domain.values import UNSET
from citygraph.models import District, Place, PlaceType, User
from citygraph.security.permissions import SYSTEM
from citygraph.services import Services


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (3, 2), "blue").save(buffer, format="PNG")
    return buffer.getvalue()


def stored_files(settings: Settings) -> list[Path]:
    root = settings.media_root
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def plain_user() -> User:
    return User(id=999, username="u", password="-", is_active=True, is_staff=False)


async def test_list_and_get(services: Services) -> None:
    async with session_scope(services.sessions) as session:
        b = await districts.create_district(session, services.settings, SYSTEM, title="B")
        a = await districts.create_district(session, services.settings, SYSTEM, title="A")
    async with session_scope(services.sessions) as session:
        listed = await districts.list_districts(session)
        assert [d.id for d in listed] == sorted([b.id, a.id])  # type: ignore[type-var]
        assert a.id is not None
        assert (await districts.get_district(session, a.id)).title == "A"
        for missing in (0, -1, 10**6, 2**63):
            with pytest.raises(NotFound):
                await districts.get_district(session, missing)


async def test_staff_is_checked_before_validation(services: Services) -> None:
    async with services.sessions() as session:
        with pytest.raises(NotAuthenticated):
            await districts.create_district(session, services.settings, None, title="")
        with pytest.raises(PermissionDenied):
            await districts.create_district(session, services.settings, plain_user(), title="")
        with pytest.raises(NotAuthenticated):
            await districts.delete_district(session, services.settings, None, 12345)


async def test_validation_reports_every_field(services: Services) -> None:
    settings = services.settings
    async with services.sessions() as session:
        with pytest.raises(InvalidInput) as caught:
            await districts.create_district(
                session, settings, SYSTEM, title=None, abbreviation="x" * 11, image=b"nope"
            )
    assert caught.value.fields == {
        "title": ["This field is required."],
        "abbreviation": ["Ensure this field has no more than 10 characters."],
        "image": [
            "Upload a valid image. The file you uploaded was either not an image or a "
            "corrupted image."
        ],
    }
    assert stored_files(settings) == []
    cases = {
        "   ": "This field may not be blank.",
        "x" * 101: "Ensure this field has no more than 100 characters.",
        "a\x00b": "Null characters are not allowed.",
        "\ud800": "Surrogate characters are not allowed: U+D800.",
    }
    for title, message in cases.items():
        async with services.sessions() as session:
            with pytest.raises(InvalidInput) as caught:
                await districts.create_district(session, settings, SYSTEM, title=title)
        assert caught.value.fields == {"title": [message]}


async def test_create_trims_and_stores_the_image(services: Services) -> None:
    settings = services.settings
    async with session_scope(services.sessions) as session:
        district = await districts.create_district(
            session, settings, SYSTEM, title="  Центральный ", abbreviation="ЦАО", image=png()
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
        async with session_scope(services.sessions) as session:
            await districts.create_district(session, settings, SYSTEM, title="T", image=png())
            assert len(stored_files(settings)) == 1
            raise RuntimeError("the face failed after the domain call")
    assert stored_files(settings) == []
    async with services.sessions() as session:
        assert await districts.list_districts(session) == []


async def test_update_keeps_unset_fields_and_swaps_images_after_commit(
    services: Services,
) -> None:
    settings = services.settings
    async with session_scope(services.sessions) as session:
        created = await districts.create_district(
            session, settings, SYSTEM, title="Old", abbreviation="O", image=png()
        )
    assert created.id is not None
    old_file = settings.media_root / str(created.image)

    with pytest.raises(RuntimeError):
        async with session_scope(services.sessions) as session:
            await districts.update_district(session, settings, SYSTEM, created.id, image=png())
            raise RuntimeError("rolled back")
    assert stored_files(settings) == [old_file]  # old kept, new discarded

    async with session_scope(services.sessions) as session:
        updated = await districts.update_district(
            session, settings, SYSTEM, created.id, title="New", image=png()
        )
        assert old_file.exists()  # not before the commit
    assert (updated.title, updated.abbreviation) == ("New", "O")
    assert not old_file.exists()
    assert stored_files(settings) == [settings.media_root / str(updated.image)]

    async with session_scope(services.sessions) as session:
        cleared = await districts.update_district(
            session, settings, SYSTEM, created.id, image=None, abbreviation=UNSET
        )
    assert cleared.image is None
    assert stored_files(settings) == []

    async with services.sessions() as session:
        with pytest.raises(InvalidInput) as caught:
            await districts.update_district(
                session, settings, SYSTEM, created.id, title=None, abbreviation=None
            )
    assert caught.value.fields == {
        "title": ["This field may not be null."],
        "abbreviation": ["This field may not be null."],
    }


async def test_delete_refuses_a_district_with_places(services: Services) -> None:
    settings = services.settings
    async with session_scope(services.sessions) as session:
        full = await districts.create_district(session, settings, SYSTEM, title="Full")
        empty = await districts.create_district(
            session, settings, SYSTEM, title="Empty", image=png()
        )
        assert full.id is not None
        assert empty.id is not None
        session.add(
            Place(
                title="P",
                latitude=Decimal(1),
                longitude=Decimal(2),
                type=PlaceType.PARK,
                district_id=full.id,
            )
        )
    async with services.sessions() as session:
        with pytest.raises(Conflict):
            await districts.delete_district(session, settings, SYSTEM, full.id)
        assert await districts.count_places(session, [full.id, empty.id, 777]) == {
            full.id: 1,
            empty.id: 0,
            777: 0,
        }
    async with session_scope(services.sessions) as session:
        await districts.delete_district(session, settings, SYSTEM, empty.id)
    assert stored_files(settings) == []
    async with services.sessions() as session:
        assert await session.get(District, empty.id) is None
        with pytest.raises(NotFound):
            await districts.delete_district(session, settings, SYSTEM, empty.id)
