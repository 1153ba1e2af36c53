"""A place's edit form shows its images inline: thumbnails, delete boxes, new uploads.

Deleting and adding go through the domain's image operations in the same unit as the place's
fields: a refused save (a bad coordinate, an image of another place) deletes nothing.
"""

from __future__ import annotations

import re

from sqlmodel import col, select

from citygraph.models import District, Place, PlaceImage
from citygraph.services import Services
from tests.admin.conftest import BASE, Admin, field_errors, png
from tests.admin.test_places import make_district, place_form


async def images_of(services: Services, place_id: int | None) -> list[PlaceImage]:
    async with services.sessions() as session:
        query = select(PlaceImage).where(PlaceImage.place_id == place_id)
        return list((await session.exec(query.order_by(col(PlaceImage.id)))).all())


async def district_of(services: Services, place: Place) -> District:
    async with services.sessions() as session:
        district = await session.get(District, place.district_id)
    assert district is not None
    return district


async def place_with_images(staff: Admin, services: Services, title: str, *colors: str) -> Place:
    district = await make_district(services)
    response = await staff.client.post(
        "/admin/place/create",
        data=place_form(district, title=title),
        files=[("new_images", (f"{c}.png", png(c), "image/png")) for c in colors],
        headers={"Origin": BASE},
    )
    assert response.status_code == 302, response.text
    async with services.sessions() as session:
        return (await session.exec(select(Place).where(Place.title == title))).one()


async def test_edit_form_shows_thumbnails_and_delete_boxes(
    staff: Admin, services: Services
) -> None:
    place = await place_with_images(staff, services, "Пашков дом", "red", "blue")
    page = await staff.client.get(f"/admin/place/edit/{place.id}")
    assert page.status_code == 200
    inline = page.text[page.text.index('id="inline-images"') :]
    for image in await images_of(services, place.id):
        assert f'src="/media/{image.image}"' in inline
        assert f'name="delete_images" value="{image.id}"' in inline
    # Inside the one form, before its buttons: saved with the place's fields.
    form = re.search(r"<form [^>]*/admin/place/edit/.*?</form>", page.text, flags=re.DOTALL)
    assert form and 'id="inline-images"' in form.group(0)
    assert 'name="new_images"' in form.group(0)
    assert 'class="form-select"' in form.group(0)  # the selects look like selects


async def test_delete_one_and_add_one_in_a_single_save(staff: Admin, services: Services) -> None:
    place = await place_with_images(staff, services, "Пашков дом", "red", "blue")
    first, second = await images_of(services, place.id)
    media = services.settings.media_root
    district = await district_of(services, place)
    response = await staff.client.post(
        f"/admin/place/edit/{place.id}",
        data={
            **place_form(district, title="Дом Пашкова"),
            "delete_images": str(first.id),
        },
        files=[("new_images", ("green.png", png("green"), "image/png"))],
        headers={"Origin": BASE},
    )
    assert response.status_code == 302, response.text
    remaining = await images_of(services, place.id)
    assert len(remaining) == 2
    assert remaining[0].id == second.id
    assert not (media / first.image).exists()
    assert (media / remaining[1].image).read_bytes() == png("green")
    async with services.sessions() as session:
        renamed = await session.get(Place, place.id)
    assert renamed is not None and renamed.title == "Дом Пашкова"


async def test_refused_saves_delete_nothing(staff: Admin, services: Services) -> None:
    place = await place_with_images(staff, services, "Пашков дом", "red")
    other = await place_with_images(staff, services, "Царицыно", "blue")
    (own,) = await images_of(services, place.id)
    (foreign,) = await images_of(services, other.id)
    media = services.settings.media_root
    district = await district_of(services, place)

    bad_latitude = await staff.client.post(
        f"/admin/place/edit/{place.id}",
        data={**place_form(district, latitude="91"), "delete_images": str(own.id)},
        headers={"Origin": BASE},
    )
    assert bad_latitude.status_code == 400
    assert field_errors(bad_latitude.text)
    # The form comes back with the images still listed.
    assert f'name="delete_images" value="{own.id}"' in bad_latitude.text

    not_its_image = await staff.client.post(
        f"/admin/place/edit/{place.id}",
        data={**place_form(district), "delete_images": str(foreign.id)},
        headers={"Origin": BASE},
    )
    assert not_its_image.status_code == 400
    assert "No PlaceImage matches the given query." in not_its_image.text

    assert [image.id for image in await images_of(services, place.id)] == [own.id]
    assert [image.id for image in await images_of(services, other.id)] == [foreign.id]
    assert (media / own.image).is_file()
    assert (media / foreign.image).is_file()
