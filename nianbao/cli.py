"""The `nianbao` command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from extractors import ExtractionError, extract
from extractors.api import DEFAULT_MAX_BYTES
from extractors.readers.office import to_docx
from extractors.sniff import sniff

DEFAULT_DB = "sqlite:///data/nianbao.sqlite"
ROOT = Path(__file__).resolve().parents[1]


def _dump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _files(root: Path) -> list[Path]:
    """Return every regular file under `root`, sorted, hidden files and folders skipped."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        out.extend(Path(dirpath) / f for f in sorted(filenames) if not f.startswith("."))
    return out


def _convert_office(paths: list[Path], max_bytes: int) -> dict[Path, bytes | ExtractionError]:
    """Return DOCX conversions of the DOC/WPS files among `paths`, made in one LibreOffice batch."""
    wanted: dict[str, bytes] = {}
    for p in paths:
        try:
            if p.stat().st_size > max_bytes:
                continue
            head = p.read_bytes()
            if sniff(head, p.name) in ("doc", "wps", "rtf"):
                wanted[str(p)] = head
        except (OSError, ExtractionError):
            continue
    if not wanted:
        return {}
    return {Path(k): v for k, v in to_docx(wanted).items()}


def iter_records(root: Path, max_bytes: int, progress: bool) -> Iterator[dict[str, Any]]:
    """Yield one record (or one {"path", "error"} line) per file under `root`."""
    paths = _files(root)
    converted = _convert_office(paths, max_bytes)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(paths), unit="doc", file=sys.stderr)
    for p in paths:
        rel = str(p.relative_to(root))
        conv = converted.get(p)
        try:
            if isinstance(conv, ExtractionError):
                raise conv
            record = extract(p, max_bytes=max_bytes, converted=conv)
            yield {"path": rel, **record}
        except ExtractionError as exc:
            yield {"path": rel, "error": exc.reason}
        except MemoryError:
            yield {"path": rel, "error": "out of memory while reading"}
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()


def cmd_extract(args: argparse.Namespace) -> int:
    """Print the record of PATH as JSON, or one JSON line per file when PATH is a folder."""
    path = Path(args.path)
    max_bytes = args.max_bytes
    if path.is_dir():
        out = sys.stdout
        failed = 0
        for rec in iter_records(path, max_bytes, progress=sys.stderr.isatty() and not args.quiet):
            failed += "error" in rec
            out.write(_dump(rec) + "\n")
            out.flush()
        return 0 if not failed or not args.strict else 1
    try:
        record = extract(path, max_bytes=max_bytes)
    except ExtractionError as exc:
        print(f"nianbao: {path}: {exc.reason}", file=sys.stderr)
        return 2
    except MemoryError:
        print(f"nianbao: {path}: out of memory while reading", file=sys.stderr)
        return 2
    print(json.dumps(record, ensure_ascii=False, indent=None if args.compact else 1))
    return 0


def _filled(record: dict[str, Any]) -> int:
    n = 0
    for table in ("proactive", "requests", "review_litigation"):
        for row in (record.get(table) or {}).values():
            values = row.values() if isinstance(row, dict) else row
            n += sum(1 for v in values if isinstance(v, int | float) and not isinstance(v, bool))
    return n


def cmd_summary(args: argparse.Namespace) -> int:
    """Extract every document under the folders and print a summary table (no crawl, no database)."""
    rows = []
    for folder in args.paths:
        root = Path(folder)
        if not root.is_dir():
            print(f"nianbao: {root}: no such folder", file=sys.stderr)
            return 2
        rows += _demo_rows(root, args.max_bytes)
    header = ("file", "carrier", "format", "year", "agency", "cells", "checks failed (E)")
    _print_table([header, *rows])
    ok = sum(1 for r in rows if not r[4].startswith("ERROR"))
    print(f"\n{ok} of {len(rows)} documents extracted")
    return 0


def _demo_rows(root: Path, max_bytes: int) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for rec in iter_records(root, max_bytes, progress=False):
        if Path(rec["path"]).name in ("meta.json", "expected.json", "SOURCES.md", "README.md"):
            continue  # descriptions of the documents, not documents
        if "error" in rec:
            rows.append((rec["path"], "-", "-", "-", f"ERROR: {rec['error']}", "-", "-"))
            continue
        errors = sum(1 for c in rec["checks"] if c["severity"] == "E")
        rows.append(
            (
                rec["path"],
                rec["carrier"],
                rec["format"] or "-",
                str(rec["year"] or "-"),
                rec["agency"] or "-",
                str(_filled(rec)),
                str(errors),
            )
        )
    return rows


def _print_table(rows: list[tuple[str, ...]]) -> None:
    import unicodedata

    def width(s: str) -> int:
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)

    cols = len(rows[0])
    widths = [max(width(r[i]) for r in rows) for i in range(cols)]
    for n, r in enumerate(rows):
        print("  ".join(r[i] + " " * (widths[i] - width(r[i])) for i in range(cols)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))


def cmd_crawl(args: argparse.Namespace) -> int:
    """Crawl the registry's sites (or the given URLs' hosts); exit 1 when a site yields nothing or is blocked."""
    from crawler.registry import RegistryError, load_sites, sites_from_urls
    from crawler.run import failing_sites, run_crawl

    try:
        sites = load_sites(args.sites, args.region) if args.sites else []
        sites += sites_from_urls(args.urls) if args.urls else []
    except RegistryError as exc:
        print(f"nianbao: {exc}", file=sys.stderr)
        return 2
    if not sites:
        print("nianbao: no sites to crawl (give --sites FILE and/or URLs; check --region)", file=sys.stderr)
        return 2
    overrides: dict[str, Any] = {
        "FEEDS": {args.feed: {"format": "jsonlines", "encoding": "utf-8", "overwrite": False}},
        "NIANBAO_STATE": args.state,
        "NIANBAO_DB": args.db or None,
        "NIANBAO_BLOBS": args.blobs,
        "NIANBAO_SUMMARY": args.summary,
        "LOG_LEVEL": args.log_level,
    }
    if args.fast:
        overrides.update(AUTOTHROTTLE_ENABLED=False, DOWNLOAD_DELAY=0)
    for pair in args.set or []:
        key, _, value = pair.partition("=")
        overrides[key] = value
    summary = run_crawl(sites, overrides)
    rows = [("site", "pages", "new", "known", "dup URLs", "not reports", "blocked", "errors")]
    for r in summary["sites"]:
        rows.append(
            (
                r["site"],
                str(r["pages"]),
                str(r["reports_new"]),
                str(r["reports_known"]),
                str(r["duplicate_urls"]),
                str(r["not_reports"]),
                r["blocked"] or "-",
                str(r["errors"]),
            )
        )
    _print_table(rows)
    bad = failing_sites(summary)
    if bad:
        print(f"\n{len(bad)} site(s) yielded no report or were blocked: {', '.join(bad)}", file=sys.stderr)
    return 1 if bad else 0


def _open_store(url: str) -> Any:
    from storage import Store

    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    store = Store(url)
    store.migrate()
    return store


def cmd_export(args: argparse.Namespace) -> int:
    """Write the stored reports in one of the export formats."""
    from storage import ExportError, export

    with _open_store(args.db) as store:
        try:
            result = export(store, args.format, args.out, region=args.region, year=args.year)
        except ExportError as exc:
            print(f"nianbao: {exc}", file=sys.stderr)
            return 2
    print(f"exported {result.reports} reports as {result.fmt} to {result.out} ({result.rows} rows/files)")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Run the cross-year and timeliness rules; exit 1 when any finding is an error."""
    from storage import summary, validate

    with _open_store(args.db) as store:
        findings = validate(store, region=args.region)
    if args.json:
        for f in findings:
            print(_dump(f.as_dict()))
    else:
        _print_validation(findings, summary(findings))
    return 1 if any(f.severity == "E" for f in findings) else 0


def _print_validation(findings: list[Any], per_rule: dict[str, dict[str, Any]]) -> None:
    rows = [("rule", "findings", "E", "W", "I", "what")]
    for rule, s in per_rule.items():
        rows.append((rule, str(s["findings"]), str(s["E"]), str(s["W"]), str(s["I"]), s.get("description", "")))
    _print_table(rows)
    if findings:
        print()
        for f in findings[:50]:
            d = f.as_dict()
            print(f"{d['severity']} {d['rule']} {d['agency']} {d['years']} {d['where']}: expected {d['expected']}, "
                  f"found {d['found']}")  # fmt: skip
        if len(findings) > 50:
            print(f"… and {len(findings) - 50} more (--json for all)")


def cmd_demo(args: argparse.Namespace) -> int:
    """Serve the fixture web, crawl it into the store, export text and JSONL, validate, summarise."""
    from collections import Counter

    from crawler.registry import load_sites
    from crawler.run import run_crawl

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from nianbao.demo.server import FixtureWeb

    data = Path(args.data)
    data.mkdir(parents=True, exist_ok=True)
    db = f"sqlite:///{data / 'nianbao.sqlite'}"
    with FixtureWeb(port=args.port) as web:
        registry = web.write_registry(data / "fixture-sites.csv")
        print(f"fixture web: {len(load_sites(registry))} sites on 127.0.0.x:{web.port}")
        summary = run_crawl(load_sites(registry), {
            "NIANBAO_DB": db, "NIANBAO_STATE": str(data / "crawl-state.sqlite"),
            "NIANBAO_SUMMARY": str(data / "crawl-summary.json"), "FEEDS": {}, "LOG_LEVEL": "ERROR",
            "AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0, "DOWNLOAD_TIMEOUT": 3, "RETRY_BACKOFF_BASE": 0.2,
        })  # fmt: skip
    added = sum(r["reports_new"] for r in summary["sites"])
    known = sum(r["reports_known"] for r in summary["sites"])
    rows = [("site", "pages", "new", "known", "blocked", "errors")]
    rows += [(r["site"], str(r["pages"]), str(r["reports_new"]), str(r["reports_known"]), r["blocked"] or "-",
              str(r["errors"])) for r in summary["sites"]]  # fmt: skip
    print()
    _print_table(rows)
    from storage import export, validate
    from storage import summary as rule_summary

    with _open_store(db) as store:
        export(store, "text", data / "export" / "text")
        export(store, "jsonl", data / "export" / "reports.jsonl")
        records = list(store.reports())
        findings = validate(store)
    per = Counter((r.get("site") or "-", r.get("carrier") or "-") for r in records)
    print()
    _print_table([("site", "carrier", "reports"), *((s, c, str(n)) for (s, c), n in sorted(per.items()))])
    by_rule = Counter(c["rule"] for r in records for c in r.get("checks", []) if c["severity"] in ("E", "W"))
    print()
    _print_table([("rule", "reports failing (E/W)"), *((k, str(v)) for k, v in sorted(by_rule.items()))])
    print()
    _print_validation(findings, rule_summary(findings))
    print(f"\nstored: {len(records)} reports in {db}; exported to {data / 'export'} (text/ and reports.jsonl)")
    if added:
        print(f"this run added {added} new report(s); {known} other documents held reports already stored")
    else:
        print(f"this run added nothing new: all {known} report documents found were already stored")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of `nianbao`."""
    parser = argparse.ArgumentParser(prog="nianbao", description="Harvest 政府信息公开工作年度报告 as checked data.")
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("extract", help="extract one document (JSON) or every file under a folder (JSON lines)")
    ex.add_argument("path")
    ex.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES, help="refuse files larger than this")
    ex.add_argument("--compact", action="store_true", help="one-line JSON for a single file")
    ex.add_argument("--quiet", action="store_true", help="no progress bar")
    ex.add_argument("--strict", action="store_true", help="folder mode: exit 1 if any file failed")
    ex.set_defaults(func=cmd_extract)
    cr = sub.add_parser("crawl", help="harvest the annual reports of registry sites or of the given URLs' hosts")
    cr.add_argument("urls", nargs="*", help="start URLs; each host becomes a site")
    cr.add_argument("--sites", help="registry CSV (site_id,name,region_code,…,start_urls,allowed_hosts,…)")
    cr.add_argument("--region", help="only sites whose GB/T 2260 region code starts with this prefix")
    cr.add_argument("--db", default=DEFAULT_DB, help="SQLAlchemy URL of the store ('' for none)")
    cr.add_argument("--blobs", help="folder of the raw documents (default: beside a SQLite file, else data/blobs)")
    cr.add_argument("--feed", default="data/reports.jsonl", help="JSON-lines feed the records are appended to")
    cr.add_argument("--state", default="data/crawl-state.sqlite", help="state file for incremental crawls")
    cr.add_argument("--summary", default="data/crawl-summary.json", help="per-site summary written here")
    cr.add_argument("--fast", action="store_true", help="no AutoThrottle or delay (local test sites)")
    cr.add_argument("--log-level", default="WARNING")
    cr.add_argument("-s", "--set", action="append", metavar="KEY=VALUE", help="any Scrapy setting")
    cr.set_defaults(func=cmd_crawl)
    sm = sub.add_parser("summary", help="extract every document under folders and print a summary table")
    sm.add_argument("paths", nargs="*", default=["fixtures/documents"], help="folders of documents")
    sm.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES)
    sm.set_defaults(func=cmd_summary)
    ex2 = sub.add_parser("export", help="write the stored reports as text files, JSON lines, CSV or Parquet")
    ex2.add_argument("--db", default=DEFAULT_DB)
    ex2.add_argument("--format", required=True, choices=("text", "jsonl", "csv", "parquet"))
    ex2.add_argument("--out", required=True, help="folder (text) or file (jsonl, csv, parquet)")
    ex2.add_argument("--region", help="GB/T 2260 code prefix")
    ex2.add_argument("--year", type=int)
    ex2.set_defaults(func=cmd_export)
    va = sub.add_parser("validate", help="cross-year and timeliness rules over the stored reports")
    va.add_argument("--db", default=DEFAULT_DB)
    va.add_argument("--region", help="GB/T 2260 code prefix")
    va.add_argument("--json", action="store_true", help="findings as JSON lines")
    va.set_defaults(func=cmd_validate)
    demo = sub.add_parser("demo", help="the main job on the bundled sample: serve the fixture web, crawl, export")
    demo.add_argument("--data", default="data", help="folder for the database, state and exports")
    demo.add_argument("--port", type=int, default=8765, help="port of the fixture web (the same each run)")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
