"""The fuzzers: the schemathesis command line against a real uvicorn, with staff credentials.

``st run`` rather than schemathesis' pytest API: its coverage phase (boundary values, missing
and blank fields, malformed ids) finds what random generation alone rarely does. Each run is
bounded by ``FUZZ_EXAMPLES`` generated cases per operation and phase, so both databases and
both faces finish within a few minutes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from citygraph.config import Settings
from citygraph.security import jwt
from citygraph.services import Services
from tests.conftest import make_settings
from tests.support.users import create_account

FUZZ_EXAMPLES = int(os.environ.get("CITYGRAPH_FUZZ_EXAMPLES", "10"))
#: The CLI installed next to this interpreter.
ST = Path(sys.executable).with_name("st")


@dataclass(frozen=True)
class Account:
    id: int
    token: str


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Budgets large enough that the fuzzer meets the rules rather than the rate limits (429
    is documented anyway)."""
    return make_settings(
        database_url,
        tmp_path / "media",
        CITYGRAPH_RATE_LIMIT_LOGIN="100000/minute",
        CITYGRAPH_RATE_LIMIT_REGISTER="100000/minute",
        CITYGRAPH_RATE_LIMIT_MAIL="100000/minute",
    )


async def account(services: Services, username: str, *, staff: bool) -> Account:
    user = await create_account(
        services,
        username,
        email=f"{username}@example.com",
        password="correct horse battery staple",
        active=True,
        staff=staff,
        superuser=staff,
    )
    assert user.id is not None
    return Account(user.id, jwt.encode(services.settings, "access", user.id))


def run_schemathesis(location: str, config: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """``st run`` with every check on; its report is printed (pytest shows it on failure)."""
    command = [
        str(ST),
        "--no-color",
        "--config-file",
        str(config),
        "run",
        location,
        "--max-examples",
        str(FUZZ_EXAMPLES),
        "--phases",
        "examples,coverage,fuzzing",
        "--workers",
        "1",
        "--seed",
        "20261202",
        "--suppress-health-check",
        "all",
        *extra,
    ]
    result = subprocess.run(  # in the test's folder: the CLI keeps a cache where it runs
        command, capture_output=True, text=True, timeout=600, check=False, cwd=config.parent
    )
    config.with_suffix(".log").write_text(result.stdout + result.stderr)
    print(result.stdout[-20000:], result.stderr[-5000:])
    return result
