"""bcrypt password hashing, off the event loop.

bcrypt only reads the first 72 bytes of a password; rather than truncate silently we refuse
longer passwords at validation time (``MAX_PASSWORD_BYTES``) and ``hash_password`` rejects them
too, so no code path can store a hash that ignores part of the password.
"""

from __future__ import annotations

import anyio.to_thread
import bcrypt

MAX_PASSWORD_BYTES = 72
_DUMMY_PASSWORD = b"citygraph-timing-equaliser"


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
    try:
        data = _encode(password)
    except PasswordTooLong:
        return False
    try:
        return bcrypt.checkpw(data, hashed.encode("ascii"))
    except ValueError:  # not a bcrypt hash (e.g. an unusable password marker)
        return False


async def hash_password(password: str, rounds: int) -> str:
    return await anyio.to_thread.run_sync(hash_password_sync, password, rounds)


async def check_password(password: str, hashed: str) -> bool:
    return await anyio.to_thread.run_sync(check_password_sync, password, hashed)


_dummy_hashes: dict[int, str] = {}


async def dummy_check(rounds: int) -> None:
    """Spend the time of one real check, so unknown usernames cannot be told apart by timing."""
    if rounds not in _dummy_hashes:
        _dummy_hashes[rounds] = await anyio.to_thread.run_sync(
            lambda: bcrypt.hashpw(_DUMMY_PASSWORD, bcrypt.gensalt(rounds)).decode("ascii")
        )
    await check_password("not-the-password", _dummy_hashes[rounds])
