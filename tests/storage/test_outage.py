"""A media store outage: uploads answer 503 (REST) / SERVICE_UNAVAILABLE (GraphQL) and leave no
row, ``/readyz`` is 503 with the reason, and everything recovers when the store is back."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from sqlmodel import func, select

from citygraph.app import create_app
from citygraph.config import Settings
from citygraph.db import session_scope
from citygraph.domain.messages import render
from citygraph.models import District, PlaceImage
from citygraph.services import Services
from tests.conftest import make_settings, reset_database
from tests.graphql.conftest import make_user, seed
from tests.storage.test_uploads import add_place_image
from tests.support.s3 import MotoServer, s3_settings
from tests.support.server import free_port

UNAVAILABLE = render("service_unavailable")


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "purple").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
async def dead_store(
    database_url: str, tmp_path: Path, storage_url: str
) -> AsyncIterator[tuple[httpx.AsyncClient, Services]]:
    """The app with its media store on a port where nothing listens."""
    endpoint = f"http://127.0.0.1:{free_port()}"
    settings = make_settings(database_url, tmp_path / "media", **s3_settings(endpoint, storage_url))
    services = Services.from_settings(settings)
    await reset_database(services)
    app = create_app(settings, services=services)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client:
            yield client, services
    finally:
        await services.aclose()


async def count(services: Services, model: type[District] | type[PlaceImage]) -> int:
    async with session_scope(services.sessions) as session:
        return int((await session.exec(select(func.count()).select_from(model))).one())


async def test_rest_upload_is_503_and_writes_nothing(
    dead_store: tuple[httpx.AsyncClient, Services],
) -> None:
    client, services = dead_store
    token = await make_user(services, "staff", staff=True)
    response = await client.post(
        "/api/v1/district_create/",
        data={"title": "Хамовники"},
        files={"image": ("p.png", png(), "image/png")},
        headers={"Authorization": f"JWT {token}"},
    )
    assert response.status_code == 503
    assert response.headers["retry-after"] == "10"
    assert response.headers["content-type"] == "application/json"
    assert (response.headers["allow"], response.headers["vary"]) == ("POST, OPTIONS", "Accept")
    assert response.json() == {"detail": UNAVAILABLE}
    assert await count(services, District) == 0
    # the same request without an image does not need the store
    plain = await client.post(
        "/api/v1/district_create/",
        data={"title": "Хамовники"},
        headers={"Authorization": f"JWT {token}"},
    )
    assert plain.status_code == 201


async def test_graphql_upload_is_service_unavailable_and_writes_nothing(
    dead_store: tuple[httpx.AsyncClient, Services],
) -> None:
    client, services = dead_store
    token = await make_user(services, "staff", staff=True)
    seeded = await seed(services, districts=1, places_per_district=1, images_per_place=0)
    response = await add_place_image(client, token, seeded.place_ids[0], png())
    (error,) = response.json()["errors"]
    assert error["message"] == UNAVAILABLE
    assert error["extensions"] == {"code": "SERVICE_UNAVAILABLE", "retryAfter": 10}
    assert await count(services, PlaceImage) == 0


async def test_readyz_and_media_report_the_outage(
    dead_store: tuple[httpx.AsyncClient, Services],
) -> None:
    client, _services = dead_store
    ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable", "reason": "media store unreachable"}
    media = await client.get("/media/districts/x.png")
    assert media.status_code == 503
    assert media.headers["retry-after"] == "10"
    assert media.json() == {"detail": "Media storage is temporarily unavailable. Try again later."}


async def test_readyz_follows_the_store(
    tmp_path: Path, sqlite_url: str, storage_url: str, unique: str
) -> None:
    """A moto server of its own: up (200), stopped (503), back without the bucket (503: moto
    forgets its buckets), bucket re-created (200). Uploads follow the same way."""
    server = MotoServer(log_dir=tmp_path)
    server.start()
    bucket = f"outage-{unique}"
    server.create_bucket(bucket)
    settings: Settings = make_settings(
        sqlite_url, tmp_path / "media", **s3_settings(server.endpoint, f"s3://{bucket}/m")
    )
    app = create_app(settings)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            assert (await client.get("/readyz")).json() == {
                "status": "ok",
                "database": "reachable",
                "media": "reachable",
            }
            server.stop()
            assert (await client.get("/readyz")).status_code == 503
            server.start()
            missing = await client.get("/readyz")
            assert missing.status_code == 503
            assert missing.json()["reason"] == "media store unreachable"
            server.create_bucket(bucket)
            assert (await client.get("/readyz")).status_code == 200
    finally:
        await app.state.services.aclose()
        server.stop()


async def test_readyz_reports_an_unwritable_media_folder(tmp_path: Path, sqlite_url: str) -> None:
    blocked = tmp_path / "media"
    blocked.write_text("a file where the media folder should be")
    app = create_app(make_settings(sqlite_url, blocked))
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json() == {"status": "unavailable", "reason": "media store unreachable"}
    finally:
        await app.state.services.aclose()
