"""`nianbao harvest --region R --year Y`: a one-off harvest of a region — select its sites, crawl them as
`nianbao crawl` does, then print the coverage table of the year."""

from __future__ import annotations

import argparse
from typing import Any

from ..exits import ATTENTION, OK, UsageError
from .coverage import deadlines_of, print_coverage, rows_of
from .crawl import check_region, cmd_crawl

CRAWL_KEYS = ("db", "blobs", "feed", "summary", "contact", "fast", "browser", "quiet", "log_level", "set")
"""The options `harvest` hands to the crawl unchanged."""


def crawl_args(args: argparse.Namespace) -> argparse.Namespace:
    """Return the arguments of the `nianbao crawl` that harvests `--region`: its defaults and the harvest's
    options. The sites are the crawl's own selection: `--sites` where given, else the store's registry where
    it has rows in the region, else the registry shipped with nianbao."""
    from ..cli import build_parser

    ns = build_parser().parse_args(["crawl"])
    for key in CRAWL_KEYS:
        setattr(ns, key, getattr(args, key))
    ns.region = args.region
    ns.urls = []
    ns.sites = args.sites
    return ns


def cmd_harvest(args: argparse.Namespace) -> int:
    """Crawl the region's sites, then print its coverage for `--year`; return the worse of the two statuses."""
    from storage.coverage import needs_attention

    from ..stores import open_store

    check_region(args.region)
    if not args.db:
        raise UsageError("--db: harvest needs a store (the coverage is read from it)")
    deadlines_of(args.deadline)  # a bad setting fails before the crawl
    crawled = cmd_crawl(crawl_args(args))
    if crawled not in (OK, ATTENTION):
        return crawled
    print()
    with open_store(args.db, create=False) as store:
        rows: list[Any] = rows_of(store, args.region, args.year, args.deadline)
    print_coverage(rows, args.format, args.region, args.year)
    return max(crawled, ATTENTION if needs_attention(rows) else OK)
