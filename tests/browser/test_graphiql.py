"""GraphiQL in a real Chromium, offline, under its Content-Security-Policy.

A first visit opens with citygraph's example (districts with their places, and ``placesNear``),
the explorer open and the note on ``Authorization: JWT …``; both example queries run and return
the demo data. Every request goes to the app itself, nothing is refused by the CSP, nothing is
logged as an error, and the page links a favicon that the server has. Screenshots at 1280 and
768 px go to ``test-artifacts/``.

Debian's ``/usr/bin/chromium`` driven by Playwright (no downloaded browser). Without it the test
skips with a loud reason locally and fails in CI (``CI=true``).
"""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from citygraph.config import Settings
from citygraph.graphql.graphiql import find_assets_dir
from citygraph.services import Services
from tests.support.browser import (
    ARTIFACTS,
    PageWatch,
    assert_security_headers,
    require,
)
from tests.support.server import live_server

pytestmark = pytest.mark.browser

EDITOR = ".graphiql-query-editor .CodeMirror"
RESPONSE = ".graphiql-response .CodeMirror"

# Each comment line of the example ends inside the editor: nothing is cut off at its edge.
COMMENTS_FIT = """() => {
  const scroller = document.querySelector(".graphiql-query-editor .CodeMirror-scroll");
  const right = scroller.getBoundingClientRect().right;
  return [...document.querySelectorAll(".graphiql-query-editor .CodeMirror-line")]
    .filter((line) => line.querySelector(".cm-comment"))
    .map((line) => [
      line.textContent,
      line.firstElementChild.getBoundingClientRect().right <= right,
    ]);
}"""


async def run_operation(page: Page, name: str) -> None:
    await page.locator(".graphiql-execute-button").click()
    await page.get_by_role("menuitem", name=name).click()


async def test_first_visit_runs_the_examples(
    browser: Browser, demo: Services, settings: Settings
) -> None:
    require(find_assets_dir() is not None, "GraphiQL assets are missing (run `make assets`)")
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(settings) as base:
        for width in (1280, 768):
            # A context of its own: empty localStorage, as on a first visit.
            context = await browser.new_context(viewport={"width": width, "height": 800})
            page = await context.new_page()
            watch = await PageWatch.attach(page, base)
            response = await page.goto(f"{base}/graphql", wait_until="networkidle")
            assert response is not None and response.status == 200
            assert_security_headers(await response.all_headers())

            editor = page.locator(EDITOR)
            # GraphiQL parses 3.5 MB of script before it renders: slow on a busy machine.
            await expect(editor).to_contain_text("query DistrictsWithPlaces", timeout=30_000)
            await expect(editor).to_contain_text("placesNear(")
            assert not await editor.get_by_text("Welcome to GraphiQL").count()
            if width == 1280:
                cut_off = [text for text, fits in await page.evaluate(COMMENTS_FIT) if not fits]
                assert cut_off == [], f"comment lines cut off at the editor's edge: {cut_off}"
            # The explorer appears once the schema's introspection has answered.
            await expect(page.locator(".graphiql-explorer-root")).to_be_visible(timeout=20_000)
            await expect(page.locator(".citygraph-auth-note")).to_be_visible()
            await expect(page.locator(".citygraph-auth-note")).to_contain_text(
                '{"Authorization": "JWT <access token>"} in the Headers tab'
            )
            await expect(page.get_by_role("region", name="Headers")).to_be_visible()

            await run_operation(page, "DistrictsWithPlaces")
            result = page.locator(RESPONSE)
            await expect(result).to_contain_text('"abbreviation": "ЦАО"', timeout=20_000)
            await expect(result).to_contain_text("Красная площадь")
            await page.screenshot(path=str(ARTIFACTS / f"graphiql-{width}.png"))

            await run_operation(page, "PlacesNearRedSquare")
            await expect(result).to_contain_text('"distanceMeters": 0', timeout=20_000)
            await expect(result).to_contain_text("Московский Кремль")

            icon = await page.evaluate(
                "fetch(document.querySelector('link[rel~=icon]').href)"
                ".then(r => [r.status, r.headers.get('content-type')])"
            )
            assert icon == [200, "image/svg+xml"]
            await watch.assert_clean(page)
            await context.close()
