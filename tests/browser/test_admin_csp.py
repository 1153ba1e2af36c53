"""The admin in a real Chromium under the site's strict Content-Security-Policy: no inline code,
nothing from elsewhere, and no page of it records a violation, an error or a failed request;
the flash messages and the upload preview (moved out of sqladmin's inline scripts) still work.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from citygraph.config import Settings
from citygraph.services import Services
from tests.admin.conftest import PASSWORD, make_user, png
from tests.support.browser import ARTIFACTS, PageWatch, assert_security_headers
from tests.support.server import live_server

pytestmark = pytest.mark.browser

PAGES = (
    "/admin/",
    "/admin/district/list",
    "/admin/district/create",
    "/admin/place/list",
    "/admin/place/create",
    "/admin/place-image/list",
    "/admin/user/list",
)


async def visit(page: Page, url: str) -> dict[str, list[str]]:
    response = await page.goto(url, wait_until="networkidle")
    assert response is not None and response.status == 200, url
    return assert_security_headers(await response.all_headers())


async def test_admin_pages_work_under_a_strict_csp(
    browser: Browser, settings: Settings, services: Services, tmp_path: Path
) -> None:
    await make_user(services, "operator", staff=True, superuser=True)
    image = tmp_path / "preview.png"
    image.write_bytes(png("teal", (64, 40)))
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(settings) as base:
        context = await browser.new_context(viewport={"width": 1280, "height": 800})
        page = await context.new_page()
        watch = await PageWatch.attach(page, base)

        policy = await visit(page, f"{base}/admin/login")
        assert policy["style-src"] == ["'self'"]
        assert all("'unsafe-inline'" not in sources for sources in policy.values())
        await page.fill("input[name=username]", "operator")
        await page.fill("input[name=password]", PASSWORD)
        await page.click("button[type=submit]")
        await expect(page).to_have_url(f"{base}/admin/")

        for path in PAGES:
            await visit(page, f"{base}{path}")
            await watch.assert_clean(page)

        # The preview of a chosen file: a blob: image, allowed by img-src.
        await visit(page, f"{base}/admin/district/create")
        await page.set_input_files("input[name=image]", str(image))
        preview = page.locator(".admin-preview img")
        await expect(preview).to_have_count(1)
        await page.wait_for_function(
            "() => document.querySelector('.admin-preview img')?.naturalWidth === 64"
        )

        # A flash message: the toast citygraph-admin.js shows (sqladmin did it inline).
        await visit(page, f"{base}/admin/user/list")
        # As the actions menu does: a same-origin navigation (the CSRF guard wants one).
        async with page.expect_navigation():
            await page.evaluate("location.href = '/admin/user/action/activate?pks='")
        toast = page.locator(".toast.admin-toast")
        await expect(toast).to_contain_text("Select at least one account first.")
        await expect(toast).to_be_visible()
        await page.screenshot(path=str(ARTIFACTS / "admin-csp-flash.png"))
        await watch.assert_clean(page)
        await context.close()
