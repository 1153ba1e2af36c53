"""uid/token links in djoser/Django format, checked against vectors produced by Django 5.2."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from citygraph.domain import account_tokens as t
from citygraph.models import User

SECRET = "test-secret-key-for-citygraph-tests-0123456789"
NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
HASH = "$2b$04$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234"
LIFETIME = 3 * 86400


def user(**overrides: Any) -> User:
    values: dict[str, Any] = {
        "id": 42,
        "username": "ivan",
        "password": HASH,
        "email": "ivan@example.com",
        "last_login": None,
    }
    values.update(overrides)
    return User(**values)


def test_uid_is_djoser_encode_uid() -> None:
    assert t.encode_uid(42) == "NDI"
    assert t.encode_uid(1) == "MQ"
    assert t.decode_uid("NDI") == 42
    for bad in ("", "!!!", "YWJj", "MA", "LTE", "ЖЖ", "x" * 40):
        assert t.decode_uid(bad) is None, bad


def test_token_matches_django_password_reset_token_generator() -> None:
    # Produced by django.contrib.auth.tokens.PasswordResetTokenGenerator (Django 5.2.19) with
    # the same secret, user state and clock.
    assert t.make_token(user(), SECRET, now=NOW) == "clzio0-d38ec8e00d451e9533c81ffb5673d2d8"
    logged_in = user(last_login=datetime(2025, 2, 28, 10, 11, 12, 345678, tzinfo=UTC))
    assert t.make_token(logged_in, SECRET, now=NOW) == "clzio0-6ac489ed10afb1a37a6bae8963e5d2a6"


def test_token_checks_state_signature_and_age() -> None:
    token = t.make_token(user(), SECRET, now=NOW)
    assert t.check_token(user(), token, SECRET, LIFETIME, now=NOW)
    assert t.check_token(user(), token, SECRET, LIFETIME, now=NOW + timedelta(seconds=LIFETIME))
    assert not t.check_token(
        user(), token, SECRET, LIFETIME, now=NOW + timedelta(seconds=LIFETIME + 1)
    )
    assert not t.check_token(user(password=HASH[:-1] + "5"), token, SECRET, LIFETIME, now=NOW)
    assert not t.check_token(user(email="other@example.com"), token, SECRET, LIFETIME, now=NOW)
    assert not t.check_token(user(id=43), token, SECRET, LIFETIME, now=NOW)
    assert not t.check_token(user(), token, SECRET + "x", LIFETIME, now=NOW)
    ts, digest = token.split("-")
    forged_ts = t._int_to_base36(int(ts, 36) + 86400)
    for bad in (
        "",
        "nodash",
        "a-b-c",
        f"{forged_ts}-{digest}",
        f"{ts}-{digest[:-1]}0" if digest[-1] != "0" else f"{ts}-{digest[:-1]}1",
        "zzzzzzzzzzzzzz-" + digest,
        "ж-" + digest,
    ):
        assert not t.check_token(user(), bad, SECRET, LIFETIME, now=NOW), bad
