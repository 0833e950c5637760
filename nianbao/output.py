"""Plain-text output: aligned tables (CJK counted as two columns) and compact JSON."""

from __future__ import annotations

import json
import unicodedata
from typing import Any


def dump(obj: Any) -> str:
    """Return `obj` as one line of JSON, UTF-8 text kept as is."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def width(text: str) -> int:
    """Return the number of terminal columns `text` takes."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table(rows: list[tuple[str, ...]]) -> str:
    """Return `rows` (the first is the header) as aligned columns with a rule under the header."""
    widths = [max(width(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, r in enumerate(rows):
        lines.append("  ".join(cell + " " * (widths[i] - width(cell)) for i, cell in enumerate(r)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def print_table(rows: list[tuple[str, ...]]) -> None:
    """Print `rows` as `table` does."""
    print(table(rows))
