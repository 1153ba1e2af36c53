"""Places in the admin: API-equal validation, inline images, cheap list queries."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import insert
from sqlmodel import select

from citygraph.db import session_scope
from citygraph.domain import districts
from citygraph.domain.policy import SYSTEM
from citygraph.domain.unit import unit_of_work
from citygraph.models import District, Place, PlaceImage, PlaceType
from citygraph.services import Services
from tests.admin.conftest import Admin, field_errors, png
from tests.support.sql import recorded_statements


async def make_district(services: Services, title: str = "Центральный") -> District:
    async with unit_of_work(services, actor=SYSTEM) as uow:
        return await districts.create_district(
            uow, districts.DistrictForm.parse(title=title, abbreviation="ЦАО")
        )


async def place_rows(services: Services) -> list[Place]:
    async with services.sessions() as session:
        return list((await session.exec(select(Place))).all())


def place_form(district: District, **overrides: str) -> dict[str, str]:
    return {
        "title": "Большой театр",
        "short_description": "Театр оперы и балета",
        "full_description": "Один из крупнейших в России театров оперы и балета.",
        "latitude": "55.760221",
        "longitude": "37.618561",
        "type": "unique_place",
        "district_id": str(district.id),
        "save": "Save",
        **overrides,
    }


async def test_create_place_with_images(staff: Admin, services: Services) -> None:
    district = await make_district(services)
    response = await staff.client.post(
        "/admin/place/create",
        data=place_form(district, type="museum"),
        files=[
            ("new_images", ("a.png", png("red"), "image/png")),
            ("new_images", ("b.png", png("blue"), "image/png")),
        ],
        headers={"Origin": "http://testserver"},
    )
    assert response.status_code == 302, response.text
    (place,) = await place_rows(services)
    assert place.title == "Большой театр"
    assert place.type is PlaceType.MUSEUM
    assert (place.latitude, place.longitude) == (Decimal("55.760221"), Decimal("37.618561"))
    assert place.district_id == district.id
    async with services.sessions() as session:
        images = (await session.exec(select(PlaceImage))).all()
    assert len(images) == 2
    assert all((services.settings.media_root / image.image).is_file() for image in images)

    details = await staff.client.get(f"/admin/place/details/{place.id}")
    assert "Один из крупнейших в России театров" in details.text
    for image in images:
        assert f'src="/media/{image.image}"' in details.text
    listing = await staff.client.get("/admin/place/list")
    assert "Большой театр" in listing.text
    assert ">Центральный</a>" in listing.text  # the district's title, not its id
    assert "Museum" in listing.text


async def test_invalid_coordinates_are_form_errors_and_nothing_is_written(
    staff: Admin, services: Services
) -> None:
    district = await make_district(services)
    response = await staff.post(
        "/admin/place/create", place_form(district, latitude="91", longitude="37.1234567")
    )
    assert response.status_code == 400
    errors = field_errors(response.text)
    assert "Ensure this value is less than or equal to 90." in errors
    assert "Ensure that there are no more than 6 decimal places." in errors
    assert 'value="91"' in response.text  # the operator's input is kept for correction
    assert await place_rows(services) == []


async def test_missing_fields_and_unknown_district(staff: Admin, services: Services) -> None:
    district = await make_district(services)
    response = await staff.post(
        "/admin/place/create",
        place_form(district, title="", latitude="", district_id="999999"),
    )
    assert response.status_code == 400
    # Creating, a blank required input counts as not given; the district is looked up.
    assert field_errors(response.text) == [
        "This field is required.",  # title
        "This field is required.",  # latitude
        'Invalid pk "999999" - object does not exist.',
    ]
    assert await place_rows(services) == []


async def test_bad_image_stops_the_whole_place(staff: Admin, services: Services) -> None:
    district = await make_district(services)
    response = await staff.post(
        "/admin/place/create",
        place_form(district),
        files={"new_images": ("x.png", b"GIF89a-not-really", "image/png")},
    )
    assert response.status_code == 400
    assert any("valid image" in error for error in field_errors(response.text))
    assert await place_rows(services) == []


async def test_edit_place(staff: Admin, services: Services) -> None:
    district = await make_district(services)
    other = await make_district(services, "Северный")
    await staff.post("/admin/place/create", place_form(district))
    (place,) = await place_rows(services)
    form = await staff.client.get(f"/admin/place/edit/{place.id}")
    assert 'value="55.760221"' in form.text
    response = await staff.post(
        f"/admin/place/edit/{place.id}",
        place_form(other, title="Малый театр", longitude="-180", latitude="-90"),
    )
    assert response.status_code == 302, response.text
    (place,) = await place_rows(services)
    assert (place.title, place.district_id) == ("Малый театр", other.id)
    assert (place.latitude, place.longitude) == (Decimal("-90"), Decimal("-180"))

    response = await staff.post(f"/admin/place/edit/{place.id}", place_form(other, latitude="x"))
    assert response.status_code == 400
    assert "A valid number is required." in field_errors(response.text)
    # Editing, a field left blank is a blank value, as the APIs say of it.
    response = await staff.post(f"/admin/place/edit/{place.id}", place_form(other, title=" "))
    assert response.status_code == 400
    assert field_errors(response.text) == ["This field may not be blank."]
    assert [p.title for p in await place_rows(services)] == ["Малый театр"]


async def test_delete_place_removes_its_image_files(staff: Admin, services: Services) -> None:
    district = await make_district(services)
    await staff.post(
        "/admin/place/create",
        place_form(district),
        files={"new_images": ("a.png", png(), "image/png")},
    )
    (place,) = await place_rows(services)
    files = list((services.settings.media_root / "places").iterdir())
    assert len(files) == 1
    response = await staff.delete("place", place.id)
    assert "error=" not in response.text
    assert await place_rows(services) == []
    assert not files[0].exists()


async def test_search_ignores_case_in_russian(staff: Admin, services: Services) -> None:
    district = await make_district(services)
    for title in ("Парк Горького", "Музей Москвы"):
        await staff.post("/admin/place/create", place_form(district, title=title))
    page = await staff.client.get("/admin/place/list", params={"search": "ПАРК"})
    assert "Парк Горького" in page.text
    assert "Музей Москвы" not in page.text


async def test_place_list_queries_stay_cheap(staff: Admin, services: Services) -> None:
    """A list page: a bounded number of statements, a count without ORDER BY, LIMIT on rows."""
    district = await make_district(services)
    async with session_scope(services.sessions) as session:
        await session.exec(
            insert(Place),
            params=[
                {
                    "title": f"Место {n}",
                    "short_description": "",
                    "full_description": "",
                    "latitude": Decimal("55.75"),
                    "longitude": Decimal("37.61"),
                    "type": PlaceType.PARK,
                    "district_id": district.id,
                }
                for n in range(300)
            ],
        )
    with recorded_statements(services) as statements:
        page = await staff.client.get("/admin/place/list", params={"page": 3})
    assert page.status_code == 200
    assert "of 300 items" in page.text
    queries = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(queries) <= 6, queries  # auth user, count, page, districts, filter lookups
    counts = [q for q in queries if "count(" in q.lower()]
    assert counts
    assert all("ORDER BY" not in q.upper() for q in counts), counts
    rows = [q for q in queries if "FROM places" in q and "LIMIT" in q.upper()]
    assert len(rows) == 1, queries

    with recorded_statements(services) as statements:
        filtered = await staff.client.get(
            "/admin/place/list", params={"district_id": district.id, "type": "park"}
        )
    assert "of 300 items" in filtered.text
    counts = [q for q in statements if "count(" in q.lower()]
    assert all("ORDER BY" not in q.upper() for q in counts), counts
