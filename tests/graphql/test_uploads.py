"""Uploads over the GraphQL multipart request spec, behind the CSRF guard."""

from __future__ import annotations

import json
from typing import Any

import httpx
from PIL import Image

from citygraph.services import Services
from tests.graphql.conftest import png_bytes, seed
from tests.graphql.test_mutations import media_files

ADD_IMAGE = (
    "mutation($id: Int!, $image: Upload!) {"
    " addPlaceImage(placeId: $id, image: $image) { id image place { id } } }"
)


async def upload(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any],
    files: dict[str, tuple[str, bytes, str]],
    file_map: dict[str, list[str]],
    headers: dict[str, str],
) -> httpx.Response:
    data = {
        "operations": json.dumps({"query": query, "variables": variables}),
        "map": json.dumps(file_map),
    }
    return await client.post("/graphql", data=data, files=files, headers=headers)


async def test_add_and_delete_place_images(
    client: httpx.AsyncClient, services: Services, staff_token: str
) -> None:
    settings = services.settings
    seeded = await seed(services, districts=1, places_per_district=1, images_per_place=0)
    place_id = seeded.place_ids[0]
    response = await upload(
        client,
        ADD_IMAGE,
        {"id": place_id, "image": None},
        {"0": ("photo.png", png_bytes(), "image/png")},
        {"0": ["variables.image"]},
        {"Authorization": f"JWT {staff_token}"},
    )
    assert response.status_code == 200, response.text
    image = response.json()["data"]["addPlaceImage"]
    assert image["place"] == {"id": place_id}
    assert image["image"].startswith("http://testserver/media/places/")
    (stored,) = media_files(settings)
    assert image["image"].endswith(stored.name)
    served = await client.get(image["image"])
    assert served.status_code == 200
    assert served.content == stored.read_bytes()

    deleted = await client.post(
        "/graphql",
        json={
            "query": "mutation($id: Int!) { deletePlaceImage(id: $id) }",
            "variables": {"id": image["id"]},
        },
        headers={"Authorization": f"JWT {staff_token}"},
    )
    assert deleted.json() == {"data": {"deletePlaceImage": image["id"]}}
    assert media_files(settings) == []


async def test_bad_file_is_refused_and_nothing_is_kept(
    client: httpx.AsyncClient, services: Services, staff_token: str
) -> None:
    seeded = await seed(services, districts=1, places_per_district=1, images_per_place=0)
    response = await upload(
        client,
        ADD_IMAGE,
        {"id": seeded.place_ids[0], "image": None},
        {"0": ("evil.png", b"<?php echo 1; ?>", "image/png")},
        {"0": ["variables.image"]},
        {"Authorization": f"JWT {staff_token}"},
    )
    payload = response.json()
    assert payload["data"] == {"addPlaceImage": None}
    assert payload["errors"][0]["extensions"] == {
        "code": "BAD_USER_INPUT",
        "fields": {
            "image": [
                "Upload a valid image. The file you uploaded was either not an image or a "
                "corrupted image."
            ]
        },
        "fieldCodes": {"image": ["invalid_image"]},
    }
    assert media_files(services.settings) == []
    count = await client.post(
        "/graphql", json={"query": f"{{ place(id: {seeded.place_ids[0]}) {{ images {{ id }} }} }}"}
    )
    assert count.json()["data"]["place"]["images"] == []


NOT_A_FILE = "The submitted data was not a file. Check the encoding type on the form."


async def test_a_string_is_not_a_file(
    client: httpx.AsyncClient, services: Services, staff_token: str
) -> None:
    """A JSON string where an Upload belongs is DRF's ``invalid`` on ``image``, for places and
    districts alike: a field error with a null result, never a masked internal error."""
    seeded = await seed(services, districts=1, places_per_district=1, images_per_place=0)
    auth = {"Authorization": f"JWT {staff_token}"}
    attempts = [
        ("addPlaceImage", ADD_IMAGE, {"id": seeded.place_ids[0], "image": "aGVsbG8="}),
        (
            "createDistrict",
            "mutation($image: Upload) {"
            ' createDistrict(input: {title: "T", image: $image}) { id } }',
            {"image": "aGVsbG8="},
        ),
    ]
    for name, query, variables in attempts:
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=auth
        )
        payload = response.json()
        assert payload["data"] == {name: None}, payload
        (error,) = payload["errors"]
        assert error["path"] == [name]
        assert error["message"] == f"image: {NOT_A_FILE}"
        assert error["extensions"] == {
            "code": "BAD_USER_INPUT",
            "fields": {"image": [NOT_A_FILE]},
            "fieldCodes": {"image": ["invalid"]},
        }
    assert media_files(services.settings) == []
    districts = await client.post("/graphql", json={"query": "{ districts { id } }"})
    assert districts.json()["data"]["districts"] == [{"id": seeded.district_ids[0]}]


async def test_district_image_upload_and_removal(
    client: httpx.AsyncClient, services: Services, staff_token: str
) -> None:
    auth = {"Authorization": f"Bearer {staff_token}"}
    response = await upload(
        client,
        "mutation($image: Upload) {"
        ' createDistrict(input: {title: "ЦАО", image: $image}) { id image } }',
        {"image": None},
        {"0": ("cao.png", png_bytes(), "image/png")},
        {"0": ["variables.image"]},
        auth,
    )
    district = response.json()["data"]["createDistrict"]
    assert district["image"].startswith("http://testserver/media/districts/")
    assert len(media_files(services.settings)) == 1
    cleared = await client.post(
        "/graphql",
        json={
            "query": "mutation($id: Int!) {"
            " updateDistrict(id: $id, input: {image: null}) { image } }",
            "variables": {"id": district["id"]},
        },
        headers=auth,
    )
    assert cleared.json() == {"data": {"updateDistrict": {"image": None}}}
    assert media_files(services.settings) == []


async def test_multipart_without_a_preflight_header_is_refused(
    client: httpx.AsyncClient, services: Services
) -> None:
    seeded = await seed(services, districts=1, places_per_district=1, images_per_place=0)
    for headers in (
        {},
        {"Apollo-Require-Preflight": "true"},
        {"X-Requested-With": "XMLHttpRequest"},
    ):
        response = await upload(
            client,
            ADD_IMAGE,
            {"id": seeded.place_ids[0], "image": None},
            {"0": ("photo.png", png_bytes(), "image/png")},
            {"0": ["variables.image"]},
            headers,
        )
        if not headers:
            assert response.status_code == 400
            assert "CSRF" in response.json()["errors"][0]["message"]
        else:  # past the guard; anonymous, so the domain refuses
            assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert media_files(services.settings) == []


async def test_oversized_upload_is_413(
    client: httpx.AsyncClient, services: Services, staff_token: str
) -> None:
    settings = services.settings
    limit = settings.max_body_bytes + settings.max_upload_bytes
    response = await upload(
        client,
        ADD_IMAGE,
        {"id": 1, "image": None},
        {"0": ("big.png", b"\0" * (limit + 1), "image/png")},
        {"0": ["variables.image"]},
        {"Authorization": f"JWT {staff_token}"},
    )
    assert response.status_code == 413


async def test_one_file_mapped_to_two_variables_is_given_whole_to_both(
    client: httpx.AsyncClient, services: Services, staff_token: str
) -> None:
    """The multipart request spec's ``map`` gives each file an array of operations paths (its
    "file deduplication"): a file sent once may fill several variables. Each gets the whole
    file, read from its start, however much of it an earlier use read."""
    seeded = await seed(services, districts=1, places_per_district=1, images_per_place=0)
    place_id = seeded.place_ids[0]
    photo = png_bytes(size=(40, 30), color="navy")
    response = await upload(
        client,
        "mutation($id: Int!, $a: Upload!, $b: Upload!) {"
        " a: addPlaceImage(placeId: $id, image: $a) { id image }"
        " b: addPlaceImage(placeId: $id, image: $b) { id image } }",
        {"id": place_id, "a": None, "b": None},
        {"0": ("photo.png", photo, "image/png")},
        {"0": ["variables.a", "variables.b"]},
        {"Authorization": f"JWT {staff_token}"},
    )
    payload = response.json()
    assert "errors" not in payload, payload
    first, second = payload["data"]["a"], payload["data"]["b"]
    assert first["id"] != second["id"]
    stored = media_files(services.settings)
    assert sorted(path.name for path in stored) == sorted(
        url.rsplit("/", 1)[1] for url in (first["image"], second["image"])
    )
    assert stored[0].read_bytes() == stored[1].read_bytes()
    with Image.open(stored[0]) as image:
        assert (image.size, image.getpixel((0, 0))) == ((40, 30), (0, 0, 128))
    images = await client.post(
        "/graphql", json={"query": f"{{ place(id: {place_id}) {{ images {{ id }} }} }}"}
    )
    assert images.json()["data"]["place"]["images"] == [
        {"id": first["id"]},
        {"id": second["id"]},
    ]
