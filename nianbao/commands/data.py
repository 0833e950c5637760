"""`nianbao export` and `nianbao validate`: use what crawls stored."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..exits import ATTENTION, OK, StartError, UsageError
from ..output import print_table
from ..regions import describe
from ..stores import open_store
from .crawl import check_region


def _check_out(fmt: str, out: str) -> None:
    """Raise UsageError where `--out` cannot take an export of `fmt` (a folder for a file, unwritable)."""
    from storage.export import FILE_SUFFIXES

    path = Path(out)
    if fmt == "text":
        if path.exists() and not path.is_dir():
            raise UsageError(f"--out {out}: is a file; the text export writes into a folder")
        target = path
    else:
        if path.is_dir():
            example = f"{out}/reports.{FILE_SUFFIXES.get(fmt, fmt)}"
            raise UsageError(f"--out {out}: is a folder; the {fmt} export writes one file (e.g. {example})")
        target = path.parent
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot create {target}: {exc.strerror or exc}") from None


def _unplaced(store: Any, year: int | None) -> int:
    """Return how many stored reports (of `year`) carry no region code, so no region selection can find them."""
    return sum(1 for r in store.reports(year=year) if not r.get("region_code"))


def check_export_workers() -> None:
    """Raise UsageError (one line, exit 2) where $NIANBAO_EXPORT_WORKERS is set to anything but a whole number ≥ 1:
    checked before a command does work that a text export at its end would then waste."""
    from storage.textfiles import export_workers

    try:
        export_workers()
    except ValueError:
        raise UsageError("NIANBAO_EXPORT_WORKERS: write a whole number of processes, 1 or more") from None


def cmd_export(args: argparse.Namespace) -> int:
    """Write the stored reports in one of the export formats; return the exit status."""
    from storage import ExportError, MissingDependency, export

    region = check_region(args.region) if args.region and args.region.isdigit() else args.region
    _check_out(args.format, args.out)
    if args.format == "text":
        check_export_workers()
    with open_store(args.db, create=False) as store:
        try:
            result = export(store, args.format, args.out, region=region, year=args.year)
        except MissingDependency as exc:
            raise StartError(str(exc)) from None
        except ExportError as exc:
            raise UsageError(str(exc)) from None
        except OSError as exc:
            raise UsageError(f"--out {args.out}: cannot write: {exc.strerror or exc}") from None
        unplaced = _unplaced(store, args.year) if region and result.reports == 0 else 0
    print(f"exported {result.reports} reports as {result.fmt} to {result.out} ({result.rows} rows/files)")
    if unplaced:
        print(f"nianbao: no report matched --region {describe(region or '')}, but {unplaced} stored report(s) carry "
              "no region code (crawled from URLs without a registry row): export without --region to see them",
              file=sys.stderr)  # fmt: skip
        return ATTENTION
    return OK


def cmd_validate(args: argparse.Namespace) -> int:
    """Run the cross-year and timeliness rules; exit 1 when any finding is an error. The findings are written as
    they come from the store (`storage.validate_sorted`), never held all at once."""
    from storage import summary
    from storage.validate import Compared
    from storage.validate_sorted import sorted_findings, write_json

    region = check_region(args.region) if args.region and args.region.isdigit() else args.region
    compared = Compared()
    seen = _Seen()
    with open_store(args.db, create=False) as store:
        findings = seen.watch(sorted_findings(store, region=region, compared=compared))
        if args.json:
            write_json(findings, sys.stdout)
            sys.stdout.write("\n")
        else:
            per_rule = summary(findings)
    if not args.json:
        print_validation(seen.first, per_rule, seen.count)
        print(f"\ncompared {compared.pairs} body-year pair(s) with the year before (cross-year rules XY-*), "
              f"over {compared.reports} latest report(s) of {compared.bodies} body(ies)")
    return ATTENTION if seen.errors else OK


class _Seen:
    """What passed through `watch`: how many findings, the first `SHOWN`, whether any was an error."""

    def __init__(self) -> None:
        self.count, self.errors, self.first = 0, False, []

    def watch(self, findings: Any) -> Any:
        """Yield the findings unchanged, noting them."""
        for f in findings:
            self.count += 1
            self.errors = self.errors or f.severity == "E"
            if len(self.first) < SHOWN:
                self.first.append(f)
            yield f


SHOWN = 50
"""Findings `nianbao validate` prints after its per-rule table (--json gives them all)."""


def print_validation(findings: list[Any], per_rule: dict[str, dict[str, Any]], total: int | None = None) -> None:
    """Print the per-rule table of `validate`, then the first 50 findings (`total`: how many there are, where
    `findings` holds only the first ones)."""
    rows = [("rule", "findings", "E", "W", "I", "what")]
    for rule, s in per_rule.items():
        rows.append((rule, str(s["findings"]), str(s["E"]), str(s["W"]), str(s["I"]), s.get("description", "")))
    print_table(rows)
    total = len(findings) if total is None else total
    if findings:
        print()
        for f in findings[:SHOWN]:
            d = f.as_dict()
            print(f"{d['severity']} {d['rule']} {d['agency']} {d['years']} {d['where']}: expected {d['expected']}, "
                  f"found {d['found']}")  # fmt: skip
        if total > SHOWN:
            print(f"… and {total - SHOWN} more (--json for all)")
