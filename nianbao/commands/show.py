"""`nianbao show REF`: one stored report in the terminal, its three tables drawn as the official form.

The layout (rows, groups, column headers) is the shared one of `extractors.layout`; failing cells are
marked `!` (their rules listed under the table), ambiguous cells `?`, blank cells `·`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from extractors import RULES, TABLES, CellSpec, TableLayout, ambiguous_cells, failing_cells, record_layouts

if TYPE_CHECKING:
    from extractors.layout import Block

from ..exits import OK, UsageError
from ..output import console

BLANK = "·"
"""What a blank cell shows (a blank is never 0)."""


def add_show_parser(sub: argparse._SubParsersAction, make: Callable[..., argparse.ArgumentParser],
                    default_db: str) -> None:  # fmt: skip
    """Add `nianbao show` to the command parsers."""
    sh = make(sub, "show", "one stored report in the terminal: its facts and its three tables as the official "
              "form, failing cells marked")  # fmt: skip
    sh.add_argument("ref", metavar="REF", help="the report's seq (12), a prefix of its text hash (9f3a…, 4+ hex "
                    "digits), an exported file's name (012_9f3a…) or a URL it was found at")  # fmt: skip
    sh.add_argument("--db", default=default_db, help="SQLAlchemy URL of the store (must exist)")
    sh.set_defaults(func=cmd_show)


def cmd_show(args: argparse.Namespace) -> int:
    """Print the report REF names; exit 2 where it names none or several."""
    from storage.lookup import NotFound, find_report

    from ..stores import open_store

    with open_store(args.db, create=False) as store:
        try:
            report = find_report(store, args.ref)
        except NotFound as exc:
            raise UsageError(str(exc)) from None
    show(report, console())
    return OK


def show(report: Mapping[str, Any], out: Console) -> None:
    """Print a report's facts, then its three tables in the official layout, each with its failed checks."""
    from storage.timeliness import timeliness

    when = timeliness(report)
    out.print(Text(str(report.get("title") or "(no title)"), style="bold"))
    facts = [
        ("seq", report.get("seq")), ("text", str(report.get("text_sha256") or "")[:16]),
        ("body", report.get("body") or report.get("agency")), ("body_key", report.get("body_key")),
        ("region", " ".join(str(x) for x in (report.get("region_code"), report.get("region_name")) if x)),
        ("year", report.get("year")), ("format", report.get("format")), ("carrier", report.get("carrier")),
        ("published", when.published_at), ("deadline", when.deadline),
        ("status", when.status + (f" ({when.days_late} days)" if when.days_late else "")),
        ("source", report.get("source_url") or next(iter(report.get("sources") or ()), None)),
    ]  # fmt: skip
    for name, value in facts:
        out.print(f"{name:<10}{value if value not in (None, '') else '-'}", highlight=False)
    checks = [c for c in report.get("checks") or () if isinstance(c, Mapping)]
    counts = {s: sum(1 for c in checks if c.get("severity") == s) for s in "EWI"}
    out.print(f"{'checks':<10}{counts['E']} E, {counts['W']} W, {counts['I']} I; "
              f"ambiguous cells: {len(ambiguous_cells(report))}")  # fmt: skip
    marks = failing_cells(report)
    unsure = set(ambiguous_cells(report))
    for layout in record_layouts(report):
        out.print()
        present = isinstance(report.get(layout.table), Mapping)
        out.print(Text(f"表{layout.numeral} {layout.title}" + ("" if present else ": not found"), style="bold"))
        if present:
            for block in layout.blocks:
                out.print(_block(block, report, marks, unsure))
        _checks_of(layout, checks, out)
    rest = [c for c in checks if not _table_of(c)]
    if rest:
        out.print()
        out.print(Text("other checks", style="bold"))
        for c in rest:
            out.print(_check_line(c), highlight=False)


def _cell_text(cell: CellSpec, report: Mapping[str, Any], marks: Mapping[str, Any], unsure: set[str]) -> Text:
    """Return a cell's value as shown: the number, `·` for a blank, `!` failing, `?` ambiguous."""
    value = cell.value(report)
    shown = BLANK if value is None else str(value)
    if cell.name in unsure:
        return Text(shown + "?", style="yellow")
    if cell.name in marks:
        bad = any(c.get("severity") == "E" for c in marks[cell.name])
        return Text(shown + "!", style="bold red" if bad else "yellow")
    return Text(shown)


def _headers(block: Block) -> list[str]:
    """Return one header per column: the spanning labels above it stacked over its own (spans drawn once)."""
    width = block.label_columns + len(block.rows[0].cells)
    grid: list[list[str]] = [[""] * width for _ in block.header]
    taken = [[False] * width for _ in block.header]
    for i, cells in enumerate(block.header):
        j = 0
        for cell in cells:
            while taken[i][j]:
                j += 1
            grid[i][j] = cell.text
            for di in range(cell.rowspan):
                for dj in range(cell.colspan):
                    taken[i + di][j + dj] = True
            j += cell.colspan
    columns = ["\n".join(line for line in (grid[i][j] for i in range(len(grid))) if line) for j in range(width)]
    if block.label_columns:
        columns = ["\n".join(dict.fromkeys(columns[:block.label_columns])), *columns[block.label_columns:]]
    return columns


def _block(block: Block, report: Mapping[str, Any], marks: Mapping[str, Any], unsure: set[str]) -> Table:
    """Return one block of a table as a rich table: group labels as their own lines, rows indented under them."""
    table = Table(title=block.title or None, title_justify="left", show_lines=False, header_style="bold")
    headers = _headers(block)
    for n, header in enumerate(headers):
        label = block.label_columns and n == 0
        table.add_column(header, justify="left" if label else "right", no_wrap=not label,
                         overflow="fold", max_width=40 if label else None)  # fmt: skip
    shown: tuple[str, ...] = ()
    for row in block.rows:
        values = [_cell_text(c, report, marks, unsure) for c in row.cells]
        if not block.label_columns:
            table.add_row(*values)
            continue
        for depth, group in enumerate(row.groups):
            if shown[: depth + 1] != row.groups[: depth + 1]:
                table.add_row(Text("  " * depth + group, style="bold"), *[""] * len(values))
        shown = (*row.groups, row.label) if row.derived else row.groups
        label = "  " * len(row.groups) + row.label + (" (sum of 1–3)" if row.derived else "")
        table.add_row(label, *values)
    return table


def _table_of(check: Mapping[str, Any]) -> str | None:
    """Return the table a failed check is about, from its rule family; None for a check on the text or the report."""
    family = str(check.get("rule") or "").split("-")[0]
    where = str(check.get("where") or "")
    if family in ("T2", "NUM"):
        return "proactive" if family == "T2" or where not in TABLES else where
    return {"T3": "requests", "T4": "review_litigation"}.get(family)


def _check_line(check: Mapping[str, Any]) -> str:
    """Return a failed check as one line: severity, rule, where, expected/found, the rule's meaning."""
    rule = RULES.get(str(check.get("rule")))
    where = str(check.get("where") or "") + (f".{check['column']}" if check.get("column") else "")
    said = ""
    if check.get("expected") is not None or check.get("found") is not None:
        said = f": expected {check.get('expected')}, found {check.get('found')}"
    meaning = check.get("message") or (rule.meaning if rule else "")
    return f"  {check.get('severity')} {check.get('rule')} {where}{said} — {meaning}"


def _checks_of(layout: TableLayout, checks: list[Mapping[str, Any]], out: Console) -> None:
    """Print the failed checks of one table, one line each."""
    for c in checks:
        if _table_of(c) == layout.table:
            out.print(_check_line(c), highlight=False)
