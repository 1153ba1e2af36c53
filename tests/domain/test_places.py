"""citygraph.domain.places: validation wording, search in any alphabet, pages, nearby places."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select, text

from citygraph.domain import districts, geo, places
from citygraph.domain.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from citygraph.domain.pagination import encode_cursor, parse_cursor
from citygraph.domain.parsers import Id
from citygraph.domain.policy import SYSTEM, Actor
from citygraph.domain.unit import UnitOfWork, unit_of_work
from citygraph.domain.values import UNSET
from citygraph.models import Place, PlaceImage, PlaceType, User
from citygraph.services import Services
from tests.support.sql import recorded_statements


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (3, 2), "green").save(buffer, format="PNG")
    return buffer.getvalue()


@asynccontextmanager
async def uncommitted(services: Services, actor: Actor = SYSTEM) -> AsyncIterator[UnitOfWork]:
    """A unit that never commits (rolled back at the end), for refusals and reads."""
    async with services.sessions() as session:
        uow = UnitOfWork(session, services, actor=actor)
        try:
            yield uow
        finally:
            await uow.rollback()


async def make_district(services: Services, title: str = "Центральный") -> Id:
    async with unit_of_work(services, actor=SYSTEM) as uow:
        district = await districts.create_district(uow, districts.DistrictForm.parse(title=title))
    assert district.id is not None
    return Id(district.id)


async def make_place(services: Services, district_id: int, **fields: Any) -> Place:
    values: dict[str, Any] = {
        "title": "Место",
        "latitude": "55.753930",
        "longitude": "37.620795",
        "district": district_id,
        **fields,
    }
    async with unit_of_work(services, actor=SYSTEM) as uow:
        return await places.create_place(uow, places.PlaceForm.parse(**values))


async def invalid(services: Services, **fields: Any) -> dict[str, list[str]]:
    """The messages ``create_place`` refuses ``fields`` with (``UNSET``: the field left out)."""
    district_id = await make_district(services, "D")
    values: dict[str, Any] = {
        "title": "T",
        "latitude": "1",
        "longitude": "1",
        "district": district_id,
        **fields,
    }
    async with uncommitted(services) as uow:
        with pytest.raises(InvalidInput) as caught:
            await places.create_place(uow, places.PlaceForm.parse(**values))
        assert (await uow.session.exec(select(Place))).all() == []  # type: ignore[call-overload]
    return caught.value.messages()


async def search(uow: UnitOfWork, **raw: Any) -> list[str]:
    page = await places.search_places(uow, places.PlaceQuery.parse(**raw))
    return [place.title for place in page.items]


async def test_create_keeps_coordinates_exact(services: Services) -> None:
    district_id = await make_district(services)
    created = await make_place(services, district_id, type="museum")
    assert created.id is not None
    async with services.sessions() as session:
        loaded = await places.get_place(session, Id(created.id))
    assert (str(loaded.latitude), str(loaded.longitude)) == ("55.753930", "37.620795")
    assert loaded.type is PlaceType.MUSEUM
    assert (loaded.short_description, loaded.full_description) == ("", "")


async def test_anonymous_is_refused_before_validation(services: Services) -> None:
    bad = places.PlaceForm.parse(title="", latitude=None, longitude=None, district=None)
    plain = User(id=999, username="u", password="-", is_active=True, is_staff=False)
    async with uncommitted(services, actor=None) as uow:
        with pytest.raises(NotAuthenticated):
            await places.create_place(uow, bad)
        with pytest.raises(NotAuthenticated):
            await places.add_place_image(uow, Id(1), b"")
    async with uncommitted(services, actor=plain) as uow:
        with pytest.raises(PermissionDenied):
            await places.create_place(uow, bad)
        with pytest.raises(PermissionDenied):
            await places.delete_place(uow, Id(1))


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"title": UNSET}, {"title": ["This field is required."]}),
        ({"title": None}, {"title": ["This field may not be null."]}),
        ({"title": ""}, {"title": ["This field may not be blank."]}),
        ({"title": "x" * 201}, {"title": ["Ensure this field has no more than 200 characters."]}),
        (
            {"short_description": "x" * 301},
            {"short_description": ["Ensure this field has no more than 300 characters."]},
        ),
        ({"type": "xyz"}, {"type": ['"xyz" is not a valid choice.']}),
        ({"district": 99}, {"district": ['Invalid pk "99" - object does not exist.']}),
        ({"district": 2**70}, {"district": [f'Invalid pk "{2**70}" - object does not exist.']}),
        (
            {"district": "abc"},
            {"district": ["Incorrect type. Expected pk value, received str."]},
        ),
        ({"latitude": "abc"}, {"latitude": ["A valid number is required."]}),
        ({"latitude": "NaN"}, {"latitude": ["A valid number is required."]}),
        (
            {"latitude": "90.000001"},
            {"latitude": ["Ensure this value is less than or equal to 90."]},
        ),
        (
            {"latitude": "-90.5"},
            {"latitude": ["Ensure this value is greater than or equal to -90."]},
        ),
        (
            {"longitude": "180.1"},
            {"longitude": ["Ensure this value is less than or equal to 180."]},
        ),
        (
            {"longitude": "1.1234567"},
            {"longitude": ["Ensure that there are no more than 6 decimal places."]},
        ),
        (
            {"longitude": "1234.56"},
            {
                "longitude": [
                    "Ensure that there are no more than 3 digits before the decimal point."
                ]
            },
        ),
        (
            {"longitude": "12.12345678"},
            {"longitude": ["Ensure that there are no more than 9 digits in total."]},
        ),
        (
            {"latitude": UNSET, "longitude": UNSET, "district": UNSET},
            {
                "longitude": ["This field is required."],
                "latitude": ["This field is required."],
                "district": ["This field is required."],
            },
        ),
    ],
)
async def test_validation_messages(
    services: Services, fields: dict[str, Any], expected: dict[str, list[str]]
) -> None:
    assert await invalid(services, **fields) == expected


async def test_update_and_null(services: Services) -> None:
    district_id = await make_district(services)
    place = await make_place(services, district_id)
    assert place.id is not None
    place_id = Id(place.id)
    async with unit_of_work(services, actor=SYSTEM) as uow:
        updated = await places.update_place(
            uow,
            place_id,
            places.PlaceForm.parse(partial=True, latitude=Decimal("-1.5"), type="park"),
        )
    assert (updated.title, updated.latitude, updated.type) == ("Место", Decimal("-1.5"), "park")
    async with uncommitted(services) as uow:
        with pytest.raises(InvalidInput) as caught:
            await places.update_place(
                uow, place_id, places.PlaceForm.parse(partial=True, title=None, district=None)
            )
        with pytest.raises(NotFound):
            await places.update_place(
                uow, Id(424242), places.PlaceForm.parse(partial=True, title="x")
            )
    assert caught.value.messages() == {
        "title": ["This field may not be null."],
        "district": ["This field may not be null."],
    }


async def test_search_is_case_insensitive_in_any_alphabet(services: Services) -> None:
    district_id = await make_district(services)
    other = await make_district(services, "Other")
    titles = [
        "Центральный парк",
        "ЦЕНТР ИСКУССТВ",
        "Красная площадь",
        "Central Park",
        "50% [off]*?",
    ]
    for title in titles:
        await make_place(services, district_id, title=title)
    await make_place(services, other, title="центр другого округа", type="museum")
    async with uncommitted(services, actor=None) as uow:
        assert await search(uow, search="центр", district_id=district_id) == titles[:2]
        assert await search(uow, search="ЦеНтР") == [*titles[:2], "центр другого округа"]
        assert await search(uow, search="central") == ["Central Park"]
        assert await search(uow, search="% [off]*?") == ["50% [off]*?"]
        assert await search(uow, search="[") == ["50% [off]*?"]
        assert await search(uow, search="центр", type="museum") == ["центр другого округа"]
        assert await search(uow, search="  ") == [*titles, "центр другого округа"]
        assert await search(uow, district_id=10**12) == []
        with pytest.raises(InvalidInput) as caught:
            await search(uow, type="xyz")
    assert caught.value.messages() == {"type": ['"xyz" is not a valid choice.']}


async def test_folded_title_follows_create_and_update(services: Services) -> None:
    district_id = await make_district(services)
    place = await make_place(services, district_id, title="Парк «ЗАРЯДЬЕ»")
    assert place.id is not None
    assert await _folded_title(services, place.id) == "парк «зарядье»"
    async with unit_of_work(services, actor=SYSTEM) as uow:
        await places.update_place(
            uow, Id(place.id), places.PlaceForm.parse(partial=True, title="Straße ΟΔΟΣ")
        )
    assert await _folded_title(services, place.id) == "strasse οδοσ"
    async with unit_of_work(services, actor=SYSTEM) as uow:
        await places.update_place(
            uow, Id(place.id), places.PlaceForm.parse(partial=True, type="park")
        )
    assert await _folded_title(services, place.id) == "strasse οδοσ"


async def test_titles_written_behind_the_apps_back_are_folded_by_postgresql(
    services: Services,
) -> None:
    """A load script that lists only the original columns still makes searchable rows."""
    if services.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no writers but the app's: the trigger is PostgreSQL's")
    district_id = await make_district(services)
    async with services.engine.begin() as connection:
        place_id = (
            await connection.execute(
                text(
                    "INSERT INTO places (title, short_description, full_description, longitude,"
                    " latitude, type, district_id) VALUES ('Парк ГОРЬКОГО', '', '', 37.6, 55.7,"
                    " 'park', :district) RETURNING id"
                ),
                {"district": district_id},
            )
        ).scalar_one()
    assert await _folded_title(services, place_id) == "парк горького"
    async with services.engine.begin() as connection:
        await connection.execute(
            text("UPDATE places SET title = 'СКВЕР', title_folded = NULL WHERE id = :id"),
            {"id": place_id},
        )
    assert await _folded_title(services, place_id) == "сквер"
    async with uncommitted(services, actor=None) as uow:
        assert await search(uow, search="сКвЕр") == ["СКВЕР"]


async def _folded_title(services: Services, place_id: int) -> str:
    async with services.sessions() as session:
        place = await session.get(Place, place_id)
        assert place is not None
        return place.title_folded


async def test_search_terms_are_folded_and_literal(services: Services) -> None:
    """``%``, ``_`` and ``\\`` are no wildcards; case folds in every alphabet; ``startsWith``."""
    district_id = await make_district(services)
    titles = ["100% парк", "1000 парков", "a_b", "axb", "C:\\Dir", "C:Dir", "Straße", "ΟΔΟΣ"]
    for title in titles:
        await make_place(services, district_id, title=title)
    async with uncommitted(services, actor=None) as uow:
        assert await search(uow, search="0% П") == ["100% парк"]
        assert await search(uow, search="A_B") == ["a_b"]
        assert await search(uow, search=":\\d") == ["C:\\Dir"]
        assert await search(uow, search="ПАРК") == ["100% парк", "1000 парков"]
        assert await search(uow, search="STRASSE") == ["Straße"]
        assert await search(uow, search="οδος") == ["ΟΔΟΣ"]
        assert await search(uow, filter={"title": {"starts_with": "10"}}) == titles[:2]
        assert await search(uow, filter={"title": {"starts_with": "0"}}) == []
        assert await search(uow, filter={"title": {"starts_with": "%"}}) == []
        assert await search(uow, filter={"title": {"starts_with": "_"}}) == []


async def test_cursor_pages(services: Services) -> None:
    district_id = await make_district(services)
    ids = [(await make_place(services, district_id, title=f"P{i}")).id for i in range(5)]
    async with uncommitted(services, actor=None) as uow:

        async def page(**raw: Any) -> places.Page[Place]:
            return await places.search_places(uow, places.PlaceQuery.parse(**raw))

        first = await page(first=2)
        assert [p.id for p in first.items] == ids[:2]
        assert (first.total_count, first.has_next_page, first.has_previous_page) == (5, True, False)
        second = await page(first=2, after=first.end_cursor)
        assert [p.id for p in second.items] == ids[2:4]
        assert (second.has_next_page, second.has_previous_page) == (True, True)
        last = await page(first=2, after=second.end_cursor)
        assert [p.id for p in last.items] == ids[4:]
        assert (last.has_next_page, last.has_previous_page) == (False, True)
        beyond = await page(first=2, after=last.end_cursor)
        assert (beyond.items, beyond.has_next_page, beyond.has_previous_page) == ([], False, True)
        empty = await page(first=0)
        assert (empty.items, empty.total_count, empty.end_cursor) == ([], 5, None)
        assert (empty.has_next_page, empty.has_previous_page) == (True, False)
        cases: list[tuple[dict[str, Any], dict[str, list[str]]]] = [
            ({"first": 101}, {"first": ["Ensure this value is less than or equal to 100."]}),
            ({"first": -1}, {"first": ["Ensure this value is greater than or equal to 0."]}),
            ({"after": "garbage!"}, {"after": ["Invalid cursor."]}),
            ({"after": encode_cursor(1)[:-2]}, {"after": ["Invalid cursor."]}),
        ]
        for bad, message in cases:
            with pytest.raises(InvalidInput) as caught:
                await page(**bad)
            assert caught.value.messages() == message
    assert parse_cursor(encode_cursor(42)) == 42


async def test_has_previous_page_counts_only_matches_before_the_cursor(
    services: Services,
) -> None:
    """Relay: ``hasPreviousPage`` is true only when matches precede ``after``; a cursor from
    another list that no match precedes does not make one up."""
    a = await make_district(services, "A")
    b = await make_district(services, "B")
    a_ids = [Id((await make_place(services, a, title=f"a{i}")).id or 0) for i in range(3)]
    b_ids = [Id((await make_place(services, b, title=f"b{i}")).id or 0) for i in range(2)]
    async with uncommitted(services, actor=None) as uow:

        async def page(**raw: Any) -> places.Page[Place]:
            return await places.search_places(uow, places.PlaceQuery.parse(**raw))

        before_any = await page(district_id=b, first=10, after=encode_cursor(a_ids[0]))
        assert [p.id for p in before_any.items] == b_ids
        assert (before_any.has_previous_page, before_any.has_next_page) == (False, False)
        after_one = await page(district_id=b, first=10, after=encode_cursor(b_ids[0]))
        assert [p.id for p in after_one.items] == b_ids[1:]
        assert after_one.has_previous_page is True
        none_of_b = await page(district_id=b, first=0)
        assert (none_of_b.items, none_of_b.has_next_page) == ([], True)
        nothing = await page(search="нет такого", first=0)
        assert (nothing.total_count, nothing.has_next_page) == (0, False)


async def test_first_places_per_district_in_one_statement(services: Services) -> None:
    a = await make_district(services, "A")
    b = await make_district(services, "B")
    a_ids = [(await make_place(services, a, title=f"a{i}")).id for i in range(4)]
    b_ids = [(await make_place(services, b, title=f"b{i}")).id for i in range(2)]
    with recorded_statements(services) as statements:
        async with services.sessions() as session:
            found = await places.first_places_per_district(session, [a, b, Id(999)], limit=3)
            after = await places.first_places_per_district(
                session, [a, b], limit=3, after_id=Id(a_ids[1] or 0)
            )
    assert {k: [p.id for p in v] for k, v in found.items()} == {a: a_ids[:3], b: b_ids, 999: []}
    assert [p.id for p in after[a]] == a_ids[2:]
    assert len(statements) == 2
    assert "row_number() over" in statements[0].lower()


async def test_places_near_orders_by_great_circle_distance(services: Services) -> None:
    district_id = await make_district(services)
    kremlin = ("55.751999", "37.617499")
    points = {
        "Кремль": kremlin,
        "Большой театр": ("55.760186", "37.618711"),
        "Парк Горького": ("55.731484", "37.603604"),
        "Шереметьево": ("55.972642", "37.414589"),
    }
    for title, (lat, lon) in points.items():
        await make_place(services, district_id, title=title, latitude=lat, longitude=lon)
    with recorded_statements(services) as statements:
        async with uncommitted(services, actor=None) as uow:
            near = await places.places_near(
                uow,
                places.NearbyQuery.parse(
                    latitude=kremlin[0], longitude=kremlin[1], radius_meters=5000, first=10
                ),
            )
            one = await places.places_near(
                uow,
                places.NearbyQuery.parse(
                    latitude=kremlin[0], longitude=kremlin[1], radius_meters=5000, first=1
                ),
            )
            assert [(place.title, round(d)) for place, d in near] == [
                ("Кремль", 0),
                ("Большой театр", 914),
                ("Парк Горького", 2441),
            ]
            assert [place.title for place, _ in one] == ["Кремль"]
    expected = geo.haversine_m(55.751999, 37.617499, 55.760186, 37.618711)
    assert near[1][1] == pytest.approx(expected)
    prefilter = statements[0].lower()
    assert "latitude >=" in prefilter
    assert "longitude <=" in prefilter


async def test_places_near_validates(services: Services) -> None:
    async with uncommitted(services, actor=None) as uow:
        with pytest.raises(InvalidInput) as caught:
            await places.places_near(
                uow, places.NearbyQuery.parse(latitude="91", longitude="0", radius_meters=0)
            )
    assert caught.value.messages() == {
        "latitude": ["Ensure this value is less than or equal to 90."],
        "radius_meters": ["Ensure this value is greater than 0."],
    }


def test_bounding_box_splits_at_the_antimeridian() -> None:
    box = geo.bounding_box(0.0, 179.99, 10_000)
    assert len(box.lon_ranges) == 2
    assert box.lon_ranges[1][0] == -180.0
    polar = geo.bounding_box(89.99, 0.0, 10_000)
    assert polar.lon_ranges == ((-180.0, 180.0),)


async def test_images_are_added_validated_and_deleted_with_their_place(
    services: Services,
) -> None:
    settings = services.settings
    district_id = await make_district(services)
    place = await make_place(services, district_id)
    assert place.id is not None
    place_id = Id(place.id)
    async with uncommitted(services) as uow:
        with pytest.raises(InvalidInput) as caught:
            await places.add_place_image(uow, place_id, b"GIF89a nope")
        with pytest.raises(NotFound):
            await places.add_place_image(uow, Id(987654), png())
    assert caught.value.messages() == {
        "image": [
            "Upload a valid image. The file you uploaded was either not an image or a "
            "corrupted image."
        ]
    }
    assert not settings.media_root.exists() or not any(settings.media_root.rglob("*.*"))

    async with unit_of_work(services, actor=SYSTEM) as uow:
        first = await places.add_place_image(uow, place_id, png())
        second = await places.add_place_image(uow, place_id, png())
    files = [settings.media_root / first.image, settings.media_root / second.image]
    assert all(path.exists() for path in files)
    async with services.sessions() as session:
        by_place = await places.images_for_places(session, [place_id, Id(5555)])
    assert [image.id for image in by_place[place_id]] == [first.id, second.id]
    assert by_place[5555] == []

    assert second.id is not None
    async with unit_of_work(services, actor=SYSTEM) as uow:
        await places.delete_place_image(uow, Id(second.id))
    assert files[0].exists()
    assert not files[1].exists()
    async with uncommitted(services) as uow:
        with pytest.raises(NotFound):
            await places.delete_place_image(uow, Id(second.id))

    async with unit_of_work(services, actor=SYSTEM) as uow:
        await places.delete_place(uow, place_id)
        assert files[0].exists()  # files go only once the rows are gone for good
    assert not files[0].exists()
    async with services.sessions() as session:
        rows = (await session.exec(select(PlaceImage))).all()  # type: ignore[call-overload]
        assert rows == []
        assert await places.places_by_ids(session, [place_id]) == {}
