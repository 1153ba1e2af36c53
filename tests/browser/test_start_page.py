"""The start page in a real Chromium, under its strict Content-Security-Policy.

Its stylesheet is a served file (no inline ``<style>`` under ``style-src 'self'``), its favicon
is served, nothing is refused or logged as an error. Screenshots at 1280 and 768 px.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.conftest import make_settings
from tests.support.browser import ARTIFACTS, PageWatch, assert_security_headers
from tests.support.server import live_server

pytestmark = pytest.mark.browser


async def test_start_page_under_its_csp(browser: Browser, sqlite_url: str, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(make_settings(sqlite_url, tmp_path / "media")) as base:
        for width in (1280, 768):
            context = await browser.new_context(viewport={"width": width, "height": 700})
            page = await context.new_page()
            watch = await PageWatch.attach(page, base)
            response = await page.goto(f"{base}/", wait_until="networkidle")
            assert response is not None and response.status == 200
            policy = assert_security_headers(await response.all_headers())
            assert policy["style-src"] == ["'self'"]

            await expect(page.get_by_role("link", name="GraphQL explorer")).to_be_visible()
            # The served stylesheet applied: 42rem wide column, not the browser's default.
            assert await page.evaluate("getComputedStyle(document.body).maxWidth") == "672px"
            icon = await page.evaluate(
                "fetch(document.querySelector('link[rel~=icon]').href)"
                ".then(r => [r.status, r.headers.get('content-type')])"
            )
            assert icon == [200, "image/svg+xml"]
            await page.screenshot(path=str(ARTIFACTS / f"start-page-{width}.png"))
            await watch.assert_clean(page)
            await context.close()
