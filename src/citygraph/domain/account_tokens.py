"""One-time account tokens (activation, password reset) in djoser 2.3 / Django 5.2's format.

``uid`` is djoser's ``encode_uid``: URL-safe base64 of the decimal primary key, padding stripped
(``1`` -> ``MQ``). ``token`` is Django's ``PasswordResetTokenGenerator``: ``<ts>-<hash>`` where
``ts`` is base36 seconds since 2001-01-01 (UTC here; the original ran with ``TIME_ZONE=UTC``) and
``hash`` is every other hex digit of HMAC-SHA256 keyed with
``sha256(key_salt + secret_key)`` over ``pk + password hash + last_login + ts + email``.
With the same secret key, links mailed by the original service keep working here.

A token stops working when the state it hashes changes: a password reset changes the password
hash (and ``last_login``, as djoser sets it), so a reset link works once. Activation does not
change that state; as in djoser, a valid activation token for an *active* account is refused as
*stale* (``Stale token for given user.``), which makes it single-use as well. Tokens expire after
``settings.account_token_lifetime`` seconds (Django's ``PASSWORD_RESET_TIMEOUT``, 3 days).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from datetime import UTC, datetime

from citygraph.domain.parsers import MAX_ID
from citygraph.models import User

KEY_SALT = "django.contrib.auth.tokens.PasswordResetTokenGenerator"
_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def encode_uid(pk: int) -> str:
    return base64.urlsafe_b64encode(str(pk).encode()).rstrip(b"\n=").decode("ascii")


def decode_uid(uid: str) -> int | None:
    """The primary key a ``uid`` names, or ``None`` when it names none (never raises)."""
    try:
        raw = uid.encode("ascii")
        text = base64.urlsafe_b64decode(raw.ljust(len(raw) + len(raw) % 4, b"=")).decode("ascii")
    except (UnicodeError, binascii.Error, ValueError):
        return None
    text = text.strip()
    if not text.isascii() or not text.isdigit():
        return None
    pk = int(text)
    return pk if 0 < pk <= MAX_ID else None


def _int_to_base36(value: int) -> str:
    if value < 36:
        return _B36[value]
    digits = ""
    while value:
        value, rest = divmod(value, 36)
        digits = _B36[rest] + digits
    return digits


def _num_seconds(moment: datetime) -> int:
    return int((moment - _EPOCH).total_seconds())


def _hash_value(user: User, timestamp: int) -> str:
    login = "" if user.last_login is None else _naive(user.last_login.replace(microsecond=0))
    return f"{user.id}{user.password}{login}{timestamp}{user.email or ''}"


def _naive(moment: datetime) -> str:
    # Django formats ``last_login.replace(microsecond=0, tzinfo=None)`` (UTC under USE_TZ).
    return str(moment.astimezone(UTC).replace(tzinfo=None))


def _token_with_timestamp(user: User, timestamp: int, secret: str) -> str:
    key = hashlib.sha256(KEY_SALT.encode() + secret.encode()).digest()
    digest = hmac.new(key, _hash_value(user, timestamp).encode(), hashlib.sha256).hexdigest()
    return f"{_int_to_base36(timestamp)}-{digest[::2]}"


def make_token(user: User, secret: str, *, now: datetime | None = None) -> str:
    return _token_with_timestamp(user, _num_seconds(now or datetime.now(UTC)), secret)


def check_token(
    user: User, token: str, secret: str, lifetime_seconds: int, *, now: datetime | None = None
) -> bool:
    """Django's ``check_token``: right user state, untampered, and not older than the lifetime."""
    if not token:
        return False
    try:
        ts_b36, _ = token.split("-")
    except ValueError:
        return False
    if not ts_b36 or len(ts_b36) > 13 or not all(c in _B36 for c in ts_b36.lower()):
        return False
    timestamp = int(ts_b36, 36)
    if not hmac.compare_digest(
        _token_with_timestamp(user, timestamp, secret).encode(), token.encode("utf-8", "replace")
    ):
        return False
    return _num_seconds(now or datetime.now(UTC)) - timestamp <= lifetime_seconds
