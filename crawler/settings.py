"""Scrapy settings of the nianbao crawler (`scrapy crawl annual_reports -a sites=FILE` reads these)."""

import os

from crawler.useragent import user_agent

BOT_NAME = "nianbao"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Politeness: an identifying agent, robots.txt, two requests per host at most, AutoThrottle.
# The agent is `nianbao/<version> (+contact)`: the operator's contact from $NIANBAO_CONTACT or `--contact`.
NIANBAO_CONTACT = os.environ.get("NIANBAO_CONTACT") or None
USER_AGENT = user_agent(NIANBAO_CONTACT)
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_DELAY = 0.5
# Scrapy 2.19 on asyncio lets a whole queue through a slot when there is no delay; hosts given up, Retry-After:
# see crawler/downloader.py and crawler/hosts.py.
DOWNLOADER = "crawler.downloader.HostSlotsDownloader"

# Robustness: retries with backoff for timeouts and 5xx, bounded bodies, our DNS check.
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 3
RETRY_BACKOFF_BASE = 1.0
DOWNLOAD_MAXSIZE = 50 * 1024 * 1024
DOWNLOAD_WARNSIZE = 20 * 1024 * 1024
TWISTED_DNS_RESOLVER = "crawler.safety.SafeResolver"
# Hosts that may resolve to internal addresses though no site names them (an intranet mirror, a test web): the sites'
# own hosts always may, every other host at a loopback or private address is refused (crawler/safety.py).
NIANBAO_NAMED_HOSTS: list[str] = []
REDIRECT_MAX_TIMES = 5
# Retry-After (429/503) is honoured up to this many seconds; a longer wait gives the host up (crawler/hosts.py).
NIANBAO_RETRY_AFTER_MAX = 120
# This many consecutive timeouts or connection errors on a host:port (retries included) give it up.
NIANBAO_HOST_FAILURES = 5
COOKIES_ENABLED = False
# Scrapy starts this many tasks for every response's output (its items run that many at a time): a page yields one
# document item at most, so two let its requests go on while its document is read and stored; the default (100)
# costs a tenth of the crawl's CPU in task set-up alone.
CONCURRENT_ITEMS = 2
TELNETCONSOLE_ENABLED = False

DOWNLOADER_MIDDLEWARES = {
    "crawler.safety.SafetyMiddleware": 60,
    "crawler.middlewares.ConditionalRequestMiddleware": 80,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.RobotsMiddleware": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    "crawler.middlewares.ChallengeMiddleware": 560,
    "crawler.middlewares.EncodingMiddleware": 585,
}
# The spider keeps its own link depth in meta["depth"] (a list's next page is the same depth as the page before);
# Scrapy's DepthMiddleware would overwrite it with the response chain's depth.
# An exception a callback raises is the page's error line, not a traceback (crawler/faults.py).
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "crawler.faults.CallbackFaults": 990,
}
# One job each: see crawler/pipelines/__init__.py. The store pipeline is left out where there is no store.
ITEM_PIPELINES = {
    "crawler.pipelines.dedup.DedupPipeline": 200,
    "crawler.pipelines.extract.ExtractPipeline": 300,
    "crawler.pipelines.storing.StorePipeline": 400,
    "crawler.pipelines.tally.TallyPipeline": 900,
}
# Documents are read in this many worker processes (empty: as many as the cores; 0: in a
# thread of the crawl), at most NIANBAO_EXTRACT_QUEUE in them at once (0: twice the workers).
NIANBAO_EXTRACT_WORKERS = None
NIANBAO_EXTRACT_QUEUE = 0
# A document a worker has not read this many seconds after it started on it (a parser caught in a loop) is an error
# ("extraction took longer than …"), its worker stopped and replaced (0: wait for ever). OCR of a long scan takes
# minutes.
NIANBAO_EXTRACT_TIMEOUT = 900
# The store writes documents and parsed pages' memory rows together, up to this many a transaction, gathered for
# this many seconds after the first of them came (0: what came during the last write, as soon as it ends).
NIANBAO_STORE_BATCH = 64
NIANBAO_STORE_WAIT = 0.5
# The batches are written in a process of their own, so the store's work does not take the crawl's CPU (False: in a
# thread of the crawl; an in-memory SQLite store is always written in a thread).
NIANBAO_STORE_PROCESS = True
# A note the crawl's run row carries in the store (a distributed worker's: which queue it worked).
NIANBAO_RUN_NOTE = None
EXTENSIONS = {
    "crawler.extensions.MonitorExtension": 90,  # before the store: the run row carries its figures
    "crawler.store.StoreExtension": 100,
    "crawler.extensions.SummaryExtension": 200,
    "crawler.extensions.ProgressExtension": 300,
    "crawler.faults.ItemFaults": 410,  # a document a pipeline step failed on is counted not stored
}
NIANBAO_PROGRESS = False
# The store holds the records and the crawl memory (incremental, resumable crawls); empty: neither.
NIANBAO_DB = "sqlite:///data/nianbao.sqlite"
NIANBAO_SUMMARY = "data/crawl-summary.json"
FEEDS = {"data/crawl-events.jsonl": {"format": "jsonlines", "encoding": "utf-8", "overwrite": False}}
FEED_EXPORTERS = {"jsonlines": "crawler.feed.FeedLinesExporter"}
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
