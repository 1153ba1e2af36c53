"""bcrypt password hashing, off the event loop and below it in CPU priority.

bcrypt only reads the first 72 bytes of a password; rather than truncate silently we refuse
longer passwords at validation time (``MAX_PASSWORD_BYTES``) and ``hash_password`` rejects them
too, so no code path can store a hash that ignores part of the password.

Hashes run in a dedicated thread pool (one thread per CPU; bcrypt releases the GIL). On Linux
those threads run at nice +10, so a burst of logins uses idle CPU without starving the event
loop: other requests keep answering while ten cost-12 hashes are in flight
(``bench/login_contention.py`` measures it). Other platforms keep normal priority.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import bcrypt

from citygraph.security import django_hashes

MAX_PASSWORD_BYTES = 72
HASH_THREAD_NICENESS = 10
_DUMMY_PASSWORD = b"citygraph-timing-equaliser"
T = TypeVar("T")

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _lower_thread_priority() -> None:
    # On Linux, PRIO_PROCESS with a thread id renices that thread only (elsewhere: the process).
    if sys.platform == "linux":
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASH_THREAD_NICENESS)


def _hash_executor() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(
                max_workers=os.cpu_count() or 1,
                thread_name_prefix="citygraph-bcrypt",
                initializer=_lower_thread_priority,
            )
        return _executor


async def _off_loop(function: Callable[..., T], *args: object) -> T:
    return await asyncio.get_running_loop().run_in_executor(_hash_executor(), function, *args)


class PasswordTooLong(ValueError):
    pass


def _encode(password: str) -> bytes:
    data = password.encode("utf-8")
    if len(data) > MAX_PASSWORD_BYTES:
        raise PasswordTooLong(f"password longer than {MAX_PASSWORD_BYTES} bytes")
    return data


def hash_password_sync(password: str, rounds: int) -> str:
    return bcrypt.hashpw(_encode(password), bcrypt.gensalt(rounds)).decode("ascii")


def check_password_sync(password: str, hashed: str) -> bool:
    """``password`` against a stored hash: citygraph's bcrypt, or a Django hash kept by
    ``citygraph import-django`` (``django_hashes``); unusable (``!``) hashes never match."""
    if django_hashes.is_django_hash(hashed):
        return django_hashes.check(password, hashed)
    try:
        data = _encode(password)
    except PasswordTooLong:
        return False
    try:
        return bcrypt.checkpw(data, hashed.encode("ascii"))
    except ValueError:  # not a bcrypt hash (e.g. an unusable password marker)
        return False


def is_usable(hashed: str) -> bool:
    """Whether ``hashed`` is a hash some password can match: citygraph's bcrypt or a Django
    hash this module checks (not Django's unusable ``!…``, not an empty or unknown value)."""
    return hashed.startswith(("$2a$", "$2b$", "$2y$")) or django_hashes.is_django_hash(hashed)


def needs_upgrade(hashed: str) -> bool:
    """Whether a hash that just matched should be replaced by citygraph's bcrypt (a Django
    hash from an imported account)."""
    return django_hashes.is_django_hash(hashed)


def can_hash(password: str) -> bool:
    """Whether bcrypt can hold ``password`` (at most 72 bytes): a longer one that an imported
    Django hash accepted keeps that hash."""
    return len(password.encode("utf-8", "surrogatepass")) <= MAX_PASSWORD_BYTES


async def hash_password(password: str, rounds: int) -> str:
    return await _off_loop(hash_password_sync, password, rounds)


async def check_password(password: str, hashed: str) -> bool:
    return await _off_loop(check_password_sync, password, hashed)


_dummy_hashes: dict[int, str] = {}


async def dummy_check(rounds: int) -> None:
    """Spend the time of one real check, so unknown usernames cannot be told apart by timing."""
    if rounds not in _dummy_hashes:
        _dummy_hashes[rounds] = await _off_loop(
            lambda: bcrypt.hashpw(_DUMMY_PASSWORD, bcrypt.gensalt(rounds)).decode("ascii")
        )
    await check_password("not-the-password", _dummy_hashes[rounds])
