"""A worker's view of its Redis: reachable, or away since when; how long an outage it waits out.

Every Redis call of a worker (the scheduler's push and pop, lease acknowledgements and renewals, host slots)
reports here. The first failure of an outage is logged once, its end once; while Redis is away the worker pops
nothing, pushes nothing (a page whose links could not be pushed keeps its lease, so it is fetched again once
Redis is back, and a fingerprint the dupefilter took for a request that was then not pushed is taken out of it)
and waits for host slots. An outage longer than NIANBAO_REDIS_GRACE_S (default 60 s) stops the
worker with the close reason `redis_unreachable`, which `nianbao worker` turns into one line and exit status 3.
What the worker held stays leased in Redis and goes back to the queue when Redis returns and the leases expire.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from scrapy.exceptions import IgnoreRequest

REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)
"""The errors that mean Redis cannot be reached (a refused or dropped connection, a timeout, a server loading)."""
CLOSE_REASON = "redis_unreachable"
DEFAULT_GRACE_S = 60.0
logger = logging.getLogger(__name__)


class RedisGone(IgnoreRequest):
    """A request not sent because Redis stayed away past the grace time (the worker is stopping; its lease brings
    the request back)."""


class RedisHealth:
    """Whether this worker's Redis answers; one per crawler (`RedisHealth.of(crawler)`)."""

    def __init__(self, grace_s: float) -> None:
        self.grace_s = grace_s
        """Seconds of outage the worker waits out before it stops."""
        self.down_since: float | None = None
        """When the current outage began (monotonic clock), None while Redis answers."""
        self.failed_pushes = 0
        """Requests that could not be pushed into the shared queue (their pages keep their leases)."""

    @classmethod
    def of(cls, crawler: Any) -> RedisHealth:
        """Return the crawler's RedisHealth, made on first use from NIANBAO_REDIS_GRACE_S."""
        health = getattr(crawler, "_nianbao_redis_health", None)
        if health is None:
            health = cls(crawler.settings.getfloat("NIANBAO_REDIS_GRACE_S", DEFAULT_GRACE_S))
            crawler._nianbao_redis_health = health
        return health

    def failed(self, exc: BaseException) -> None:
        """Note that a Redis call failed (an outage begins, or goes on)."""
        if self.down_since is None:
            self.down_since = time.monotonic()
            logger.warning("Redis unreachable (%s): waiting up to %.0f s for it to return", exc, self.grace_s)

    def answered(self) -> None:
        """Note that a Redis call succeeded (an outage, if any, is over)."""
        if self.down_since is not None:
            logger.warning("Redis reachable again after %.1f s", time.monotonic() - self.down_since)
            self.down_since = None

    def away_s(self) -> float:
        """Return the seconds Redis has been away (0 while it answers)."""
        return 0.0 if self.down_since is None else time.monotonic() - self.down_since

    def gone(self) -> bool:
        """Return whether Redis has been away longer than the grace time."""
        return self.away_s() > self.grace_s
