"""Registration field rules: the original's messages, in the original's order (REPORT cases)."""

from __future__ import annotations

import pytest

from citygraph.security import validators as v

SIMILAR_USERNAME = "The password is too similar to the username."
SIMILAR_EMAIL = "The password is too similar to the email address."


@pytest.mark.parametrize(
    ("username", "problems"),
    [
        ("dave", []),
        ("Иван_Петров", []),
        ("a.b+c-d_e@f", []),
        ("ünï٣", []),
        ("u" * 150, []),
        ("u" * 151, [v.max_length_message(150)]),
        ("!" * 151, [v.INVALID_USERNAME, v.max_length_message(150)]),
        ("bad name", [v.INVALID_USERNAME]),
        ("имя пользователя", [v.INVALID_USERNAME]),
        ("emoji😀", [v.INVALID_USERNAME]),
        ("a,b", [v.INVALID_USERNAME]),
        ("", [v.BLANK]),
    ],
)
def test_username_rules(username: str, problems: list[str]) -> None:
    assert v.username_problems(username) == problems


def test_fullwidth_username_is_nfkc_normalised() -> None:
    assert v.normalize_username("ａｌｉｃｅ") == "alice"


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
    assert v.is_valid_email(email) is valid


def test_email_problems_and_normalisation() -> None:
    assert v.email_problems("") == []
    assert v.email_problems("bad") == [v.INVALID_EMAIL]
    assert v.email_problems("x" * 300 + "@example.com") == [v.max_length_message(254)]
    assert v.normalize_email(" Erin.X@EXAMPLE.COM ") == "Erin.X@example.com"


@pytest.mark.parametrize(
    ("password", "username", "email", "problems"),
    [
        ("Xy7!pQz9-long", "dave", "", []),
        ("Xy7!a", "pw1", "", [v.PASSWORD_TOO_SHORT]),
        ("password123", "pw2", "", [v.PASSWORD_TOO_COMMON]),
        ("PASSWORD", "pw2b", "", [v.PASSWORD_TOO_COMMON]),
        ("73920184756", "pw3", "", [v.PASSWORD_NUMERIC]),
        ("1234", "pw4", "", [v.PASSWORD_TOO_SHORT, v.PASSWORD_TOO_COMMON, v.PASSWORD_NUMERIC]),
        ("johnsmith1", "johnsmith", "", [SIMILAR_USERNAME]),
        ("magnificent1", "pw5", "magnificent@example.com", [SIMILAR_EMAIL]),
        ("crossing99", "pw6", "zebra.crossing@example.com", [SIMILAR_EMAIL]),
        (
            "qwertyuiop",
            "qwertyuiop",
            "qwertyuiop@example.com",
            [SIMILAR_USERNAME, v.PASSWORD_TOO_COMMON],
        ),
        (
            "12345",
            "12345",
            "",
            [SIMILAR_USERNAME, v.PASSWORD_TOO_SHORT, v.PASSWORD_TOO_COMMON, v.PASSWORD_NUMERIC],
        ),
        ("abcdef", "abcdefg", "", [SIMILAR_USERNAME, v.PASSWORD_TOO_SHORT, v.PASSWORD_TOO_COMMON]),
        (
            "9876543210",
            "987654321",
            "",
            [SIMILAR_USERNAME, v.PASSWORD_TOO_COMMON, v.PASSWORD_NUMERIC],
        ),
        ("Xy7!Xy7!", "eightpw", "", []),
        ("Xy7!Xy7", "sevenpw", "", [v.PASSWORD_TOO_SHORT]),
    ],
)
def test_password_validators_match_django(
    password: str, username: str, email: str, problems: list[str]
) -> None:
    assert v.validate_password(password, username=username, email=email) == problems


def test_passwords_over_72_bytes_are_refused_with_a_field_message() -> None:
    assert v.validate_password("Zq9!" * 18, username="x", email="") == []  # exactly 72 bytes
    assert v.validate_password("Zq9!" * 18 + "x", username="x", email="") == [v.PASSWORD_TOO_LONG]
    # 37 Cyrillic letters are 74 bytes although only 37 characters.
    assert v.PASSWORD_TOO_LONG in v.validate_password("ж" * 37, username="x", email="")


def test_similarity_skipped_without_attributes() -> None:
    assert v.validate_password("johnsmith1", username=None, email=None) == []


def test_common_password_list_is_djangos() -> None:
    common = v.common_passwords()
    assert len(common) == 19640
    assert {"password", "qwertyuiop", "123456"} <= common
