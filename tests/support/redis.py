"""The Redis the tests use: ``CITYGRAPH_TEST_REDIS_URL`` and databases derived from it.

Nothing hard-codes a database number, so two test runs on one machine (two checkouts, each with
its own ``CITYGRAPH_TEST_REDIS_URL``) never spend each other's rate-limit budgets.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

#: Redis' default number of databases (``databases 16``): derived numbers wrap around it.
DATABASES = 16


def redis_url() -> str:
    """This run's Redis database (``/0`` when the variable is unset)."""
    return os.environ.get("CITYGRAPH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_db(offset: int, base: str | None = None) -> str:
    """Another database of this run's Redis, ``offset`` away from its own (modulo 16): for a
    test that needs a database of its own, e.g. to flush it. CI's ``/15`` gives ``/14`` for -1.
    """
    url = base or redis_url()
    parts = urlsplit(url)
    number = parts.path.strip("/") or "0"
    if not number.isdigit():
        raise ValueError(f"CITYGRAPH_TEST_REDIS_URL must name a database number: {url!r}")
    derived = (int(number) + offset) % DATABASES
    return urlunsplit(parts._replace(path=f"/{derived}"))
