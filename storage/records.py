"""Reading a record: its plain text rebuilt from the sections, and its tables as tidy (long) rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from extractors import SECTION_KEYS, table_cells  # the record's conventions are read by `extractors.table_cells`

SECTION_ORDER = SECTION_KEYS
TIDY_COLUMNS = ("report_id", "seq", "agency", "year", "region_code", "format", "table", "row", "column", "value", "raw")


def record_text(record: dict[str, Any]) -> str:
    """Return the report's plain text: the title, then the six parts in order (tables are in their text).

    The title is left out where the first part already starts with it. Missing parts are skipped.
    """
    sections = record.get("sections") or {}
    parts = [sections[k] for k in SECTION_ORDER if isinstance(sections.get(k), str) and sections[k].strip()]
    parts += [v for k, v in sections.items() if k not in SECTION_ORDER and isinstance(v, str) and v.strip()]
    title = (record.get("title") or "").strip()
    if title and not (parts and parts[0].lstrip().startswith(title)):
        parts.insert(0, title)
    return "\n\n".join(p.strip("\n") for p in parts) + "\n"


def tidy_rows(record: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Yield one dict per table cell with the `TIDY_COLUMNS` keys (the long format of CSV and Parquet)."""
    for values in tidy_tuples(record):
        yield dict(zip(TIDY_COLUMNS, values, strict=True))


def tidy_tuples(record: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
    """Yield one tuple per table cell: the values of `tidy_rows`, in `TIDY_COLUMNS` order."""
    base = (record.get("report_id"), record.get("seq"), record.get("agency"), record.get("year"),
            record.get("region_code"), record.get("format"))  # fmt: skip
    for table, row, column, value, raw in table_cells(record):
        if isinstance(value, bool) or not isinstance(value, int | float | type(None)):
            value, raw = None, str(value) if raw is None else raw
        yield (*base, table, row, column, value, raw)
