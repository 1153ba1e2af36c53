"""Uploads through the faces with the media on S3 (moto), on SQLite and PostgreSQL: the object
lands in the bucket (not on the local disk), serves from ``/media`` and, with
``CITYGRAPH_MEDIA_PUBLIC_URL``, the APIs point at the public URL instead."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from citygraph.app import create_app
from citygraph.config import Settings
from citygraph.domain import media
from citygraph.services import Services
from citygraph.storage import ObjectNotFound
from tests.conftest import make_settings, reset_database
from tests.graphql.conftest import make_user, seed
from tests.storage.conftest import BUCKET
from tests.support.s3 import MotoServer

DISTRICT_CREATE = "/api/v1/district_create/"
ADD_IMAGE = (
    "mutation($id: Int!, $image: Upload!) {"
    " addPlaceImage(placeId: $id, image: $image) { id image } }"
)


def png(size: int = 16, color: str = "green") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), color).save(buffer, format="PNG")
    return buffer.getvalue()


async def add_place_image(
    client: httpx.AsyncClient, token: str, place_id: int, data: bytes
) -> httpx.Response:
    operations = {"query": ADD_IMAGE, "variables": {"id": place_id, "image": None}}
    return await client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": '{"0": ["variables.image"]}'},
        files={"0": ("photo.png", data, "image/png")},
        headers={"Authorization": f"JWT {token}"},
    )


def prefix_of(storage_url: str) -> str:
    return storage_url.removeprefix(f"s3://{BUCKET}/")


async def test_rest_district_create_stores_the_image_in_the_bucket(
    client: httpx.AsyncClient,
    services: Services,
    moto: MotoServer,
    storage_url: str,
    tmp_path: Path,
) -> None:
    token = await make_user(services, "staff", staff=True)
    image = png()
    response = await client.post(
        DISTRICT_CREATE,
        data={"title": "Тверской", "abbreviation": "ТВР"},
        files={"image": ("p.png", image, "image/png")},
        headers={"Authorization": f"JWT {token}"},
    )
    assert response.status_code == 201, response.text
    url = response.json()["image"]
    assert url.startswith("http://testserver/media/districts/")
    key = url.removeprefix("http://testserver/media/")
    assert (await services.store.head(key)).size == len(image)
    served = await client.get(url)
    assert served.status_code == 200
    assert served.content == image
    assert served.headers["content-type"] == "image/png"
    async with httpx.AsyncClient() as raw:
        in_bucket = await raw.get(moto.object_url(BUCKET, f"{prefix_of(storage_url)}/{key}"))
    assert in_bucket.content == image
    assert not (tmp_path / "media").exists()  # nothing went to the local folder


async def test_graphql_add_and_delete_place_image(
    client: httpx.AsyncClient, services: Services
) -> None:
    token = await make_user(services, "staff", staff=True)
    seeded = await seed(services, districts=1, places_per_district=1, images_per_place=0)
    image = png(color="blue")
    response = await add_place_image(client, token, seeded.place_ids[0], image)
    assert response.status_code == 200, response.text
    added = response.json()["data"]["addPlaceImage"]
    key = added["image"].removeprefix("http://testserver/media/")
    assert key.startswith("places/")
    assert (await client.get(added["image"])).content == image

    deleted = await client.post(
        "/graphql",
        json={"query": "mutation($id: Int!) { deletePlaceImage(id: $id) }", "variables": added},
        headers={"Authorization": f"JWT {token}"},
    )
    assert deleted.json() == {"data": {"deletePlaceImage": added["id"]}}
    with pytest.raises(ObjectNotFound):
        await services.store.head(key)  # removed once the deletion committed
    assert (await client.get(added["image"])).status_code == 404


async def test_deleting_a_place_removes_its_objects(
    client: httpx.AsyncClient, services: Services
) -> None:
    token = await make_user(services, "staff", staff=True)
    seeded = await seed(services, districts=1, places_per_district=1, images_per_place=0)
    place_id = seeded.place_ids[0]
    keys = []
    for color in ("red", "white"):
        response = await add_place_image(client, token, place_id, png(color=color))
        keys.append(response.json()["data"]["addPlaceImage"]["image"].split("/media/", 1)[1])
    response = await client.post(
        "/graphql",
        json={"query": f"mutation {{ deletePlace(id: {place_id}) }}"},
        headers={"Authorization": f"JWT {token}"},
    )
    assert "errors" not in response.json(), response.text
    for key in keys:
        assert not await services.store.exists(key)


@pytest.fixture
async def public_client(
    database_url: str, tmp_path: Path, s3_overrides: dict[str, object], moto: MotoServer
) -> AsyncIterator[tuple[httpx.AsyncClient, Services, str]]:
    """The app with ``CITYGRAPH_MEDIA_PUBLIC_URL`` set to the bucket's own URL (as a bucket
    website or a CDN in front of it would be)."""
    prefix = prefix_of(str(s3_overrides["CITYGRAPH_MEDIA_STORAGE"]))
    public = f"{moto.endpoint}/{BUCKET}/{prefix}/"
    settings: Settings = make_settings(
        database_url, tmp_path / "media", **s3_overrides, CITYGRAPH_MEDIA_PUBLIC_URL=public
    )
    services = Services.from_settings(settings)
    await reset_database(services)
    app = create_app(settings, services=services)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client:
            yield client, services, public
    finally:
        await services.aclose()


async def test_public_url_is_what_the_apis_show(
    public_client: tuple[httpx.AsyncClient, Services, str],
) -> None:
    client, services, public = public_client
    token = await make_user(services, "staff", staff=True)
    image = png(color="yellow")
    created = await client.post(
        DISTRICT_CREATE,
        data={"title": "Арбат"},
        files={"image": ("p.png", image, "image/png")},
        headers={"Authorization": f"JWT {token}"},
    )
    assert created.status_code == 201, created.text
    url = created.json()["image"]
    assert url.startswith(public + "districts/")
    key = url.removeprefix(public)
    async with httpx.AsyncClient() as browser:
        from_bucket = await browser.get(url)  # straight from the "CDN": citygraph not involved
    assert from_bucket.status_code == 200
    assert from_bucket.content == image
    listed = await client.get("/api/v1/disticts/")
    assert listed.json()[-1]["image"] == url
    graphql = await client.post("/graphql", json={"query": "{ districts { image } }"})
    assert graphql.json()["data"]["districts"][-1]["image"] == url
    old_style = await client.get(f"/media/{key}")  # old /media URLs keep working
    assert old_style.status_code == 200
    assert old_style.content == image


def test_media_url_with_and_without_a_public_url(tmp_path: Path) -> None:
    plain = make_settings("sqlite://", tmp_path)
    assert media.media_url(plain, "http://h:8000/", "districts/a.png") == (
        "http://h:8000/media/districts/a.png"
    )
    assert media.media_url(plain, "", "districts/a.png") == "/media/districts/a.png"
    proxied = make_settings("sqlite://", tmp_path, CITYGRAPH_PUBLIC_URL="https://api.example/")
    assert media.media_url(proxied, "http://h/", "a.png") == "https://api.example/media/a.png"
    cdn = make_settings(
        "sqlite://",
        tmp_path,
        CITYGRAPH_PUBLIC_URL="https://api.example/",
        CITYGRAPH_MEDIA_PUBLIC_URL="https://cdn.example/citygraph",
    )
    assert media.media_url(cdn, "http://h/", "a.png") == "https://cdn.example/citygraph/a.png"
    assert media.media_prefix(cdn, "") == "https://cdn.example/citygraph/"  # admin previews
    assert media.media_prefix(plain, "") == "/media/"
    assert media.media_url(cdn, "http://h/", None) is None


async def test_write_image_stores_by_key(settings: Settings, services: Services) -> None:
    """The seam for the domain: a checked image in, its key out; deleting twice is fine."""
    data = png(size=64)
    image = await media.check_image(settings, data)
    assert isinstance(image, media.ValidImage)
    key = await media.write_image(settings, image, "places")
    assert key.startswith("places/") and key.endswith(".png")
    stream = await services.store.get(key)
    assert b"".join([chunk async for chunk in stream]) == data
    await media.delete_image(settings, key)
    await media.delete_image(settings, key)  # already gone: fine
    assert not await services.store.exists(key)
