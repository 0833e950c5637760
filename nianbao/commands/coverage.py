"""`nianbao coverage`: one row per obliged body of a region and year (on time, late, missing, undated), then
the year's reports whose body is in no list (unlisted)."""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from typing import Any

from ..exits import ATTENTION, OK, UsageError
from ..output import print_table
from ..regions import describe, lookup
from ..stores import open_store

FORMATS = ("table", "csv", "json")


def region_code(region: str, store: Any) -> str:
    """Return `--region` where it is a code prefix the GB/T 2260 table knows, or one the store's bodies or
    reports carry; raise UsageError otherwise."""
    if not re.fullmatch(r"\d{2,12}", region or ""):
        raise UsageError(f"--region {region!r}: give a GB/T 2260 code or prefix such as 32, 3208 or 320813")
    if lookup(region[:9] if len(region) > 6 else region) is not None:
        return region
    if store.bodies(region) or next(iter(store.reports(region=region)), None) is not None:
        return region
    raise UsageError(f"--region {region}: no such GB/T 2260 region code, and no stored body or report carries it")


def deadlines_of(settings: list[str] | None) -> Any:
    """Return the `storage.coverage.Deadlines` of the `--deadline` options; raise UsageError for a bad one."""
    from storage.coverage import deadlines_from

    try:
        return deadlines_from(settings or [])
    except ValueError as exc:
        raise UsageError(f"--deadline {exc}") from None


def rows_of(store: Any, region: str, year: int, settings: list[str] | None) -> list[Any]:
    """Return the coverage rows of a region and year from an open store (the region checked first)."""
    from storage.coverage import coverage

    deadlines = deadlines_of(settings)
    return coverage(store, region_code(region, store), year, deadlines)


def print_coverage(rows: list[Any], fmt: str, region: str, year: int) -> None:
    """Print the coverage rows as a table (with totals per level), CSV (rows, then totals) or one JSON array."""
    from storage.coverage import KEYS, STATUSES, totals

    if fmt == "json":
        print(json.dumps([r.to_dict() for r in rows], ensure_ascii=False, indent=1))
        return
    if fmt == "csv":
        out = csv.writer(sys.stdout, lineterminator="\n")
        out.writerow(KEYS)
        for r in rows:
            d = r.to_dict()
            out.writerow([" ".join(v) if isinstance(v, list) else ("" if v is None else v) for v in d.values()])
        out.writerow([])
        out.writerow(["level", *STATUSES, "total"])
        for level, per in totals(rows).items():
            out.writerow([level, *per.values(), sum(per.values())])
        return
    table = [("body", "level", "region", "status", "published", "deadline", "late", "format", "E checks", "ambig.",
              "url")]  # fmt: skip
    for r in rows:
        table.append((r.body, r.level, r.region_code or "-", r.status, r.published_at or "-", r.deadline or "-",
                      str(r.days_late) if r.days_late is not None else "-", r.format or "-",
                      ",".join(r.failed_checks) or "-", str(len(r.ambiguous_cells)),
                      r.urls[0] if r.urls else "-"))  # fmt: skip
    print(f"coverage of {describe(region)}, reports of {year}\n")
    if len(table) > 1:
        print_table(table)
    else:
        print("no obliged body and no report: learn the bodies with a crawl, `nianbao bodies import` or `sites import`")
    print()
    sums = [("level", *STATUSES, "total")]
    for level, per in totals(rows).items():
        sums.append((level, *(str(v) for v in per.values()), str(sum(per.values()))))
    print_table(sums)


def cmd_coverage(args: argparse.Namespace) -> int:
    """Print the coverage of `--region` for `--year`; exit 1 when any obliged body is missing or late."""
    from storage.coverage import needs_attention

    deadlines_of(args.deadline)  # a bad setting fails before the store is opened
    with open_store(args.db, create=False) as store:
        rows = rows_of(store, args.region, args.year, args.deadline)
    print_coverage(rows, args.format, args.region, args.year)
    return ATTENTION if needs_attention(rows) else OK
