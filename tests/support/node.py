"""Node and the npm packages the tests run (``assets/node_modules``, installed by ``make assets``).

Without them a test is skipped loudly locally and fails in CI (``CI=true``), as the
graphql-http audit does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO / "assets" / "node_modules"
IN_CI = os.environ.get("CI", "").lower() == "true"


def require_node(*packages: str) -> str:
    """The ``node`` executable, once every package is installed (else skip, or fail in CI)."""
    node = shutil.which("node")
    missing = "node is not installed" if node is None else None
    for package in packages:
        if missing is None and not (NODE_MODULES / package / "package.json").exists():
            missing = f"assets/node_modules has no {package} (run `make assets`)"
    if missing:
        if IN_CI:
            pytest.fail(f"NOT RUN: {missing}")
        pytest.skip(f"NOT RUN: {missing}")
    assert node is not None
    return node


def run(
    args: list[str], *, cwd: Path = REPO, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """Run a Node program (or an npm package's command) and capture what it says."""
    return subprocess.run(
        args, capture_output=True, text=True, timeout=timeout, check=False, cwd=cwd
    )
