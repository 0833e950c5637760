"""Per-host concurrency over every worker: a Redis semaphore per download slot.

Each worker's downloader keeps CONCURRENT_REQUESTS_PER_DOMAIN per host in its own process
(crawler.downloader); with several workers a host would see that many times the number of workers. This
downloader middleware, the last before the downloader, takes one of the host's CONCURRENT_REQUESTS_PER_DOMAIN
shared slots before a request goes out (waiting, without blocking the reactor, while all are taken) and gives
it back when the response or the failure comes back. A slot is a member of a sorted set scored by its expiry
(Redis time): the holder renews it every second, so a killed worker's slots free themselves after
NIANBAO_HOST_SLOT_S seconds.

An answer that paused its host in this worker's downloader (a 429 or 503 whose Retry-After is within
NIANBAO_RETRY_AFTER_MAX, crawler.hosts) sets the host's pause key in Redis with that expiry (a later pause is
kept): every worker's next request to the host waits until it is gone.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from scrapy.utils.httpobj import urlparse_cached
from twisted.internet import task

from ..downloader import PAUSED_META
from .keys import Keys
from .outage import REDIS_DOWN, RedisGone, RedisHealth
from .queue import worker_id

SLOT_META = "nianbao_host_slot"
POLL_S = 0.05

_ACQUIRE = """
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return -paused end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
  redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2])) + 60)
  return 1
end
return 0
"""

_PAUSE = """
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], '1', 'PX', ARGV[1]) end
return 1
"""

_RENEW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], 'XX', now + tonumber(ARGV[1]), ARGV[i + 1])
end
return #KEYS
"""


def _slot(request: Any) -> str:
    """Return a request's download slot: its `download_slot` meta, else its host name (as Scrapy's)."""
    return request.meta.get("download_slot") or urlparse_cached(request).hostname or ""


class SharedHostSlots:
    """Downloader middleware: at most CONCURRENT_REQUESTS_PER_DOMAIN requests in flight per host, all workers
    together (a request's host is its download slot: `download_slot` meta, else its host name, as Scrapy's)."""

    def __init__(self, crawler: Any, server: Any) -> None:
        settings = crawler.settings
        self.server = server
        self.keys = Keys(settings.get("NIANBAO_REDIS_QUEUE") or "annual_reports")
        self.limit = max(1, settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 2))
        self.expiry = settings.getfloat("NIANBAO_HOST_SLOT_S", 30.0)
        self.owner = worker_id()
        self._count = itertools.count(1)
        self.held: dict[str, str] = {}  # token → host key
        self.waits = 0
        self._renewal = task.LoopingCall(self.renew)
        self.stats = crawler.stats
        self.health = RedisHealth.of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Any) -> SharedHostSlots:
        from scrapy import signals
        from scrapy_redis.connection import get_redis_from_settings

        mw = cls(crawler, get_redis_from_settings(crawler.settings))
        crawler.signals.connect(mw._opened, signal=signals.spider_opened)
        crawler.signals.connect(mw._closed, signal=signals.spider_closed)
        return mw

    def _opened(self, spider: Any = None) -> None:
        if not self._renewal.running:
            self._renewal.start(1.0, now=False)

    def _closed(self, spider: Any = None) -> None:
        if self._renewal.running:
            self._renewal.stop()
        for token, key in list(self.held.items()):
            try:
                self.server.zrem(key, token)
            except REDIS_DOWN:  # they expire by themselves
                break
        self.held.clear()

    def renew(self) -> None:
        """Push the expiry of every slot this worker holds forward (a download may outlast one expiry)."""
        if self.held:
            tokens = list(self.held.items())
            try:
                self.server.eval(_RENEW, len(tokens), *[k for _, k in tokens], self.expiry, *[t for t, _ in tokens])
            except REDIS_DOWN as exc:  # a renewal that fails ends the LoopingCall if raised: the next one tries
                self.health.failed(exc)

    async def process_request(self, request: Any) -> None:
        slot = _slot(request)
        key = self.keys.host(slot)
        token = f"{self.owner}:{next(self._count)}"
        waited = paused = False
        pause = self.keys.pause(slot)
        while (got := self._acquire(key, pause, token)) != 1:
            if got is None:  # Redis away: the grace time decides (crawler.distributed.outage)
                await asyncio.sleep(1.0)
            elif got < 0:  # the host asked a worker to wait (Retry-After): every worker waits it out
                paused = True
                await asyncio.sleep(-got / 1000)
            else:
                waited = True
                await asyncio.sleep(POLL_S)
        if waited:
            self.stats.inc_value("distributed/host_slot_waits")
        if paused:
            self.stats.inc_value("distributed/host_pause_waits")
        self.held[token] = key
        request.meta[SLOT_META] = token

    def _acquire(self, key: str, pause: str, token: str) -> int | None:
        """Return 1 where the slot was taken, 0 where all are held, minus the ms of a host's pause, None while Redis
        cannot be reached.

        Raises RedisGone once Redis has been away longer than the grace time (the worker is stopping)."""
        try:
            got = int(self.server.eval(_ACQUIRE, 2, key, pause, self.limit, self.expiry, token))
        except REDIS_DOWN as exc:
            self.health.failed(exc)
            if self.health.gone():
                raise RedisGone(f"Redis unreachable for over {self.health.grace_s:.0f} s") from None
            return None
        self.health.answered()
        return got

    def _release(self, request: Any) -> None:
        token = request.meta.pop(SLOT_META, None)
        key = self.held.pop(token, None) if token else None
        if key is not None:
            try:
                self.server.zrem(key, token)
            except REDIS_DOWN as exc:  # the slot frees itself when its expiry passes
                self.health.failed(exc)

    def process_response(self, request: Any, response: Any) -> Any:
        wait = request.meta.pop(PAUSED_META, None)
        if wait:
            try:
                self.server.eval(_PAUSE, 1, self.keys.pause(_slot(request)), int(wait * 1000))
            except REDIS_DOWN as exc:  # this worker still waits (its downloader); the others may not
                self.health.failed(exc)
        self._release(request)
        return response

    def process_exception(self, request: Any, exception: BaseException) -> None:
        self._release(request)
        return None
