"""Reading a record: its plain text rebuilt from the sections, and its tables as tidy (long) rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from extractors.labels import REQUEST_COLUMNS

SECTION_ORDER = ("overview", "proactive", "requests", "review_litigation", "problems", "other")
TABLES = ("proactive", "requests", "review_litigation")
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


def table_cells(record: dict[str, Any]) -> Iterator[tuple[str, str, str, Any, str | None]]:
    """Yield (table, row, column, value, raw) for every cell of tables 二, 三 and 四 in the record.

    `raw` is the cell's text where the record keeps it beside the value (`<column>_raw`), else None.
    Rows of table 三 are lists in `REQUEST_COLUMNS` order; other tables are row → column → value.
    """
    for table in TABLES:
        data = record.get(table)
        if not isinstance(data, dict):
            continue
        for row, cells in data.items():
            if isinstance(cells, list):
                for column, value in zip(REQUEST_COLUMNS, cells, strict=False):
                    yield table, row, column, value, None
            elif isinstance(cells, dict):
                for column, value in cells.items():
                    if column.endswith("_raw") or isinstance(value, dict | list):
                        continue
                    raw = cells.get(f"{column}_raw")
                    yield table, row, column, value, None if raw is None else str(raw)


def tidy_rows(record: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Yield one dict per table cell with the `TIDY_COLUMNS` keys (the long format of CSV and Parquet)."""
    base = {
        "report_id": record.get("report_id"),
        "seq": record.get("seq"),
        "agency": record.get("agency"),
        "year": record.get("year"),
        "region_code": record.get("region_code"),
        "format": record.get("format"),
    }
    for table, row, column, value, raw in table_cells(record):
        if isinstance(value, bool) or not isinstance(value, int | float | type(None)):
            value, raw = None, str(value) if raw is None else raw
        yield {**base, "table": table, "row": row, "column": column, "value": value, "raw": raw}
