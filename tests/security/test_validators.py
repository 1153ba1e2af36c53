"""Registration field rules: the original's messages, in the original's order (REPORT cases)."""

from __future__ import annotations

import pytest

from citygraph.domain import credentials as c
from citygraph.domain.messages import render
from citygraph.domain.parsers import Invalid

SIMILAR_USERNAME = "The password is too similar to the username."
SIMILAR_EMAIL = "The password is too similar to the email address."
BLANK = render("blank")
INVALID_USERNAME = render("username.invalid")
INVALID_EMAIL = render("email.invalid")
PASSWORD_TOO_SHORT = render("password_too_short", {"min_length": 8})
PASSWORD_TOO_COMMON = render("password_too_common")
PASSWORD_NUMERIC = render("password_entirely_numeric")
PASSWORD_TOO_LONG = render("password_too_long", {"max_bytes": 72})


def max_length_message(limit: int) -> str:
    return render("max_length", {"max_length": limit})


def username_problems(raw: str) -> list[str]:
    """What ``parse_username`` refuses ``raw`` for, as texts (none: it parses)."""
    try:
        c.parse_username(raw)
    except Invalid as exc:
        return [error.message for error in exc.errors]
    return []


def email_problems(raw: str) -> list[str]:
    try:
        c.parse_email(raw)
    except Invalid as exc:
        return [error.message for error in exc.errors]
    return []


def validate_password(password: str, *, username: str | None, email: str | None) -> list[str]:
    problems = c.password_problems(password, username=username, email=email)
    return [problem.message for problem in problems]


@pytest.mark.parametrize(
    ("username", "problems"),
    [
        ("dave", []),
        ("Иван_Петров", []),
        ("a.b+c-d_e@f", []),
        ("ünï٣", []),
        ("u" * 150, []),
        ("u" * 151, [max_length_message(150)]),
        ("\ufb00" * 76, [max_length_message(150)]),  # 76 ligatures, 152 letters once NFKC'd
        ("!" * 151, [INVALID_USERNAME, max_length_message(150)]),
        ("bad name", [INVALID_USERNAME]),
        ("имя пользователя", [INVALID_USERNAME]),
        ("emoji😀", [INVALID_USERNAME]),
        ("a,b", [INVALID_USERNAME]),
        ("", [BLANK]),
    ],
)
def test_username_rules(username: str, problems: list[str]) -> None:
    assert username_problems(username) == problems


def test_fullwidth_username_is_nfkc_normalised() -> None:
    assert c.normalize_username("ａｌｉｃｅ") == "alice"


@pytest.mark.parametrize(
    ("email", "valid"),
    [
        ("a@localhost", True),
        ("user@пример.рф", True),
        ("Erin.X@EXAMPLE.COM", True),
        ('"quoted"@example.com', True),
        ('"quoted name"@example.com', False),
        ("x@[::1]", True),
        ("x@[127.0.0.1]", True),
        ("not-an-email", False),
        ("a@b", False),
        ("a@b.c", False),
        ("a b@example.com", False),
        ("x@[999.1.1.1]", False),
        ("a@-example.com", False),
    ],
)
def test_email_is_djangos_email_validator(email: str, valid: bool) -> None:
    assert c.is_valid_email(email) is valid


def test_email_problems_and_normalisation() -> None:
    assert email_problems("") == []
    assert email_problems("bad") == [INVALID_EMAIL]
    assert email_problems("x" * 300 + "@example.com") == [max_length_message(254)]
    assert c.normalize_email(" Erin.X@EXAMPLE.COM ") == "Erin.X@example.com"


@pytest.mark.parametrize(
    ("password", "username", "email", "problems"),
    [
        ("Xy7!pQz9-long", "dave", "", []),
        ("Xy7!a", "pw1", "", [PASSWORD_TOO_SHORT]),
        ("password123", "pw2", "", [PASSWORD_TOO_COMMON]),
        ("PASSWORD", "pw2b", "", [PASSWORD_TOO_COMMON]),
        ("73920184756", "pw3", "", [PASSWORD_NUMERIC]),
        ("1234", "pw4", "", [PASSWORD_TOO_SHORT, PASSWORD_TOO_COMMON, PASSWORD_NUMERIC]),
        ("johnsmith1", "johnsmith", "", [SIMILAR_USERNAME]),
        ("magnificent1", "pw5", "magnificent@example.com", [SIMILAR_EMAIL]),
        ("crossing99", "pw6", "zebra.crossing@example.com", [SIMILAR_EMAIL]),
        (
            "qwertyuiop",
            "qwertyuiop",
            "qwertyuiop@example.com",
            [SIMILAR_USERNAME, PASSWORD_TOO_COMMON],
        ),
        (
            "12345",
            "12345",
            "",
            [SIMILAR_USERNAME, PASSWORD_TOO_SHORT, PASSWORD_TOO_COMMON, PASSWORD_NUMERIC],
        ),
        ("abcdef", "abcdefg", "", [SIMILAR_USERNAME, PASSWORD_TOO_SHORT, PASSWORD_TOO_COMMON]),
        (
            "9876543210",
            "987654321",
            "",
            [SIMILAR_USERNAME, PASSWORD_TOO_COMMON, PASSWORD_NUMERIC],
        ),
        ("Xy7!Xy7!", "eightpw", "", []),
        ("Xy7!Xy7", "sevenpw", "", [PASSWORD_TOO_SHORT]),
    ],
)
def test_password_validators_match_django(
    password: str, username: str, email: str, problems: list[str]
) -> None:
    assert validate_password(password, username=username, email=email) == problems


def test_passwords_over_72_bytes_are_refused_with_a_field_message() -> None:
    assert validate_password("Zq9!" * 18, username="x", email="") == []  # exactly 72 bytes
    assert validate_password("Zq9!" * 18 + "x", username="x", email="") == [PASSWORD_TOO_LONG]
    # 37 Cyrillic letters are 74 bytes although only 37 characters.
    assert PASSWORD_TOO_LONG in validate_password("ж" * 37, username="x", email="")


def test_similarity_skipped_without_attributes() -> None:
    assert validate_password("johnsmith1", username=None, email=None) == []


def test_common_password_list_is_djangos() -> None:
    common = c.common_passwords()
    assert len(common) == 19640
    assert {"password", "qwertyuiop", "123456"} <= common
