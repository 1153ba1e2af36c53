"""Districts in the admin: writes through the domain, image upload and preview, place counts."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import select

from citygraph.domain import districts
from citygraph.domain.messages import render
from citygraph.domain.policy import SYSTEM
from citygraph.domain.unit import unit_of_work
from citygraph.models import District, Place
from citygraph.services import Services
from tests.admin.conftest import Admin, field_errors, png


async def all_districts(services: Services) -> list[District]:
    async with services.sessions() as session:
        return list((await session.exec(select(District).order_by(District.id))).all())  # type: ignore[arg-type]


def media_files(services: Services, folder: str) -> list[str]:
    root = services.settings.media_root / folder
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


async def test_create_district_with_image(staff: Admin, services: Services) -> None:
    response = await staff.post(
        "/admin/district/create",
        {"title": "Центральный административный округ", "abbreviation": "ЦАО", "save": "Save"},
        files={"image": ("cao.png", png(), "image/png")},
    )
    assert response.status_code == 302, response.text
    (district,) = await all_districts(services)
    assert district.title == "Центральный административный округ"
    assert district.abbreviation == "ЦАО"
    assert district.image is not None
    assert (services.settings.media_root / district.image).is_file()

    listing = await staff.client.get("/admin/district/list")
    assert listing.status_code == 200
    assert "Центральный административный округ" in listing.text
    assert f'src="/media/{district.image}"' in listing.text
    served = await staff.client.get(f"/media/{district.image}")
    assert served.status_code == 200
    assert served.content == png()

    edit = await staff.client.get(f"/admin/district/edit/{district.id}")
    assert f'src="/media/{district.image}"' in edit.text  # preview of the current image


async def test_invalid_image_is_a_form_error_and_nothing_is_written(
    staff: Admin, services: Services
) -> None:
    response = await staff.post(
        "/admin/district/create",
        {"title": "Округ", "abbreviation": "", "save": "Save"},
        files={"image": ("fake.png", b"not an image at all", "image/png")},
    )
    assert response.status_code == 400
    assert render("invalid_image") in field_errors(response.text)
    assert await all_districts(services) == []
    assert media_files(services, "districts") == []


async def test_blank_title_is_a_form_error(staff: Admin, services: Services) -> None:
    response = await staff.post(
        "/admin/district/create", {"title": "  ", "abbreviation": "X", "save": "Save"}
    )
    assert response.status_code == 400
    assert "This field may not be blank." in field_errors(response.text)
    assert await all_districts(services) == []


async def test_edit_replaces_and_removes_the_image(staff: Admin, services: Services) -> None:
    await staff.post(
        "/admin/district/create",
        {"title": "Северный", "abbreviation": "САО", "save": "Save"},
        files={"image": ("a.png", png("blue"), "image/png")},
    )
    (district,) = await all_districts(services)
    first = district.image
    assert first is not None

    # Saved without a new file: the image stays.
    response = await staff.post(
        f"/admin/district/edit/{district.id}",
        {"title": "Северный округ", "abbreviation": "САО", "save": "Save"},
        files={"image": ("", b"", "application/octet-stream")},
    )
    assert response.status_code == 302, response.text
    (district,) = await all_districts(services)
    assert (district.title, district.image) == ("Северный округ", first)

    response = await staff.post(
        f"/admin/district/edit/{district.id}",
        {"title": "Северный округ", "abbreviation": "САО", "save": "Save"},
        files={"image": ("b.png", png("green"), "image/png")},
    )
    assert response.status_code == 302, response.text
    (district,) = await all_districts(services)
    assert district.image not in (None, first)
    assert media_files(services, "districts") == [district.image.split("/")[-1]]

    response = await staff.post(
        f"/admin/district/edit/{district.id}",
        {"title": "Северный округ", "abbreviation": "САО", "image_clear": "on", "save": "Save"},
    )
    assert response.status_code == 302, response.text
    (district,) = await all_districts(services)
    assert district.image is None
    assert media_files(services, "districts") == []


async def test_place_count_and_refused_delete(staff: Admin, services: Services) -> None:
    async with unit_of_work(services, actor=SYSTEM) as uow:
        busy = await districts.create_district(
            uow, districts.DistrictForm.parse(title="Западный", abbreviation="ЗАО")
        )
        empty = await districts.create_district(
            uow, districts.DistrictForm.parse(title="Пустой", abbreviation="")
        )
        assert busy.id is not None
        for n in range(3):
            uow.session.add(
                Place(
                    title=f"Место {n}",
                    latitude=Decimal("55.7"),
                    longitude=Decimal("37.4"),
                    district_id=busy.id,
                )
            )
    listing = await staff.client.get("/admin/district/list")
    assert f'district_id={busy.id}">3</a>' in listing.text
    assert f'district_id={empty.id}">0</a>' in listing.text
    details = await staff.client.get(f"/admin/district/details/{busy.id}")
    assert f'district_id={busy.id}">3</a>' in details.text

    response = await staff.delete("district", busy.id)
    assert response.status_code == 200
    assert "error=" in response.text  # sqladmin redirects to the list with the message
    page = await staff.client.get(response.text)
    assert render("has_places") in page.text
    assert len(await all_districts(services)) == 2

    response = await staff.delete("district", empty.id)
    assert "error=" not in response.text
    assert [d.title for d in await all_districts(services)] == ["Западный"]


async def test_search_finds_russian_titles(staff: Admin, services: Services) -> None:
    async with unit_of_work(services, actor=SYSTEM) as uow:
        for title in ("Южный", "Восточный"):
            await districts.create_district(uow, districts.DistrictForm.parse(title=title))
    page = await staff.client.get("/admin/district/list", params={"search": "Южн"})
    assert "Южный" in page.text
    assert "Восточный" not in page.text


async def test_sqladmin_file_routes_serve_nothing(
    staff: Admin, services: Services, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A text column naming a local file (``.env``, the database) must not become a download."""
    secret = tmp_path / "secret.env"
    secret.write_text("CITYGRAPH_SECRET_KEY=do-not-leak\n")
    monkeypatch.chdir(tmp_path)
    await staff.post("/admin/district/create", {"title": "secret.env", "save": "Save"})
    (district,) = await all_districts(services)
    for kind in ("download", "preview"):
        response = await staff.client.get(f"/admin/district/{district.id}/title/{kind}/")
        assert response.status_code == 404
        assert "do-not-leak" not in response.text
