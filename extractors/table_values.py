"""Read a row's values: the raw tokens after its label, and their candidate cell lists.

In a grid a row's values are the cells after its label in the same grid row; in a run of text
they are the numbers between its label and the next one (annotations dropped, money units kept),
cut apart by `splitting` where a dump glued the digits together.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations
from math import comb

from .normalize import memo_short
from .splitting import TooMany, cuts
from .table_items import Item, Loc, _original_slice
from .values import Cell, Kind, is_blank, is_number_like, parse

_NUMBER = re.compile(r"[+\-增减]?\d+(?:\.\d+)?(?:\s*[(（]?\s*万?元\s*[)）]?)?")
_ANNOTATION = re.compile(r"[(（][^()（）]*[\u4e00-\u9fff][^()（）]*[)）]")
_UNIT_ONLY = re.compile(r"^[(（]\s*万?元\s*[)）]$")
MAX_PLACEMENTS = 64
"""The most placements of a short run's numbers in its row that are considered (7 columns, 3 numbers: 35)."""


@dataclass(slots=True)
class _Raw:
    tokens: list[str]
    glued: bool  # True where the tokens came from a run and may hold several cells each


def _values_between(items: list[Item], loc: Loc, nxt: Loc | None, stop: Loc,
                    skip: frozenset[tuple[int, int]] = frozenset()) -> _Raw:  # fmt: skip
    """Return the raw value tokens of the row labelled at `loc` (a grid's cells at `skip`'s (grid, column) left out)."""
    end = nxt or stop
    label = items[loc.item]
    if label.row is not None:
        cells: list[str] = []
        for j in range(loc.item + 1, min(end.item, len(items))):
            it = items[j]
            if it.row != label.row:
                break
            if skip and (it.row[0], it.col) in skip:
                continue
            if _is_value(it.text):
                cells.append(it.text)
        if cells:
            return _Raw(cells, False)
        inline = _chunks(_original_slice(label, loc.end, len(label.compact)))
        if inline:
            # A converter that put a whole row in one cell: "一、本年新收…申请数量 3001 53 0 0 61 4 3119".
            return _Raw(inline, True)
        # A grid whose values sit in the next row(s) without their own label (split PDF rows).
        text_parts = [items[j].text for j in range(loc.item + 1, min(end.item, len(items)))]
        return _Raw(_chunks(" ".join(text_parts)), True)
    parts: list[str] = []
    if end.item == loc.item:
        parts.append(_original_slice(label, loc.end, end.start))
    else:
        parts.append(_original_slice(label, loc.end, len(label.compact)))
        for j in range(loc.item + 1, min(end.item + 1, len(items))):
            it = items[j]
            if j == end.item:
                parts.append(_original_slice(it, 0, end.start) if it.row is None else "")
            else:
                parts.append(it.text)
    return _Raw(_chunks(" ".join(parts)), True)


FORMULA = re.compile(r"\s*=\s*[A-Za-z(]")
"""A spreadsheet formula's text, its value not saved nor computed (readers/sheet_formulas.py): a value's place."""


@memo_short
def _is_value(text: str) -> bool:
    """True where a cell's text is a value of its row: blank, a number, several numbers, or a formula."""
    return is_blank(text) or is_number_like(text) or _multi_number(text) or FORMULA.match(text) is not None


def row_text(items: list[Item], loc: Loc, nxt: Loc | None, stop: Loc, limit: int = 400) -> str:
    """Return the row labelled at `loc` as the document prints it: its label and what follows up to the next row."""
    end = nxt or stop
    label = items[loc.item]
    if label.row is not None:
        cells = [it.text for it in items[loc.item : min(end.item, len(items))] if it.row == label.row]
        return " | ".join(c.strip() for c in cells)
    parts = [_original_slice(label, loc.start, end.start if end.item == loc.item else len(label.compact))]
    for j in range(loc.item + 1, min(end.item + 1, len(items))):
        it = items[j]
        if j == end.item:
            parts.append("" if it.row is not None else _original_slice(it, 0, end.start))
        else:
            parts.append(it.text)
        if sum(len(p) for p in parts) > limit:
            break
    return " ".join(" ".join(parts).split())[:limit]


@memo_short
def _multi_number(text: str) -> bool:
    toks = text.split()
    return len(toks) > 1 and all(is_number_like(t) for t in toks)


def _chunks(text: str) -> list[str]:
    """Return the number tokens of a run, annotations and labels dropped, units kept on money."""
    text = _ANNOTATION.sub(lambda m: m.group(0) if _UNIT_ONLY.match(m.group(0)) else " ", text)
    return [re.sub(r"\s+", "", m.group(0)) for m in _NUMBER.finditer(text)]


def _one_a_number(cells: list[str]) -> list[str]:
    """Return a grid row's cells as tokens of one value each: a cell holding several numbers ("0 0 0") split."""
    return [t for c in cells for t in (c.split() if _multi_number(c) else [c])]


def short_readings(raw: _Raw, kinds: list[Kind]) -> list[list[int | float | None]] | None:
    """Return, per column, the readings a grid row with fewer cells than columns allows; None for a full row.

    The row's k values keep their order but any n - k columns may be the ones missing, so value j can sit
    in column i only where j <= i and k - j <= n - i; a column may also be one of the missing (None).
    """
    if raw.glued:
        return None
    toks = _one_a_number(raw.tokens)
    n, k = len(kinds), len(toks)
    if k >= n or not any(is_number_like(t) for t in toks):
        return None
    values = [parse(t, kind).value for t, kind in zip(toks, kinds, strict=False)]
    out: list[list[int | float | None]] = []
    for i in range(n):
        column = [values[j] for j in range(k) if j <= i and k - j <= n - i]
        out.append(list(dict.fromkeys([*column, None])))
    return out


def long_readings(raw: _Raw, kinds: list[Kind]) -> tuple[list[Cell], list[tuple[int, list[int | float | None]]]] | None:
    """Return the cells of a grid row whose cells hold more numbers than the row has columns (`3.2<br>7万元` in one
    cell), and per unsettled column its readings; None for any other row.

    Read one number a token the row is too long, read one number a cell it may not be: from the first cell holding
    several numbers on, which number is the column's is unknown, so those columns are null (the cells before it are
    read as printed) and each lists the token reading and the whole-cell reading.
    """
    if raw.glued:
        return None
    cells = list(raw.tokens)
    while cells and is_blank(cells[-1]):
        cells.pop()
    while cells and is_blank(cells[0]):
        cells.pop(0)
    n = len(kinds)
    toks = _one_a_number(cells)
    if len(toks) <= n or len(cells) > n:
        return None
    first = next(i for i, c in enumerate(cells) if _multi_number(c))
    row = [parse(c, k) for c, k in zip(cells[:first], kinds, strict=False)]
    doubts = []
    for i in range(first, n):
        split = parse(toks[i], kinds[i]).value
        whole = parse(cells[i], kinds[i]).value if i < len(cells) else None
        doubts.append((i, list(dict.fromkeys([split, whole]))))
        row.append(Cell(None, "", False))
    return row, doubts


def _part_cell(part: str, kind: Kind) -> Cell:
    """Return the cell of a part `cuts` already validated: plain ints need no regex."""
    if kind is Kind.MONEY:
        return parse(part, kind)
    return Cell(int(part), part, True)


def placements(toks: list[str], kinds: list[Kind], keep: Callable[[list[Cell]], bool] | None = None,
               most: int = MAX_PLACEMENTS) -> list[list[Cell]]:  # fmt: skip
    """Return every way a run's numbers can fill the row where the dump dropped its blank cells (the numbers keep
    their order, the other columns are blank; a number only in a column of its kind, "减3" in 本年增/减) that `keep`
    accepts; none where there are more than `most` ways."""
    n, k = len(kinds), len(toks)
    if not 0 < k < n or comb(n, k) > most:
        return []
    cells = [parse(t, Kind.COUNT) for t in toks]
    blank = [parse("", kind) for kind in kinds]
    out = []
    for spots in combinations(range(n), k):
        row = list(blank)
        for j, i in enumerate(spots):
            row[i] = cells[j] if kinds[i] is Kind.COUNT else parse(toks[j], kinds[i])
        if all(row[i].ok for i in spots) and (keep is None or keep(row)):
            out.append(row)
    return out


def placed_whole(cands: list[list[Cell]], tokens: list[str]) -> bool:
    """True where the candidates are placements of the run's numbers whole (`placements`), not cuts of their digits."""
    return len(cands) > 1 and all([c.raw for c in cand if c.raw] == tokens for cand in cands)


def _cells_to_values(raw: _Raw, kinds: list[Kind], keep: Callable[[list[Cell]], bool] | None = None,
                     most: int = MAX_PLACEMENTS) -> tuple[list[list[Cell]], bool]:  # fmt: skip
    """Return the candidate cell lists for one row and whether the row was cut from glued digits or placed (a run of
    fewer numbers than columns: `placements` of them that `keep` accepts, at most `most` ways)."""
    n = len(kinds)
    if not raw.glued:
        toks = _one_a_number(raw.tokens)
        while len(toks) > n and is_blank(toks[-1]):
            toks.pop()
        while len(toks) > n and is_blank(toks[0]):
            toks.pop(0)
        toks = toks[:n] + [""] * (n - len(toks))
        return [[parse(t, k) for t, k in zip(toks, kinds, strict=True)]], False
    toks = raw.tokens
    if len(toks) == n:
        parsed = [parse(t, k) for t, k in zip(toks, kinds, strict=True)]
        if all(c.ok for c in parsed):
            return [parsed], False
    if len(toks) < n and toks:
        try:
            found = cuts(toks, kinds)
        except TooMany:
            found = []
        if found:
            return [[_part_cell(t, k) for t, k in zip(c, kinds, strict=True)] for c in found], True
        placed = placements(toks, kinds, keep, most)
        if placed:
            return placed, True
    if len(toks) > n:
        return [[parse(t, k) for t, k in zip(toks[:n], kinds, strict=True)]], False
    toks = toks + [""] * (n - len(toks))
    return [[parse(t, k) for t, k in zip(toks, kinds, strict=True)]], False
