"""Keep stored files in step with the transaction that references them.

A domain operation writes an image before the row that names it, and removes a row before the
file it names; the unit of work decides when the change is real:

- ``check_image``: the re-encoded image's temporary file is closed when the unit ends, however
  it ends (a check that refuses the form, a write, a rollback);
- ``write_image``: a freshly stored file is removed again if the unit does not commit;
- ``delete_on_commit``: a file whose row is being deleted or replaced is removed only once the
  unit has committed, so a rollback never leaves a row pointing at a missing file.

Removal goes through the media store (``media.discard_image``): an object already gone is not
an error, and a store outage is logged, never raised into a settled transaction.
"""

from __future__ import annotations

from citygraph.domain import media
from citygraph.domain.errors import FieldError
from citygraph.domain.unit import Action, UnitOfWork
from citygraph.domain.uploads import Upload


def _remover(uow: UnitOfWork, key: str) -> Action:
    settings = uow.settings

    async def remove() -> None:
        await media.discard_image(settings, key)

    return remove


def delete_on_commit(uow: UnitOfWork, key: str | None) -> None:
    """Remove ``key`` from the media store once the unit commits."""
    if key:
        uow.after_commit(_remover(uow, key))


async def check_image(uow: UnitOfWork, upload: Upload | bytes) -> media.ValidImage | FieldError:
    """``media.check_image``, its temporary file closed once the unit commits or rolls back."""
    checked = await media.check_image(uow.settings, upload)
    if isinstance(checked, media.ValidImage):

        async def close() -> None:
            checked.close()

        uow.after_commit(close)
        uow.on_rollback(close)
    return checked


async def write_image(uow: UnitOfWork, image: media.ValidImage, folder: str) -> str:
    """Store a checked image that disappears again unless the unit commits."""
    key = await media.write_image(uow.settings, image, folder)
    uow.on_rollback(_remover(uow, key))
    return key
