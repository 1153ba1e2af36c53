"""The links in account e-mails, end to end: a real SMTP server (aiosmtpd) receives the mail,
Chromium opens the link it contains, and the page does what the link is for.

- the activation link points at the port the app was served on and its page activates;
- the password-reset page sets a new password (the old one stops working);
- the username-reset page renames the account;
- a djoser-style ``/#/activate/…`` link (what the original service mailed) reaches the same
  page, which reports a used link as the API words it.

Every page runs under its strict CSP with nothing refused, no other host reached and no console
error. Both databases; screenshots in ``test-artifacts/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from citygraph.config import Settings
from citygraph.services import Services
from tests.conftest import make_settings
from tests.support.browser import ARTIFACTS, PageWatch, assert_security_headers
from tests.support.server import live_server
from tests.support.smtp import Outbox, smtp_outbox

pytestmark = pytest.mark.browser

PASSWORD = "Xy7!pQz9-long"
NEW_PASSWORD = "Lq3#vRt8-other"


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[tuple[Outbox, int]]:
    with smtp_outbox() as server:
        yield server


@pytest.fixture
def settings(database_url: str, tmp_path: Path, smtp_server: tuple[Outbox, int]) -> Settings:
    smtp_server[0].messages.clear()
    return make_settings(
        database_url, tmp_path / "media", CITYGRAPH_SMTP_URL=f"smtp://127.0.0.1:{smtp_server[1]}"
    )


async def gql(base: str, query: str, **variables: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base) as client:
        response = await client.post("/graphql", json={"query": query, "variables": variables})
    body: dict[str, Any] = response.json()
    return body


async def login_works(base: str, username: str, password: str) -> bool:
    body = await gql(
        base,
        "mutation($u: String!, $p: String!) { createToken(username: $u, password: $p) { access } }",
        u=username,
        p=password,
    )
    return "errors" not in body


async def open_link(browser: Browser, base: str, url: str, shot: str) -> tuple[Page, PageWatch]:
    context = await browser.new_context(viewport={"width": 1280, "height": 700})
    page = await context.new_page()
    watch = await PageWatch.attach(page, base)
    response = await page.goto(url, wait_until="networkidle")
    assert response is not None and response.status == 200
    assert_security_headers(await response.all_headers())
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"account-{shot}-open.png"))
    return page, watch


async def outcome(page: Page, expected: str, shot: str) -> str:
    status = page.locator("#account-status")
    await expect(page.locator(f'#account[data-outcome="{expected}"]')).to_be_attached()
    await page.screenshot(path=str(ARTIFACTS / f"account-{shot}-{expected}.png"))
    return await status.inner_text()


async def test_mailed_links_work_in_chromium(
    browser: Browser, services: Services, settings: Settings, smtp_server: tuple[Outbox, int]
) -> None:
    outbox = smtp_server[0]
    with live_server(settings) as base:
        registered = await gql(
            base,
            "mutation($u: String!, $p: String!, $e: String!) "
            "{ registerAccount(username: $u, password: $p, email: $e) { id } }",
            u="anna",
            p=PASSWORD,
            e="anna@example.com",
        )
        assert "errors" not in registered, registered

        # Activation: the link names the port this server listens on, and its page activates.
        [activation] = await outbox.wait_for_urls("activate")
        assert activation.startswith(f"{base}/activate/"), activation
        assert not await login_works(base, "anna", PASSWORD)
        page, watch = await open_link(browser, base, activation, "activate")
        assert "anna" in await outcome(page, "done", "activate")
        await watch.assert_clean(page)
        await page.context.close()
        assert await login_works(base, "anna", PASSWORD)

        # The same link again, in djoser's form: forwarded to the page, which says it is used.
        djoser_style = activation.replace(f"{base}/activate/", f"{base}/#/activate/")
        page, watch = await open_link(browser, base, djoser_style, "activate-again")
        assert page.url == activation
        assert "Stale token for given user." in await outcome(page, "error", "activate-again")
        await page.context.close()

        # Password reset: the page sets the new password; the old one stops working.
        await gql(
            base, "mutation($e: String!) { requestPasswordReset(email: $e) }", e="anna@example.com"
        )
        [reset] = await outbox.wait_for_urls("password/reset/confirm")
        assert reset.startswith(f"{base}/password/reset/confirm/"), reset
        page, watch = await open_link(browser, base, reset, "password-reset")
        await page.get_by_label("New password").fill("short")
        await page.get_by_role("button").click()
        assert "too short" in await outcome(page, "error", "password-reset")
        await page.get_by_label("New password").fill(NEW_PASSWORD)
        await page.get_by_role("button").click()
        assert "changed" in await outcome(page, "done", "password-reset")
        await expect(page.locator("#account-form")).to_be_hidden()
        await watch.assert_clean(page)
        await page.context.close()
        assert await login_works(base, "anna", NEW_PASSWORD)
        assert not await login_works(base, "anna", PASSWORD)

        # Username reset: the page renames the account.
        await gql(
            base, "mutation($e: String!) { requestUsernameReset(email: $e) }", e="anna@example.com"
        )
        [rename] = await outbox.wait_for_urls("username/reset/confirm")
        page, watch = await open_link(browser, base, rename, "username-reset")
        await page.get_by_label("New username").fill("anna_k")
        await page.get_by_role("button").click()
        assert "anna_k" in await outcome(page, "done", "username-reset")
        await watch.assert_clean(page)
        await page.context.close()
        assert await login_works(base, "anna_k", NEW_PASSWORD)
