"""`nianbao crawl` and `nianbao sites`: harvest agency websites; list a registry's sites; import registry files
into the store and list the store's registry (`sites import`, `sites list`)."""

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


def store_registry(db: str | None, region: str | None) -> list[Any] | None:
    """Return the crawlable sites of region `region` in the store's registry (`nianbao sites import`), or None
    where the store holds no registry (no `--db`, no such SQLite file, or an empty `sites` table). Rows with no
    start URL are left out (counted on stderr); raise UsageError where the registry has none in the region."""
    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url
    from sqlalchemy.orm import Session

    from crawler.registry import sites_from_store
    from storage.registry import count_sites, sites_in_region

    if not db:
        return None
    parsed = parse_db_url(db)
    if parsed.get_backend_name() == "sqlite":
        database = make_url(parsed).database or ""
        if not database or database == ":memory:" or not Path(database).expanduser().is_file():
            return None
    store = open_store(db, create=False)
    try:
        with Session(store.engine) as s:
            if not inspect(store.engine).has_table("sites") or count_sites(s) == 0:
                return None
            rows = sites_in_region(s, region)
    finally:
        store.close()
    sites, skipped = sites_from_store(rows)
    where = f" in region {describe(region)}" if region else ""
    if skipped:
        print(f"registry: {skipped} site(s){where} left out: the store's registry has no start URL for them",
              file=sys.stderr)  # fmt: skip
    if not sites:
        raise UsageError(f"the store's registry has no site to crawl{where}: import one with "
                         f"`nianbao sites import FILE…`, or give --sites {BUNDLED}")  # fmt: skip
    print(f"registry: {len(sites)} site(s){where} from the store's registry", file=sys.stderr)
    return sites


def load(args: argparse.Namespace) -> list[Any]:
    """Return the sites of `--sites` (filtered by `--region`) and of the URLs given; raise UsageError where none.

    `--region` without `--sites` selects the store's registry (`--db`) where it holds one, else the shipped
    registry."""
    from crawler.registry import RegistryError, load_sites, sites_from_urls

    region = check_region(args.region)
    try:
        if not args.sites and region:
            stored = store_registry(getattr(args, "db", None), region)
            sites = stored if stored is not None else load_sites(registry_path(BUNDLED), region)
        else:
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


def crawl_settings(args: argparse.Namespace, *, progress: bool) -> dict[str, Any]:
    """Return the Scrapy settings a crawl or a worker runs with (contact, store, feed, summary, `-s` pairs), having
    checked each of them in one line first: a bad contact, database URL or output path raises before Scrapy starts."""
    from crawler.useragent import user_agent

    contact = args.contact or os.environ.get("NIANBAO_CONTACT")
    try:
        user_agent(contact)
    except ValueError as exc:
        raise UsageError(f"--contact: {exc}") from None
    if args.db:
        parse_db_url(args.db)
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
        "NIANBAO_PROGRESS": progress,
        "LOG_LEVEL": args.log_level,
    }
    if contact:
        overrides["NIANBAO_CONTACT"] = contact
    if args.fast:
        overrides.update(AUTOTHROTTLE_ENABLED=False, DOWNLOAD_DELAY=0)
    if getattr(args, "browser", False):
        from crawler.browser import BrowserUnavailable, browser_settings, find_chromium

        try:
            overrides.update(browser_settings(find_chromium()))
        except BrowserUnavailable as exc:
            raise UsageError(str(exc)) from None
    for pair in args.set or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"-s {pair!r}: write a Scrapy setting as KEY=VALUE")
        overrides[key] = value
    if "NIANBAO_EXTRACT_WORKERS" in overrides:
        from crawler.extract_pool import extract_workers

        try:
            extract_workers(overrides["NIANBAO_EXTRACT_WORKERS"])
        except ValueError:
            raise UsageError("-s NIANBAO_EXTRACT_WORKERS: write a whole number of worker processes") from None
    return overrides


def cmd_crawl(args: argparse.Namespace) -> int:
    """Crawl the registry's sites (or the given URLs' hosts) into the store; return the exit status."""
    sites = load(args)
    if getattr(args, "redis", None):  # seed a distributed crawl: `nianbao worker` processes crawl it
        from .worker import seed_crawl

        return seed_crawl(args, sites)
    if getattr(args, "due", False):
        from .due import due_sites

        sites = due_sites(args.db, sites)
        if not sites:
            print("nothing due: every site was visited within the visit policy (`nianbao due --all`)", file=sys.stderr)
            return OK
    if args.state:
        print("warning: --state is ignored: the crawl's memory now lives in the store (--db)", file=sys.stderr)
    overrides = crawl_settings(args, progress=sys.stderr.isatty() and not args.quiet)
    _prestart_extraction(overrides)
    try:
        check_setting_values(args.set)  # after the prestart: it imports Scrapy, which the workers need not wait for
    except UsageError:
        from crawler.extract_pool import discard_prestarted

        discard_prestarted()  # stopped once started: a worker cut off mid-start prints a traceback
        raise
    from crawler.run import attention, run_crawl

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


_TAKES = {"getbool": "0/1 or true/false", "getfloat": "a number", "getint": "a whole number"}
READ_AS_FLOAT = frozenset({"DNS_TIMEOUT", "DOWNLOAD_TIMEOUT", "NIANBAO_EXTRACT_TIMEOUT", "NIANBAO_RETRY_AFTER_MAX"})
"""The settings with a whole-number default that Scrapy or nianbao read as a number (`getfloat`): 1.5 is a value."""


def check_setting_values(pairs: list[str] | None) -> None:
    """Raise UsageError (exit 2, one line) for a `-s KEY=VALUE` whose value Scrapy could not read as the type of the
    setting's default (a whole number for CONCURRENT_REQUESTS, a number for DOWNLOAD_DELAY, 0/1 or true/false for
    COOKIES_ENABLED …): the crawl would otherwise stop in Scrapy's traceback. A whole-number default asks for a
    whole number unless the setting is read as a float (`READ_AS_FLOAT`). Settings without a typed default are left
    to their readers."""
    from scrapy.settings import Settings

    defaults = Settings()
    defaults.setmodule("crawler.settings", priority="project")
    for pair in pairs or []:
        key, _, value = pair.partition("=")
        default = defaults.get(key)
        int_getter = "getfloat" if key in READ_AS_FLOAT else "getint"
        getter = {bool: "getbool", int: int_getter, float: "getfloat"}.get(type(default))
        if getter is None:
            continue
        try:
            getattr(Settings({key: value}), getter)(key)  # read as Scrapy reads it
        except (TypeError, ValueError):
            raise UsageError(f"-s {pair}: {key} takes {_TAKES[getter]} (default {default!r})") from None


def _prestart_extraction(overrides: dict[str, Any]) -> None:
    """Start the crawl's extraction workers now, before this process imports Scrapy and builds the crawl (their own
    start-up then runs beside it)."""
    from crawler.extract_pool import extract_workers, prestart

    prestart(extract_workers(overrides.get("NIANBAO_EXTRACT_WORKERS")))


def print_summary(summary: dict[str, Any]) -> None:
    """Print the per-site table of a crawl."""
    rows = [("site", "pages", "new", "known", "last run", "dup URLs", "not reports", "blocked", "given up",
             "not stored", "errors", "budget hit")]  # fmt: skip
    for r in summary["sites"]:
        last = r.get("reports_last_run")
        rows.append((r["site"], str(r["pages"]), str(r["reports_new"]), str(r["reports_known"]),
                     "-" if last is None else str(last),
                     str(r["duplicate_urls"]), str(r["not_reports"]),
                     r["blocked"] or (f"read in the browser ({r['browser']})" if r.get("browser") else "-"),
                     r.get("given_up") or "-",
                     str(r.get("not_stored", 0)), str(r["errors"]), r.get("budget_hit") or "-"))  # fmt: skip
    print_table(rows)


def cmd_sites(args: argparse.Namespace) -> int:
    """List the sites of a registry (the shipped one by default), filtered by region; crawl nothing."""
    sites = load(args)
    rows = [("site", "name", "region", "start URLs")]
    rows += [(s.site_id, s.name, f"{s.region_code} {s.region_name}".strip(), " ".join(s.start_urls)) for s in sites]
    print_table(rows)
    print(f"\n{len(sites)} site(s)")
    return OK


MAX_REFUSED_SHOWN = 20
"""`sites import` prints at most this many refused rows, one line each, then how many more."""


def _site_files(names: list[str]) -> list[Any]:
    """Return every named registry file read (`bundled` is the shipped CSV); raise UsageError (exit 2) at the
    first that cannot be read, before anything is stored."""
    from storage.sitefiles import SiteFileError, read_site_file

    files = []
    for name in names:
        path = registry_path(BUNDLED) if name == BUNDLED else Path(name)
        if name != BUNDLED and not path.is_file():
            raise UsageError(f"{name}: no such file (a registry zip or CSV, or `{BUNDLED}`)")
        try:
            files.append(read_site_file(path, origin="bundled" if name == BUNDLED else None))
        except SiteFileError as exc:
            raise UsageError(str(exc)) from None
    return files


def cmd_sites_import(args: argparse.Namespace) -> int:
    """Import registry files into the store's `sites` table; return 0, or 1 where rows were refused."""
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from storage.bodies import sightings_from_sites
    from storage.models import SiteRow
    from storage.registry import import_sites
    from storage.sql import error_line

    from ..exits import StartError

    files = _site_files(args.files)
    for f in files:
        print(f"{f.path}: {len(f.sites)} site(s), {len(f.refused)} refused ({f.kind})")
    rows = [site for f in files for site in f.sites]
    refused = [r for f in files for r in f.refused]
    store = open_store(args.db, create=True)
    try:
        result = store.write(lambda s: import_sites(s, rows, refused))
        # The registry's organisers are obliged bodies too (a portal's organiser is its government).
        stored = store.write(lambda s: list(s.scalars(select(SiteRow))))
        learnt = store.learn_bodies(sightings_from_sites(stored))
    except SQLAlchemyError as exc:
        raise StartError(f"cannot write the registry: {error_line(exc)}") from None
    finally:
        store.close()
    print(f"added {result.added}, updated {result.updated}, unchanged {result.unchanged}, refused "
          f"{len(result.refused)}, duplicates {result.duplicates}, without region {result.no_region}; "
          f"bodies added or changed {learnt}")  # fmt: skip
    for r in result.refused[:MAX_REFUSED_SHOWN]:
        print(f"refused: {r.where}: {r.reason}", file=sys.stderr)
    if len(result.refused) > MAX_REFUSED_SHOWN:
        print(f"refused: … and {len(result.refused) - MAX_REFUSED_SHOWN} more", file=sys.stderr)
    return ATTENTION if result.refused else OK


def cmd_sites_list(args: argparse.Namespace) -> int:
    """Print the store's registry sites (of `--region`) as a table, CSV or JSON; return 0."""
    import csv
    import json

    from sqlalchemy.orm import Session

    from storage.registry import sites_in_region

    region = check_region(args.region)
    store = open_store(args.db, create=False)
    try:
        with Session(store.engine) as s:
            rows = sites_in_region(s, region)
    finally:
        store.close()
    if args.format == "json":
        print(json.dumps([{"site_key": r.site_key, "site_code": r.site_code, "name": r.name,
                           "organiser": r.organiser, "region_code": r.region_code, "region_name": r.region_name,
                           "level": r.level, "start_urls": list(r.start_urls), "allowed_hosts": list(r.allowed_hosts),
                           "overrides": r.overrides, "origin": r.origin} for r in rows],
                         ensure_ascii=False, indent=1))  # fmt: skip
        return OK
    header = ("site", "name", "organiser", "region", "level", "start URLs", "origin")
    cells = [(r.site_key, r.name, r.organiser or "", f"{r.region_code or '-'} {r.region_name or ''}".strip(),
              r.level or "", " ".join(r.start_urls), r.origin) for r in rows]  # fmt: skip
    if args.format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(cells)
        return OK
    print_table([header, *cells])
    where = f" in region {describe(region)}" if region else ""
    print(f"\n{len(rows)} site(s){where} in the store's registry")
    return OK
