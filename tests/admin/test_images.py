"""Place images in the admin: upload validated like the APIs', delete removes the file."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import select

from citygraph.domain import districts
from citygraph.domain.messages import render
from citygraph.domain.policy import SYSTEM
from citygraph.domain.unit import unit_of_work
from citygraph.models import Place, PlaceImage
from citygraph.services import Services
from tests.admin.conftest import Admin, field_errors, png


async def make_place(services: Services) -> Place:
    async with unit_of_work(services, actor=SYSTEM) as uow:
        district = await districts.create_district(
            uow, districts.DistrictForm.parse(title="Тверской")
        )
        assert district.id is not None
        place = Place(
            title="Красная площадь",
            latitude=Decimal("55.753930"),
            longitude=Decimal("37.620795"),
            district_id=district.id,
        )
        uow.session.add(place)
    return place


async def images(services: Services) -> list[PlaceImage]:
    async with services.sessions() as session:
        return list((await session.exec(select(PlaceImage))).all())


async def test_upload_preview_and_delete(staff: Admin, services: Services) -> None:
    place = await make_place(services)
    response = await staff.post(
        "/admin/place-image/create",
        {"place_id": str(place.id), "save": "Save"},
        files={"image": ("square.png", png("purple"), "image/png")},
    )
    assert response.status_code == 302, response.text
    (image,) = await images(services)
    path = services.settings.media_root / image.image
    assert path.read_bytes() == png("purple")

    listing = await staff.client.get("/admin/place-image/list", params={"place_id": place.id})
    assert f'src="/media/{image.image}"' in listing.text
    assert f">{place.title}</a>" in listing.text  # the title, not "Place #N"

    response = await staff.delete("place-image", image.id)
    assert response.status_code == 200
    assert "error=" not in response.text
    assert await images(services) == []
    assert not path.exists()


async def test_invalid_upload_is_a_form_error(staff: Admin, services: Services) -> None:
    place = await make_place(services)
    response = await staff.post(
        "/admin/place-image/create",
        {"place_id": str(place.id), "save": "Save"},
        files={"image": ("notes.txt", b"plain text", "text/plain")},
    )
    assert response.status_code == 400
    assert render("invalid_image") in field_errors(response.text)
    assert await images(services) == []
    assert not (services.settings.media_root / "places").exists() or not any(
        (services.settings.media_root / "places").iterdir()
    )


async def test_too_large_upload_is_refused(staff: Admin, services: Services) -> None:
    place = await make_place(services)
    services.settings.max_upload_bytes = 100
    response = await staff.post(
        "/admin/place-image/create",
        {"place_id": str(place.id), "save": "Save"},
        files={"image": ("big.png", png(size=(64, 64)), "image/png")},
    )
    assert response.status_code == 400
    assert any("too large" in error for error in field_errors(response.text))


async def test_unknown_place_and_missing_file(staff: Admin, services: Services) -> None:
    await make_place(services)
    response = await staff.post(
        "/admin/place-image/create",
        {"place_id": "424242", "save": "Save"},
        files={"image": ("a.png", png(), "image/png")},
    )
    assert response.status_code == 400
    assert field_errors(response.text) == [render("does_not_exist", {"pk_value": "424242"})]

    # As DRF's PrimaryKeyRelatedField takes a blank form value: null.
    response = await staff.post("/admin/place-image/create", {"place_id": "", "save": "Save"})
    assert response.status_code == 400
    assert field_errors(response.text) == [render("null"), render("empty")]
    assert await images(services) == []


async def test_a_polyglot_upload_is_stored_as_its_pixels_only(
    staff: Admin, services: Services
) -> None:
    """The admin stores what the APIs store: the image re-encoded, nothing after its end."""
    place = await make_place(services)
    polyglot = png("purple") + b"<html><script>alert(1)</script></html>"
    response = await staff.post(
        "/admin/place-image/create",
        {"place_id": str(place.id), "save": "Save"},
        files={"image": ("square.png", polyglot, "image/png")},
    )
    assert response.status_code == 302, response.text
    (image,) = await images(services)
    stored = (services.settings.media_root / image.image).read_bytes()
    assert b"<html" not in stored
    assert stored == png("purple")  # Pillow's own encoding of these pixels
