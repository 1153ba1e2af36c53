"""Keep stored files in step with the transaction that references them.

A domain function writes an image before the row that names it, and removes a row before the
file it names; the session decides when the change is real. So:

- ``discard_on_rollback``: a freshly stored file is removed if the transaction does not commit
  (a failed flush, a later error, or a session closed without committing);
- ``delete_on_commit``: a file whose row is being deleted or replaced is removed only once the
  transaction has committed, so a rollback never leaves a row pointing at a missing file.

Both hook into the session's ``after_commit`` / ``after_transaction_end`` events, registered
once per session. Removal is a local ``unlink``; a file already gone is not an error.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction
from sqlmodel.ext.asyncio.session import AsyncSession

from citygraph.config import Settings
from citygraph.domain import media

log = logging.getLogger(__name__)

_ON_COMMIT = "citygraph.delete_on_commit"
_ON_ROLLBACK = "citygraph.discard_on_rollback"
_HOOKED = "citygraph.filecleanup_hooked"


def _unlink(root: Path, relative: str) -> None:
    root = root.resolve()
    target = (root / relative).resolve()
    if root not in target.parents:
        return
    try:
        target.unlink(missing_ok=True)
    except OSError:  # a file we cannot remove must not turn a committed change into an error
        log.warning("could not remove media file %s", target, exc_info=True)


def _run(session: Session, key: str) -> None:
    pending: list[tuple[Path, str]] = session.info.pop(key, [])
    for root, relative in pending:
        _unlink(root, relative)


def _after_commit(session: Session) -> None:
    session.info.pop(_ON_ROLLBACK, None)
    _run(session, _ON_COMMIT)


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:  # a savepoint or subtransaction: wait for the outermost
        return
    session.info.pop(_ON_COMMIT, None)  # not committed (after_commit already ran otherwise)
    _run(session, _ON_ROLLBACK)


def _hook(session: AsyncSession) -> Session:
    sync_session = session.sync_session
    if not sync_session.info.get(_HOOKED):
        event.listen(sync_session, "after_commit", _after_commit)
        event.listen(sync_session, "after_transaction_end", _after_transaction_end)
        sync_session.info[_HOOKED] = True
    return sync_session


def _remember(session: AsyncSession, key: str, settings: Settings, relative: str) -> None:
    pending: list[Any] = _hook(session).info.setdefault(key, [])
    pending.append((settings.media_root, relative))


def discard_on_rollback(session: AsyncSession, settings: Settings, relative: str) -> None:
    """Remove ``relative`` (under the media root) unless the current transaction commits."""
    _remember(session, _ON_ROLLBACK, settings, relative)


def delete_on_commit(session: AsyncSession, settings: Settings, relative: str | None) -> None:
    """Remove ``relative`` (under the media root) once the current transaction commits."""
    if relative:
        _remember(session, _ON_COMMIT, settings, relative)


async def write_image(
    session: AsyncSession, settings: Settings, data: bytes, folder: str, extension: str
) -> str:
    """Write a validated image that disappears again unless the transaction commits."""
    relative = await media.write_image(settings, data, folder, extension)
    discard_on_rollback(session, settings, relative)
    return relative
