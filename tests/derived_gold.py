"""The derived documents of fixtures/derived/ (text other tools converted from PDF) and their hand-read gold.

Each `<name>.md` is a copy of a derived document; `<name>.expected.json` holds the cells read by hand
(its `how_read` says how) in the shape of the corpus gold records, so `goldcmp.compare` scores it.
`measure` counts what matters for these documents: cells filled with a wrong number, null cells the record
does not list in `ambiguous`, and table errors that blame the publisher for what the parser did.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .goldcmp import COLUMNS, failed_checks

DERIVED = Path(__file__).resolve().parents[1] / "fixtures" / "derived"


def gold_paths() -> list[Path]:
    """Return the gold records of fixtures/derived/, in name order."""
    return sorted(DERIVED.glob("*.expected.json"))


def load(gold_path: Path) -> tuple[dict[str, Any], Path]:
    """Return a derived document's gold record and the path of its document."""
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    return gold, DERIVED / gold["source"]


def gold_cells(gold: dict[str, Any]) -> dict[str, Any]:
    """Return path → value of every scored cell of a gold record (its `ambiguous` cells left out)."""
    out: dict[str, Any] = {}
    skip = set(gold.get("ambiguous") or [])
    for row, values in (gold.get("requests") or {}).items():
        for i, v in enumerate(values):
            out[f"requests.{row}.{COLUMNS[i]}"] = v
    for table in ("proactive", "review_litigation"):
        for row, cols in (gold.get(table) or {}).items():
            for col, v in cols.items():
                out[f"{table}.{row}.{col}"] = v
    return {k: v for k, v in out.items() if k not in skip}


def record_cell(record: dict[str, Any], path: str) -> Any:
    """Return the value of the cell `TABLE.ROW.COLUMN` of a record dict (None where absent)."""
    table, row, col = path.split(".")
    data = (record.get(table) or {}).get(row)
    if isinstance(data, list):
        return data[COLUMNS.index(col)] if data else None
    return (data or {}).get(col)


@dataclass
class Measure:
    """What a record of a derived document gets wrong, cell by cell."""

    cells: int = 0
    """Scored gold cells."""
    right: int = 0
    """Cells equal to the gold."""
    wrong: list[str] = field(default_factory=list)
    """`path: got X, gold Y` for each cell filled with another number than the report states."""
    unflagged: list[str] = field(default_factory=list)
    """Paths of null cells the record does not list in `ambiguous`."""
    blamed: list[str] = field(default_factory=list)
    """Table errors (severity E) the gold does not have: the publisher blamed for the parser's error."""


def measure(record: dict[str, Any], gold: dict[str, Any]) -> Measure:
    """Return the measure of `record` against the gold of a derived document."""
    m = Measure()
    listed = {a["cell"] if isinstance(a, dict) else a for a in record.get("ambiguous") or []}
    for path, want in gold_cells(gold).items():
        got = record_cell(record, path)
        m.cells += 1
        if got is None and want is not None:
            if path not in listed:
                m.unflagged.append(path)
        elif got == want:
            m.right += 1
        else:
            m.wrong.append(f"{path}: got {got!r}, gold {want!r}")
    unscored = set(gold.get("checks_unscored") or [])
    m.blamed = sorted(failed_checks(record) - set(gold.get("failed_checks") or []) - unscored)
    return m


if __name__ == "__main__":
    from extractors import extract

    for p in gold_paths():
        g, doc = load(p)
        got = measure(extract(doc), g)
        print(f"{doc.stem}: {got.right}/{got.cells} right, {len(got.wrong)} wrong, "
              f"{len(got.unflagged)} null and unflagged, {len(got.blamed)} errors blamed on the publisher")  # fmt: skip
        for line in got.wrong + got.unflagged + got.blamed:
            print("   ", line)
