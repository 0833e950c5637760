"""Cell-by-cell scores of a record read from a scan: right, flagged (null and listed in `ambiguous`), wrong."""

from __future__ import annotations

from typing import Any

from extractors.typed_ambiguity import ambiguous_cells
from extractors.typed_tables import REQUEST_COLUMNS


def cell_scores(got: dict[str, Any], gold: dict[str, Any]) -> tuple[int, int, int, list[list[str]]]:
    """Return (cells, right, flagged, wrong and not flagged) of a record's tables against gold, cell by cell.

    A cell is flagged where the record lists it in `ambiguous` or lacks its whole table (STR-05 says so).
    """
    skip = set(gold.get("ambiguous") or [])
    flagged = set(ambiguous_cells(got))
    cells = right = marked = 0
    wrong: list[list[str]] = []
    for table in ("proactive", "requests", "review_litigation"):
        have_table = got.get(table)
        for row, cols in (gold.get(table) or {}).items():
            items = list(enumerate(cols)) if isinstance(cols, list) else list(cols.items())
            for col, want in items:
                name = col if isinstance(col, str) else (gold.get("columns") or REQUEST_COLUMNS)[col]
                path = f"{table}.{row}.{name}"
                if path in skip:
                    continue
                cells += 1
                have = (have_table or {}).get(row)
                value = (have[col] if col < len(have) else None) if isinstance(have, list) else (have or {}).get(col)
                if value == want and isinstance(value, bool) == isinstance(want, bool):
                    right += 1
                elif have_table is None or path in flagged:
                    marked += 1
                else:
                    wrong.append([path, str(value), str(want)])
    return cells, right, marked, wrong
