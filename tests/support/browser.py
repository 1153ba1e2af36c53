"""Debian's Chromium for the real-browser tests (Playwright drives it; no downloaded browser)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
