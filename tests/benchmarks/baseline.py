"""A baseline build ("before"): a git ref checked out in a temporary worktree with its own venv.

``BENCH_BASELINE=main make bench`` benchmarks that ref beside this tree in the same run. The
worktree and the venv live in the run's temporary directory; the worktree is unregistered from
git again on exit, also after an error or Ctrl-C.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from tests.benchmarks.config import ROOT
from tests.benchmarks.procs import tail
from tests.benchmarks.servers import Build


class BaselineError(Exception):
    """The ref does not exist or does not build; the message says which step failed."""


def _git(*args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BaselineError(f"git {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout.strip()


def _browser_assets(source: Path, log: Path) -> None:
    """The ref's build puts npm files into its wheel: this tree's ``assets/node_modules`` when
    the ref pins the same packages, else its own ``npm ci``."""
    ours, theirs = ROOT / "assets", source / "assets"
    lock = "package-lock.json"
    if not (theirs / lock).exists():
        return
    if (ours / lock).read_bytes() == (theirs / lock).read_bytes():
        (theirs / "node_modules").symlink_to(ours / "node_modules", target_is_directory=True)
        return
    argv = ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]
    with log.open("ab") as out:
        if subprocess.run(argv, cwd=theirs, stdout=out, stderr=subprocess.STDOUT).returncode:
            raise BaselineError(f"npm ci for the baseline's assets failed: {tail(log, 2)}")


@contextlib.contextmanager
def baseline_build(ref: str, workdir: Path, log_dir: Path) -> Iterator[Build]:
    """Check out ``ref`` into ``workdir`` and install it into a venv of its own."""
    try:
        commit = _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except BaselineError:
        raise BaselineError(f"no commit named {ref!r} in this repository") from None
    source = workdir / "source"
    venv = workdir / "venv"
    log = log_dir / "baseline-build.log"
    log_dir.mkdir(parents=True, exist_ok=True)
    _git("worktree", "add", "--detach", str(source), commit)
    try:
        _browser_assets(source, log)
        steps = (
            [sys.executable, "-m", "venv", str(venv)],
            [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(source)],
        )
        with log.open("wb") as out:
            for argv in steps:
                if subprocess.run(
                    argv, stdout=out, stderr=subprocess.STDOUT, check=False
                ).returncode:
                    raise BaselineError(f"{' '.join(argv[:4])} failed: {tail(log, 2)}")
        yield Build(f"{ref}@{commit[:7]}", venv / "bin")
    finally:
        with contextlib.suppress(BaselineError):
            _git("worktree", "remove", "--force", str(source))
