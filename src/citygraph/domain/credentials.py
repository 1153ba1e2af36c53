"""Account fields, ported from Django 5.2 / DRF 3.18 so verdicts and messages match the original.

* usernames: trimmed, NFKC-normalised (as ``AbstractBaseUser`` stores them), then Django's
  ``UnicodeUsernameValidator`` (``^[\\w.@+-]+\\Z``) and the 150-character limit — both on the
  *normalised* name, the one that is stored (NFKC can lengthen a name: ``ﬀ`` is ``ff``);
* e-mail: Django's ``EmailValidator`` replicated rule for rule (not the ``email-validator``
  package, whose verdicts differ: Django accepts ``a@localhost`` and IDN domains, refuses
  ``a@b.c``); at most 254 characters;
* passwords: trimmed as DRF does; Django's four default validators in ``AUTH_PASSWORD_VALIDATORS``
  order (user-attribute similarity, minimum length 8, common, entirely numeric), each giving at
  most one message, plus citygraph's refusal of passwords over 72 UTF-8 bytes (bcrypt ignores
  the rest);
* login names: trimmed only (an exact lookup, as Django's ``ModelBackend``), with a rate-limit key
  that folds NFKC and case so that ``" alice"``, ``"ALICE"`` and ``"ａｌｉｃｅ"`` share one budget.

The common-password list is Django's own (``data/common-passwords.txt.gz``, see its README).
"""

from __future__ import annotations

import gzip
import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cache
from importlib import resources
from typing import Final, NewType

from citygraph.domain.errors import FieldError
from citygraph.domain.parsers import Invalid, character_problems, problem, text
from citygraph.security.passwords import MAX_PASSWORD_BYTES

USERNAME_MAX_LENGTH: Final = 150
EMAIL_MAX_LENGTH: Final = 254
PASSWORD_MIN_LENGTH: Final = 8
MAX_SIMILARITY: Final = 0.7

Username = NewType("Username", str)
Email = NewType("Email", str)
Password = NewType("Password", str)

_USERNAME_RE = re.compile(r"^[\w.@+-]+\Z")


# --- usernames -------------------------------------------------------------------------------


def normalize_username(username: str) -> str:
    return unicodedata.normalize("NFKC", username)


def parse_username(raw: object) -> Username:
    """A new username: the stored form, or the rule problems in DRF's validator order."""
    name = normalize_username(text(validate=False)(raw))
    problems: list[FieldError] = []
    if not _USERNAME_RE.match(name):
        problems.append(FieldError("username.invalid"))
    if len(name) > USERNAME_MAX_LENGTH:
        problems.append(FieldError("max_length", {"max_length": USERNAME_MAX_LENGTH}))
    problems.extend(character_problems(name))
    if problems:
        raise Invalid(*problems)
    return Username(name)


@dataclass(frozen=True)
class LoginName:
    """The username given at login: ``lookup`` is matched exactly; ``key`` counts attempts."""

    lookup: str
    key: str


def login_key(name: str) -> str:
    """The rate-limit key of a username: NFKC and case folded, so spellings share a budget."""
    return normalize_username(name).casefold()


def parse_login_name(raw: object) -> LoginName:
    """simplejwt's ``username`` field (a ``CharField``): trimmed, not blank, storable text."""
    lookup = text()(raw)
    return LoginName(lookup=lookup, key=login_key(lookup))


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


def _email(raw: object, *, allow_blank: bool) -> str:
    address = text(allow_blank=allow_blank)(raw) if not isinstance(raw, str) else raw.strip()
    if not address:
        if not allow_blank:
            raise problem("blank")
        return ""
    problems: list[FieldError] = []
    if len(address) > EMAIL_MAX_LENGTH:
        problems.append(FieldError("max_length", {"max_length": EMAIL_MAX_LENGTH}))
    # DRF's ``EmailField``: the CharField validators (NUL, surrogates) run before the address's.
    problems.extend(character_problems(address))
    if not is_valid_email(address):
        problems.append(FieldError("email.invalid"))
    if problems:
        raise Invalid(*problems)
    return address


def parse_email(raw: object) -> Email:
    """An optional address (blank allowed), trimmed, stored as given (djoser's PUT/PATCH)."""
    return Email(_email(raw, allow_blank=True))


def parse_new_email(raw: object) -> Email:
    """A registration address: as ``parse_email``, with the domain part lower-cased, like
    Django's ``BaseUserManager.normalize_email``."""
    return Email(normalize_email(_email(raw, allow_blank=True)))


def parse_lookup_email(raw: object) -> Email:
    """The address of a "mail me a link" request: required, normalised like stored ones."""
    return Email(normalize_email(_email(raw, allow_blank=False)))


def normalize_email(email: str) -> str:
    email = email.strip()
    if "@" not in email:
        return email
    name, domain = email.rsplit("@", 1)
    return f"{name}@{domain.lower()}"


# --- passwords --------------------------------------------------------------------------------


def parse_password(raw: object) -> Password:
    """The field-level checks DRF runs before the validators: trimmed, not blank, NUL and lone
    surrogates refused."""
    return Password(text()(raw))


def parse_current_password(raw: object) -> Password:
    """A password to check against the stored one: only trimmed and not blank."""
    return Password(text()(raw))


@cache
def common_passwords() -> frozenset[str]:
    data = resources.files("citygraph.domain").joinpath("data/common-passwords.txt.gz")
    with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines)


# Django's ``User`` attribute names and the verbose names its similarity message uses.
_SIMILARITY_ATTRIBUTES: Final = (("username", "username"), ("email", "email address"))


def _exceeds_maximum_length_ratio(password: str, max_similarity: float, value: str) -> bool:
    pwd_len = len(password)
    length_bound_similarity = max_similarity / 2 * pwd_len
    value_len = len(value)
    return pwd_len >= 10 * value_len and value_len < length_bound_similarity


def _similarity_problem(password: str, attributes: dict[str, str | None]) -> FieldError | None:
    """Django's ``UserAttributeSimilarityValidator``: the first too-similar attribute, if any."""
    password = password.lower()
    for attribute, verbose_name in _SIMILARITY_ATTRIBUTES:
        value = attributes.get(attribute)
        if not value:
            continue
        value_lower = value.lower()
        for part in [*re.split(r"\W+", value_lower), value_lower]:
            if _exceeds_maximum_length_ratio(password, MAX_SIMILARITY, part):
                continue
            if SequenceMatcher(a=password, b=part).quick_ratio() >= MAX_SIMILARITY:
                return FieldError("password_too_similar", {"verbose_name": verbose_name})
    return None


def password_problems(
    password: str, *, username: str | None = None, email: str | None = None
) -> list[FieldError]:
    """Every problem Django's default validators find, in their order.

    ``username``/``email`` are the account's attributes for the similarity check; pass ``None``
    for both to skip it (djoser's password-reset confirmation validates without a user).
    """
    problems: list[FieldError] = []
    similar = _similarity_problem(password, {"username": username, "email": email})
    if similar:
        problems.append(similar)
    if len(password) < PASSWORD_MIN_LENGTH:
        problems.append(FieldError("password_too_short", {"min_length": PASSWORD_MIN_LENGTH}))
    if password.lower().strip() in common_passwords():
        problems.append(FieldError("password_too_common"))
    if password.isdigit():
        problems.append(FieldError("password_entirely_numeric"))
    if len(password.encode("utf-8", "surrogatepass")) > MAX_PASSWORD_BYTES:
        problems.append(FieldError("password_too_long", {"max_bytes": MAX_PASSWORD_BYTES}))
    return problems
