"""The build hook (``hatch_build.py``): the wheel carries the browser pages' npm files and their
licences, so does the sdist (a wheel built from it has them too), and a build without
``assets/node_modules`` stops with a message that says what to run.

Builds with ``python -m build --no-isolation`` (hatchling from the test extras, no network).
``.ci/run`` then installs the wheel in a scratch virtualenv and serves the pages from it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from citygraph.web.bundles import BUNDLES, PACKAGED_DIR

REPO = Path(__file__).resolve().parents[2]
OWN_FILES = (
    "citygraph-graphiql.js",
    "citygraph-docs.js",
    "citygraph-admin.css",
    "citygraph-admin.js",
    "favicon.svg",
    "favicon.ico",
)
#: The admin's template overrides (sqladmin reads them from the package folder).
ADMIN_TEMPLATES = ("layout.html", "index.html", "place_edit.html")


def build(source: Path, out: Path, *targets: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", *targets, "--outdir", str(out), source],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_sdist_and_wheel_carry_the_assets(tmp_path: Path) -> None:
    if not (REPO / "assets" / "node_modules").is_dir():
        pytest.fail("assets/node_modules is missing: run `make assets`")
    built = build(REPO, tmp_path / "sdist", "--sdist")
    assert built.returncode == 0, built.stderr
    (sdist,) = (tmp_path / "sdist").glob("citygraph-*.tar.gz")
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path / "unpacked", filter="data")
    (source,) = (tmp_path / "unpacked").iterdir()
    wanted = [rel for bundle in BUNDLES for rel in bundle.paths()]
    for rel in wanted:
        assert (source / "assets" / "node_modules" / rel).is_file(), rel

    # The wheel is built from the unpacked sdist: no checkout, no node_modules beyond the sdist's.
    built = build(source, tmp_path / "wheel", "--wheel")
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "wheel").glob("citygraph-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for rel in wanted:
            packaged = f"citygraph/{PACKAGED_DIR}/{rel}"
            assert packaged in names, packaged
            original = REPO / "assets" / "node_modules" / rel
            assert archive.read(packaged) == original.read_bytes(), rel
    for name in OWN_FILES:
        assert f"citygraph/static/{name}" in names
    for name in ADMIN_TEMPLATES:
        assert f"citygraph/admin/templates/sqladmin/{name}" in names
    # Only the listed files: no source maps, no whole packages.
    assert not [name for name in names if name.endswith(".map")]


def test_build_without_node_modules_says_what_to_run(tmp_path: Path) -> None:
    source = tmp_path / "checkout"
    source.mkdir()
    for name in ("pyproject.toml", "hatch_build.py", "README.md", "LICENSE"):
        shutil.copy(REPO / name, source / name)
    for folder in ("src", "compat"):
        shutil.copytree(
            REPO / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    built = build(source, tmp_path / "dist", "--wheel")
    assert built.returncode != 0
    output = built.stdout + built.stderr
    assert "browser asset files are missing from assets/node_modules/" in output
    assert "make assets" in output
    assert not (tmp_path / "dist").exists() or not list((tmp_path / "dist").glob("*.whl"))
