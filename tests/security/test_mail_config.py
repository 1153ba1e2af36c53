from __future__ import annotations

import pytest

from citygraph.config import Settings
from citygraph.mail import MailConfigurationError, account_link, parse_smtp_url


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
        "http://127.0.0.1:8000/#/activate/MQ/t-1"
    )
    assert account_link(settings, "https://app.example/a/{uid}?t={token}", "MQ", "t") == (
        "https://app.example/a/MQ?t=t"
    )
