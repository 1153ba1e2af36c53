"""A disk that fills while a re-encoded image spools to it is the server's problem: 503 (REST)
/ ``SERVICE_UNAVAILABLE`` (GraphQL), like a media store outage, nothing written, never the
client's "invalid image".

For real: the process's temporary folder (``tempfile.tempdir``, where both Starlette's upload
spool and our re-encoded image's spool go past 1 MiB) is a tmpfs mounted for the test, too
small for the second file. Skipped only where this process may not mount (not root, no
``CAP_SYS_ADMIN``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import select

from citygraph.app import create_app
from citygraph.config import Settings
from citygraph.db import session_scope
from citygraph.domain import media
from citygraph.domain.errors import FieldError, ServiceUnavailable
from citygraph.domain.messages import render
from citygraph.models import District, PlaceImage
from citygraph.services import Services
from tests.conftest import make_settings, reset_database
from tests.graphql.conftest import make_user, png_bytes, seed
from tests.graphql.test_mutations import media_files
from tests.storage.test_upload_memory import ADD_IMAGE, noise_png

UNAVAILABLE = render("service_unavailable")
#: 640 x 640 noise: a 1.2 MiB PNG, re-encoded just as large, so both spools go to disk.
SIDE = 640


@pytest.fixture(scope="module")
def photo() -> bytes:
    data = noise_png(SIDE, 5)
    assert 1024 * 1024 < len(data) < 1536 * 1024
    return data


@contextmanager
def mount_tmpfs(where: Path, size: str) -> Iterator[Path]:
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=1777", "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


@pytest.fixture
def tiny_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The temporary folder: a 1.75 MiB tmpfs (room for one such photo, not for two)."""
    with mount_tmpfs(tmp_path / "tiny-tmp", "1792k") as where:
        monkeypatch.setattr(tempfile, "tempdir", str(where))
        yield where


@pytest.fixture
def local_settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path / "media")


@pytest.fixture
async def app(local_settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Services]]:
    services = Services.from_settings(local_settings)
    await reset_database(services)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(local_settings, services=services)),
            base_url="http://testserver",
        ) as client:
            yield client, services
    finally:
        await services.aclose()


def used(folder: Path) -> int:
    """Bytes in use on the file system at ``folder`` (unlinked temporary files included)."""
    return shutil.disk_usage(folder).used


async def count(services: Services, model: type[District] | type[PlaceImage]) -> int:
    async with session_scope(services.sessions) as session:
        return int((await session.exec(select(func.count()).select_from(model))).one())


async def test_check_image_tells_a_full_disk_from_a_broken_file(
    local_settings: Settings, tiny_tmp: Path, photo: bytes
) -> None:
    """The upload here is in memory: the only file on the tmpfs is our re-encoded image."""
    (tiny_tmp / "filler").write_bytes(b"\0" * (1536 * 1024))  # leaves 256 KiB
    with pytest.raises(ServiceUnavailable) as caught:
        await media.check_image(local_settings, photo)
    assert caught.value.retry_after == 10
    # the same full disk: a broken upload is still the client's problem, a small one fits
    broken = await media.check_image(local_settings, photo[: len(photo) // 2])
    assert broken == FieldError("invalid_image")
    small = await media.check_image(local_settings, png_bytes())
    assert isinstance(small, media.ValidImage)
    small.close()
    # with room again, the very same photo is fine
    (tiny_tmp / "filler").unlink()
    checked = await media.check_image(local_settings, photo)
    assert isinstance(checked, media.ValidImage)
    assert checked.size > 1024 * 1024
    checked.close()


async def test_rest_upload_on_a_full_disk_is_503_and_writes_nothing(
    app: tuple[httpx.AsyncClient, Services], tiny_tmp: Path, photo: bytes
) -> None:
    client, services = app
    auth = {"Authorization": f"JWT {await make_user(services, 'staff', staff=True)}"}
    response = await client.post(
        "/api/v1/district_create/",
        data={"title": "Хамовники"},
        files={"image": ("photo.png", photo, "image/png")},
        headers=auth,
    )
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "10"
    assert response.json() == {"detail": UNAVAILABLE}
    assert await count(services, District) == 0
    assert media_files(services.settings) == []
    assert used(tiny_tmp) == 0  # both spooled files were closed (and so freed)
    # a file that is not an image is still a 400 on the same disk
    bad = await client.post(
        "/api/v1/district_create/",
        data={"title": "Хамовники"},
        files={"image": ("photo.png", photo[: len(photo) // 2], "image/png")},
        headers=auth,
    )
    assert bad.status_code == 400
    assert bad.json() == {"image": [render("invalid_image")]}


async def test_graphql_upload_on_a_full_disk_is_service_unavailable(
    app: tuple[httpx.AsyncClient, Services], tiny_tmp: Path, photo: bytes
) -> None:
    client, services = app
    token = await make_user(services, "staff", staff=True)
    seeded = await seed(services, districts=1, places_per_district=1, images_per_place=0)
    operations = {"query": ADD_IMAGE, "variables": {"id": seeded.place_ids[0], "image": None}}
    response = await client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": '{"0": ["variables.image"]}'},
        files={"0": ("photo.png", photo, "image/png")},
        headers={"Authorization": f"JWT {token}"},
    )
    body = response.json()
    assert body["data"] == {"addPlaceImage": None}, body
    (error,) = body["errors"]
    assert error["message"] == UNAVAILABLE
    assert error["extensions"] == {"code": "SERVICE_UNAVAILABLE", "retryAfter": 10}
    assert await count(services, PlaceImage) == 0
    assert media_files(services.settings) == []
