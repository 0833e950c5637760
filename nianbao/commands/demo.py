"""`nianbao demo`: serve the bundled demo web, crawl it into a store, export, validate, and say what came of it."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from ..exits import ATTENTION, INTERRUPTED, OK, UsageError
from ..output import print_table
from ..stores import open_store
from .data import check_export_workers, print_validation

DEMO_SETTINGS = {
    "FEEDS": {}, "LOG_LEVEL": "ERROR", "AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0,
    "DOWNLOAD_TIMEOUT": 2, "RETRY_BACKOFF_BASE": 0.2,
}  # fmt: skip


def missing_reports(expected: dict[str, Any], stored_urls: set[str]) -> list[dict[str, Any]]:
    """Return the expected reports (one per report group) none of whose URLs the store holds."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for rep in expected["reports"]:
        groups.setdefault(rep.get("report") or rep["id"], []).append(rep)
    return [reps[0] for reps in groups.values() if not any(u in stored_urls for r in reps for u in r["urls"])]


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the whole job on the bundled sample; exit 1 (loudly) when it stored fewer reports than the web holds."""
    from crawler.registry import load_sites
    from crawler.run import run_crawl
    from storage import export, validate
    from storage import summary as rule_summary

    from ..demo.server import FixtureWeb

    check_export_workers()  # the demo ends with a text export
    data = Path(args.data)
    data.mkdir(parents=True, exist_ok=True)
    db = f"sqlite:///{data / 'nianbao.sqlite'}"
    open_store(db, create=True).close()
    web = FixtureWeb(port=args.port)
    try:
        web.start()
    except OSError as exc:
        raise UsageError(f"--port {args.port}: the demo web cannot listen there ({exc.strerror}); "
                         "give another port, or 0 for any free one") from None  # fmt: skip
    with web:
        registry = web.write_registry(data / "fixture-sites.csv")
        expected = web.expected()
        print(f"demo web: {len(load_sites(registry))} sites on 127.0.0.x:{web.port}")
        settings = {"NIANBAO_DB": db, "NIANBAO_SUMMARY": str(data / "crawl-summary.json"),
                    "NIANBAO_PROGRESS": sys.stderr.isatty(), **DEMO_SETTINGS}  # fmt: skip
        summary = run_crawl(load_sites(registry), settings)
    if summary["reason"] == "shutdown":
        print("nianbao: interrupted — run the same command to resume", file=sys.stderr)
        return INTERRUPTED
    added = sum(r["reports_new"] for r in summary["sites"])
    known = sum(r["reports_known"] for r in summary["sites"])
    rows = [("site", "pages", "new", "known", "blocked", "errors")]
    rows += [(r["site"], str(r["pages"]), str(r["reports_new"]), str(r["reports_known"]), r["blocked"] or "-",
              str(r["errors"])) for r in summary["sites"]]  # fmt: skip
    print()
    print_table(rows)
    with open_store(db, create=False) as store:
        export(store, "text", data / "export" / "text")
        export(store, "jsonl", data / "export" / "reports.jsonl")
        records = list(store.reports())
        findings = validate(store)
    per = Counter((r.get("site") or "-", r.get("carrier") or "-") for r in records)
    print()
    print_table([("site", "carrier", "reports"), *((s, c, str(n)) for (s, c), n in sorted(per.items()))])
    by_rule = Counter(c["rule"] for r in records for c in r.get("checks", []) if c["severity"] in ("E", "W"))
    print()
    print_table([("rule", "reports failing (E/W)"), *((k, str(v)) for k, v in sorted(by_rule.items()))])
    print()
    print_validation(findings, rule_summary(findings))
    print(f"\nstored: {len(records)} reports in {db}; exported to {data / 'export'} (text/ and reports.jsonl)")
    if added:
        print(f"this run added {added} new report(s); {known} other documents held reports already stored")
    else:
        print(f"this run added nothing new: all {known} report documents found were already stored")
    return _complete(expected, {u for r in records for u in r.get("sources", [])})


def _complete(expected: dict[str, Any], stored_urls: set[str]) -> int:
    """Return OK where every report of the demo web was stored; else print which are missing and why."""
    from extractors import soffice

    missing = missing_reports(expected, stored_urls)
    omitted = expected.get("omitted_reports") or []
    if not missing and not omitted:
        return OK
    print("\nnianbao: DEMO INCOMPLETE: the demo web holds reports that were not stored:", file=sys.stderr)
    for rep in missing:
        print(f"  {rep['id']} ({rep['carrier']}) {rep['urls'][0]}", file=sys.stderr)
    if omitted:
        print(f"  {len(omitted)} report(s) not even served, their files are missing from the install: "
              f"{', '.join(expected.get('missing_sources') or omitted)}", file=sys.stderr)  # fmt: skip
    if soffice() is None and any(r["carrier"] in ("doc", "wps") for r in missing):
        print("  DOC/WPS need LibreOffice: apt-get install libreoffice-writer-nogui", file=sys.stderr)
    return ATTENTION
