"""import-django with the media store on S3 (moto's server): photos land under their original
paths and are served with the same bytes; a database failure removes the copied objects."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from citygraph.config import Settings
from citygraph.services import Services
from tests.conftest import make_settings
from tests.importer.conftest import Original, Run, files, run_import, snapshot
from tests.support.s3 import MotoServer, s3_settings

BUCKET = "citygraph-import"


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the store is the subject here; both databases are covered elsewhere


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    server = MotoServer(log_dir=tmp_path_factory.mktemp("moto"))
    server.start()
    server.create_bucket(BUCKET)
    yield server
    server.stop()


@pytest.fixture
def s3(moto: MotoServer, unique: str) -> dict[str, object]:
    return s3_settings(moto.endpoint, f"s3://{BUCKET}/import-{unique}")


@pytest.fixture
def settings(database_url: str, tmp_path: Path, s3: dict[str, object]) -> Settings:
    return make_settings(database_url, tmp_path / "media", **s3)


async def _keys(services: Services) -> list[str]:
    return sorted([info.key async for info in services.store.list()])


async def _import(
    settings: Settings, database_url: str, original: Original, s3: dict[str, object]
) -> Run:
    env = {key: str(value) for key, value in s3.items()}
    return await run_import(
        database_url,
        settings.media_root,
        original.database,
        "--media-root",
        str(original.media),
        **env,
    )


async def test_photos_go_to_s3_under_their_paths(
    client: httpx.AsyncClient,
    services: Services,
    settings: Settings,
    database_url: str,
    original: Original,
    s3: dict[str, object],
) -> None:
    run = await _import(settings, database_url, original, s3)
    assert run.code == 0, run.err
    original_files = files(original.media)
    assert await _keys(services) == sorted(original_files)
    for key, content in original_files.items():
        served = await client.get(f"/media/{key}")
        assert served.status_code == 200 and served.content == content


async def test_a_database_failure_removes_the_copied_objects(
    services: Services,
    settings: Settings,
    database_url: str,
    original: Original,
    s3: dict[str, object],
) -> None:
    refuse = (
        "CREATE TRIGGER refuse_images BEFORE INSERT ON place_images "
        "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
    )
    async with services.engine.begin() as connection:
        await connection.execute(text(refuse))
    try:
        run = await _import(settings, database_url, original, s3)
    finally:
        async with services.engine.begin() as connection:
            await connection.execute(text("DROP TRIGGER refuse_images"))
    assert run.code == 1
    assert "refused by the test" in run.err and "Traceback" not in run.err
    assert all(not rows for rows in (await snapshot(services)).values())
    assert await _keys(services) == []
