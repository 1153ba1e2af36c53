"""Media storage: one async interface (``MediaStore``), a local folder and S3-compatible stores.

The settings pick the store (``CITYGRAPH_MEDIA_STORAGE``); ``store_for(settings)`` returns it.
"""

from citygraph.storage.base import (
    InvalidKey,
    MediaStore,
    ObjectInfo,
    ObjectNotFound,
    ObjectStream,
    StoreError,
    StoreUnavailable,
)
from citygraph.storage.factory import open_store, store_for

__all__ = [
    "InvalidKey",
    "MediaStore",
    "ObjectInfo",
    "ObjectNotFound",
    "ObjectStream",
    "StoreError",
    "StoreUnavailable",
    "open_store",
    "store_for",
]
