"""`nianbao report`: write the harvest report of a store (optionally one region and year) as one HTML file that
opens with no network."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from storage.textfiles import atomic_write

from ..exits import ATTENTION, OK, UsageError
from ..stores import open_store
from .coverage import deadlines_of, region_code


def _check_out(out: str) -> Path:
    """Return `--out` as a path that can be written (its folder created at the end where missing); raise
    UsageError for a folder, or a place under a file or an unwritable folder. Creates nothing."""
    path = Path(out)
    if path.is_dir():
        raise UsageError(f"--out {out}: is a folder; the report is one file (e.g. {out}/report.html)")
    existing = path.absolute().parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"--out {out}: cannot write in {existing}")
    return path


def _write(path: Path, text: str) -> None:
    """Write `text` to `path` (its folder created where missing) through a temporary file beside it, so a failed
    write leaves no half page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, text)


def cmd_report(args: argparse.Namespace) -> int:
    """Write the harvest report to `--out`; return 1 where the selection holds no report and no obliged body."""
    from crawler.useragent import project_version

    from ..report import gather, render

    deadlines = deadlines_of(args.deadline)
    path = _check_out(args.out)
    with open_store(args.db, create=False) as store:
        region = region_code(args.region, store) if args.region else None
        data = gather(store, region, args.year, deadlines)
    page = render(data, version=project_version())
    try:
        _write(path, page)
    except OSError as exc:
        raise UsageError(f"--out {args.out}: cannot write: {exc.strerror or exc}") from None
    size = len(page.encode("utf-8"))
    bodies = sum(1 for r in data.coverage if r["status"] != "unlisted")
    print(f"wrote {path}: {len(data.reports)} report(s), {bodies} obliged bodies over {len(data.years)} year(s), "
          f"{size / 1e6:.1f} MB")  # fmt: skip
    if not data.reports and not data.coverage:
        print("nianbao: nothing to show: the store has no report and no obliged body in this selection",
              file=sys.stderr)
        return ATTENTION
    return OK


def add_report_parser(sub: argparse._SubParsersAction, make: Callable[..., Any], default_db: str) -> None:
    """Add `nianbao report` to the subcommands `sub`, each made by `make(sub, name, help)`."""
    p = make(sub, "report", "write the harvest report: one HTML file (coverage, timeliness, failed checks, every "
             "report's tables in the official layout) that opens with no network")  # fmt: skip
    p.add_argument("--out", required=True, help="the HTML file to write, e.g. report.html")
    p.add_argument("--region", help="GB/T 2260 code prefix, e.g. 32, 3208, 320813 (default: every region)")
    p.add_argument("--year", type=int, help="the report year (default: every year the stored reports have)")
    p.add_argument("--deadline", action="append", metavar="LEVEL|REGION=YYYY-MM-DD", help="set a deadline per "
                   "level (township=2025-03-31) or region code prefix (320813=2025-02-28); repeatable")  # fmt: skip
    p.add_argument("--db", default=default_db, help="SQLAlchemy URL of the store (must exist)")
    p.set_defaults(func=cmd_report)
