"""The REST API docs (Swagger UI 5 over the OpenAPI 3.1 document) in a real Chromium.

Every operation renders; "Try it out" runs ``GET /api/v1/disticts/`` and shows the 200 body;
``GET /auth/users/me/`` is refused (401) until the page is authorized with ``JWT <access>``
obtained through the page's own ``POST /auth/jwt/create/``, and then answers 200 (a bare token
pasted into Authorize gets the ``JWT`` keyword). The page runs
under its Content-Security-Policy with no violation, no console error and no request to
another host. Screenshots at 1280 and 768 px go to ``test-artifacts/``.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.async_api import Browser, Locator, Page, expect

from citygraph.config import Settings
from citygraph.services import Services
from compat import openapi
from compat.apidocs import find_assets_dir
from tests.support.browser import ARTIFACTS, PageWatch, assert_security_headers, require
from tests.support.server import live_server
from tests.support.users import create_account

pytestmark = pytest.mark.browser
# Swagger UI parses 1.7 MB of script and the document before it renders: slow on a busy machine.
RENDERED = 30_000

USERNAME = "reader"
PASSWORD = "Lantern-Ocean-73"
METHODS = {"get", "put", "post", "delete", "patch"}
OPERATIONS = sum(1 for item in openapi.PATHS.values() for method in item if method in METHODS)
STATUS = re.compile(r"^\s*\d{3}\s*$")


async def open_operation(page: Page, tag: str, operation_id: str) -> Locator:
    block = page.locator(f"#operations-{tag}-{operation_id}")
    await block.locator(".opblock-summary-control").click()
    await block.get_by_role("button", name="Try it out").click()
    return block


async def execute(block: Locator) -> tuple[str, str]:
    """Run the operation; its live response's status code and body text (an earlier response
    is cleared first, so it cannot be read in place of this one)."""
    clear = block.get_by_role("button", name="Clear")
    if await clear.count():
        await clear.click()
        await expect(block.locator(".live-responses-table")).to_have_count(0)
    await block.get_by_role("button", name="Execute").click()
    status = block.locator(".live-responses-table .response .response-col_status")
    await expect(status).to_have_text(STATUS, timeout=20_000)
    body = block.locator(".live-responses-table .response-col_description pre.microlight")
    return (await status.inner_text()).strip(), await body.first.inner_text()


async def authorize(page: Page, value: str) -> None:
    """Authorize's dialog: log out of any earlier value, apply ``value``, close."""
    await page.locator(".auth-wrapper .authorize").click()
    dialog = page.locator(".dialog-ux .modal-ux")
    logout = dialog.get_by_role("button", name="Remove authorization")
    if await logout.count():
        await logout.click()
    field = dialog.locator("input")
    await field.fill(value)
    # The dialog may re-render as it opens: Apply only once the value is in the field.
    await expect(field).to_have_value(value)
    await dialog.get_by_role("button", name="Apply credentials").click()
    await expect(logout).to_be_visible()
    await dialog.get_by_role("button", name="Close").click()


async def test_docs_render_try_it_out_and_authorize(
    browser: Browser, demo: Services, settings: Settings
) -> None:
    require(find_assets_dir() is not None, "Swagger UI assets are missing (run `make assets`)")
    await create_account(
        demo, USERNAME, email="reader@example.com", password=PASSWORD, active=True, staff=False
    )
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(settings) as base:
        for width in (1280, 768):
            context = await browser.new_context(viewport={"width": width, "height": 900})
            page = await context.new_page()
            watch = await PageWatch.attach(page, base)
            response = await page.goto(f"{base}/api/docs", wait_until="networkidle")
            assert response is not None and response.status == 200
            assert_security_headers(await response.all_headers())

            await expect(page.locator(".information-container .title")).to_contain_text(
                "citygraph REST compatibility API", timeout=RENDERED
            )
            await expect(page.locator(".opblock")).to_have_count(OPERATIONS)
            await expect(page.locator(".swagger-ui .errors-wrapper")).to_have_count(0)
            await page.screenshot(path=str(ARTIFACTS / f"api-docs-{width}.png"), full_page=True)

            districts = await open_operation(page, "places", "listDistricts")
            status, body = await execute(districts)
            assert status == "200"
            assert json.loads(body)[0]["title"] == "Центральный"
            await watch.assert_clean(page)
            await context.close()

        # Signing in, at 1280 px: the token comes from the page's own "Try it out".
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        watch = await PageWatch.attach(page, base)
        await page.goto(f"{base}/api/docs", wait_until="networkidle")
        await expect(page.locator("#operations-accounts-me")).to_be_visible(timeout=RENDERED)

        me = await open_operation(page, "accounts", "me")
        status, body = await execute(me)
        assert status == "401"
        assert "Authentication credentials were not provided." in body

        login = await open_operation(page, "tokens", "tokenCreate")
        await login.locator("textarea.body-param__text").fill(
            json.dumps({"username": USERNAME, "password": PASSWORD})
        )
        status, body = await execute(login)
        assert status == "200", body
        access = json.loads(body)["access"]

        await authorize(page, f"JWT {access}")
        status, body = await execute(me)
        assert status == "200", body
        assert json.loads(body)["username"] == USERNAME
        curl = await me.locator(".curl-command").inner_text()
        assert f"Authorization: JWT {access}" in curl

        # A bare token pasted into Authorize gets the keyword the REST face needs.
        await authorize(page, access)
        status, body = await execute(me)
        assert status == "200", body
        assert f"Authorization: JWT {access}" in await me.locator(".curl-command").inner_text()
        await page.screenshot(path=str(ARTIFACTS / "api-docs-authorized.png"))
        await watch.assert_clean(page)
        await context.close()
