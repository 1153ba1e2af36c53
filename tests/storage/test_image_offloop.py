"""A large photo's decoding and re-encoding does not stall the server: while a real uvicorn
works on a 9.3 MiB upload, cheap requests to the same server keep being answered.

The server (``tests.support.server.live_server``: uvicorn with its own event loop) serves the
upload and the ``/healthz`` requests on one loop, so had Pillow run on it, no ``/healthz``
could be answered until the image was re-encoded. The measure is relative to the upload
itself, never an absolute time (the machine may be loaded): the longest any ``/healthz``
waits while the upload is in flight must be a small part of the upload's duration, and
several must be answered before the upload's response. Before image work left the event loop
one ``/healthz`` waited for the whole decode + re-encode, most of the upload's time, and this
test failed.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from citygraph.services import Services
from tests.conftest import make_settings, reset_database
from tests.graphql.conftest import make_user, seed
from tests.storage.test_upload_memory import ADD_IMAGE, noise_png
from tests.support.server import live_server

#: The longest a cheap request may wait, as a part of the upload's duration.
MAX_STALL_SHARE = 0.25

Face = Callable[[httpx.AsyncClient, bytes, int], Awaitable[httpx.Response]]


@pytest.fixture(scope="module")
def photo() -> bytes:
    return noise_png(1800, 11)  # 9.3 MiB: re-encoding it is most of the upload's time


@pytest.fixture
async def served(sqlite_url: str, tmp_path: Path) -> AsyncIterator[tuple[str, str, int]]:
    """A live server; a staff token and a place, written through the same database."""
    settings = make_settings(sqlite_url, tmp_path / "media")
    services = Services.from_settings(settings)
    try:
        await reset_database(services)
        token = await make_user(services, "staff", staff=True)
        seeded = await seed(services, districts=1, places_per_district=1, images_per_place=0)
    finally:
        await services.aclose()
    with live_server(settings) as base:
        yield base, token, seeded.place_ids[0]


async def rest_upload(client: httpx.AsyncClient, photo: bytes, place_id: int) -> httpx.Response:
    del place_id
    return await client.post(
        "/api/v1/district_create/",
        data={"title": "Большое фото"},
        files={"image": ("photo.png", photo, "image/png")},
    )


async def graphql_upload(client: httpx.AsyncClient, photo: bytes, place_id: int) -> httpx.Response:
    operations = {"query": ADD_IMAGE, "variables": {"id": place_id, "image": None}}
    return await client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": '{"0": ["variables.image"]}'},
        files={"0": ("photo.png", photo, "image/png")},
    )


@pytest.mark.parametrize("face", [rest_upload, graphql_upload], ids=["REST", "GraphQL"])
async def test_cheap_requests_are_answered_while_a_photo_is_reencoded(
    served: tuple[str, str, int], photo: bytes, face: Face
) -> None:
    base, token, place_id = served
    uploader = httpx.AsyncClient(
        base_url=base, timeout=120, headers={"Authorization": f"JWT {token}"}
    )
    client = httpx.AsyncClient(base_url=base, timeout=120)
    async with uploader, client:
        assert (await client.get("/healthz")).status_code == 200  # connected, routes warm
        started = time.perf_counter()
        upload = asyncio.ensure_future(face(uploader, photo, place_id))
        waits: list[float] = []
        answered_before_upload = 0
        while not upload.done():
            sent = time.perf_counter()
            cheap = await client.get("/healthz")
            assert cheap.status_code == 200
            waits.append(time.perf_counter() - sent)
            answered_before_upload += not upload.done()
        response = await upload
        duration = time.perf_counter() - started

    assert response.status_code in (200, 201), response.text
    assert "errors" not in response.json(), response.text
    figures = (
        f"upload {duration:.3f} s, {len(waits)} /healthz answered meanwhile, "
        f"longest wait {max(waits):.3f} s ({max(waits) / duration:.0%} of the upload)"
    )
    print(figures)
    assert answered_before_upload >= 3, figures
    assert max(waits) < MAX_STALL_SHARE * duration, figures
