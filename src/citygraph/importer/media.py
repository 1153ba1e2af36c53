"""Copying the original's media files into citygraph's store under the same relative paths.

``/media/<path>`` served by the original then resolves here to the same bytes. A file the store
already has under that key is left alone (a re-run, or a store that *is* the original's folder);
a file missing from the media folder is reported and its row imported all the same (the
original answered 404 for it too). The keys written by this run are remembered, so a failed
import removes them again (:meth:`MediaCopier.discard`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import anyio.to_thread

from citygraph.storage.base import MediaStore, ObjectNotFound, guess_content_type

log = logging.getLogger("citygraph.importer")


@dataclass
class MediaCopier:
    store: MediaStore
    root: Path
    dry_run: bool = False
    copied: list[str] = field(default_factory=list)
    present: int = 0
    missing: list[str] = field(default_factory=list)

    async def copy(self, key: str) -> None:
        """Put ``root/key`` into the store under ``key`` unless it is there already."""
        path = self.root / key
        if not path.is_file():
            self.missing.append(key)
            return
        if await self.store.exists(key):
            self.present += 1
            return
        if self.dry_run:
            self.copied.append(key)
            return
        handle = await anyio.to_thread.run_sync(path.open, "rb")
        try:
            self.copied.append(key)  # before the write: a half-done put is removed too
            await self.store.put(key, handle, content_type=guess_content_type(key))
        finally:
            await anyio.to_thread.run_sync(handle.close)

    async def discard(self) -> None:
        """Remove every object this run wrote (the import failed: leave nothing behind)."""
        if self.dry_run:
            return
        for key in reversed(self.copied):
            try:
                await self.store.delete(key)
            except ObjectNotFound:
                pass
            except Exception:
                log.exception("import-django: could not remove %s after the failure", key)
        self.copied.clear()
