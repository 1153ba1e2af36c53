"""Deliver the outbox now, as ``citygraph outbox flush`` does: tests need no running worker."""

from __future__ import annotations

from citygraph.outbox import PassReport
from citygraph.services import Services


async def deliver_mail(services: Services) -> PassReport:
    """Send every undelivered message once (the SMTP server of the test collects them)."""
    return await services.outbox.flush()
