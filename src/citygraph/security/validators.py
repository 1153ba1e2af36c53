"""Account field validation, ported from Django 5.2 / DRF 3.18 so the messages match the original.

* usernames: Django's ``UnicodeUsernameValidator`` (``^[\\w.@+-]+\\Z``, Unicode ``\\w``), at most
  150 characters; normalised with NFKC before storing, as ``AbstractBaseUser`` does.
* e-mail: Django's ``EmailValidator`` replicated rule for rule (not the ``email-validator``
  package, whose verdicts differ: Django accepts ``a@localhost`` and IDN domains, refuses
  ``a@b.c``); at most 254 characters; the domain part is lower-cased like
  ``UserManager.normalize_email``.
* passwords: Django's four default validators, in ``AUTH_PASSWORD_VALIDATORS`` order
  (user-attribute similarity, minimum length 8, common, entirely numeric), each contributing at
  most one message. On top of them, passwords over 72 UTF-8 bytes are refused, because bcrypt
  ignores everything after byte 72 (a documented divergence: the original accepted them).

The common-password list is Django's own (``data/common-passwords.txt.gz``, see ``data/README.md``).
"""

from __future__ import annotations

import gzip
import ipaddress
import re
import unicodedata
from difflib import SequenceMatcher
from functools import cache
from importlib import resources

from citygraph.domain.fields import character_problems
from citygraph.security.passwords import MAX_PASSWORD_BYTES

USERNAME_MAX_LENGTH = 150
EMAIL_MAX_LENGTH = 254
PASSWORD_MIN_LENGTH = 8
MAX_SIMILARITY = 0.7

# DRF / Django wording.
REQUIRED = "This field is required."
BLANK = "This field may not be blank."
NULL_CHARACTERS = "Null characters are not allowed."
INVALID_USERNAME = (
    "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ "
    "characters."
)
INVALID_EMAIL = "Enter a valid email address."
PASSWORD_TOO_SHORT = (
    f"This password is too short. It must contain at least {PASSWORD_MIN_LENGTH} characters."
)
PASSWORD_TOO_COMMON = "This password is too common."
PASSWORD_NUMERIC = "This password is entirely numeric."
PASSWORD_TOO_SIMILAR = "The password is too similar to the {verbose_name}."
PASSWORD_TOO_LONG = (
    f"This password is too long. It must contain at most {MAX_PASSWORD_BYTES} bytes "
    "(UTF-8); bcrypt ignores anything beyond that."
)

# Field -> verbose name, as Django's ``User`` model names them in the similarity message.
USER_ATTRIBUTES: tuple[tuple[str, str], ...] = (
    ("username", "username"),
    ("email", "email address"),
)

_USERNAME_RE = re.compile(r"^[\w.@+-]+\Z")


def max_length_message(limit: int) -> str:
    return f"Ensure this field has no more than {limit} characters."


def _character_problems(value: str) -> list[str]:
    """DRF ``CharField``'s own validators: NUL and lone surrogates are refused."""
    return character_problems(value)


# --- usernames -------------------------------------------------------------------------------


def normalize_username(username: str) -> str:
    return unicodedata.normalize("NFKC", username)


def username_problems(username: str) -> list[str]:
    """Messages for a (trimmed) username, in DRF's validator order; uniqueness is checked apart."""
    if not username:
        return [BLANK]
    problems: list[str] = []
    if not _USERNAME_RE.match(username):
        problems.append(INVALID_USERNAME)
    if len(username) > USERNAME_MAX_LENGTH:
        problems.append(max_length_message(USERNAME_MAX_LENGTH))
    problems.extend(_character_problems(username))
    return problems


# --- e-mail (Django's EmailValidator) --------------------------------------------------------

_UL = "\u00a1-\uffff"
_HOSTNAME_RE = r"[a-z" + _UL + r"0-9](?:[a-z" + _UL + r"0-9-]{0,61}[a-z" + _UL + r"0-9])?"
_DOMAIN_RE = r"(?:\.(?!-)[a-z" + _UL + r"0-9-]{1,63}(?<!-))*"
_TLD_NO_FQDN_RE = r"\.(?!-)(?:[a-z" + _UL + "-]{2,63}|xn--[a-z0-9]{1,59})(?<!-)"
_EMAIL_USER_RE = re.compile(
    r"(^[-!#$%&'*+/=?^_`{}|~0-9A-Z]+(\.[-!#$%&'*+/=?^_`{}|~0-9A-Z]+)*\Z"
    r'|^"([\001-\010\013\014\016-\037!#-\[\]-\177]|\\[\001-\011\013\014\016-\177])*"\Z)',
    re.IGNORECASE,
)
_EMAIL_DOMAIN_RE = re.compile(
    r"^" + _HOSTNAME_RE + _DOMAIN_RE + _TLD_NO_FQDN_RE + r"\Z", re.IGNORECASE
)
_EMAIL_LITERAL_RE = re.compile(r"\[([A-F0-9:.]+)\]\Z", re.IGNORECASE)
_EMAIL_DOMAIN_ALLOWLIST = ("localhost",)


def is_valid_email(value: str) -> bool:
    """Django 5.2's ``EmailValidator.__call__`` as a predicate."""
    if not value or "@" not in value or len(value) > 320:
        return False
    user_part, domain_part = value.rsplit("@", 1)
    if not _EMAIL_USER_RE.match(user_part):
        return False
    if domain_part in _EMAIL_DOMAIN_ALLOWLIST or _EMAIL_DOMAIN_RE.match(domain_part):
        return True
    literal = _EMAIL_LITERAL_RE.match(domain_part)
    if literal:
        try:
            ipaddress.ip_address(literal[1])
        except ValueError:
            return False
        return True
    return False


def email_problems(email: str) -> list[str]:
    """Messages for a (trimmed) e-mail address; blank is allowed (the field is optional)."""
    if not email:
        return []
    problems: list[str] = []
    if len(email) > EMAIL_MAX_LENGTH:
        problems.append(max_length_message(EMAIL_MAX_LENGTH))
    # DRF's ``EmailField``: the CharField validators (NUL, surrogates) run before the address's.
    problems.extend(_character_problems(email))
    if not is_valid_email(email):
        problems.append(INVALID_EMAIL)
    return problems


def normalize_email(email: str) -> str:
    """Lower-case the domain part, like Django's ``BaseUserManager.normalize_email``."""
    email = email.strip()
    if "@" not in email:
        return email
    name, domain = email.rsplit("@", 1)
    return f"{name}@{domain.lower()}"


# --- passwords --------------------------------------------------------------------------------


@cache
def common_passwords() -> frozenset[str]:
    data = resources.files("citygraph.security").joinpath("data/common-passwords.txt.gz")
    with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines)


def _exceeds_maximum_length_ratio(password: str, max_similarity: float, value: str) -> bool:
    pwd_len = len(password)
    length_bound_similarity = max_similarity / 2 * pwd_len
    value_len = len(value)
    return pwd_len >= 10 * value_len and value_len < length_bound_similarity


def similarity_problem(password: str, attributes: tuple[tuple[str, str | None], ...]) -> str | None:
    """Django's ``UserAttributeSimilarityValidator``: the first too-similar attribute, if any.

    ``attributes`` holds ``(verbose name, value)`` pairs in Django's attribute order.
    """
    password = password.lower()
    for verbose_name, value in attributes:
        if not value:
            continue
        value_lower = value.lower()
        for part in [*re.split(r"\W+", value_lower), value_lower]:
            if _exceeds_maximum_length_ratio(password, MAX_SIMILARITY, part):
                continue
            if SequenceMatcher(a=password, b=part).quick_ratio() >= MAX_SIMILARITY:
                return PASSWORD_TOO_SIMILAR.format(verbose_name=verbose_name)
    return None


def validate_password(
    password: str, *, username: str | None = None, email: str | None = None
) -> list[str]:
    """Every message Django's default validators give for ``password``, in their order.

    ``username``/``email`` are the account's attributes for the similarity check; pass ``None``
    for both to skip it (djoser's password-reset confirmation validates without a user).
    """
    problems: list[str] = []
    similar = similarity_problem(
        password, ((USER_ATTRIBUTES[0][1], username), (USER_ATTRIBUTES[1][1], email))
    )
    if similar:
        problems.append(similar)
    if len(password) < PASSWORD_MIN_LENGTH:
        problems.append(PASSWORD_TOO_SHORT)
    if password.lower().strip() in common_passwords():
        problems.append(PASSWORD_TOO_COMMON)
    if password.isdigit():
        problems.append(PASSWORD_NUMERIC)
    if len(password.encode("utf-8", "surrogatepass")) > MAX_PASSWORD_BYTES:
        problems.append(PASSWORD_TOO_LONG)
    return problems


def password_field_problems(password: str) -> list[str]:
    """Field-level checks DRF runs before the validators (blank, NUL, surrogates)."""
    if not password:
        return [BLANK]
    return _character_problems(password)
