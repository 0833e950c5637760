"""Rows and columns a table carries beyond the official layout (format-spec STR-04: keep them, but flag).

Local templates add rows ("其他主动公开文件" in table 二, the 2019 "其他对外管理服务事项" kept in a 2021 table) and
columns (a 法人或其他组织 subtotal in table 三). Only grids are read here: a run of text does not say which of its
numbers belong to a row no label names. An added row is a grid row of the table's own grids that holds a label and
a number but no official row's label; an added column of table 三 is a header cell, among the applicant columns,
that names none of them, or, where the header does not line up with the rows (a PDF's often does not), the one value
column too many without which every row adds up. A column's cells are left out of the rows' values (they would
shift 总计 onto a subtotal).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from . import labels as L
from .table_items import Item, Loc
from .values import Cell, Kind, is_blank, is_number_like, parse

_CJK = re.compile(r"[\u4e00-\u9fff]")
_WORDS = re.compile(r"\W")  # what official labels (RowSpec.label) leave out: punctuation
# A cell's line break between two Chinese characters (a PDF's wrapped cell) is no space.
_WRAP = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef])\s+(?=[\u3000-\u9fff\uff00-\uffef])")

# Table 三's applicant header cells (compact): the leaf columns, and the cells that group or head them.
_LEAVES = ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计")
_GROUPS = re.compile(r"^(?:申请人情况|法人或其他组织)$")


def shown(text: str) -> str:
    """Return a cell's text as one line: runs of whitespace one space, none inside Chinese text."""
    return " ".join(_WRAP.sub("", text).split())


@dataclass(slots=True, frozen=True)
class ExtraColumns:
    """Table 三's added columns: the grid positions their cells hold, and their header texts."""

    skip: frozenset[tuple[int, int]]
    """(grid index, column) of each added column's cells, left out of the rows' values."""
    headers: tuple[str, ...]
    """Each added column's header as printed, with its place among the row's values ("小计 (value column 7 of 8)")."""


NO_COLUMNS = ExtraColumns(frozenset(), ())


def _span(items: list[Item], start: Loc, stop: Loc) -> Iterable[Item]:
    """Return the grid cells from `start` up to (not into) `stop`'s item."""
    for i in range(start.item, min(stop.item, len(items))):
        if items[i].row is not None:
            yield items[i]


def _unofficial(compact: str) -> bool:
    """True where a header cell's text (compact) names none of table 三's applicant columns or their groups."""
    return bool(compact) and compact not in _LEAVES and not _GROUPS.match(compact)


def _org_row(cells: Iterable[Item]) -> Item | None:
    """Return the header cell 商业企业, whose grid row names the 法人或其他组织 columns, or None."""
    return next((c for c in cells if c.compact == "商业企业"), None)


def extra_rows(items: list[Item], found: dict[str, Loc], specs: tuple[L.RowSpec, ...], start: Loc,
               stop: Loc, skip: frozenset[tuple[int, int]] = frozenset()) -> list[str]:  # fmt: skip
    """Return each added row's text as printed ("label | value | …"), in document order: the grid rows, of the grids
    holding the table's official labels, that hold a label and a number and no official row's label."""
    official = {items[loc.item].row for loc in found.values() if items[loc.item].row is not None}
    grids = {row[0] for row in official if row is not None}
    rows: dict[tuple[int, int], list[Item]] = {}
    for it in _span(items, start, stop):
        if it.row is not None and it.row[0] in grids and it.row not in official:
            rows.setdefault(it.row, []).append(it)
    out = []
    for cells in rows.values():
        cells_shown = [c for c in cells if (c.row[0], c.col) not in skip]  # type: ignore[index]
        labels = [c for c in cells_shown if c.compact and _CJK.search(c.compact) and not is_number_like(c.text)]
        if not labels or not any(is_number_like(c.text) and not is_blank(c.text) for c in cells_shown):
            continue
        if any(s.pattern.search(c.compact) for c in labels for s in specs):
            continue  # an official row printed twice, or a label our search placed elsewhere: not an addition
        if all(any(_WORDS.sub("", c.compact) in s.label for s in specs) for c in labels):
            continue  # the rest of an official label a converter broke over two rows
        out.append(" | ".join(shown(c.text) for c in cells_shown))
    return out


def extra_columns(items: list[Item], start: Loc, stop: Loc) -> ExtraColumns:
    """Return table 三's added columns, found in its applicant header: the row naming 商业企业 … 法律服务机构 and the
    row above it. Nothing is taken where the header does not name each official column at a column of its own."""
    cells = list(_span(items, start, stop))
    leaf = _org_row(cells)
    if leaf is None:
        return NO_COLUMNS
    grid, leaf_row = leaf.row  # type: ignore[misc]
    header = [c for c in cells if c.row is not None and c.row[0] == grid and leaf_row - 1 <= c.row[1] <= leaf_row]
    at = {c.compact: c.col for c in header if c.compact in _LEAVES}
    if len(at) != len(_LEAVES) or len(set(at.values())) != len(_LEAVES):
        return NO_COLUMNS
    first = at["自然人"]
    added = [c for c in header if c.col > first and _unofficial(c.compact)]
    if not added:
        return NO_COLUMNS
    cols = {c.col for c in added}
    # Only a column holding values in the rows below the header is an added column of the table.
    held = {c.col for c in cells if c.row is not None and c.row[0] == grid and c.row[1] > leaf_row
            and c.col in cols and is_number_like(c.text)}  # fmt: skip
    kept = [c for c in added if c.col in held]
    count = len(_LEAVES) + len(kept)
    places = sorted([*at.values(), *(c.col for c in kept)])
    return ExtraColumns(frozenset((grid, c.col) for c in kept),
                        tuple(f"{shown(c.text)} (value column {places.index(c.col) + 1} of {count})"
                              for c in kept))  # fmt: skip


def header_index(items: list[Item], start: Loc, first_row: Loc) -> int | None:
    """Return the value index an added column's header gives where the header's org row (商业企业 … 其他) holds one
    cell naming none of the official columns: 自然人's value comes first, then that row's cells in order."""
    cells = list(_span(items, start, first_row))
    leaf = _org_row(cells)
    if leaf is None:
        return None
    row = sorted((c for c in cells if c.row == leaf.row and c.compact), key=lambda c: c.col)
    added = [i for i, c in enumerate(row) if _unofficial(c.compact)]
    return 1 + added[0] if len(added) == 1 else None


def drop_extra_column(raws: dict[str, Any], width: int, row_ok: Callable[[list[Cell]], bool],
                      hint: int | None = None) -> tuple[int, int] | None:  # fmt: skip
    """Where most of table 三's grid rows carry one value more than its `width` columns (a header that does not line
    up with its rows, as a PDF's often does, hid the added column), find the value column without which every row
    holding a figure adds up (`row_ok`: 总计 is the sum of the others): the only such column, or the header's `hint`
    among several. Drop it from those rows' tokens and return (its index, width + 1); None, and nothing dropped,
    where the arithmetic and the header do not settle one column."""
    rows = [raw for raw in raws.values() if not raw.glued and len(raw.tokens) == width + 1]
    if len(rows) < max(3, len(raws) // 2):
        return None
    parsed = [[parse(t, Kind.COUNT) for t in raw.tokens] for raw in rows]
    informative = [cells for cells in parsed if any(c.value for c in cells)]
    if len(informative) < 2:
        return None
    fits = [k for k in range(width + 1) if all(row_ok(cells[:k] + cells[k + 1 :]) for cells in informative)]
    if len(fits) != 1:
        fits = [hint] if hint in fits else []
    if not fits:
        return None
    for raw in rows:
        del raw.tokens[fits[0]]
    return fits[0], width + 1


def column_name(items: list[Item], start: Loc, first_row: Loc, index: int, count: int) -> str:
    """Return how an added column is named in the flag: its header where the table's header holds exactly one cell
    that names none of the official columns, with its place among the row's values."""
    where = f"value column {index + 1} of {count}"
    names = {c.compact for c in _span(items, start, first_row)
             if _unofficial(c.compact) and _CJK.search(c.compact) and len(c.compact) <= 12 and "勾稽" not in c.compact}
    return f"{names.pop()} ({where})" if len(names) == 1 else where
