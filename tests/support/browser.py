"""Debian's Chromium for the real-browser tests (Playwright drives it; no downloaded browser)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import ConsoleMessage, Page, Request, Response

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps dialling out on a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
IN_CI = os.environ.get("CI", "").lower() == "true"


def require(condition: bool, what: str) -> None:
    """Skip loudly on a developer's machine; fail in CI, where everything must run."""
    if condition:
        return
    message = f"BROWSER TEST NOT RUN: {what}"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def require_chromium() -> Path:
    require(CHROMIUM.exists(), f"{CHROMIUM} is missing: `apt-get install -y chromium`")
    return CHROMIUM


# Recorded in the page itself: every Content-Security-Policy violation, whatever the console says.
CSP_RECORDER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""


@dataclass
class PageWatch:
    """What a page did that a person would not want: other hosts, errors, CSP violations."""

    server: str
    foreign: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @classmethod
    async def attach(cls, page: Page, base_url: str) -> PageWatch:
        watch = cls(server=urlsplit(base_url).netloc)
        await page.add_init_script(CSP_RECORDER)
        page.on("request", watch._on_request)
        page.on("response", watch._on_response)
        page.on("requestfailed", watch._on_failed)
        page.on("console", watch._on_console)
        page.on("pageerror", lambda error: watch.console_errors.append(f"pageerror {error}"))
        return watch

    def _on_request(self, request: Request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != self.server:
            self.foreign.append(request.url)

    def _on_failed(self, request: Request) -> None:
        # A request the browser itself dropped because the page moved on (a font still loading
        # when a link is followed) is not a failure of the server or of the page's policy.
        if request.failure != "net::ERR_ABORTED":
            self.failed.append(f"failed {request.url} ({request.failure})")

    def _on_response(self, response: Response) -> None:
        if response.status >= 400 and not self._expected(response):
            self.failed.append(f"{response.status} {response.url}")

    @staticmethod
    def _expected(response: Response) -> bool:
        # API answers the page shows on purpose (a 401 from "Try it out" without a token).
        return response.request.resource_type in ("fetch", "xhr")

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning") and not message.text.startswith(
            "Failed to load resource: the server responded with a status of 401"
        ):
            self.console_errors.append(f"{message.type}: {message.text[:300]}")

    async def assert_clean(self, page: Page) -> None:
        violations = await page.evaluate("window.__cspViolations")
        assert violations == [], f"CSP violations: {violations}"
        assert self.foreign == [], f"the page reached other hosts: {self.foreign}"
        assert self.failed == [], f"failed requests: {self.failed}"
        assert self.console_errors == [], f"console errors: {self.console_errors}"


def assert_security_headers(headers: dict[str, str]) -> dict[str, list[str]]:
    """The page's headers are the strict set; returns its CSP as directive -> sources."""
    policy = {
        name: sources
        for name, *sources in (
            part.split() for part in headers["content-security-policy"].split(";")
        )
    }
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    return policy
