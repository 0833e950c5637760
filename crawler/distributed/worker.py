"""Seeding a distributed crawl, and running one worker of it.

`seed` stores the sites and pushes their start requests; `run_worker` runs `WorkerSpider` (the annual-reports
spider, with its sites from Redis and no start requests of its own) on the leased scheduler until the frontier
has stayed empty, with no request leased to any worker, for NIANBAO_WORKER_IDLE_S seconds.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import AsyncIterator
from typing import Any

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.defer import deferred_from_coro

from .. import discovery as D
from ..registry import Site
from ..spiders.annual_reports import DEFAULT_MAX_DEPTH, AnnualReportsSpider
from ..store import StoreExtension
from .keys import DEFAULT_QUEUE, Keys, run_note
from .outage import CLOSE_REASON, REDIS_DOWN, RedisGone, RedisHealth
from .queue import LEASE_META, LeasedQueue, LeasedScheduler

DEFAULT_IDLE_S = 30.0
PUSH_FAILURES_META = "nianbao_push_failures"


class NothingSeeded(Exception):
    """The worker's queue name has no seeded sites in Redis (`nianbao crawl --redis` first)."""


def redis_settings(redis_url: str, queue: str = DEFAULT_QUEUE) -> dict[str, Any]:
    """Return the Scrapy settings that put a crawl's scheduler and dupefilter in Redis under `queue`'s keys."""
    keys = Keys(queue)
    return {
        "REDIS_URL": redis_url,
        "NIANBAO_REDIS_QUEUE": queue,
        "SCHEDULER": "crawler.distributed.queue.LeasedScheduler",
        "SCHEDULER_QUEUE_CLASS": "crawler.distributed.queue.LeasedQueue",
        "SCHEDULER_QUEUE_KEY": keys.requests,
        "SCHEDULER_DUPEFILTER_KEY": keys.dupefilter,
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,
        "NIANBAO_RUN_NOTE": run_note(queue),
    }


def server_of(redis_url: str) -> Any:
    """Return a Redis client of `redis_url` (scrapy-redis's connection defaults), checked with a PING."""
    from scrapy.settings import Settings
    from scrapy_redis.connection import get_redis_from_settings

    server = get_redis_from_settings(Settings({"REDIS_URL": redis_url, "REDIS_PARAMS": {"socket_connect_timeout": 5}}))
    server.ping()
    return server


def load_seeded_sites(server: Any, queue: str) -> list[Site]:
    """Return the sites seeded under `queue`; raise NothingSeeded where there are none."""
    data = server.get(Keys(queue).sites)
    if not data:
        raise NothingSeeded(f"no crawl seeded under queue {queue!r}: run `nianbao crawl --redis …` first")
    return list(pickle.loads(data))


def seed(server: Any, sites: list[Site], queue: str = DEFAULT_QUEUE) -> dict[str, int]:
    """Store `sites` under `queue` and push their start requests; return {"seeded", "sites", "fresh"}.

    Where no crawl is under way (nothing queued, nothing leased) the dupefilter of the last one is cleared and
    the sites replace the stored ones (`fresh` 1): a new round fetches everything again (conditionally, through
    the store's crawl memory). While a crawl is under way the sites are added to it, and start URLs it already
    scheduled are not pushed again."""
    from scrapy_redis.dupefilter import RFPDupeFilter

    keys = Keys(queue)
    spider = AnnualReportsSpider(sites=sites)
    q = LeasedQueue(server=server, spider=spider, key=keys.requests)
    q.keys = keys
    df = RFPDupeFilter(server, keys.dupefilter)
    fresh = len(q) == 0 and q.leased() == 0
    known: list[Site] = []
    if fresh:
        df.clear()
        server.delete(keys.held_sites)
        # the last round's budgets
        for pattern in (keys.pages("*"), keys.reports("*"), keys.held("*"), keys.refused("*")):
            for key in server.scan_iter(match=pattern, count=1000):
                server.delete(key)
    else:
        known = load_seeded_sites(server, queue) if server.exists(keys.sites) else []
    ids = {s.site_id for s in sites}
    server.set(keys.sites, pickle.dumps([*[s for s in known if s.site_id not in ids], *sites], protocol=4))
    pushed = 0
    for site in sites:
        for url in site.start_urls:
            canon = D.canonical(url)
            if canon is None:
                continue
            meta = {"site": site, "role": "list", "depth": 0, "context": {}}
            request = scrapy.Request(canon, callback=spider.parse_page, errback=spider.failed, meta=meta)
            if df.request_seen(request):  # the fingerprint is kept: a link back to a start page is filtered
                continue
            q.push(request)
            server.incr(keys.pages(site.site_id))  # a start page is a page of the site's budget, as in one process
            pushed += 1
    return {"seeded": pushed, "sites": len(sites), "fresh": int(fresh)}


class WorkerSpider(AnnualReportsSpider):
    """The annual-reports spider of a worker: its sites are the seeded ones, its requests come from Redis."""

    name = "annual_reports"

    async def start(self) -> AsyncIterator[Any]:
        self.store = self.crawler.get_extension(StoreExtension)
        for site in self.sites:
            self.crawler.stats.set_value(f"site/{site.site_id}/pages", 0)
        return
        yield  # an async generator that yields nothing: the seeds are in Redis

    def failed(self, failure: Any) -> Any:
        """As the annual-reports spider's, but a request not sent because Redis stayed away is no error: its lease
        brings it back to the queue."""
        if failure.check(RedisGone):
            return iter(())
        return super().failed(failure)

    def _reports_of(self, site_id: str) -> int:
        """Return the reports every worker has had from a site so far (told to Redis, and this worker's not yet
        told); 1 where Redis cannot say, so that no site is searched for want of an answer."""
        try:
            return self.crawler.engine._slot.scheduler.reports_of(site_id)
        except REDIS_DOWN:
            return 1

    def _budget(self, site: Site, depth: int) -> str | None:
        """Return "depth" where a new request is past the site's depth (refused, counted), else None: its pages are
        counted, and held past the budget, over every worker by the scheduler (`LeasedScheduler`)."""
        if depth <= int(site.overrides.get("max_depth", DEFAULT_MAX_DEPTH)):
            return None
        self._refused(site.site_id, "depth")
        return "depth"


class WorkerExtension:
    """Acknowledges a request's lease once it is handled whole, renews this worker's leases and puts expired
    ones back every second, and keeps the worker open until the frontier has stayed empty, with nothing leased,
    for NIANBAO_WORKER_IDLE_S seconds."""

    def __init__(self, crawler: Any) -> None:
        from twisted.internet import task

        self.crawler = crawler
        self.idle_s = crawler.settings.getfloat("NIANBAO_WORKER_IDLE_S", DEFAULT_IDLE_S)
        self.idle_since: float | None = None
        self.loop = task.LoopingCall(self.tick)
        self.health = RedisHealth.of(crawler)
        self.stopping = False
        self.sites: dict[str, Site] = {}
        """The crawl's sites by id (whose held requests this worker releases)."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> WorkerExtension:
        ext = cls(crawler)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.idle, signal=signals.spider_idle)
        return ext

    @property
    def scheduler(self) -> LeasedScheduler:
        return self.crawler.engine._slot.scheduler

    @property
    def queue(self) -> LeasedQueue:
        return self.scheduler.queue

    def opened(self, spider: Any) -> None:
        scraper = self.crawler.engine.scraper
        handle = scraper.enqueue_scrape

        def enqueue_scrape(result: Any, request: Any) -> Any:
            request.meta[PUSH_FAILURES_META] = self.health.failed_pushes
            d = handle(result, request)
            d.addBoth(self._done, request)
            return d

        scraper.enqueue_scrape = enqueue_scrape  # the engine's only way to the spider: acknowledged after it
        self.sites = {s.site_id: s for s in getattr(spider, "sites", ())}
        self.loop.start(1.0, now=False)

    def _done(self, result: Any, request: Any) -> Any:
        """The request's response or failure went through the callback, its items through the pipelines and its
        requests into Redis: end its lease, unless a push failed meanwhile (one of its requests may be lost)."""
        token = request.meta.pop(LEASE_META, None)
        pushes_failed = self.health.failed_pushes != request.meta.pop(PUSH_FAILURES_META, self.health.failed_pushes)
        if token is not None and pushes_failed:
            self.queue.abandon(token)
            self.crawler.stats.inc_value("distributed/kept_leased")
        elif token is not None:
            try:
                self.queue.ack(token)
            except REDIS_DOWN as exc:  # the lease expires and the request is fetched again: nothing is lost
                self.health.failed(exc)
            except Exception as exc:
                self.crawler.spider.logger.warning("lease %s not acknowledged: %s", token, exc)
        return result

    def tick(self) -> None:
        """Renew this worker's leases, put expired ones back, and let the engine look at the queue again; stop the
        worker once Redis has been away longer than its grace time."""
        try:
            self.queue.renew()
            back = self.queue.reap()
        except REDIS_DOWN as exc:  # away for a moment, or for good: the grace time decides
            self.health.failed(exc)
            if self.health.gone() and not self.stopping:
                self.stopping = True
                self.crawler.stats.set_value("distributed/redis_unreachable_s", round(self.health.away_s()))
                deferred_from_coro(self.crawler.engine.close_spider_async(reason=CLOSE_REASON))
            return
        except Exception as exc:
            self.crawler.spider.logger.warning("Redis: %s", exc)
            return
        try:  # reports that came in since the last push may make room for held requests
            moved = self.scheduler.release(self.sites)
        except REDIS_DOWN as exc:
            self.health.failed(exc)
            return
        if moved:
            self.crawler.stats.inc_value("distributed/released", moved)
        self.health.answered()
        if back:
            self.crawler.stats.inc_value("distributed/requeued", back)
            self.crawler.spider.logger.warning(
                "%d request(s) of expired leases put back in the queue (a worker died or stalled)", back
            )
        slot = self.crawler.engine._slot
        if slot is not None:
            slot.nextcall.schedule()

    def idle(self, spider: Any) -> None:
        """Keep the worker open while the shared frontier has work or had it less than the idle time ago, or while
        Redis cannot say what its sites still hold past their budgets; count that as refused when it ends."""
        try:
            busy = len(self.queue) > 0 or self.queue.leased() > 0
        except Exception:
            busy = True
        now = time.monotonic()
        if busy:
            self.idle_since = None
            raise DontCloseSpider
        if self.idle_since is None:
            self.idle_since = now
        if now - self.idle_since < self.idle_s:
            raise DontCloseSpider
        try:  # the worker ends: what its sites still hold past their budgets (no ending worker counted) was refused
            held = self.scheduler.claim_refused()
        except REDIS_DOWN as exc:
            # Not ended uncounted: the tick's grace decides (Redis back: counted at the next idle; gone: exit 3).
            self.health.failed(exc)
            raise DontCloseSpider from None
        for sid, n in held.items():
            if sid in self.sites:
                for name in ("budget_refused", "budget_pages_refused"):
                    self.crawler.stats.inc_value(f"site/{sid}/{name}", n)

    def closed(self, spider: Any) -> None:
        if self.loop.running:
            self.loop.stop()


def worker_overrides(redis_url: str, queue: str, idle_s: float, lease_s: float) -> dict[str, Any]:
    """Return the settings of a worker (on top of a crawl's): scheduler in Redis, shared host slots, leases."""
    from ..settings import DOWNLOADER_MIDDLEWARES, EXTENSIONS

    return {
        **redis_settings(redis_url, queue),
        "NIANBAO_WORKER_IDLE_S": idle_s,
        "NIANBAO_LEASE_S": lease_s,
        "DOWNLOADER_MIDDLEWARES": {**DOWNLOADER_MIDDLEWARES, "crawler.distributed.hostlimit.SharedHostSlots": 990},
        "EXTENSIONS": {**EXTENSIONS, "crawler.distributed.worker.WorkerExtension": 400},
    }


def run_worker(redis_url: str, queue: str, overrides: dict[str, Any], idle_s: float = DEFAULT_IDLE_S,
               lease_s: float = 120.0) -> dict[str, Any]:  # fmt: skip
    """Run one worker of the crawl seeded under `queue` to its end; return its summary (as `run_crawl`).

    Raises NothingSeeded where nothing was seeded, and Redis's errors where it cannot be reached."""
    from scrapy.crawler import CrawlerProcess

    from ..run import crawl_settings, crawl_summary, tune_gc

    sites = load_seeded_sites(server_of(redis_url), queue)
    process = CrawlerProcess(crawl_settings({**overrides, **worker_overrides(redis_url, queue, idle_s, lease_s)}))
    crawler = process.create_crawler(WorkerSpider)
    process.crawl(crawler, sites=sites)
    tune_gc()
    process.start()
    return crawl_summary(crawler)
