"""The Django hash formats login accepts, checked against hashes Django itself wrote."""

from __future__ import annotations

import binascii
import hashlib
import time

import bcrypt
import pytest

from citygraph.security import django_hashes, passwords
from tests.importer.conftest import Original


def test_each_original_hash_matches_its_password_only(original: Original) -> None:
    for account in original.manifest["users"]:
        encoded, password = account["hash"], account["password"]
        usable = not encoded.startswith("!")
        assert passwords.check_password_sync(password, encoded) is usable, account["username"]
        assert not passwords.check_password_sync(password + "x", encoded)
        assert passwords.needs_upgrade(encoded) is usable


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        "!",
        "!pbkdf2_sha256$1000$salt$aGFzaA==",
        "pbkdf2_sha256$many$salt$aGFzaA==",
        "pbkdf2_sha256$1000$salt$not base64!",
        "pbkdf2_sha256$0$salt$aGFzaA==",
        "pbkdf2_sha256$1000$salt",
        "argon2$argon2id$garbage",
        "argon2",
        "bcrypt_sha256$not-a-bcrypt-hash",
        "bcrypt$$2b$04$short",
        "md5$salt$0123456789abcdef0123456789abcdef",  # a format Django no longer writes
        "unknown$1$2$3",
    ],
)
def test_malformed_or_unsupported_hashes_never_match(encoded: str) -> None:
    assert not passwords.check_password_sync("anything", encoded)
    assert not django_hashes.check("anything", encoded)


def test_an_absurd_iteration_count_is_refused_not_computed() -> None:
    started = time.perf_counter()
    assert not django_hashes.check("x", "pbkdf2_sha256$2000000000$salt$aGFzaA==")
    assert time.perf_counter() - started < 1


def test_citygraph_bcrypt_hashes_are_unchanged() -> None:
    encoded = bcrypt.hashpw(b"Correct-Horse-9", bcrypt.gensalt(4)).decode()
    assert passwords.check_password_sync("Correct-Horse-9", encoded)
    assert not passwords.needs_upgrade(encoded)
    assert not passwords.can_hash("я" * 37)  # 74 bytes: bcrypt cannot hold it


def test_plain_bcrypt_and_long_passwords_with_bcrypt_sha256() -> None:
    long_password = "p" * 100  # Django's bcrypt_sha256 takes any length
    digest = binascii.hexlify(hashlib.sha256(long_password.encode()).digest())
    encoded = "bcrypt_sha256$" + bcrypt.hashpw(digest, bcrypt.gensalt(4)).decode()
    assert django_hashes.check(long_password, encoded)
    plain = "bcrypt$" + bcrypt.hashpw(b"short-one", bcrypt.gensalt(4)).decode()
    assert django_hashes.check("short-one", plain)
    assert not django_hashes.check("short-one" * 10, plain)
