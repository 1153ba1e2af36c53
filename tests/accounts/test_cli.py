"""``citygraph createsuperuser`` runs the validators; ``citygraph prune-tokens`` empties expiry."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from citygraph import cli, migrate
from citygraph.db import create_engine, create_sessionmaker, session_scope
from citygraph.models import BlacklistedToken


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}"
    migrate.upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("CITYGRAPH_BCRYPT_ROUNDS", "4")
    monkeypatch.chdir(tmp_path)
    return url


def test_createsuperuser_validates(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["createsuperuser", "--username", "boss", "--email", "boss@example.com", "--password"]
    assert cli.main([*args, "boss123"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == (
        "citygraph: password: The password is too similar to the username. "
        "This password is too short. It must contain at least 8 characters. "
        "This password is too common."
    )
    assert (
        cli.main(["createsuperuser", "--username", "bad name", "--email", "x", "--password", "a"])
        == 1
    )
    assert "email: Enter a valid email address.; username: Enter a valid username." in (
        capsys.readouterr().err
    )
    assert cli.main([*args, "Kremlin-1147-walls"]) == 0
    assert "superuser 'boss' created" in capsys.readouterr().out


def test_prune_tokens(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    async def seed() -> None:
        engine = create_engine(database)
        now = datetime.now(UTC)
        async with session_scope(create_sessionmaker(engine)) as session:
            session.add(BlacklistedToken(jti="a", expires_at=now - timedelta(seconds=1)))
            session.add(BlacklistedToken(jti="b", expires_at=now - timedelta(days=1)))
            session.add(BlacklistedToken(jti="c", expires_at=now + timedelta(days=1)))
        await engine.dispose()

    asyncio.run(seed())
    assert cli.main(["prune-tokens"]) == 0
    assert capsys.readouterr().out.strip() == "removed 2 expired blacklisted tokens"
    assert cli.main(["prune-tokens"]) == 0
    assert capsys.readouterr().out.strip() == "removed 0 expired blacklisted tokens"
