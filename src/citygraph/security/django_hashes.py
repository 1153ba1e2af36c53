"""Checking the password hashes the original Django service stored in ``auth_user.password``.

Accounts imported by ``citygraph import-django`` keep their Django hash until their first
successful login, which replaces it with citygraph's bcrypt (``accounts.log_in``). Formats, as
Django 5.2's hashers write them:

* ``pbkdf2_sha256$<iterations>$<salt>$<base64 hash>`` (Django's default) and ``pbkdf2_sha1$…``:
  ``hashlib.pbkdf2_hmac``, compared with ``hmac.compare_digest``;
* ``argon2$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>``: argon2-cffi's ``PasswordHasher.verify``;
* ``bcrypt_sha256$$2b$<cost>$…``: bcrypt over the hex SHA-256 of the password (so any length
  works), and plain ``bcrypt$$2b$…``;
* anything starting with ``!`` is Django's unusable password: it never matches.

Each check is one call of a constant-time comparison (``compare_digest``, bcrypt's and argon2's
own); an unknown or malformed hash is simply "no match", never an error.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Final

import argon2
import bcrypt

UNUSABLE_PREFIX: Final = "!"
PBKDF2_DIGESTS: Final = {"pbkdf2_sha256": "sha256", "pbkdf2_sha1": "sha1"}
#: Django's hasher names whose hashes this module can check.
ALGORITHMS: Final = frozenset({*PBKDF2_DIGESTS, "argon2", "bcrypt_sha256", "bcrypt"})
#: More iterations than any Django release used; a larger count is refused, not computed.
MAX_PBKDF2_ITERATIONS: Final = 10_000_000

_argon2 = argon2.PasswordHasher()


def algorithm(encoded: str) -> str | None:
    """The Django hasher name of ``encoded`` when this module can check it, else ``None``."""
    if encoded.startswith(UNUSABLE_PREFIX) or "$" not in encoded:
        return None
    name = encoded.split("$", 1)[0]
    return name if name in ALGORITHMS else None


def is_django_hash(encoded: str) -> bool:
    return algorithm(encoded) is not None


def _check_pbkdf2(password: bytes, encoded: str, digest: str) -> bool:
    try:
        _name, iterations, salt, expected = encoded.split("$", 3)
        rounds = int(iterations)
        wanted = base64.b64decode(expected.encode("ascii"), validate=True)
    except (ValueError, binascii.Error, UnicodeEncodeError):
        return False
    if not 0 < rounds <= MAX_PBKDF2_ITERATIONS:
        return False
    computed = hashlib.pbkdf2_hmac(digest, password, salt.encode("utf-8"), rounds)
    return hmac.compare_digest(computed, wanted)


def _check_argon2(password: bytes, encoded: str) -> bool:
    try:
        return _argon2.verify("$" + encoded.split("$", 1)[1], password)
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return False


def _check_bcrypt(password: bytes, encoded: str, *, sha256_first: bool) -> bool:
    data = encoded.split("$", 1)[1]
    if sha256_first:
        password = binascii.hexlify(hashlib.sha256(password).digest())
    elif len(password) > 72:  # bcrypt refuses (Django's plain bcrypt truncated: never match)
        return False
    try:
        return bcrypt.checkpw(password, data.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return False


def check(password: str, encoded: str) -> bool:
    """Whether ``password`` matches the Django hash ``encoded`` (``False`` for unusable ones)."""
    name = algorithm(encoded)
    if name is None:
        return False
    data = password.encode("utf-8", "surrogatepass")
    if name in PBKDF2_DIGESTS:
        return _check_pbkdf2(data, encoded, PBKDF2_DIGESTS[name])
    if name == "argon2":
        return _check_argon2(data, encoded)
    return _check_bcrypt(data, encoded, sha256_first=name == "bcrypt_sha256")
