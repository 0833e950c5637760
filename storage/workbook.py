"""Writing the wide table: an XLSX workbook of sheets, or the reports sheet as CSV with its column key beside.

The workbook (openpyxl, write-only: rows stream to disk, memory stays flat however many reports) has the
sheets `reports` (one row per report, Chinese headers, frozen header and first columns), `checks` (every
failed check with the cells it reads and the rule's meaning), `sources` (every URL), `ambiguous` (cells the
documents do not settle), `columns` (each header of `reports` with its machine name and meaning) and
`rules` (every rule id, its meaning and how many of the exported reports fail it), and where asked
`cross_year` (what `nianbao validate` finds: XY rules across years, TIME rules); every sheet has a filter
on its header row. The CSV is UTF-8 with a BOM, for Excel; its key is `<name>.columns.csv`.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from . import wide
from .wide import Column

FindingChunk = tuple[Sequence[Any], Mapping[int, Any]]
"""Some findings (`storage.validate.Finding`) and the seq of each report id they name."""

SHEETS: dict[str, tuple[Column, ...]] = {
    "checks": wide.CHECK_COLUMNS,
    "sources": wide.SOURCE_COLUMNS,
    "ambiguous": wide.AMBIGUOUS_COLUMNS,
}
"""The long sheets filled report by report, beside `reports`."""


def write_xlsx(records: Iterable[Mapping[str, Any]], out: str | Path | IO[bytes],
               findings: Callable[[], Iterable[FindingChunk]] | None = None) -> tuple[int, int]:  # fmt: skip
    """Write the workbook to `out`; return (reports, rows written over all sheets but the key and rules).

    `findings`, where given, returns the cross-year and timeliness findings (`storage.validate`) for the
    `cross_year` sheet in chunks, each with the seqs of the reports it names; it is called once the reports
    are written. Memory holds one report and one chunk, not a map of every report.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    bold = Font(bold=True)

    counts: dict[Any, int] = {}
    widths: dict[Any, int] = {}

    def sheet(title: str, columns: tuple[Column, ...], freeze: str = "A2") -> Any:
        ws = book.create_sheet(title)
        for i, col in enumerate(columns, 1):
            ws.column_dimensions[get_column_letter(i)].width = col.width
        ws.freeze_panes = freeze
        ws.append([_header(ws, c.header, bold, Alignment(wrap_text=True, vertical="top")) for c in columns])
        counts[ws], widths[ws] = 0, len(columns)
        return ws

    def append(ws: Any, row: list[Any]) -> None:
        ws.append(row)
        counts[ws] += 1

    reports = sheet("reports", wide.report_columns(), freeze="D2")
    long = {name: sheet(name, columns) for name, columns in SHEETS.items()}
    failing: Counter[str] = Counter()  # reports failing each rule
    n = 0
    for record in records:
        n += 1
        append(reports, wide.report_row(record))
        failing.update({str(c.get("rule")) for c in record.get("checks") or () if isinstance(c, Mapping)})
        for name, make in (("checks", wide.check_rows), ("sources", wide.source_rows),
                           ("ambiguous", wide.ambiguous_rows)):  # fmt: skip
            for row in make(record):
                append(long[name], row)
    if findings is not None:
        cross = sheet("cross_year", wide.FINDING_COLUMNS)
        for chunk, seqs in findings():
            for row in wide.finding_rows(chunk, seqs):
                append(cross, row)
    key = sheet("columns", wide.KEY_COLUMNS)
    for row in wide.key_rows():
        append(key, row)
    rules = sheet("rules", wide.RULE_COLUMNS)
    for row in wide.rule_rows():
        append(rules, [*row, failing[row[0]]])
    for ws, written in counts.items():  # a filter on every column of every sheet
        ws.auto_filter.ref = f"A1:{get_column_letter(widths[ws])}{written + 1}"
    if isinstance(out, str | Path):
        Path(out).parent.mkdir(parents=True, exist_ok=True)
    book.save(out)
    return n, sum(counts.values()) - counts[key] - counts[rules]


def _header(ws: Any, text: str, font: Any, align: Any) -> Any:
    """Return a bold, wrapped header cell for a write-only sheet."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=text)
    cell.font, cell.alignment = font, align
    return cell


def write_wide_csv(records: Iterable[Mapping[str, Any]], fh: IO[str]) -> int:
    """Write the reports sheet as CSV to the open text stream `fh`; return how many reports it holds."""
    writer = csv.writer(fh, lineterminator="\n")
    writer.writerow([c.header for c in wide.report_columns()])
    n = 0
    for record in records:
        writer.writerow(wide.report_row(record))
        n += 1
    return n


def key_path(out: str | Path) -> Path:
    """Return where the wide CSV `out` keeps its column key: `<stem>.columns.csv` beside it."""
    path = Path(out)
    return path.with_name(path.stem + ".columns.csv")


def write_key_csv(path: Path) -> None:
    """Write the column key (header, machine name, meaning, kind, formats) as CSV with a BOM."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow([c.name for c in wide.KEY_COLUMNS])
        writer.writerows(wide.key_rows())
