from __future__ import annotations

import logging

import pytest

from citygraph.config import Settings
from citygraph.mail import LinkParts, Mailer, activation_message


async def test_without_smtp_the_message_goes_to_the_log(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings()
    mailer = Mailer(settings)
    subject, body = activation_message(settings, LinkParts("dev", "MQ", "abc-123"))
    with caplog.at_level(logging.INFO, logger="citygraph.mail"):
        await mailer.send("dev@example.com", subject, body)
    assert "http://127.0.0.1:8000/activate/MQ/abc-123" in caplog.text
    assert "dev@example.com" in caplog.text
