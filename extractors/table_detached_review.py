"""Read table 四's 15 values where a converter split them over several grid rows, confirmed by its arithmetic.

Table 四 prints its 15 values in one row under a header. A converter may break that row over several grid
rows (a page break) and print a stray number row among them (a page number, a lone cell of the header).
Read in order, the rows give the 15 values where they add up to exactly 15 and each group's 总计 is the
sum of its four results. Otherwise every order-preserving choice of rows holding 15 values is tried; one
reading the arithmetic confirms is kept, and where none or several are, the cells are null with the readings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import combinations

from .table_items import Item, Loc
from .table_values import _multi_number
from .values import Cell, Kind, is_blank, is_number_like, parse

WIDTH = 15
"""Table 四's cells: three groups of 维持, 纠正, 其他, 尚未审结, 总计."""
MAX_ROWS = 8
"""Number rows considered at most (every subset of them is tried)."""


@dataclass(slots=True)
class SplitReading:
    """Table 四's values read from several grid rows."""

    cells: list[Cell] | None
    """The 15 cells, or None where no single reading is confirmed."""
    inferred: bool
    """True where a row printed among the values was left out to make the arithmetic hold."""
    text: str
    """The rows as printed, for `ambiguous` entries."""
    candidates: list[list[int | float | None]] = field(default_factory=list)
    """Per cell, the readings considered, where `cells` is None."""


def number_rows(items: list[Item], start: Loc, stop: Loc) -> list[list[str]]:
    """Return the value cells (numbers and blanks) of each grid row holding a number between start and stop."""
    rows: dict[tuple[int, int], list[str]] = {}
    for j in range(start.item, min(stop.item + 1, len(items))):
        if items[j].row is not None:
            rows.setdefault(items[j].row, []).append(items[j].text)  # type: ignore[arg-type]
    out = []
    for cells in rows.values():
        if not any(is_number_like(c) or _multi_number(c) for c in cells):
            continue
        tokens: list[str] = []
        for c in cells:
            if _multi_number(c):
                tokens += c.split()
            elif is_blank(c) or is_number_like(c):
                tokens.append(c)
        out.append(tokens)
    return out


def _trimmed(tokens: list[str]) -> list[str]:
    """Return a split row's cells without the blank cells a converter adds at its end (`| 6 |` read as 6 and '')."""
    end = len(tokens)
    while end and is_blank(tokens[end - 1]):
        end -= 1
    return tokens[:end]


def _cells(tokens: list[str]) -> list[Cell]:
    return [parse(t, Kind.COUNT) for t in tokens]


def read_split(rows: list[list[str]], confirm: Callable[[list[Cell]], bool]) -> SplitReading | None:
    """Return table 四 read from several number rows, or None where its values sit in one row (read as printed)."""
    if not rows or len(rows[0]) >= WIDTH:
        return None
    rows = [_trimmed(r) for r in rows[:MAX_ROWS]]
    text = " / ".join(" | ".join(t or "-" for t in r) for r in rows)
    plain: list[str] = []
    for r in rows:
        if len(plain) >= WIDTH:
            break
        plain += r
    if len(plain) == WIDTH and confirm(_cells(plain)):
        return SplitReading(_cells(plain), False, text)
    readings: dict[tuple[object, ...], list[Cell]] = {}
    tried: dict[tuple[object, ...], list[Cell]] = {}
    for k in range(1, len(rows) + 1):
        for chosen in combinations(rows, k):
            tokens = [t for r in chosen for t in r]
            if len(tokens) != WIDTH:
                continue
            cells = _cells(tokens)
            key = tuple(c.value for c in cells)
            tried[key] = cells
            if confirm(cells):
                readings[key] = cells
    if len(readings) == 1:
        cells = next(iter(readings.values()))
        return SplitReading(cells, [c.value for c in cells] != [c.value for c in _cells(plain[:WIDTH])], text)
    if not readings and len(plain) == WIDTH and sum(len(r) for r in rows) == WIDTH:
        return SplitReading(_cells(plain), False, text)  # the only reading the rows allow: as printed
    pool = list((readings or tried).values())
    candidates: list[list[int | float | None]] = [[] for _ in range(WIDTH)]
    for cells in pool:
        for i, c in enumerate(cells):
            if c.value not in candidates[i]:
                candidates[i].append(c.value)
    return SplitReading(None, False, text, [c or [None] for c in candidates])
