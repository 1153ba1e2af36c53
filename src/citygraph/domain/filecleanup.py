"""Keep stored files in step with the transaction that references them.

A domain function writes an image before the row that names it, and removes a row before the
file it names; the session decides when the change is real. So:

- ``discard_on_rollback``: a freshly stored file is removed if the transaction does not commit
  (a failed flush, a later error, or a session closed without committing);
- ``delete_on_commit``: a file whose row is being deleted or replaced is removed only once the
  transaction has committed, so a rollback never leaves a row pointing at a missing file.

Both hook into the session's ``after_commit`` / ``after_transaction_end`` events, registered
once per session. Removal goes through the media store (``media.discard_image``): an object
already gone is not an error, and a store outage is logged, never raised.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.util.concurrency import await_only, in_greenlet
from sqlmodel.ext.asyncio.session import AsyncSession

from citygraph.config import Settings
from citygraph.domain import media

log = logging.getLogger(__name__)

_ON_COMMIT = "citygraph.delete_on_commit"
_ON_ROLLBACK = "citygraph.discard_on_rollback"
_HOOKED = "citygraph.filecleanup_hooked"


_background: set[asyncio.Task[None]] = set()


def _unlink(settings: Settings, relative: str) -> None:
    """Delete ``relative`` from the store, from a (synchronous) session event hook.

    The hooks run inside SQLAlchemy's greenlet when an ``AsyncSession`` commits, rolls back or
    closes, so the store's coroutine is awaited right there (``await_only``). Outside one (a
    session dropped without closing) the deletion is left to a task on the running loop.
    """
    removal = media.discard_image(settings, relative)
    if in_greenlet():
        await_only(removal)
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        removal.close()
        log.warning("could not remove media %r: no event loop", relative)
        return
    task = loop.create_task(removal)
    _background.add(task)
    task.add_done_callback(_background.discard)


def _run(session: Session, key: str) -> None:
    pending: list[tuple[Settings, str]] = session.info.pop(key, [])
    for settings, relative in pending:
        _unlink(settings, relative)


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
    pending.append((settings, relative))


def discard_on_rollback(session: AsyncSession, settings: Settings, relative: str) -> None:
    """Remove ``relative`` (a media store key) unless the current transaction commits."""
    _remember(session, _ON_ROLLBACK, settings, relative)


def delete_on_commit(session: AsyncSession, settings: Settings, relative: str | None) -> None:
    """Remove ``relative`` (a media store key) once the current transaction commits."""
    if relative:
        _remember(session, _ON_COMMIT, settings, relative)


async def write_image(
    session: AsyncSession, settings: Settings, data: bytes, folder: str, extension: str
) -> str:
    """Write a validated image that disappears again unless the transaction commits."""
    relative = await media.write_image(settings, data, folder, extension)
    discard_on_rollback(session, settings, relative)
    return relative
