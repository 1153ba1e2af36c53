"""Progress display of long commands: a bar on a terminal, nothing but the summary otherwise.

``citygraph load-demo`` runs as a real subprocess, once on a pseudo-terminal (a person's
shell) and once with its output piped (cron, CI, a log file).
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

from citygraph.demo.loader import PLACE_COUNT

CITYGRAPH = [sys.executable, "-m", "citygraph.cli"]


def environment(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CITYGRAPH_", "DATABASE_"))}
    clean.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'progress.sqlite3'}",
        CITYGRAPH_MEDIA_ROOT=str(tmp_path / "media"),
    )
    subprocess.run([*CITYGRAPH, "migrate"], env=clean, check=True, capture_output=True)
    return clean


def run_on_terminal(args: list[str], env: dict[str, str]) -> str:
    """Run with stdout and stderr on a 24 x 100 pseudo-terminal; everything it wrote."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    process = subprocess.Popen(args, env=env, stdout=terminal, stderr=terminal)
    os.close(terminal)
    output = b""
    while True:
        ready, _, _ = select.select([controller], [], [], 120)
        if not ready:
            process.kill()
            raise AssertionError(f"no output for 120 s: {output!r}")
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closed: the command exited
            break
        if not chunk:
            break
        output += chunk
    os.close(controller)
    assert process.wait(timeout=30) == 0, output
    return output.decode(errors="replace")


def test_load_demo_shows_progress_on_a_terminal(tmp_path: Path) -> None:
    output = run_on_terminal([*CITYGRAPH, "load-demo"], environment(tmp_path))
    assert "demo data:" in output
    # tqdm's "n/total" counter, redrawn as places are loaded (how often depends on the speed).
    counts = {int(n) for n in re.findall(rf"(\d+)/{PLACE_COUNT} \[", output)}
    assert 0 in counts and len(counts) >= 2, output
    assert "\r" in output  # redrawn in place
    assert f"12 districts, {PLACE_COUNT} places" in output


def test_load_demo_is_quiet_when_piped(tmp_path: Path) -> None:
    done = subprocess.run(
        [*CITYGRAPH, "load-demo"],
        env=environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stdout.strip() == (
        f"demo data: 12 districts, {PLACE_COUNT} places, {PLACE_COUNT} images created"
    )
    assert f"/{PLACE_COUNT}" not in done.stderr
    assert "\r" not in done.stderr + done.stdout
