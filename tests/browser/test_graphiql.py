"""GraphiQL in a real Chromium, offline: open /graphql, run a districts query, see «Центральный».

Debian's ``/usr/bin/chromium`` driven by Playwright (no downloaded browser). Without it the test
skips with a loud reason locally and fails in CI (``CI=true``). Every request the page makes must
go to the app itself: the explorer works with no internet. A screenshot is saved to
``test-artifacts/graphiql.png``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlparse

import pytest

from citygraph.config import Settings
from citygraph.demo.loader import load_demo
from citygraph.domain.policy import SYSTEM
from citygraph.domain.unit import unit_of_work
from citygraph.graphql.graphiql import find_assets_dir
from citygraph.services import Services
from tests.conftest import make_settings
from tests.support.browser import ARTIFACTS, CHROMIUM_ARGS, require, require_chromium
from tests.support.server import live_server

SCREENSHOT = ARTIFACTS / "graphiql.png"
QUERY = "{\n  districts {\n    id\n    title\n    abbreviation\n  }\n}"


async def _load_demo(settings: Settings) -> None:
    services = Services.from_settings(settings)
    try:
        async with unit_of_work(services, actor=SYSTEM) as uow:
            await load_demo(uow)
    finally:
        await services.aclose()


@pytest.mark.browser
def test_graphiql_runs_a_query_offline(sqlite_url: str, tmp_path: Path) -> None:
    chromium = require_chromium()
    require(find_assets_dir() is not None, "GraphiQL assets are missing (run `make assets`)")
    from playwright.sync_api import expect, sync_playwright

    # A database of its own: the demo data must not leak into other tests' sqlite file.
    database = f"sqlite+aiosqlite:///{tmp_path / 'browser.sqlite3'}"
    from citygraph import migrate

    migrate.upgrade(database)
    settings = make_settings(database, tmp_path / "media")
    asyncio.run(_load_demo(settings))

    foreign: list[str] = []
    with live_server(settings) as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 850})
            page.on(
                "request",
                lambda request: (
                    foreign.append(request.url)
                    if urlparse(request.url).scheme in ("http", "https", "ws", "wss")
                    and urlparse(request.url).hostname != "127.0.0.1"
                    else None
                ),
            )
            page.goto(f"{base_url}/graphql", wait_until="networkidle")
            editor = page.locator(".graphiql-query-editor .CodeMirror")
            editor.wait_for(state="visible", timeout=20_000)
            page.evaluate(
                "q => document.querySelector('.graphiql-query-editor .CodeMirror')"
                ".CodeMirror.setValue(q)",
                QUERY,
            )
            page.locator(".graphiql-execute-button").click()
            result = page.locator(".graphiql-response .CodeMirror")
            expect(result).to_contain_text("Центральный", timeout=20_000)
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT))
        finally:
            browser.close()
    assert foreign == [], f"the page reached other hosts: {foreign}"
    assert SCREENSHOT.exists()
