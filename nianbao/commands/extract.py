"""`nianbao extract` and `nianbao summary`: documents already on disk → records (no crawl, no database)."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from extractors import TABLES, ExtractionError, ambiguous_cells, attribute_record, extract, to_docx
from extractors import sniff_carrier as sniff

from ..exits import ATTENTION, OK, UsageError
from ..output import dump, print_table

NOT_DOCUMENTS = ("meta.json", "expected.json", "SOURCES.md", "README.md")
"""File names in sample folders that describe documents rather than being documents."""


def bundled_samples() -> list[Path]:
    """Return the folders of sample documents shipped with nianbao (those the demo web serves)."""
    demo = resources.files("nianbao") / "demo"
    return [Path(str(demo / "documents")), Path(str(demo / "corpus"))]


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


def iter_records(
    root: Path, max_bytes: int, progress: bool, context: dict[str, Any] | None = None
) -> Iterator[dict[str, Any]]:
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
            record = attribute_record(extract(p, max_bytes=max_bytes, converted=conv, context=context))
            yield {"path": rel, **record}
        except ExtractionError as exc:
            yield {"path": rel, "error": exc.reason}
        except MemoryError:
            yield {"path": rel, "error": "out of memory while reading"}
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()


def _context(args: argparse.Namespace) -> dict[str, Any]:
    """Return what a crawl would have passed to the extractors, from `--source-url` and `--published-at`."""
    context: dict[str, Any] = {}
    if args.source_url:
        context["source_url"] = args.source_url
    if args.published_at:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", args.published_at):
            raise UsageError(f"--published-at {args.published_at!r}: write the date as YYYY-MM-DD")
        context["published_at"] = args.published_at
    return context


def cmd_extract(args: argparse.Namespace) -> int:
    """Print the record of PATH as JSON, or one JSON line per file when PATH is a folder."""
    if re.match(r"(?i)^[a-z][a-z0-9+.-]*://", args.path):
        raise UsageError(f"{args.path}: extract reads files and folders; to fetch a URL, run `nianbao crawl URL`")
    path = Path(args.path)
    context = _context(args)
    if path.is_dir():
        failed = 0
        for rec in iter_records(path, args.max_bytes, sys.stderr.isatty() and not args.quiet, context):
            failed += "error" in rec
            sys.stdout.write(dump(rec) + "\n")
            sys.stdout.flush()
        if failed:
            print(f"nianbao: {failed} file(s) under {path} could not be read", file=sys.stderr)
        return ATTENTION if failed and args.strict else OK
    if not path.exists():
        raise UsageError(f"{path}: no such file or folder")
    try:
        record = attribute_record(extract(path, max_bytes=args.max_bytes, context=context))  # the agency alone
    except ExtractionError as exc:
        raise UsageError(f"{path}: {exc.reason}") from None
    except MemoryError:
        raise UsageError(f"{path}: out of memory while reading") from None
    print(json.dumps(record, ensure_ascii=False, indent=None if args.compact else 1))
    return OK


def filled(record: dict[str, Any]) -> int:
    """Return how many cells of the three tables hold a number."""
    n = 0
    for table in TABLES:
        for row in (record.get(table) or {}).values():
            values = row.values() if isinstance(row, dict) else row
            n += sum(1 for v in values if isinstance(v, int | float) and not isinstance(v, bool))
    return n


SUMMARY_HEADER = ("file", "carrier", "format", "year", "agency", "cells", "errors (E)", "warnings (W)", "ambiguous",
                  "rules failed (E, W)")  # fmt: skip
"""The columns of `nianbao summary`: `ambiguous` counts cells the document does not settle (left null)."""


def summary_rows(root: Path, max_bytes: int) -> list[tuple[str, ...]]:
    """Return one row of `SUMMARY_HEADER` per document under `root` (an unreadable one says why under agency)."""
    rows: list[tuple[str, ...]] = []
    for rec in iter_records(root, max_bytes, progress=False):
        if Path(rec["path"]).name in NOT_DOCUMENTS:
            continue
        if "error" in rec:
            rows.append((rec["path"], "-", "-", "-", f"ERROR: {rec['error']}", *("-",) * 5))
            continue
        errors = sum(1 for c in rec["checks"] if c["severity"] == "E")
        warnings = sum(1 for c in rec["checks"] if c["severity"] == "W")
        rules = " ".join(sorted({c["rule"] for c in rec["checks"] if c["severity"] in "EW"})) or "-"
        rows.append((rec["path"], rec["carrier"], rec["format"] or "-", str(rec["year"] or "-"), rec["agency"] or "-",
                     str(filled(rec)), str(errors), str(warnings), str(len(ambiguous_cells(rec))), rules))  # fmt: skip
    return rows


def cmd_summary(args: argparse.Namespace) -> int:
    """Extract every document under the folders (the bundled samples by default) and print a table."""
    folders = [Path(p) for p in args.paths] if args.paths else bundled_samples()
    rows: list[tuple[str, ...]] = []
    for root in folders:
        if not root.is_dir():
            raise UsageError(f"{root}: no such folder")
        rows += summary_rows(root, args.max_bytes)
    print_table([SUMMARY_HEADER, *rows])
    done = [r for r in rows if not r[4].startswith("ERROR")]
    print(f"\n{len(done)} of {len(rows)} documents extracted; "
          f"{sum(int(r[6]) for r in done)} errors, {sum(int(r[7]) for r in done)} warnings, "
          f"{sum(int(r[8]) for r in done)} ambiguous cells (`nianbao rules` explains each rule id)")
    return OK if len(done) == len(rows) or not args.strict else ATTENTION
