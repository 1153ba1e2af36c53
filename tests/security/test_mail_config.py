from __future__ import annotations

import pytest

from citygraph.config import Settings
from citygraph.mail import MailConfigurationError, account_link, link_base, parse_smtp_url


def test_smtp_urls() -> None:
    plain = parse_smtp_url("smtp://127.0.0.1:1025")
    assert (plain.hostname, plain.port, plain.username, plain.start_tls) == (
        "127.0.0.1",
        1025,
        None,
        None,
    )
    auth = parse_smtp_url("smtp://us%40er:p%3Ass@mail.example.com:587?starttls=1&timeout=3")
    assert (auth.username, auth.password, auth.start_tls, auth.timeout) == (
        "us@er",
        "p:ss",
        True,
        3.0,
    )
    tls = parse_smtp_url("smtps://mail.example.com")
    assert (tls.port, tls.use_tls, tls.start_tls) == (465, True, False)
    for bad in ("http://x", "smtp://", "smtp://h?starttls=maybe", "smtp://h:99999999"):
        with pytest.raises(MailConfigurationError):
            parse_smtp_url(bad)


def test_links_follow_the_template() -> None:
    settings = Settings()
    assert account_link(settings, settings.activation_url_template, "MQ", "t-1") == (
        "http://127.0.0.1:8000/activate/MQ/t-1"
    )
    assert account_link(settings, "https://app.example/a/{uid}?t={token}", "MQ", "t") == (
        "https://app.example/a/MQ?t=t"
    )
    # djoser's templates stay configurable.
    djoser = Settings(CITYGRAPH_PASSWORD_RESET_URL="#/password/reset/confirm/{uid}/{token}")  # type: ignore[call-arg]
    assert account_link(djoser, djoser.password_reset_url_template, "MQ", "t", "http://h:81/") == (
        "http://h:81/#/password/reset/confirm/MQ/t"
    )


def test_link_base_order() -> None:
    """A frontend of one's own, else the public URL, else where the request was served."""
    served = "http://127.0.0.1:8123/"
    assert link_base(Settings(), served) == served
    assert link_base(Settings(), None) == "http://127.0.0.1:8000/"
    public = Settings(CITYGRAPH_PUBLIC_URL="https://api.example/")  # type: ignore[call-arg]
    assert link_base(public, served) == "https://api.example/"
    both = Settings(  # type: ignore[call-arg]
        CITYGRAPH_PUBLIC_URL="https://api.example/", CITYGRAPH_FRONTEND_URL="https://app.example"
    )
    assert link_base(both, served) == "https://app.example"
    assert account_link(both, both.activation_url_template, "MQ", "t", served) == (
        "https://app.example/activate/MQ/t"
    )
