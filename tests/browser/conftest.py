"""Fixtures of the browser tests: Debian's Chromium, and a database holding the demo data."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, async_playwright

from citygraph.demo.loader import load_demo
from citygraph.domain.policy import SYSTEM
from citygraph.domain.unit import unit_of_work
from citygraph.services import Services
from tests.support.browser import CHROMIUM_ARGS, require_chromium


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """One Chromium for the session (starting it is the slow part); every test opens contexts
    of its own, which share no cookies, storage or cache with another test's."""
    chromium = require_chromium()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
async def demo(services: Services) -> Services:
    """``services`` (SQLite, then PostgreSQL) with ``citygraph load-demo``'s data."""
    async with unit_of_work(services, actor=SYSTEM) as uow:
        await load_demo(uow)
    return services
