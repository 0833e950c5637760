"""A crawl shared by worker processes through Redis (scrapy-redis) into one PostgreSQL store (issue 11, item 4).

Real Redis (127.0.0.1:6379, or $NIANBAO_TEST_REDIS) and PostgreSQL; skipped, saying why, where either is away.
Every test uses a queue name of its own and deletes its keys afterwards (the Redis may be shared).

The fixture web counts, per Host, the requests in flight (from the request line read to the response written,
each held 50 ms so that overlapping requests overlap for sure) and logs every request. A request whose answer the
web holds longer than the crawler's DOWNLOAD_TIMEOUT (lonsun's timeout page) stops counting once it is answered
that late: the crawler has given it up, and freed its slot, by then (a single process does the same).
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from nianbao.demo import web as web_module
from nianbao.demo.handler import _Handler
from nianbao.demo.server import FixtureWeb
from storage import Store

from .conftest import CRAWL_SETTINGS, ROOT, FirstCrawl, need_browser, readable_here
from .databases import BackendUnavailable, temp_pg_database

pytestmark = pytest.mark.slow

REDIS_URL = os.environ.get("NIANBAO_TEST_REDIS", "redis://127.0.0.1:6379/0")
HOLD_S = 0.05
LIMIT = 2  # CONCURRENT_REQUESTS_PER_DOMAIN
TIMEOUT_S = float(CRAWL_SETTINGS[CRAWL_SETTINGS.index("-s") + 1].partition("=")[2])  # DOWNLOAD_TIMEOUT


def _redis() -> Any:
    try:
        import redis
        import scrapy_redis  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"the distributed extra is not installed ({exc}): pip install -e '.[distributed]'")
    server = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        server.ping()
    except Exception as exc:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    return server


@pytest.fixture
def queue() -> Iterator[tuple[Any, str]]:
    """(Redis client, a queue name of this test's own); its keys are deleted afterwards."""
    server = _redis()
    name = f"test-{uuid.uuid4().hex[:10]}"
    yield server, name
    for key in server.scan_iter(match=f"nianbao:{name}:*", count=1000):
        server.delete(key)


@pytest.fixture
def pg() -> Iterator[str]:
    try:
        with temp_pg_database() as url:
            yield url
    except BackendUnavailable as exc:
        pytest.skip(str(exc))


class CountingWeb(FixtureWeb):
    """The fixture web, with the peak of requests in flight per Host."""

    def __init__(self) -> None:
        super().__init__()
        self.now: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()
        self.count_lock = threading.Lock()
        self.abandoned = threading.local()

    def _respond(self, site: Any, method: str, path: str, query: Any, form: Any) -> Any:
        resp = super()._respond(site, method, path, query, form)
        if resp.delay > TIMEOUT_S:  # the crawler hangs up before the answer: no longer in flight for it
            self.abandoned.host = self.abandoned.current
            with self.count_lock:
                self.now[self.abandoned.current] -= 1
        return resp


class _CountingHandler(_Handler):
    def _handle(self, method: str) -> None:
        web: CountingWeb = self.web  # type: ignore[assignment]
        host = self.headers.get("Host", "")
        web.abandoned.current, web.abandoned.host = host, None
        with web.count_lock:
            web.now[host] += 1
            web.peak[host] = max(web.peak[host], web.now[host])
        try:
            time.sleep(HOLD_S)
            super()._handle(method)
        finally:
            if web.abandoned.host is None:
                with web.count_lock:
                    web.now[host] -= 1


@pytest.fixture
def web(monkeypatch: pytest.MonkeyPatch) -> Iterator[CountingWeb]:
    monkeypatch.setattr(web_module, "_Handler", _CountingHandler)
    with CountingWeb() as w:
        yield w


def _nianbao(*argv: str) -> list[str]:
    return [sys.executable, "-m", "nianbao.cli", *argv]


WORKER_SETTINGS = [*CRAWL_SETTINGS, "--fast", "--idle", "4", "-s", "NIANBAO_HOST_SLOT_S=8"]
# A lease is renewed every second while its request is handled; on a loaded machine the reactor can miss renewals
# for seconds (extraction threads hold the GIL), and an expired lease is fetched again by design (at least once).
# The kill test needs leases that expire soon; the exactly-once test must not see one expire.
SHORT_LEASE, LONG_LEASE = "6", "60"


def _seed(registry: Path, db: str, redis_queue: str, redis_url: str = REDIS_URL) -> None:
    run = subprocess.run(_nianbao("crawl", "--sites", str(registry), "--redis", redis_url, "--queue", redis_queue,
                                  "--db", db), cwd=ROOT, capture_output=True, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr.decode()[-3000:]
    assert b"seeded" in run.stdout


def _worker(tmp: Path, n: int, db: str, redis_queue: str, lease: str = LONG_LEASE, *extra: str,
            redis_url: str = REDIS_URL) -> subprocess.Popen:  # fmt: skip
    out = tmp / f"worker{n}"
    out.mkdir(exist_ok=True)
    argv = _nianbao(
        "worker",
        "--redis",
        redis_url,
        "--queue",
        redis_queue,
        "--db",
        db,
        "--blobs",
        str(tmp / "blobs"),
        "--feed",
        str(out / "feed.jsonl"),
        "--summary",
        str(out / "summary.json"),
        *WORKER_SETTINGS,
        "--lease",
        lease,
        *extra,
    )
    return subprocess.Popen(argv, cwd=ROOT, stdout=(out / "stdout").open("wb"), stderr=(out / "stderr").open("wb"))


def _refetches(db: str) -> int:
    """Return the retries and re-queued expired leases the store's crawl runs counted."""
    with Store(db) as store:
        return sum(int((r["stats"] or {}).get("retry/count", 0)) + int((r["stats"] or {}).get("distributed/requeued", 0))
                   for r in store.runs())  # fmt: skip


def _given_up(db: str) -> int:
    """Return the requests the store's crawl runs gave up after their last retry (pages whose links were lost)."""
    with Store(db) as store:
        return sum(int((r["stats"] or {}).get("retry/max_reached", 0)) for r in store.runs())


def _finish(proc: subprocess.Popen, tmp: Path, n: int) -> None:
    status = proc.wait(timeout=400)
    stderr = (tmp / f"worker{n}" / "stderr").read_text(errors="replace")
    assert status in (0, 1), stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]


def _key(r: dict[str, Any], port: int) -> tuple[str, str, str, str]:
    return r["method"], r["host"].replace(f":{port}", ":PORT"), r["path"], r.get("query") or ""


def _fetches(requests: list[dict[str, Any]], port: int) -> Counter:
    """(method, host, path, query) → how many times it was asked for; robots.txt left out (each worker reads it)."""
    return Counter(_key(r, port) for r in requests if r["path"] != "/robots.txt")


def _stored(db: str, blobs: Path, port: int) -> Counter[tuple[str | None, frozenset[str]]]:
    """Return each stored report as (its text SHA-256, its source URLs with the port masked).

    A report kept from two documents of other forms (a DOCX and a PDF of the same tables) has the text of
    whichever was read first, in one process too: its text SHA-256 is left out (None)."""
    with Store(db, blob_root=blobs) as store:
        return Counter((r["text_sha256"] if len(r["documents"]) == 1 else None,
                        frozenset(u.replace(f":{port}", ":PORT") for u in r["sources"]))
                       for r in store.reports(latest_only=False))  # fmt: skip


def test_seeded_requests_keep_their_site_and_context_through_redis(queue: tuple[Any, str]) -> None:
    from crawler.distributed.keys import Keys
    from crawler.distributed.queue import LEASE_META, LeasedQueue
    from crawler.distributed.worker import WorkerSpider, load_seeded_sites, seed
    from crawler.registry import sites_from_urls

    server, name = queue
    sites = sites_from_urls(["http://127.0.0.11:1/gk/", "http://127.0.0.12:1/"])
    assert seed(server, sites, name) == {"seeded": 2, "sites": 2, "fresh": 1}
    assert load_seeded_sites(server, name) == sites
    assert seed(server, sites, name)["seeded"] == 0, "a crawl under way: the start URLs are not pushed again"
    spider = WorkerSpider(sites=load_seeded_sites(server, name))
    q = LeasedQueue(server=server, spider=spider, key=Keys(name).requests)
    q.keys, q.lease_s = Keys(name), 0.5
    first = q.pop()
    assert first is not None and first.callback == spider.parse_page and first.errback == spider.failed
    assert first.meta["site"] in sites and first.meta["context"] == {} and first.meta[LEASE_META]
    assert len(q) == 1 and q.leased() == 1
    q.ack(first.meta[LEASE_META])
    second = q.pop()
    assert second is not None and q.leased() == 1 and len(q) == 0
    time.sleep(0.6)  # its worker died: the lease expires and the request goes back
    assert q.reap() == 1 and len(q) == 1 and q.leased() == 0
    again = q.pop()
    assert again is not None and again.url == second.url and pickle.dumps(again.meta["site"])


def test_a_link_whose_push_answer_an_outage_lost_can_be_pushed_again(queue: tuple[Any, str], monkeypatch) -> None:
    import scrapy
    from redis.exceptions import ConnectionError as RedisConnectionError
    from scrapy.utils.test import get_crawler

    from crawler.distributed.queue import LeasedScheduler
    from crawler.distributed.worker import WorkerSpider, redis_settings
    from crawler.registry import sites_from_urls

    server, name = queue
    crawler = get_crawler(WorkerSpider, redis_settings(REDIS_URL, name))
    spider = WorkerSpider.from_crawler(crawler, sites=sites_from_urls(["http://127.0.0.11:1/gk/"]))
    scheduler = LeasedScheduler.from_crawler(crawler)
    scheduler.open(spider)
    request = scrapy.Request("http://127.0.0.11:1/gk/a.html", meta={"site": spider.sites[0]})
    run = scheduler.server.eval

    def lost(*args: Any) -> Any:  # the push ran in Redis, then the connection went before its answer came back
        run(*args)
        raise RedisConnectionError("connection lost")

    monkeypatch.setattr(scheduler.server, "eval", lost)
    assert scheduler.enqueue_request(request) is False
    fingerprint = scheduler.df.request_fingerprint(request)
    assert server.sismember(scheduler.df.key, fingerprint) and scheduler.unpushed == [fingerprint]
    monkeypatch.setattr(scheduler.server, "eval", run)
    assert scheduler.enqueue_request(request.replace()) is True, "the page fetched again could not push its link"
    assert len(scheduler.queue) == 1 and scheduler.unpushed == []
    assert scheduler.health.failed_pushes == 1 and scheduler.health.down_since is None


def test_two_workers_fetch_each_url_once_and_store_what_one_process_stores(
    tmp_path: Path, first_crawl: FirstCrawl, web: CountingWeb, pg: str, queue: tuple[Any, str]
) -> None:
    _, name = queue
    registry = web.write_registry(tmp_path / "sites.csv")
    _seed(registry, pg, name)
    workers = [_worker(tmp_path, n, pg, name) for n in (1, 2)]
    for n, proc in enumerate(workers, 1):
        _finish(proc, tmp_path, n)
    single = _fetches(first_crawl.requests, first_crawl.web.port)
    shared = _fetches(web.requests, web.port)
    # Every URL once, over both workers: a URL asked for more than once is a retry the single process made too
    # (a timeout, a 500 answered once).
    extra = {k: n for k, n in shared.items() if n > max(1, single.get(k, 0))}
    # On a loaded machine a page can time out (1.5 s here) where the single process's did not: a retry, counted by
    # the worker that made it. Only fetches no retry or expired lease explains are duplicates.
    explained = _refetches(pg) - _refetches(f"sqlite:///{first_crawl.out / 'nianbao.sqlite'}")
    unexplained = sum(n - max(1, single.get(k, 0)) for k, n in extra.items()) - max(explained, 0)
    assert unexplained <= 0, f"fetched more often than by one process, retries explain {explained}: {extra}"
    diff = (sorted(set(single) - set(shared))[:5], sorted(set(shared) - set(single))[:5])
    # A single crawl that gave a page up after its retries (its 1.5 s timeouts on a loaded machine) never saw the
    # links on it: then the workers must find at least what it found, else exactly that.
    lost = _given_up(f"sqlite:///{first_crawl.out / 'nianbao.sqlite'}")
    assert set(shared) >= set(single) if lost else set(shared) == set(single), diff
    assert max(web.peak.values()) <= LIMIT, f"in flight per host over both workers: {dict(web.peak)}"
    stored = _stored(pg, tmp_path / "blobs", web.port)
    alone = _stored(f"sqlite:///{first_crawl.out / 'nianbao.sqlite'}", first_crawl.out / "blobs", first_crawl.web.port)
    assert {t for t, _ in stored} >= {t for t, _ in alone} if lost else stored == alone
    expected = {u for r in readable_here(web.expected()["reports"]) for u in r["urls"]}
    assert {u.replace(":PORT", f":{web.port}") for _, us in stored for u in us} >= expected
    # One summary of the round (`nianbao runs --queue`): each site's figures are the two workers' added together.
    combined = subprocess.run(_nianbao("runs", "--db", pg, "--queue", name, "--format", "json"), capture_output=True,
                              text=True, timeout=120)  # fmt: skip
    assert combined.returncode in (0, 1) and "Traceback" not in combined.stderr, combined.stderr
    summary = json.loads(combined.stdout)
    assert len(summary["runs"]) == 2, "the round is the two workers' runs"
    own = [json.loads((tmp_path / f"worker{n}" / "summary.json").read_text())["sites"] for n in (1, 2)]
    for row in summary["sites"]:
        mine = [r for rows in own for r in rows if r["site"] == row["site"]]
        for key in ("pages", "reports_new", "reports_known", "not_reports", "errors"):
            assert row[key] == sum(r[key] for r in mine), (row["site"], key, row[key], mine)
    assert sum(r["reports_new"] + r["reports_known"] for r in summary["sites"]) > 0
    both = [(tmp_path / f"worker{n}" / "feed.jsonl").read_text().count("\n") for n in (1, 2)]
    print(
        f"\nrequests {sum(shared.values())} (single process {sum(single.values())}), distinct {len(shared)}, "
        f"robots.txt {sum(1 for r in web.requests if r['path'] == '/robots.txt')}, fetched more than once "
        f"{sum(n - 1 for n in shared.values() if n > 1)} (single {sum(n - 1 for n in single.values() if n > 1)}), "
        f"peak in flight per host {max(web.peak.values())}, feed lines per worker {both}, reports {sum(stored.values())}"
    )


def _with_budget(registry: Path, max_pages: int) -> dict[str, str]:
    """Give every site of `registry` a page budget of `max_pages`, not raised by the reports it yields; return
    host → site id."""
    with registry.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row["overrides"] = json.dumps({**json.loads(row["overrides"] or "{}"), "max_pages": max_pages,
                                       "pages_per_report": 0})
    with registry.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return {row["allowed_hosts"].split()[0]: row["site_id"] for row in rows}


def test_the_reports_each_worker_yields_raise_their_site_budget_for_every_worker(queue: tuple[Any, str]) -> None:
    import scrapy
    from scrapy.utils.test import get_crawler

    from crawler.distributed.queue import LeasedScheduler
    from crawler.distributed.worker import WorkerSpider, redis_settings
    from crawler.registry import Site

    server, name = queue
    site = Site("s", "s", ("http://127.0.0.11:1/",), frozenset({"127.0.0.11:1"}),
                overrides={"max_pages": 2, "pages_per_report": 3})  # fmt: skip
    workers = []
    for _ in range(2):
        crawler = get_crawler(WorkerSpider, redis_settings(REDIS_URL, name))
        spider = WorkerSpider.from_crawler(crawler, sites=[site])
        scheduler = LeasedScheduler.from_crawler(crawler)
        scheduler.open(spider)
        workers.append((crawler, scheduler))
    (one, first), (two, second) = workers
    urls = (f"http://127.0.0.11:1/p{n}.html" for n in range(100))

    def push(s: LeasedScheduler) -> bool:
        return s.enqueue_request(scrapy.Request(next(urls), meta={"site": site}))

    assert [push(first), push(second), push(first), push(second)] == [True, True, False, False]
    assert len(first.queue) == 2 and first.held() == {"s": 2}, "past the budget a request waits in Redis"
    assert push(first) is False and first.held() == {"s": 3}
    one.stats.inc_value("site/s/reports_new")  # worker 1 read a report: 3 pages more, for both
    # The site had a report: neither worker searches it (worker 1 has not told Redis yet; worker 2 asks Redis).
    assert first.reports_of("s") == 1 and second.reports_of("s") == 0
    assert second.release({"s": site}) == 0, "worker 2 has not heard of it"
    assert first.release({"s": site}) == 3 and len(first.queue) == 5 and first.held() == {}
    assert push(second) is False and second.held() == {"s": 1}
    two.stats.inc_value("site/s/reports_known")  # a known report earns as much
    two.stats.inc_value("site/s/duplicate_urls")  # another URL of a report met already: nothing
    assert push(second) is True and len(first.queue) == 7 and second.held() == {}, "the held one first, then this"
    assert int(server.get(first.keys.reports("s"))) == 2 and int(server.get(first.keys.pages("s"))) == 7
    assert [push(first), push(first)] == [True, False] and first.held() == {"s": 1}
    one.stats.inc_value("site/s/reports_new")  # told with a link both had pushed already: counted all the same
    assert first.enqueue_request(scrapy.Request("http://127.0.0.11:1/p0.html", meta={"site": site})) is False
    assert int(server.get(first.keys.reports("s"))) == 3 and first.release({"s": site}) == 1
    assert first.reports_of("s") == second.reports_of("s") == 3, "every worker sees every report told"
    assert one.stats.get_value("site/s/budget_held") == 3 and two.stats.get_value("site/s/budget_held") == 2
    assert one.stats.get_value("site/s/budget_pages_refused") is None, "held is not refused while the crawl goes on"


def test_a_worker_does_not_end_while_redis_cannot_say_what_its_sites_hold(queue: tuple[Any, str], monkeypatch) -> None:
    import scrapy
    from redis.exceptions import ConnectionError as RedisConnectionError
    from scrapy.exceptions import DontCloseSpider
    from scrapy.utils.test import get_crawler

    from crawler.distributed.queue import LeasedScheduler
    from crawler.distributed.worker import WorkerExtension, WorkerSpider, redis_settings
    from crawler.registry import Site

    _, name = queue
    site = Site("s", "s", ("http://127.0.0.11:1/",), frozenset({"127.0.0.11:1"}),
                overrides={"max_pages": 0, "pages_per_report": 0})  # fmt: skip
    crawler = get_crawler(WorkerSpider, {**redis_settings(REDIS_URL, name), "NIANBAO_WORKER_IDLE_S": 0})
    spider = WorkerSpider.from_crawler(crawler, sites=[site])
    scheduler = LeasedScheduler.from_crawler(crawler)
    scheduler.open(spider)
    assert scheduler.enqueue_request(scrapy.Request("http://127.0.0.11:1/a.html", meta={"site": site})) is False
    assert len(scheduler.queue) == 0 and scheduler.held() == {"s": 1}
    monkeypatch.setattr(WorkerExtension, "scheduler", property(lambda self: scheduler))
    ext = WorkerExtension(crawler)
    ext.sites = {"s": site}
    claim = scheduler.claim_refused

    def gone() -> dict[str, int]:
        raise RedisConnectionError("connection refused")

    monkeypatch.setattr(scheduler, "claim_refused", gone)
    with pytest.raises(DontCloseSpider):  # ended now, its held request would be neither sent nor counted
        ext.idle(spider)
    assert ext.health.down_since is not None and crawler.stats.get_value("site/s/budget_pages_refused") is None
    monkeypatch.setattr(scheduler, "claim_refused", claim)
    ext.idle(spider)  # Redis answers: the worker ends, what its site still holds counted as refused
    assert crawler.stats.get_value("site/s/budget_pages_refused") == 1


def test_workers_ending_together_count_a_held_request_refused_once(queue: tuple[Any, str], monkeypatch) -> None:
    import scrapy
    from scrapy.utils.test import get_crawler

    from crawler.distributed.queue import LeasedScheduler
    from crawler.distributed.worker import WorkerExtension, WorkerSpider, redis_settings
    from crawler.registry import Site

    _, name = queue
    site = Site("s", "s", ("http://127.0.0.11:1/",), frozenset({"127.0.0.11:1"}),
                overrides={"max_pages": 0, "pages_per_report": 0})  # fmt: skip
    ends = []
    for _ in range(2):  # two workers on one queue, both idle at the crawl's end
        crawler = get_crawler(WorkerSpider, {**redis_settings(REDIS_URL, name), "NIANBAO_WORKER_IDLE_S": 0})
        spider = WorkerSpider.from_crawler(crawler, sites=[site])
        scheduler = LeasedScheduler.from_crawler(crawler)
        scheduler.open(spider)
        ext = WorkerExtension(crawler)
        ext.sites = {"s": site}
        ends.append((crawler, spider, scheduler, ext))
    first = ends[0][2]
    assert first.enqueue_request(scrapy.Request("http://127.0.0.11:1/a.html", meta={"site": site})) is False
    assert first.enqueue_request(scrapy.Request("http://127.0.0.11:1/b.html", meta={"site": site})) is False
    assert first.held() == {"s": 2}
    for _, spider, scheduler, ext in ends:
        monkeypatch.setattr(WorkerExtension, "scheduler", property(lambda self, s=scheduler: s))
        ext.idle(spider)
    counted = [crawler.stats.get_value("site/s/budget_pages_refused") or 0 for crawler, *_ in ends]
    assert sum(counted) == 2, f"two held requests, counted refused per worker: {counted}"
    assert first.enqueue_request(scrapy.Request("http://127.0.0.11:1/c.html", meta={"site": site})) is False
    crawler, spider, scheduler, ext = ends[1]
    monkeypatch.setattr(WorkerExtension, "scheduler", property(lambda self: scheduler))
    ext.idle(spider)  # one more held since: only it is new
    assert crawler.stats.get_value("site/s/budget_pages_refused") == counted[1] + 1


def test_a_page_budget_holds_across_workers_and_each_hit_is_reported(
    tmp_path: Path, web: CountingWeb, pg: str, queue: tuple[Any, str]
) -> None:
    max_pages = 12
    sites = _with_budget(web.write_registry(tmp_path / "sites.csv"), max_pages)
    _seed(tmp_path / "sites.csv", pg, name := queue[1])
    workers = [_worker(tmp_path, n, pg, name) for n in (1, 2)]
    for n, proc in enumerate(workers, 1):
        _finish(proc, tmp_path, n)
    asked: dict[str, set[tuple[str, str, str]]] = {}
    moved: set[tuple[str, str, str]] = set()  # where a 301 sent the crawler: Scrapy's redirect, not a page asked for
    for r in web.requests:
        if r["path"] != "/robots.txt":
            asked.setdefault(r["host"], set()).add((r["method"], r["path"], r.get("query") or ""))
        if r["status"] == 301:
            moved.add((r["host"], r["path"] + "/", r.get("query") or ""))
    pages = {host: len({k for k in keys if (host, k[1], k[2]) not in moved}) for host, keys in asked.items()}
    hit: set[str] = set()
    for n in (1, 2):
        summary = json.loads((tmp_path / f"worker{n}" / "summary.json").read_text(encoding="utf-8"))
        hit |= {r["site"] for r in summary["sites"] if "pages" in (r.get("budget_hit") or "")}
    over = {host: n for host, n in pages.items() if n > max_pages}
    assert not over, f"pages asked for per host over both workers, budget {max_pages}: {over}"
    full = {sites.get(host, host) for host, n in pages.items() if n == max_pages}
    assert full and full <= hit, f"sites that used their whole budget {sorted(full)}, reported {sorted(hit)}"
    print(
        f"\npages asked for per site over both workers (budget {max_pages}): "
        f"{sorted((sites.get(h, h), n) for h, n in pages.items())}, budget hit reported for {sorted(hit)}"
    )


def test_a_retry_after_pauses_the_host_for_every_worker(tmp_path: Path, pg: str, queue: tuple[Any, str]) -> None:
    from nianbao.demo.web import REGISTRY_COLUMNS

    from .test_crawl_robustness import PDF, TITLE, Reply, Web, page

    wait, hold = 3.0, 0.3  # the 429's Retry-After; every answer is held this long, so both workers have one in flight
    docs = [f"/nb/{n}.pdf" for n in range(60)]
    fired: list[str] = []

    def doc(path: str) -> Callable[[int], Reply]:
        def reply(n: int) -> Reply:
            # One 429, once both workers are fetching (each has asked for robots.txt): then both had the host.
            if not fired and web.count("/robots.txt") >= 2:
                fired.append(path)
                return Reply(status=429, headers={"Retry-After": f"{wait:.0f}"})
            return Reply(body=PDF, ctype="application/pdf")

        return reply

    web = Web({"/": lambda n: page([(d, TITLE.format(f"第{n}单位")) for n, d in enumerate(docs)]),
               **{d: doc(d) for d in docs}}, pause=hold)  # fmt: skip
    registry = tmp_path / "sites.csv"
    with registry.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(REGISTRY_COLUMNS)
        writer.writerow(["paused", "某某区人民政府", "320813", "某某区", "county", web.url, web.host, "", ""])
    with web.running():
        _seed(registry, pg, queue[1])
        # Two requests at a time a worker, four host slots shared: neither worker takes the whole frontier or all
        # the slots, so the one not answered 429 always could go on sending to the host.
        extra = ("-s", "CONCURRENT_REQUESTS=2", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=4")
        workers = [_worker(tmp_path, n, pg, queue[1], LONG_LEASE, *extra) for n in (1, 2)]
        for n, proc in enumerate(workers, 1):
            _finish(proc, tmp_path, n)
    assert fired, f"both workers never fetched from the host: {web.hits}"
    asked = web.times(fired[0])
    assert len(asked) == 2, web.hits  # the 429, then its retry
    answered = asked[0] + hold  # the 429 left the server; a request the other worker sent before it learnt is let be
    during = [(p, round(t - answered, 2)) for p, t in web.hits if answered + hold < t < answered + wait - 0.2]
    assert not during, f"requests to the paused host within its Retry-After, seconds after the 429: {during}"
    assert asked[1] >= answered + wait - 0.2, (asked, answered)
    assert all(web.count(d) >= 1 for d in docs), web.hits
    after = sorted(round(t - answered, 2) for _, t in web.hits if t > answered)
    print(f"\n429 answered; the next requests to the host {after[:4]} s after")


def test_a_worker_killed_mid_crawl_loses_nothing(tmp_path: Path, web: CountingWeb, pg: str,
                                                 queue: tuple[Any, str]) -> None:  # fmt: skip
    from crawler.distributed.keys import Keys

    server, name = queue
    registry = web.write_registry(tmp_path / "sites.csv")
    _seed(registry, pg, name)
    victim = _worker(tmp_path, 1, pg, name, SHORT_LEASE)
    deadline = time.time() + 120
    held: list[bytes] = []
    while time.time() < deadline and not held:  # kill it while it holds leased requests
        held = [t for t in server.hkeys(Keys(name).leases) if f":{victim.pid}:".encode() in t]
        time.sleep(0.05)
    assert held, "the worker never took a request"
    time.sleep(1.0)  # well into its work
    survivor = _worker(tmp_path, 2, pg, name, SHORT_LEASE)
    held = [t for t in server.hkeys(Keys(name).leases) if f":{victim.pid}:".encode() in t]
    os.kill(victim.pid, signal.SIGKILL)
    assert held, "killed holding no request: nothing was at stake"
    assert victim.wait(timeout=30) == -signal.SIGKILL
    _finish(survivor, tmp_path, 2)
    assert server.zcard(Keys(name).requests) == 0 and server.zcard(Keys(name).lease_expiry) == 0
    expected = {u for r in readable_here(web.expected()["reports"]) for u in r["urls"]}
    with Store(pg, blob_root=tmp_path / "blobs") as store:
        stored = {u for r in store.reports(latest_only=False) for u in r["sources"]}
    assert expected <= stored, f"lost with the killed worker: {sorted(expected - stored)}"
    assert max(web.peak.values()) <= LIMIT, dict(web.peak)
    fetches = _fetches(web.requests, web.port)
    print(
        f"\nkilled holding {len(held)} leased request(s); requests {sum(fetches.values())}, fetched more than "
        f"once {sum(n - 1 for n in fetches.values() if n > 1)}, peak in flight per host {max(web.peak.values())}"
    )


class PrivateRedis:
    """A redis-server of this test's own on a free loopback port, its data in a folder: it can be stopped (saving
    its data or not) and started again from what it saved."""

    def __init__(self, folder: Path) -> None:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.folder = folder
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        import redis

        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", str(self.folder)]  # fmt: skip
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while True:
            try:
                redis.Redis.from_url(self.url, socket_connect_timeout=1).ping()
                return
            except redis.ConnectionError:
                if time.time() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self, save: bool) -> None:
        import redis

        with contextlib.suppress(redis.ConnectionError):  # it closes the connection as it goes
            redis.Redis.from_url(self.url).shutdown(save=save, nosave=not save)
        if self.proc is not None:
            self.proc.wait(timeout=10)

    def client(self) -> Any:
        import redis

        return redis.Redis.from_url(self.url)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    import shutil

    _redis()  # the extra installed
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server not installed here (apt-get install redis-server): the outage tests need their own")
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    if server.proc is not None and server.proc.poll() is None:
        server.proc.kill()
        server.proc.wait()


def _mid_crawl(
    tmp: Path, web: CountingWeb, pg: str, redis: PrivateRedis, lease: str, grace_s: float
) -> subprocess.Popen:
    """Seed the fixture web into `redis`, start one worker, and return it once it holds a leased request."""
    from crawler.distributed.keys import Keys

    _seed(web.write_registry(tmp / "sites.csv"), pg, "outage", redis.url)
    proc = _worker(tmp, 1, pg, "outage", lease, "-s", f"NIANBAO_REDIS_GRACE_S={grace_s}", redis_url=redis.url)
    server, deadline = redis.client(), time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if server.hlen(Keys("outage").leases):
            return proc
        time.sleep(0.02)
    raise AssertionError("the worker never took a request")


def test_a_worker_whose_redis_is_gone_stops_with_one_line_and_status_3(
    tmp_path: Path, web: CountingWeb, pg: str, private_redis: PrivateRedis
) -> None:
    proc = _mid_crawl(tmp_path, web, pg, private_redis, LONG_LEASE, grace_s=3)
    private_redis.stop(save=False)
    status = proc.wait(timeout=120)
    stderr = (tmp_path / "worker1" / "stderr").read_text(errors="replace")
    assert status == 3, stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    said = [line for line in stderr.splitlines() if line.startswith("nianbao:")]
    assert len(said) == 1 and "Redis" in said[0] and "unreachable" in said[0], said


def test_a_redis_outage_shorter_than_the_grace_loses_nothing(
    tmp_path: Path, web: CountingWeb, pg: str, private_redis: PrivateRedis
) -> None:
    proc = _mid_crawl(tmp_path, web, pg, private_redis, SHORT_LEASE, grace_s=60)
    private_redis.stop(save=True)  # the queue, the leases and the dupefilter kept on disk
    time.sleep(2.0)
    private_redis.start()
    _finish(proc, tmp_path, 1)
    expected = {u for r in readable_here(web.expected()["reports"]) for u in r["urls"]}
    with Store(pg, blob_root=tmp_path / "blobs") as store:
        stored = {u for r in store.reports(latest_only=False) for u in r["sources"]}
    assert expected <= stored, f"lost in the outage: {sorted(expected - stored)}"
    stderr = (tmp_path / "worker1" / "stderr").read_text(errors="replace")
    assert "Redis" in stderr  # the outage was seen, and said in lines of its own


def test_worker_exit_statuses(tmp_path: Path, queue: tuple[Any, str]) -> None:
    _, name = queue
    db = f"sqlite:///{tmp_path / 'nb.sqlite'}"
    common = ["--db", db, "--feed", "", "--summary", str(tmp_path / "s.json")]
    cases = [
        (["worker", "--redis", "redis://127.0.0.1:1/0", *common], 3, "Redis not reachable"),
        (["worker", "--redis", REDIS_URL, "--queue", name, *common], 2, "no crawl seeded"),
        (["crawl", "--redis", "http://127.0.0.1:6379", "http://127.0.0.1:9/", *common], 2, "give a Redis URL"),
    ]
    for argv, status, says in cases:
        run = subprocess.run(_nianbao(*argv), cwd=ROOT, capture_output=True, timeout=60)
        assert (run.returncode, says in run.stderr.decode()) == (status, True), run.stderr.decode()[-2000:]


def test_a_worker_with_a_browser_reads_a_host_behind_a_script_challenge(
    tmp_path: Path, pg: str, queue: tuple[Any, str]
) -> None:
    need_browser()
    from fixtures.web2 import Web2

    _, name = queue
    with Web2() as web:
        registry = web.write_registry(tmp_path / "all.csv")
        with registry.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        gated = [row for row in rows if row["site_id"] == "hy-waf"]  # the web's 瑞数-style site (GATED in test_web2_crawl)
        assert gated, "the second fixture web has no gated site"
        with (tmp_path / "sites.csv").open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(gated)
        expected = {u for r in web.expected()["reports"] if r["site"] == "hy-waf" for u in r["urls"]}
        _seed(tmp_path / "sites.csv", pg, name)
        status = _worker(tmp_path, 1, pg, name, LONG_LEASE, "--browser").wait(timeout=400)
    stderr = (tmp_path / "worker1" / "stderr").read_text(errors="replace")
    assert status == 0 and "Traceback" not in stderr, stderr[-3000:]
    with Store(pg, blob_root=tmp_path / "blobs") as store:
        stored = {u for r in store.reports(latest_only=False) for u in r["sources"]}
    assert expected and stored >= expected, sorted(expected - stored)[:3]
    (row,) = json.loads((tmp_path / "worker1" / "summary.json").read_text())["sites"]
    assert row["blocked"] is None and "瑞数" in (row["browser"] or ""), row
