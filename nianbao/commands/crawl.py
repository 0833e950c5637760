"""`nianbao crawl` and `nianbao sites`: harvest agency websites, list a registry's sites."""

from __future__ import annotations

import argparse
import os
import re
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from ..exits import ATTENTION, CANNOT_START, INTERRUPTED, OK, UsageError
from ..output import print_table
from ..regions import describe, lookup
from ..stores import open_store, parse_db_url

BUNDLED = "bundled"
"""The `--sites` name of the registry shipped with nianbao (real 年报 columns of the sample agencies)."""


def registry_path(value: str) -> Path:
    """Return the registry file `--sites` names: a CSV path, or `bundled` for the one shipped in the package."""
    if value == BUNDLED:
        return Path(str(resources.files("crawler") / "sites.csv"))
    path = Path(value)
    if not path.is_file():
        raise UsageError(f"--sites {value}: no such registry file (a CSV path, or `{BUNDLED}` for the shipped one)")
    return path


def check_region(region: str | None) -> str | None:
    """Return `region` where it is a known GB/T 2260 code prefix; raise UsageError for one that is not."""
    if region is None:
        return None
    if not re.fullmatch(r"\d{2,12}", region):
        raise UsageError(f"--region {region!r}: give a GB/T 2260 code or prefix such as 32, 3208 or 320813")
    if lookup(region[:9] if len(region) > 6 else region) is None:
        raise UsageError(f"--region {region}: no such GB/T 2260 region code")
    return region


def load(args: argparse.Namespace) -> list[Any]:
    """Return the sites of `--sites` (filtered by `--region`) and of the URLs given; raise UsageError where none."""
    from crawler.registry import RegistryError, load_sites, sites_from_urls

    region = check_region(args.region)
    try:
        sites = load_sites(registry_path(args.sites), region) if args.sites else []
        sites += sites_from_urls(args.urls) if getattr(args, "urls", None) else []
    except RegistryError as exc:
        raise UsageError(str(exc)) from None
    if not sites:
        where = f" in region {describe(region)}" if region else ""
        raise UsageError(f"no sites to crawl{where}: give --sites FILE (or --sites {BUNDLED}) and/or URLs")
    return sites


def _writable(path: str, what: str) -> None:
    """Raise UsageError unless a file can be written at `path` (its folder is created)."""
    p = Path(path)
    if p.is_dir():
        raise UsageError(f"{what} {path}: is a folder; give a file name")
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        with p.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise UsageError(f"{what} {path}: cannot write: {exc.strerror or exc}") from None


def cmd_crawl(args: argparse.Namespace) -> int:
    """Crawl the registry's sites (or the given URLs' hosts) into the store; return the exit status."""
    from crawler.run import attention, run_crawl
    from crawler.useragent import user_agent

    sites = load(args)
    contact = args.contact or os.environ.get("NIANBAO_CONTACT")
    try:
        user_agent(contact)
    except ValueError as exc:
        raise UsageError(f"--contact: {exc}") from None
    if args.db:
        parse_db_url(args.db)
    if args.state:
        print("warning: --state is ignored: the crawl's memory now lives in the store (--db)", file=sys.stderr)
    for path, what in ((args.feed, "--feed"), (args.summary, "--summary")):
        if path:
            _writable(path, what)
    if args.db:
        open_store(args.db, create=True, blobs=args.blobs).close()  # fails here, in one line, not mid-crawl
    overrides: dict[str, Any] = {
        "FEEDS": {args.feed: {"format": "jsonlines", "encoding": "utf-8", "overwrite": False}} if args.feed else {},
        "NIANBAO_DB": args.db or None,
        "NIANBAO_BLOBS": args.blobs,
        "NIANBAO_SUMMARY": args.summary,
        "NIANBAO_PROGRESS": sys.stderr.isatty() and not args.quiet,
        "LOG_LEVEL": args.log_level,
    }
    if contact:
        overrides["NIANBAO_CONTACT"] = contact
    if args.fast:
        overrides.update(AUTOTHROTTLE_ENABLED=False, DOWNLOAD_DELAY=0)
    for pair in args.set or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"-s {pair!r}: write a Scrapy setting as KEY=VALUE")
        overrides[key] = value
    summary = run_crawl(sites, overrides)
    if summary["reason"] == "not started":
        print("nianbao: the crawl could not start (see the log line above)", file=sys.stderr)
        return CANNOT_START
    print_summary(summary)
    if summary["reason"] == "shutdown":
        print("\nnianbao: interrupted — run the same command to resume", file=sys.stderr)
        return INTERRUPTED
    needs = attention(summary)
    for site, why in needs.items():
        print(f"nianbao: {site}: {why}", file=sys.stderr)
    return ATTENTION if needs else OK


def print_summary(summary: dict[str, Any]) -> None:
    """Print the per-site table of a crawl."""
    rows = [("site", "pages", "new", "known", "dup URLs", "not reports", "blocked", "given up", "not stored", "errors")]
    for r in summary["sites"]:
        rows.append((r["site"], str(r["pages"]), str(r["reports_new"]), str(r["reports_known"]),
                     str(r["duplicate_urls"]), str(r["not_reports"]), r["blocked"] or "-", r.get("given_up") or "-",
                     str(r.get("not_stored", 0)), str(r["errors"])))  # fmt: skip
    print_table(rows)


def cmd_sites(args: argparse.Namespace) -> int:
    """List the sites of a registry (the shipped one by default), filtered by region; crawl nothing."""
    sites = load(args)
    rows = [("site", "name", "region", "start URLs")]
    rows += [(s.site_id, s.name, f"{s.region_code} {s.region_name}".strip(), " ".join(s.start_urls)) for s in sites]
    print_table(rows)
    print(f"\n{len(sites)} site(s)")
    return OK
