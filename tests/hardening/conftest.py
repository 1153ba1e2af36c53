"""The hardening tests send real mail where an account flow needs it (the accounts tests' SMTP
server, aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

from tests.accounts.conftest import outbox, settings, smtp_server

__all__ = ["outbox", "settings", "smtp_server"]
