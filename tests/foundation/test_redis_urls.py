"""The tests' Redis databases derive from ``CITYGRAPH_TEST_REDIS_URL`` (tests/support/redis.py),
so two runs on one machine with different numbers do not share rate-limit budgets."""

from __future__ import annotations

import pytest

from tests.support.redis import redis_db, redis_url


def test_derived_databases_follow_the_runs_own() -> None:
    assert redis_db(-1, "redis://127.0.0.1:6379/15") == "redis://127.0.0.1:6379/14"  # CI's
    assert redis_db(-1, "redis://127.0.0.1:6379/7") == "redis://127.0.0.1:6379/6"
    assert redis_db(-1, "redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/15"  # wraps
    assert redis_db(-1, "redis://127.0.0.1:6379") == "redis://127.0.0.1:6379/15"  # no path: /0
    assert redis_db(2, "redis://:pw@db.local:6380/3?x=1") == "redis://:pw@db.local:6380/5?x=1"


def test_the_variable_is_the_base(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITYGRAPH_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
    assert redis_url() == "redis://127.0.0.1:6379/9"
    assert redis_db(-1) == "redis://127.0.0.1:6379/8"
    monkeypatch.delenv("CITYGRAPH_TEST_REDIS_URL")
    assert redis_url() == "redis://127.0.0.1:6379/0"


def test_a_url_without_a_database_number_is_refused() -> None:
    with pytest.raises(ValueError, match="database number"):
        redis_db(-1, "redis://127.0.0.1:6379/cache")
