"""Which store the settings name: the media folder, or ``CITYGRAPH_MEDIA_STORAGE=s3://…``.

``store_for(settings)`` returns one store per distinct storage configuration and process, so
the app (``Services.store``), the domain's image writes and the CLI share its HTTP connections.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from citygraph.config import ConfigurationError, Settings
from citygraph.storage.base import MediaStore
from citygraph.storage.local import LocalStore
from citygraph.storage.s3 import S3Store

STORAGE_URL_HELP = "use s3://bucket or s3://bucket/prefix, or leave it unset for the media folder"


@dataclass(frozen=True, slots=True)
class StoreConfig:
    """The settings that decide which store a process talks to (hashable: the cache key)."""

    storage_url: str | None
    media_root: Path
    endpoint_url: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings, storage_url: str | None = None) -> StoreConfig:
        secret = settings.aws_secret_access_key
        return cls(
            storage_url=storage_url if storage_url is not None else settings.media_storage,
            media_root=settings.media_root.resolve(),
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.aws_access_key_id,
            secret_access_key=secret.get_secret_value() if secret is not None else None,
        )


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> ``("bucket", "some/prefix")``; ConfigurationError else."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise ConfigurationError(f"media storage {url!r}: {STORAGE_URL_HELP}")
    prefix = unquote(parts.path).strip("/")
    if prefix and any(segment in ("", ".", "..") for segment in prefix.split("/")):
        raise ConfigurationError(f"media storage {url!r}: the prefix has an empty or dot segment")
    return parts.netloc, prefix


def build_store(config: StoreConfig) -> MediaStore:
    """A new store for ``config`` (``store_for`` caches these)."""
    if not config.storage_url:
        return LocalStore(config.media_root)
    bucket, prefix = parse_s3_url(config.storage_url)
    return S3Store(
        bucket,
        prefix,
        endpoint_url=config.endpoint_url,
        region=config.region,
        access_key_id=config.access_key_id,
        secret_access_key=config.secret_access_key,
    )


@functools.lru_cache(maxsize=64)
def _cached(config: StoreConfig) -> MediaStore:
    return build_store(config)


def store_for(settings: Settings) -> MediaStore:
    """The process's store for these settings (ConfigurationError for a bad storage URL)."""
    return _cached(StoreConfig.from_settings(settings))


def open_store(settings: Settings, storage_url: str) -> MediaStore:
    """A store at ``storage_url`` with the other settings' endpoint, region and credentials
    (``citygraph media migrate --to``)."""
    return _cached(StoreConfig.from_settings(settings, storage_url))
