"""`nianbao worker` and `nianbao crawl --redis`: a crawl shared by worker processes through Redis.

`crawl --redis URL` seeds the frontier (the sites, their start requests) and exits; each `worker --redis URL
--db …` takes requests from it, stores into the one store, and exits once the frontier has stayed empty, with
nothing leased to any worker, for `--idle` seconds. See crawler/distributed/.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

from ..exits import ATTENTION, CANNOT_START, INTERRUPTED, OK, StartError, UsageError
from ..stores import open_store, parse_db_url


def _queue(value: str) -> str:
    if not re.fullmatch(r"[\w.-]{1,64}", value):
        raise UsageError(f"--queue {value!r}: letters, digits, '_', '.', '-' only")
    return value


def _redis(url: str) -> Any:
    """Return a Redis client of `url`, or raise StartError (exit 3) where the extra is missing or Redis is away."""
    if not re.match(r"^(redis|rediss|unix)://", url):
        raise UsageError(f"--redis {url!r}: give a Redis URL such as redis://HOST:6379/0")
    try:
        from crawler.distributed.worker import server_of
    except ImportError as exc:
        raise StartError(f"--redis needs the distributed extra: pip install 'nianbao[distributed]' ({exc})") from None
    try:
        return server_of(url)
    except Exception as exc:
        raise StartError(f"Redis not reachable at {url}: {exc}") from None


def seed_crawl(args: argparse.Namespace, sites: list[Any]) -> int:
    """`nianbao crawl --redis`: store the sites and push their start requests; return 0."""
    from crawler.distributed.worker import seed

    queue = _queue(getattr(args, "queue", None) or "annual_reports")
    server = _redis(args.redis)
    if args.db:  # migrated once here, not raced by the workers
        parse_db_url(args.db)
        open_store(args.db, create=True, blobs=args.blobs).close()
    result = seed(server, sites, queue)
    how = "a new crawl" if result["fresh"] else "added to the crawl under way"
    print(f"seeded {result['seeded']} start request(s) of {result['sites']} site(s) into queue {queue!r} ({how}); "
          f"start workers: nianbao worker --redis {args.redis} --db …")  # fmt: skip
    return OK


def cmd_worker(args: argparse.Namespace) -> int:
    """Run one worker of the crawl seeded in Redis; return the exit status (as `nianbao crawl`)."""
    from crawler.run import attention

    from .crawl import check_setting_values, crawl_settings, print_summary

    queue = _queue(args.queue)
    _redis(args.redis)
    if not args.db:
        raise UsageError("--db: workers share one store; give its URL")
    overrides = crawl_settings(args, progress=False)
    check_setting_values(args.set)
    from crawler.distributed.outage import CLOSE_REASON
    from crawler.distributed.worker import NothingSeeded, run_worker

    try:
        summary = run_worker(args.redis, queue, overrides, idle_s=args.idle, lease_s=args.lease)
    except NothingSeeded as exc:
        raise UsageError(str(exc)) from None
    if summary["reason"] == "not started":
        print("nianbao: the worker could not start (see the log line above)", file=sys.stderr)
        return CANNOT_START
    print_summary(summary)
    if summary["reason"] == CLOSE_REASON:
        print(f"nianbao: Redis at {args.redis} unreachable for longer than NIANBAO_REDIS_GRACE_S: this worker "
              "stopped; what it held goes back to the queue once Redis returns (then run workers again)",
              file=sys.stderr)  # fmt: skip
        return CANNOT_START
    if summary["reason"] == "shutdown":
        print("\nnianbao: worker interrupted — its leased requests go back to the queue for the other workers",
              file=sys.stderr)  # fmt: skip
        return INTERRUPTED
    needs = attention(summary)
    for site, why in needs.items():
        print(f"nianbao: {site}: {why}", file=sys.stderr)
    return ATTENTION if needs else OK


def add_worker_parser(sub: Any, make: Any, db_default: str, feed_default: str, browser: Any) -> None:
    """Add `nianbao worker` to the subcommands (`make(sub, name, help)` builds a subparser as cli._sub does;
    `browser(parser)` adds the `--browser` option as `crawl` has it)."""
    wk = make(sub, "worker", "process a crawl seeded in Redis by `crawl --redis`, with other workers on any "
              "machine, into one store; exit once the shared queue has stayed empty for --idle seconds")  # fmt: skip
    wk.add_argument("--redis", required=True, help="Redis URL of the shared queue, e.g. redis://HOST:6379/0")
    wk.add_argument("--queue", default="annual_reports", help="name of the crawl in Redis (as given to crawl)")
    wk.add_argument("--db", default=db_default, help="SQLAlchemy URL of the one store every worker writes "
                    "(PostgreSQL for workers on several machines)")  # fmt: skip
    wk.add_argument("--blobs", help="folder of the raw documents (shared by the workers; default: data/blobs)")
    wk.add_argument("--idle", type=float, default=30.0, help="exit after the queue has been empty, with nothing "
                    "leased to any worker, this many seconds")  # fmt: skip
    wk.add_argument("--lease", type=float, default=120.0, help="seconds a request popped by a worker that stopped "
                    "renewing it (killed) stays away before it goes back to the queue")  # fmt: skip
    wk.add_argument("--feed", default=feed_default, help="JSON-lines event feed appended to ('' for none)")
    wk.add_argument("--summary", default="data/crawl-summary.json", help="this worker's per-site summary (JSON)")
    wk.add_argument("--contact", help="operator's e-mail or URL for the User-Agent (or $NIANBAO_CONTACT); set it")
    wk.add_argument("--fast", action="store_true", help="no AutoThrottle or delay (local test sites only)")
    browser(wk)
    wk.add_argument("--log-level", default="WARNING", choices=("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"),
                    help="Scrapy log level")  # fmt: skip
    wk.add_argument("-s", "--set", action="append", metavar="KEY=VALUE", help="any Scrapy setting (repeatable)")
    wk.set_defaults(func=cmd_worker)
