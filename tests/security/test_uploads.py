"""Uploaded images are re-encoded: polyglots (PNG+HTML, PNG+ZIP, a JPEG with an HTML comment)
lose everything but their pixels, metadata goes, orientation is applied, and pixel bombs are
refused; through REST ``district_create`` and GraphQL ``addPlaceImage`` on both databases (the
admin: ``tests/admin/test_images.py``)."""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib

import httpx
import pytest
from PIL import Image

from citygraph.domain.messages import render
from citygraph.services import Services
from tests.graphql.conftest import make_user, seed

DISTRICT_CREATE = "/api/v1/district_create/"
ADD_IMAGE = (
    "mutation($id: Int!, $image: Upload!) {"
    " addPlaceImage(placeId: $id, image: $image) { id image } }"
)
HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
MARKERS = (b"<html", b"<script", b"PK\x03\x04", b"Exif", b"GPS")


def png(size: tuple[int, int] = (6, 4)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def zip_archive() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.html", HTML)
    return buffer.getvalue()


def jpeg_with_comment_and_exif(size: tuple[int, int] = (8, 4), orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0x010F] = "<html>Camera</html>"  # Make
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(
        buffer, format="JPEG", comment=HTML, exif=exif.tobytes(), quality=95
    )
    return buffer.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares its size and has no pixels: decoding would be the bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


POLYGLOTS = {
    "png+html": (png() + HTML, "PNG", (6, 4)),
    "png+zip": (png() + zip_archive(), "PNG", (6, 4)),
    "jpeg+comment": (jpeg_with_comment_and_exif(), "JPEG", (8, 4)),
}


def assert_clean(stored: bytes, fmt: str, size: tuple[int, int]) -> None:
    for marker in MARKERS:
        assert marker not in stored, marker
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == fmt
        assert image.size == size
        assert "comment" not in image.info and "exif" not in image.info
    assert stored.endswith(b"IEND\xaeB`\x82" if fmt == "PNG" else b"\xff\xd9")


async def stored_file(client: httpx.AsyncClient, url: str) -> bytes:
    served = await client.get(url.removeprefix("http://testserver"))
    assert served.status_code == 200
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert served.headers["content-disposition"].startswith("inline; filename=")
    return served.content


async def create_district(
    client: httpx.AsyncClient, token: str, data: bytes, name: str = "pic.png"
) -> httpx.Response:
    return await client.post(
        DISTRICT_CREATE,
        data={"title": "Загружено"},
        files={"image": (name, data, "image/png")},
        headers={"Authorization": f"JWT {token}"},
    )


async def add_place_image(
    client: httpx.AsyncClient, token: str, place_id: int, data: bytes
) -> dict[str, object]:
    operations = {"query": ADD_IMAGE, "variables": {"id": place_id, "image": None}}
    response = await client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": '{"0": ["variables.image"]}'},
        files={"0": ("photo.png", data, "image/png")},
        headers={"Authorization": f"JWT {token}"},
    )
    assert response.status_code == 200
    payload: dict[str, object] = response.json()
    return payload


@pytest.mark.parametrize("kind", sorted(POLYGLOTS))
async def test_rest_district_create_stores_only_the_pixels(
    client: httpx.AsyncClient, services: Services, kind: str
) -> None:
    data, fmt, size = POLYGLOTS[kind]
    token = await make_user(services, "staff", staff=True)
    response = await create_district(client, token, data)
    assert response.status_code == 201, response.text
    image = response.json()["image"]
    assert image.endswith(".png" if fmt == "PNG" else ".jpg")
    assert_clean(await stored_file(client, image), fmt, size)


@pytest.mark.parametrize("kind", sorted(POLYGLOTS))
async def test_graphql_add_place_image_stores_only_the_pixels(
    client: httpx.AsyncClient, services: Services, kind: str
) -> None:
    data, fmt, size = POLYGLOTS[kind]
    token = await make_user(services, "staff", staff=True)
    seeded = await seed(services, districts=1, places_per_district=1, images_per_place=0)
    payload = await add_place_image(client, token, seeded.place_ids[0], data)
    assert "errors" not in payload, payload
    added = payload["data"]["addPlaceImage"]  # type: ignore[index]
    assert_clean(await stored_file(client, added["image"]), fmt, size)


async def test_orientation_is_applied_before_exif_goes(
    client: httpx.AsyncClient, services: Services
) -> None:
    token = await make_user(services, "staff", staff=True)
    rotated = jpeg_with_comment_and_exif((8, 4), orientation=6)  # "rotate 90° clockwise"
    response = await create_district(client, token, rotated, "rotated.jpg")
    assert response.status_code == 201, response.text
    assert_clean(await stored_file(client, response.json()["image"]), "JPEG", (4, 8))


@pytest.mark.parametrize(
    ("width", "height"),
    [(7000, 7000), (20000, 20000)],  # over our cap; over Pillow's own bomb limit too
)
async def test_pixel_bombs_are_refused_unread(
    client: httpx.AsyncClient, services: Services, width: int, height: int
) -> None:
    token = await make_user(services, "staff", staff=True)
    response = await create_district(client, token, png_header(width, height))
    assert response.status_code == 400
    message = render("image_too_many_pixels", {"limit_mp": "40"})
    assert response.content == json.dumps({"image": [message]}, separators=(",", ":")).encode()
    seeded = await seed(services, districts=1, places_per_district=1, images_per_place=0)
    payload = await add_place_image(client, token, seeded.place_ids[0], png_header(width, height))
    [error] = payload["errors"]  # type: ignore[misc]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == {"image": [message]}
    assert not any(services.settings.media_root.rglob("*.png"))


async def test_the_pixel_cap_is_configurable(client: httpx.AsyncClient, services: Services) -> None:
    token = await make_user(services, "staff", staff=True)
    services.settings.max_image_pixels = 20
    response = await create_district(client, token, png((5, 5)))
    assert response.status_code == 400
    assert "0.00002 megapixels" in response.json()["image"][0]
    response = await create_district(client, token, png((5, 4)))
    assert response.status_code == 201
