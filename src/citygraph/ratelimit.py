"""Rate limits for logins, registrations and account e-mails, shared by every worker with Redis.

Built on the ``limits`` library with its moving-window strategy. Counters live in process memory
by default (fine for one process) and in Redis when ``CITYGRAPH_REDIS_URL`` is set, so that all
workers and machines count together. Limits are ``limits`` strings
(``CITYGRAPH_RATE_LIMIT_LOGIN=10/minute``, ``CITYGRAPH_RATE_LIMIT_REGISTER=20/hour``,
``CITYGRAPH_RATE_LIMIT_MAIL=5/hour``) and apply separately per client address and per username
(per e-mail address for the mail-sending requests: activation resend, password and username
reset, which share one budget): an attempt must pass both.

The check runs inside the domain operations (``accounts.log_in``, ``accounts.register``,
the "mail me a link" requests), on the parsed and normalised values, before any password
hashing or mailing, so every face is covered and a GraphQL document with many aliased
``createToken`` fields spends one attempt per field.

Every attempt counts, successful or not. If the Redis storage fails, the limiter fails open
(allows the attempt and logs the error): an outage of the counters must not lock every user out.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from citygraph.config import Settings
from citygraph.metrics import Metrics

DEFAULT_KEY_PREFIX = "citygraph-rl"
log = logging.getLogger("citygraph.ratelimit")


def _redis_uri(url: str) -> str:
    """``redis://`` / ``rediss://`` URLs as ``limits`` wants them for its asyncio storage."""
    for scheme in ("redis://", "rediss://", "redis+unix://"):
        if url.startswith(scheme):
            return f"async+{url}"
    return url


class RateLimiter:
    def __init__(
        self,
        settings: Settings,
        *,
        key_prefix: str = DEFAULT_KEY_PREFIX,
        metrics: Metrics | None = None,
    ) -> None:
        self.metrics = metrics
        self.storage: Storage
        if settings.redis_url:
            self.storage = RedisStorage(
                _redis_uri(settings.redis_url), implementation="coredis", key_prefix=key_prefix
            )
        else:
            self.storage = MemoryStorage()
        self.strategy = MovingWindowRateLimiter(self.storage)
        self.limits: dict[str, RateLimitItem] = {
            "login": parse(settings.rate_limit_login),
            "register": parse(settings.rate_limit_register),
            "mail": parse(settings.rate_limit_mail),
        }

    async def hit(self, action: str, keys: Sequence[tuple[str, str | None]]) -> int | None:
        """Count one attempt of ``action`` under each ``(kind, value)`` key (``None`` skips).

        Returns the seconds to wait when a key is over its limit (the attempt is then not
        counted for the keys after it), ``None`` when the attempt is allowed. Values are used in
        their ``ascii()`` form, so any text (even a lone surrogate) makes a storable key.
        """
        item = self.limits[action]
        for kind, value in keys:
            if value is None:
                continue
            identifiers = (action, kind, value if value.isascii() else ascii(value))
            try:
                allowed = await self.strategy.hit(item, *identifiers)
                if not allowed:
                    stats = await self.strategy.get_window_stats(item, *identifiers)
            except self.storage.base_exceptions:
                # Fail open: an unreachable Redis must not lock every user out. Logged loudly.
                log.exception("rate-limit storage failed; allowing %s for %s", action, kind)
                continue
            if not allowed:
                if self.metrics is not None:
                    self.metrics.rate_limited.labels(action).inc()
                return max(1, math.ceil(stats.reset_time - time.time()))
        return None

    async def reset(self) -> None:
        await self.storage.reset()

    async def aclose(self) -> None:
        """Close Redis connections (``limits`` offers no close of its own)."""
        client = getattr(getattr(self.storage, "bridge", None), "storage", None)
        if client is not None:  # the coredis client behind limits' RedisStorage
            client.connection_pool.disconnect()
