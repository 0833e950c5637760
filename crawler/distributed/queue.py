"""scrapy-redis's priority queue, popped under a lease, and its scheduler with the lease acknowledged.

scrapy-redis pops a request and forgets it: a worker killed between the pop and the end of its work loses the
request. Here the pop (one Lua script, atomic) moves the request into the lease hash with an expiry; the
request carries its lease token in `meta["nianbao_lease"]`. The worker acknowledges the lease once the request
is handled whole (crawler.distributed.worker), or when a request made from it (a retry, a redirect) is pushed:
then the new request stands for it. Leases not renewed (a killed worker's) are put back in the queue by
`reap`, which every worker runs every second.

Only the queue and the scheduler's enqueue/next are ours; scrapy-redis's serialization (Scrapy's
`Request.to_dict`, pickled), dupefilter and connection are used as they are. Its scheduler passes `spider=` to
the stats collector, which Scrapy 2.19 deprecates: the two methods that do are written again here.
"""

from __future__ import annotations

import itertools
import os
import socket
import uuid
import warnings
from typing import Any

from scrapy import Request
from scrapy.exceptions import ScrapyDeprecationWarning
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from ..spiders.annual_reports import budget_of, reports_yielded
from .outage import DEFAULT_GRACE_S, REDIS_DOWN, RedisHealth

LEASE_META = "nianbao_lease"
DEFAULT_LEASE_S = 120.0

_POP = """
local item = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #item == 0 then return false end
redis.call('ZREM', KEYS[1], item[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('HSET', KEYS[2], ARGV[1], item[1])
redis.call('HSET', KEYS[3], ARGV[1], item[2])
redis.call('ZADD', KEYS[4], now + tonumber(ARGV[2]), ARGV[1])
return item[1]
"""

_REAP = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local expired = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now)
for _, token in ipairs(expired) do
  local data = redis.call('HGET', KEYS[2], token)
  local score = redis.call('HGET', KEYS[3], token)
  if data then redis.call('ZADD', KEYS[1], score or 0, data) end
  redis.call('HDEL', KEYS[2], token)
  redis.call('HDEL', KEYS[3], token)
  redis.call('ZREM', KEYS[4], token)
end
return #expired
"""

_BUDGET = """
local function budget_room(KEYS, ARGV)
  local budget = tonumber(ARGV[1])
  if budget < 0 then return 1 end
  budget = budget + tonumber(ARGV[2]) * tonumber(redis.call('GET', KEYS[2]) or '0')
  local room = budget - tonumber(redis.call('GET', KEYS[1]) or '0')
  local held = room > 0 and redis.call('ZPOPMIN', KEYS[3], room) or {}
  for i = 1, #held, 2 do redis.call('ZADD', KEYS[4], held[i + 1], held[i]) end
  if #held > 0 then redis.call('INCRBY', KEYS[1], #held / 2) end
  if redis.call('EXISTS', KEYS[3]) == 0 then redis.call('SREM', KEYS[5], ARGV[3]) end
  return room - #held / 2
end
"""
"""The budget step `_PUSH` and `_RELEASE` share: move as many held requests to the frontier as the site's budget has
room for (first in the frontier's order) and return the room left. KEYS: the site's page counter, report counter,
held requests, the frontier, the held sites; ARGV: page budget (-1 = none), requests a report adds, the site's id."""

_PUSH = _BUDGET + """
if tonumber(ARGV[4]) >= 0 then redis.call('INCRBY', KEYS[4], ARGV[5]) end
if ARGV[1] ~= '' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
local room = budget_room({KEYS[3], KEYS[4], KEYS[5], KEYS[2], KEYS[6]}, {ARGV[4], ARGV[6], ARGV[7]})
if room <= 0 then
  redis.call('ZADD', KEYS[5], ARGV[3], ARGV[2])
  redis.call('SADD', KEYS[6], ARGV[7])
  return -1
end
if tonumber(ARGV[4]) >= 0 then redis.call('INCR', KEYS[3]) end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
return 1
"""
"""Record a request's fingerprint, count it against its site's budget and queue it, as one step: a worker killed
between a separate SADD and ZADD would leave the fingerprint recorded and the request nowhere, and the page that
made it, fetched again, would find it 'seen'. KEYS: dupefilter, queue, the site's page counter, report counter,
held requests, the held sites; ARGV: fingerprint ('' = not filtered), request, score, page budget (-1 = none), the
reports this worker had from the site since its last call (added first, whatever the answer: the worker counts
them told), requests a report adds to the budget, the site's id.
Returns 1 queued, 0 seen, -1 held: past the budget a request waits in Redis (not in a worker that may die) until
the reports the site yields make room for it (`_BUDGET`); what still waits when the crawl ends was refused."""

_CLAIM = """
local held = redis.call('ZCARD', KEYS[1])
local counted = tonumber(redis.call('GET', KEYS[2]) or '0')
if held <= counted then return 0 end
redis.call('SET', KEYS[2], held)
return held - counted
"""
"""Count a site's held requests refused once over every worker that ends: return how many are held beyond the most
a worker counted before (KEYS: the site's held requests, its refused count), and raise that count to them."""

_RELEASE = _BUDGET + """
redis.call('INCRBY', KEYS[2], ARGV[4])
local before = redis.call('ZCARD', KEYS[3])
budget_room(KEYS, ARGV)
return before - redis.call('ZCARD', KEYS[3])
"""
"""Add this worker's new reports (ARGV[4]) to the site's counter and move what the budget has room for
(`_BUDGET`'s keys and arguments); return how many requests were moved. Run by every worker every second for the
sites with held requests: reports may have come in while nothing was pushed."""

_RENEW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local n = 0
for i = 2, #ARGV do
  n = n + redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[1]), ARGV[i])
end
return n
"""


def worker_id() -> str:
    """Return a name for this worker process, unique across machines: host, pid and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class LeasedQueue(PriorityQueue):
    """scrapy-redis's PriorityQueue whose pop leases the request instead of forgetting it.

    The scheduler (`LeasedScheduler`) names the other keys (`leases`, `lease_scores`, `lease_expiry`) and the
    lease's length; see crawler.distributed.keys.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lease_s = DEFAULT_LEASE_S
        self.keys: Any = None  # crawler.distributed.keys.Keys, set by the scheduler
        self.owner = worker_id()
        self.held: set[str] = set()
        """The lease tokens this worker holds (renewed until acknowledged)."""
        self._count = itertools.count(1)

    def _encode_request(self, request: Request) -> bytes:
        if LEASE_META in request.meta:  # a retry or redirect carries its parent's lease: never into Redis
            request = request.replace(meta={k: v for k, v in request.meta.items() if k != LEASE_META})
        return super()._encode_request(request)

    def pop(self, timeout: int = 0) -> Request | None:
        token = f"{self.owner}:{next(self._count)}"
        data = self.server.eval(_POP, 4, self.key, self.keys.leases, self.keys.lease_scores, self.keys.lease_expiry,
                                token, self.lease_s)  # fmt: skip
        if not data:
            return None
        request = self._decode_request(data)
        request.meta[LEASE_META] = token
        self.held.add(token)
        return request

    def ack(self, token: str) -> None:
        """End a lease: its request was handled whole (or stands in the queue as a retry or redirect). Raises Redis's
        connection errors (the lease then expires, and the request is fetched again)."""
        self.held.discard(token)
        pipe = self.server.pipeline(transaction=True)
        pipe.hdel(self.keys.leases, token).hdel(self.keys.lease_scores, token).zrem(self.keys.lease_expiry, token)
        pipe.execute()

    def abandon(self, token: str) -> None:
        """Stop renewing a lease: it expires, and its request goes back to the queue to be fetched again."""
        self.held.discard(token)

    def renew(self) -> int:
        """Push the expiry of every lease this worker holds `lease_s` into the future; return how many."""
        if not self.held:
            return 0
        return int(self.server.eval(_RENEW, 1, self.keys.lease_expiry, self.lease_s, *sorted(self.held)))

    def reap(self) -> int:
        """Put the requests of expired leases (a killed or stalled worker's) back in the queue; return how many."""
        return int(self.server.eval(_REAP, 4, self.key, self.keys.leases, self.keys.lease_scores,
                                    self.keys.lease_expiry))  # fmt: skip

    def leased(self) -> int:
        """Return how many requests are leased to workers (any worker) right now."""
        return int(self.server.zcard(self.keys.lease_expiry))


class LeasedScheduler(Scheduler):
    """scrapy-redis's Scheduler on the leased queue: persistent (a worker closing leaves the shared queue and
    dupefilter to the others), with a worker's lease acknowledged when a request made from it is pushed."""

    queue: LeasedQueue
    unpushed: list[str]
    """Fingerprints the dupefilter recorded for requests an outage then kept out of the queue (given back later)."""
    reports_told: dict[str, int]
    """Site id → the reports this worker had from the site that it has added to the site's counter in Redis."""

    @classmethod
    def from_settings(cls, settings: Any) -> LeasedScheduler:
        from .keys import Keys

        scheduler = super().from_settings(settings)
        scheduler.keys = Keys(settings.get("NIANBAO_REDIS_QUEUE") or "annual_reports")
        scheduler.lease_s = settings.getfloat("NIANBAO_LEASE_S", DEFAULT_LEASE_S)
        scheduler.health = RedisHealth(DEFAULT_GRACE_S)
        scheduler.unpushed = []
        scheduler.reports_told = {}
        return scheduler

    @classmethod
    def from_crawler(cls, crawler: Any) -> LeasedScheduler:
        scheduler = super().from_crawler(crawler)
        scheduler.health = RedisHealth.of(crawler)
        return scheduler

    def open(self, spider: Any) -> None:
        with warnings.catch_warnings():  # scrapy-redis says "Resuming crawl" through Spider.log, deprecated in 2.19
            warnings.simplefilter("ignore", ScrapyDeprecationWarning)
            super().open(spider)
        self.queue.keys = self.keys
        self.queue.lease_s = self.lease_s

    def enqueue_request(self, request: Request) -> bool:
        parent = request.meta.get(LEASE_META)
        try:
            self._forget_unpushed()
            pushed = self._push(request, parent)
        except REDIS_DOWN as exc:
            # Not pushed: the page that made it keeps its lease (crawler.distributed.worker), a retry's parent too,
            # so either is fetched again once Redis is back; a fingerprint the dupefilter took is given back then.
            self.health.failed(exc)
            self.health.failed_pushes += 1
            if not request.dont_filter:  # the dupefilter may have taken it (taking back one it had not is harmless)
                self.unpushed.append(self.df.request_fingerprint(request))
            if self.stats:
                self.stats.inc_value("distributed/push_failed")
            return False
        self.health.answered()
        if parent is not None:  # a retry or redirect: pushed (or a duplicate), its parent is done
            request.meta.pop(LEASE_META, None)
            try:
                self.queue.ack(parent)
            except REDIS_DOWN as exc:  # the parent's lease expires: fetched again, at least once
                self.health.failed(exc)
        return pushed

    def _push(self, request: Request, parent: str | None) -> bool:
        """Push a request the dupefilter has not seen and its site's budget allows, in one Redis script
        (`_PUSH`); return whether it was pushed.

        Pages are counted against their site's budget once per URL the shared dupefilter had not seen, so two
        workers following links to the same site cannot each spend a whole budget on it; a retry or redirect (it
        has a parent lease) is not counted again. Each worker's spider still checks depth.
        """
        fingerprint = "" if request.dont_filter else self.df.request_fingerprint(request)
        site = request.meta.get("site")
        counted = parent is None and not request.dont_filter and site is not None
        sid = site.site_id if counted else ""  # with budget -1 the site's keys are not touched
        max_pages, per, new = -1, 0, 0
        if counted:
            max_pages, per = budget_of(site)
            new = self._new_reports(sid)
        data = self.queue._encode_request(request)
        result = int(self.server.eval(_PUSH, 6, self.df.key, self.queue.key, self.keys.pages(sid),
                                      self.keys.reports(sid), self.keys.held(sid), self.keys.held_sites, fingerprint,
                                      data, -request.priority, max_pages, new, per, sid))  # fmt: skip
        if counted:
            self.reports_told[sid] = self.reports_told.get(sid, 0) + new  # in Redis now, whatever the answer
        if result == 0:
            self.df.log(request, self.spider)
            return False
        if result < 0:
            if self.stats:
                self.stats.inc_value(f"site/{site.site_id}/budget_held")
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def _new_reports(self, sid: str) -> int:
        """Return the reports this worker had from site `sid` that it has not told Redis yet."""
        return (reports_yielded(self.stats, sid) if self.stats else 0) - self.reports_told.get(sid, 0)

    def reports_of(self, sid: str) -> int:
        """Return the reports every worker has had from site `sid`: those told to Redis and this worker's not yet
        told."""
        return int(self.server.get(self.keys.reports(sid)) or 0) + self._new_reports(sid)

    def _held_sites(self) -> list[str]:
        return [raw.decode() if isinstance(raw, bytes) else raw for raw in self.server.smembers(self.keys.held_sites)]

    def release(self, sites: dict[str, Any]) -> int:
        """Move to the frontier the held requests of `sites` (site id → Site) that the reports they yielded since
        made room for, this worker's reports told first; return how many were moved."""
        moved = 0
        for sid in self._held_sites():
            site = sites.get(sid)
            if site is None:
                continue
            max_pages, per = budget_of(site)
            new = self._new_reports(sid)
            moved += int(self.server.eval(_RELEASE, 5, self.keys.pages(sid), self.keys.reports(sid),
                                          self.keys.held(sid), self.queue.key, self.keys.held_sites, max_pages, per,
                                          sid, new))  # fmt: skip
            self.reports_told[sid] = self.reports_told.get(sid, 0) + new
        return moved

    def held(self) -> dict[str, int]:
        """Return site id → its requests still held past its page budget (refused, if the crawl ends now)."""
        counts = {sid: self.server.zcard(self.keys.held(sid)) for sid in self._held_sites()}
        return {sid: n for sid, n in counts.items() if n}

    def claim_refused(self) -> dict[str, int]:
        """Return site id → the requests it still holds past its page budget that no worker ending before this one
        counted refused (each worker ending counts only what is held beyond the most counted so far)."""
        counts = {sid: int(self.server.eval(_CLAIM, 2, self.keys.held(sid), self.keys.refused(sid)))
                  for sid in self._held_sites()}  # fmt: skip
        return {sid: n for sid, n in counts.items() if n}

    def _forget_unpushed(self) -> None:
        """Take out of the dupefilter the fingerprints of requests it recorded but an outage kept from the queue:
        the pages that made them are fetched again and must be able to push them."""
        if self.unpushed:
            self.server.srem(self.df.key, *self.unpushed)
            self.unpushed = []

    def has_pending_requests(self) -> bool:
        try:
            pending = len(self.queue) > 0
        except REDIS_DOWN as exc:
            self.health.failed(exc)
            return False  # nothing can be popped meanwhile; the worker's idle check keeps it open
        self.health.answered()
        return pending

    def next_request(self) -> Request | None:
        try:
            request = self.queue.pop()
        except REDIS_DOWN as exc:
            self.health.failed(exc)
            return None
        self.health.answered()
        if request is not None and self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request
