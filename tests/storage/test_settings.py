"""Which store the settings name, and the storage URLs they refuse."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from citygraph.config import ConfigurationError
from citygraph.storage import store_for
from citygraph.storage.factory import parse_s3_url
from citygraph.storage.local import LocalStore
from citygraph.storage.s3 import S3Store
from tests.conftest import make_settings
from tests.support.s3 import s3_settings


def test_the_media_folder_is_the_default(tmp_path: Path) -> None:
    settings = make_settings("sqlite://", tmp_path / "media")
    store = store_for(settings)
    assert isinstance(store, LocalStore)
    assert store.root == (tmp_path / "media").resolve()
    assert store_for(make_settings("sqlite://", tmp_path / "media")) is store  # one per process


def test_an_s3_url_selects_the_object_store(tmp_path: Path) -> None:
    settings = make_settings(
        "sqlite://", tmp_path, **s3_settings("http://127.0.0.1:9", "s3://photos/city/graph/")
    )
    store = store_for(settings)
    assert isinstance(store, S3Store)
    assert (store.bucket, store.prefix, store.url) == (
        "photos",
        "city/graph",
        "s3://photos/city/graph",
    )
    assert store_for(settings) is store


@pytest.mark.parametrize("value", ["s3://", "file:///srv/media", "/srv/media", "minio://b"])
def test_settings_refuse_other_storage_urls(tmp_path: Path, value: str) -> None:
    with pytest.raises(ValidationError, match="CITYGRAPH_MEDIA_STORAGE"):
        make_settings("sqlite://", tmp_path, CITYGRAPH_MEDIA_STORAGE=value)


def test_blank_storage_means_the_folder(tmp_path: Path) -> None:
    settings = make_settings("sqlite://", tmp_path, CITYGRAPH_MEDIA_STORAGE="  ")
    assert settings.media_storage is None
    assert isinstance(store_for(settings), LocalStore)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("s3://b", ("b", "")),
        ("s3://b/", ("b", "")),
        ("s3://b/p", ("b", "p")),
        ("s3://b/p/q/", ("b", "p/q")),
        ("s3://b/%D1%84%D0%BE%D1%82%D0%BE", ("b", "фото")),
    ],
)
def test_parse_s3_url(url: str, expected: tuple[str, str]) -> None:
    assert parse_s3_url(url) == expected


@pytest.mark.parametrize("url", ["s3://", "s3://b/../x", "s3://b/a//c", "s3://b/p?x=1", "http://b"])
def test_parse_s3_url_refuses(url: str) -> None:
    with pytest.raises(ConfigurationError):
        parse_s3_url(url)
