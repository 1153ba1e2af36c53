"""After an import, a login with no usable hash still costs a real check (timing tells
nothing): an unknown name checks a real account's hash, the same one every time; an unusable
password costs one bcrypt check."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from citygraph.config import Settings
from citygraph.security import passwords
from tests.conftest import make_settings
from tests.importer.conftest import Original, run_import


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path / "media", CITYGRAPH_RATE_LIMIT_LOGIN="100/minute")


async def test_logins_without_a_usable_hash_cost_a_real_check(
    client: httpx.AsyncClient,
    settings: Settings,
    database_url: str,
    original: Original,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run = await run_import(
        database_url, settings.media_root, original.database, "--media-root", str(original.media)
    )
    assert run.code == 0, run.err
    checked: list[str] = []
    real_check = passwords.check_password_sync

    def spy(password: str, hashed: str) -> bool:
        checked.append(hashed)
        return real_check(password, hashed)

    monkeypatch.setattr(passwords, "check_password_sync", spy)
    usable = {u["hash"] for u in original.manifest["users"] if not u["hash"].startswith("!")}

    stand_ins = []
    for _ in range(2):
        checked.clear()
        answer = await client.post(
            "/auth/jwt/create/", json={"username": "nobody-here", "password": "Whatever-123"}
        )
        assert answer.status_code == 401
        assert len(checked) == 1 and checked[0] in usable  # a real account's Django hash
        stand_ins.append(checked[0])
    assert stand_ins[0] == stand_ins[1]  # the same one every time

    checked.clear()
    zhanna = original.user("zhanna")
    answer = await client.post(
        "/auth/jwt/create/", json={"username": "zhanna", "password": zhanna["password"]}
    )
    assert answer.status_code == 401
    assert len(checked) == 1 and checked[0].startswith(f"$2b${settings.bcrypt_rounds:02d}$")
