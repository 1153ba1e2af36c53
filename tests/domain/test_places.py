"""citygraph.domain.places: validation wording, search in any alphabet, pages, nearby places."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from citygraph.db import session_scope
from citygraph.domain import districts, geo, places
from citygraph.domain.errors import InvalidInput, NotAuthenticated, NotFound
from citygraph.domain.pagination import decode_cursor, encode_cursor
from citygraph.models import Place, PlaceImage, PlaceType
from citygraph.security.permissions import SYSTEM
from citygraph.services import Services
from tests.support.sql import recorded_statements


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (3, 2), "green").save(buffer, format="PNG")
    return buffer.getvalue()


async def make_district(services: Services, title: str = "Центральный") -> int:
    async with session_scope(services.sessions) as session:
        district = await districts.create_district(session, services.settings, SYSTEM, title=title)
    assert district.id is not None
    return district.id


async def make_place(services: Services, district_id: int, **fields: Any) -> Place:
    values: dict[str, Any] = {
        "title": "Место",
        "latitude": "55.753930",
        "longitude": "37.620795",
        "district_id": district_id,
        **fields,
    }
    async with session_scope(services.sessions) as session:
        return await places.create_place(session, services.settings, SYSTEM, **values)


async def invalid(services: Services, **fields: Any) -> dict[str, list[str]]:
    district_id = await make_district(services, "D")
    values: dict[str, Any] = {
        "title": "T",
        "latitude": "1",
        "longitude": "1",
        "district_id": district_id,
        **fields,
    }
    async with services.sessions() as session:
        with pytest.raises(InvalidInput) as caught:
            await places.create_place(session, services.settings, SYSTEM, **values)
    return caught.value.fields


async def test_create_keeps_coordinates_exact(services: Services) -> None:
    district_id = await make_district(services)
    created = await make_place(services, district_id, type="museum")
    assert created.id is not None
    async with services.sessions() as session:
        loaded = await places.get_place(session, created.id)
    assert (str(loaded.latitude), str(loaded.longitude)) == ("55.753930", "37.620795")
    assert loaded.type is PlaceType.MUSEUM
    assert (loaded.short_description, loaded.full_description) == ("", "")


async def test_anonymous_is_refused_before_validation(services: Services) -> None:
    async with services.sessions() as session:
        with pytest.raises(NotAuthenticated):
            await places.create_place(
                session, services.settings, None, title="", latitude=None, longitude=None,
                district_id=None,
            )  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"title": None}, {"title": ["This field is required."]}),
        ({"title": ""}, {"title": ["This field may not be blank."]}),
        ({"title": "x" * 201}, {"title": ["Ensure this field has no more than 200 characters."]}),
        (
            {"short_description": "x" * 301},
            {"short_description": ["Ensure this field has no more than 300 characters."]},
        ),
        ({"type": "xyz"}, {"type": ['"xyz" is not a valid choice.']}),
        ({"district_id": 99}, {"district": ['Invalid pk "99" - object does not exist.']}),
        ({"district_id": 2**70}, {"district": [f'Invalid pk "{2**70}" - object does not exist.']}),
        (
            {"district_id": "abc"},
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
            {"latitude": None, "longitude": None, "district_id": None},
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
    async with session_scope(services.sessions) as session:
        updated = await places.update_place(
            session, services.settings, SYSTEM, place.id, latitude=Decimal("-1.5"), type="park"
        )
    assert (updated.title, updated.latitude, updated.type) == ("Место", Decimal("-1.5"), "park")
    async with services.sessions() as session:
        with pytest.raises(InvalidInput) as caught:
            await places.update_place(
                session, services.settings, SYSTEM, place.id, title=None, district_id=None
            )
        with pytest.raises(NotFound):
            await places.update_place(session, services.settings, SYSTEM, 424242, title="x")
    assert caught.value.fields == {
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
    async with services.sessions() as session:

        async def titles_for(**kw: Any) -> list[str]:
            page = await places.search_places(session, **kw)
            return [place.title for place in page.items]

        assert await titles_for(search="центр", district_id=district_id) == titles[:2]
        assert await titles_for(search="ЦеНтР") == [*titles[:2], "центр другого округа"]
        assert await titles_for(search="central") == ["Central Park"]
        assert await titles_for(search="% [off]*?") == ["50% [off]*?"]
        assert await titles_for(search="[") == ["50% [off]*?"]
        assert await titles_for(search="центр", type="museum") == ["центр другого округа"]
        assert await titles_for(search="  ") == [*titles, "центр другого округа"]
        assert await titles_for(district_id=10**12) == []
        with pytest.raises(InvalidInput) as caught:
            await places.search_places(session, type="xyz")
    assert caught.value.fields == {"type": ['"xyz" is not a valid choice.']}


async def test_cursor_pages(services: Services) -> None:
    district_id = await make_district(services)
    ids = [(await make_place(services, district_id, title=f"P{i}")).id for i in range(5)]
    async with services.sessions() as session:
        first = await places.search_places(session, first=2)
        assert [p.id for p in first.items] == ids[:2]
        assert (first.total_count, first.has_next_page, first.has_previous_page) == (5, True, False)
        second = await places.search_places(session, first=2, after=first.end_cursor)
        assert [p.id for p in second.items] == ids[2:4]
        last = await places.search_places(session, first=2, after=second.end_cursor)
        assert [p.id for p in last.items] == ids[4:]
        assert (last.has_next_page, last.has_previous_page) == (False, True)
        empty = await places.search_places(session, first=0)
        assert (empty.items, empty.total_count, empty.end_cursor) == ([], 5, None)
        cases: list[tuple[dict[str, Any], dict[str, list[str]]]] = [
            ({"first": 101}, {"first": ["Ensure this value is less than or equal to 100."]}),
            ({"first": -1}, {"first": ["Ensure this value is greater than or equal to 0."]}),
            ({"after": "garbage!"}, {"after": ["Invalid cursor."]}),
            ({"after": encode_cursor(1)[:-2]}, {"after": ["Invalid cursor."]}),
        ]
        for bad, message in cases:
            with pytest.raises(InvalidInput) as caught:
                await places.search_places(session, **bad)
            assert caught.value.fields == message
    assert decode_cursor(encode_cursor(42)) == 42


async def test_first_places_per_district_in_one_statement(services: Services) -> None:
    a = await make_district(services, "A")
    b = await make_district(services, "B")
    a_ids = [(await make_place(services, a, title=f"a{i}")).id for i in range(4)]
    b_ids = [(await make_place(services, b, title=f"b{i}")).id for i in range(2)]
    with recorded_statements(services) as statements:
        async with services.sessions() as session:
            found = await places.first_places_per_district(session, [a, b, 999], limit=3)
            after = await places.first_places_per_district(
                session, [a, b], limit=3, after_id=a_ids[1]
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
        async with services.sessions() as session:
            near = await places.places_near(
                session, latitude=kremlin[0], longitude=kremlin[1], radius_meters=5000, first=10
            )
            one = await places.places_near(
                session, latitude=kremlin[0], longitude=kremlin[1], radius_meters=5000, first=1
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
    async with services.sessions() as session:
        with pytest.raises(InvalidInput) as caught:
            await places.places_near(session, latitude="91", longitude="0", radius_meters=0)
    assert caught.value.fields == {
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
    async with services.sessions() as session:
        with pytest.raises(InvalidInput) as caught:
            await places.add_place_image(session, settings, SYSTEM, place.id, b"GIF89a nope")
        with pytest.raises(NotFound):
            await places.add_place_image(session, settings, SYSTEM, 987654, png())
    assert list(caught.value.fields) == ["image"]
    assert not settings.media_root.exists() or not any(settings.media_root.rglob("*.*"))

    async with session_scope(services.sessions) as session:
        first = await places.add_place_image(session, settings, SYSTEM, place.id, png())
        second = await places.add_place_image(session, settings, SYSTEM, place.id, png())
    files = [settings.media_root / first.image, settings.media_root / second.image]
    assert all(path.exists() for path in files)
    async with services.sessions() as session:
        by_place = await places.images_for_places(session, [place.id, 5555])
    assert [image.id for image in by_place[place.id]] == [first.id, second.id]
    assert by_place[5555] == []

    assert second.id is not None
    async with session_scope(services.sessions) as session:
        await places.delete_place_image(session, settings, SYSTEM, second.id)
    assert files[0].exists()
    assert not files[1].exists()

    async with session_scope(services.sessions) as session:
        await places.delete_place(session, settings, SYSTEM, place.id)
        assert files[0].exists()  # files go only once the rows are gone for good
    assert not files[0].exists()
    async with services.sessions() as session:
        rows = (await session.exec(select(PlaceImage))).all()  # type: ignore[call-overload]
        assert rows == []
        assert await places.list_district_places(session, district_id) == []
