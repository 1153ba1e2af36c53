"""Keep stored files in step with the transaction that references them.

A domain operation writes an image before the row that names it, and removes a row before the
file it names; the unit of work decides when the change is real:

- ``write_image``: a freshly stored file is removed again if the unit does not commit;
- ``delete_on_commit``: a file whose row is being deleted or replaced is removed only once the
  unit has committed, so a rollback never leaves a row pointing at a missing file.
"""

from __future__ import annotations

import logging
from pathlib import Path

import anyio.to_thread

from citygraph.domain import media
from citygraph.domain.unit import UnitOfWork

log = logging.getLogger(__name__)


def _unlink(root: Path, relative: str) -> None:
    root = root.resolve()
    target = (root / relative).resolve()
    if root not in target.parents:
        return
    try:
        target.unlink(missing_ok=True)
    except OSError:  # a file we cannot remove must not turn a committed change into an error
        log.warning("could not remove media file %s", target, exc_info=True)


def _remover(root: Path, relative: str) -> media.Action:
    async def remove() -> None:
        await anyio.to_thread.run_sync(_unlink, root, relative)

    return remove


def delete_on_commit(uow: UnitOfWork, relative: str | None) -> None:
    """Remove ``relative`` (under the media root) once the unit commits."""
    if relative:
        uow.after_commit(_remover(uow.settings.media_root, relative))


async def write_image(uow: UnitOfWork, image: media.ValidImage, folder: str) -> str:
    """Write a validated image that disappears again unless the unit commits."""
    relative = await media.write_image(uow.settings, image, folder)
    uow.on_rollback(_remover(uow.settings.media_root, relative))
    return relative
