"""`nianbao bodies import FILE` and `nianbao bodies list`: the user's own list of obliged bodies."""

from __future__ import annotations

import argparse
import csv
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..exits import ATTENTION, OK, UsageError
from ..output import print_table
from ..stores import open_store

COLUMNS = ("action", "name", "new_name", "level", "region_code", "year", "column_url")
"""The columns of a bodies CSV (`action` and `name` required; the others may be empty or absent)."""


def read_rows(path: str) -> list[Any]:
    """Return the `storage.bodies.UserRow`s of a bodies CSV; raise UsageError for a file that cannot be one."""
    from storage.bodies import UserRow

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text") from None
    reader = csv.DictReader(text.splitlines())
    missing = {"action", "name"} - set(reader.fieldnames or ())
    if missing:
        raise UsageError(f"{path}: missing column(s) {', '.join(sorted(missing))} (columns: {', '.join(COLUMNS)})")
    rows = []
    for n, raw in enumerate(reader, start=2):
        cell = {k: (raw.get(k) or "").strip() for k in COLUMNS}
        year = cell["year"]
        if year and not year.isdigit():
            raise UsageError(f"{path}: line {n}: year {year!r} is not a year")
        rows.append(UserRow(action=cell["action"].lower(), name=cell["name"], new_name=cell["new_name"] or None,
                            level=cell["level"] or None, region_code=cell["region_code"] or None,
                            year=int(year) if year else None, column_url=cell["column_url"] or None,
                            line=n))  # fmt: skip
    return rows


def cmd_bodies_import(args: argparse.Namespace) -> int:
    """Apply a user's bodies CSV (add, rename, retire) to the store; exit 1 where a row was not applied."""
    from storage.bodies import apply_user_rows

    rows = read_rows(args.file)
    source = f"user:{Path(args.file).name}"
    with open_store(args.db, create=True) as store:
        problems = store.write(lambda s: apply_user_rows(s, rows, datetime.now(UTC), source))
    print(f"{len(rows) - len(problems)} of {len(rows)} row(s) applied from {args.file}")
    for line in problems:
        print(f"nianbao: {args.file}: {line}", file=sys.stderr)
    return ATTENTION if problems else OK


def cmd_bodies_list(args: argparse.Namespace) -> int:
    """List the obliged bodies the store knows (of `--region`), with their level and where they were learnt."""
    with open_store(args.db, create=False) as store:
        bodies = store.bodies(args.region)
    rows = [("body_key", "name", "level", "region", "parent", "retired", "former names", "learnt from")]
    for b in bodies:
        kinds = sorted({str(e.get("kind")) for e in b.evidence or [] if isinstance(e, dict)})
        former = [n for n in b.names or [] if n != b.name]
        rows.append((b.body_key, b.name, b.level, b.region_code or "-", b.parent_key or "-",
                     str(b.retired_year) if b.retired_year else "-", "、".join(former) or "-",
                     ",".join(kinds)))  # fmt: skip
    print_table(rows)
    print(f"\n{len(bodies)} body(ies)")
    return OK
