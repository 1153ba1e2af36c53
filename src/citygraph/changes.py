"""The change counter: one number that moves whenever the public read graph changes.

Cached anonymous responses (``web.cache``) are tagged with the counter's value when they were
built and served only while it has not moved. The counter must be cheap to read on every request
and must move before a writer's response leaves, for every worker:

- on one machine, it lives in shared memory: an 8-byte word in a file under
  ``CITYGRAPH_RUNTIME_DIR`` (``/dev/shm/citygraph`` by default), one per database, mapped by
  every worker and command-line process. A unit of work that changed districts, places or
  images moves it after its commit and before its face answers (``domain.unit``), so no worker
  can serve the old bytes once the write has been acknowledged;
- across machines, PostgreSQL tells: a statement trigger on the three tables sends
  ``NOTIFY citygraph_changes`` at commit (whoever writes: another machine, a script, psql), and
  each process listens (``listen``) and moves its machine's counter when told.

Moving means writing a fresh random value: nothing to lock, and a torn read only reads as
"moved". On SQLite there is one machine; writes from other tools than citygraph's own units
(a hand-made ``sqlite3`` session) are not seen — use ``citygraph cache clear`` after those.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import mmap
import os
import secrets
import struct
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

log = logging.getLogger("citygraph.changes")

CHANNEL = "citygraph_changes"
_WORD = struct.Struct("Q")


def default_runtime_dir() -> Path:
    shm = Path("/dev/shm")  # noqa: S108 - shared memory, for workers of this machine only
    base = shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(tempfile.gettempdir())
    return base / "citygraph"


class ChangeCounter:
    """The counter of one database on this machine (see the module docstring)."""

    def __init__(self, database_url: str, runtime_dir: Path | None = None) -> None:
        directory = runtime_dir or default_runtime_dir()
        directory.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256(database_url.encode()).hexdigest()[:20]
        self.path = directory / f"changes-{name}"
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < _WORD.size:
                os.ftruncate(fd, _WORD.size)
            self._map = mmap.mmap(fd, _WORD.size)
        finally:
            os.close(fd)
        self._listener: asyncio.Task[None] | None = None
        self._receivers: list[Callable[[str], None]] = []

    def current(self) -> int:
        value: int = _WORD.unpack_from(self._map)[0]
        return value

    def bump(self) -> None:
        _WORD.pack_into(self._map, 0, secrets.randbits(64))

    # --- PostgreSQL's NOTIFY, for the other machines --------------------------------------------

    def on_notification(self, receiver: Callable[[str], None]) -> None:
        """Also hand every notification's payload to ``receiver`` (the change feed shares this
        channel and this connection: one listener per process)."""
        self._receivers.append(receiver)

    def _notified(self, payload: str) -> None:
        self.bump()
        for receiver in self._receivers:
            try:
                receiver(payload)
            except Exception:
                log.exception("a change notification's receiver failed")

    def listen(self, database_url: str) -> None:
        """Move the counter whenever PostgreSQL says the read graph changed (runs until
        ``aclose``; reconnects after outages, moving the counter then: it may have missed some)."""
        if make_url(database_url).get_backend_name() != "postgresql" or self._listener:
            return
        self._listener = asyncio.get_running_loop().create_task(self._listen(database_url))

    async def _listen(self, database_url: str) -> None:
        import asyncpg  # type: ignore[import-untyped]

        url = make_url(database_url).set(drivername="postgresql").render_as_string(False)
        delay = 0.2
        while True:
            try:
                connection = await asyncpg.connect(url, timeout=5)
            except (OSError, asyncpg.PostgresError, TimeoutError):
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            delay = 0.2
            await self._follow(connection)
            log.warning("lost the change notifications; reconnecting")

    async def _follow(self, connection: Any) -> None:
        """Move the counter on every notification until the connection is lost."""
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _connection: lost.set())
        await connection.add_listener(
            CHANNEL, lambda _connection, _pid, _channel, payload: self._notified(payload)
        )
        self.bump()  # whatever happened while nobody listened
        try:
            await lost.wait()
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), 1)

    async def aclose(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
