"""Media store fixtures: moto's S3 server for the session, a fresh prefix per test.

``store`` runs a test against the local folder and against S3; ``settings`` (and so
``services``/``client``) in this folder put the app's media on S3.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from citygraph.config import Settings
from citygraph.storage import MediaStore
from citygraph.storage.factory import StoreConfig, build_store
from tests.conftest import make_settings
from tests.support.s3 import MotoServer, s3_settings

BUCKET = "citygraph-media"


@pytest.fixture(scope="session")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    server = MotoServer(log_dir=tmp_path_factory.mktemp("moto"))
    server.start()
    server.create_bucket(BUCKET, public_read=True)
    yield server
    server.stop()


@pytest.fixture
def storage_url(unique: str) -> str:
    return f"s3://{BUCKET}/test-{unique}"


@pytest.fixture
def s3_overrides(moto: MotoServer, storage_url: str) -> dict[str, object]:
    return s3_settings(moto.endpoint, storage_url)


@pytest.fixture
def settings(database_url: str, tmp_path: Path, s3_overrides: dict[str, object]) -> Settings:
    return make_settings(database_url, tmp_path / "media", **s3_overrides)


def new_store(settings: Settings) -> MediaStore:
    """A store of its own (not the process-wide one), for tests that break it on purpose."""
    return build_store(StoreConfig.from_settings(settings))


@pytest.fixture(params=["local", "s3"])
def store_settings(
    request: pytest.FixtureRequest,
    sqlite_url: str,
    tmp_path: Path,
    s3_overrides: dict[str, object],
) -> Settings:
    """Settings with the media on the local folder or on S3 (the database is not used)."""
    overrides = s3_overrides if request.param == "s3" else {}
    return make_settings(sqlite_url, tmp_path / "media", **overrides)


@pytest.fixture
def store(store_settings: Settings) -> MediaStore:
    return new_store(store_settings)
