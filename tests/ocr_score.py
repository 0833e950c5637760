"""Cell-by-cell scores of a record read from a scan: right, flagged (null and listed in `ambiguous`), wrong."""

from __future__ import annotations

from pathlib import Path
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


def read_as_gold(case: Path, name: str) -> dict[str, Any]:
    """Return the record of `case / name` read with the first OCR engine (the test skipped where it is not
    installed), after asserting it holds at least 99% of the case's gold cells and no wrong cell unflagged."""
    import json

    import pytest

    from extractors import extract
    from extractors.readers.ocr import ENGINES, engine

    if engine(ENGINES[0]) is None:
        pytest.skip(f"{ENGINES[0]} OCR engine not installed (pip install 'nianbao[ocr]')")
    record = extract(case / name)
    cells, right, _, wrong = cell_scores(record, json.loads((case / "expected.json").read_text("utf-8")))
    print(f"\n{case.name}: {right}/{cells} cells right, {len(wrong)} wrong and not flagged")
    assert not wrong and right >= 0.99 * cells, (right, cells, wrong[:5])
    return record


def no_engine() -> None:
    """Stand in for choosing an OCR engine on a machine without one: raise the NoText the readers raise then (a
    test patches a reader's `choose` with it)."""
    from extractors.errors import NoText

    raise NoText("scanned pages need OCR and no engine is installed: RapidOCR is not installed")
