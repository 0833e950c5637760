"""Table rows rebuilt from word positions, for PDF tables drawn without ruling lines.

Without ruling lines pdfplumber finds no table, and reading such a page line by line breaks its
rows: a label set over several lines sits above and below its values (cells are centred
vertically), and a blank cell leaves no trace. Here each line of numbers (a band) takes the label
words beside it, nearest first, and blank cells are put back where the band misses a column that
the other bands of its table share.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from itertools import pairwise
from statistics import median
from typing import Any

from ..model import Block, Paragraph, Table
from ..values import is_number_like

MIN_BANDS = 3  # rows of two or more numbers before a group of lines is taken for a table
HEADING = re.compile(r"^[一二三四五六七八九十]、\S{6,}")
ENUMERATOR = re.compile(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[)）]|\d{1,2}[.、．])")


@dataclass(slots=True)
class Word:
    """One pdfplumber word: its text and box."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float

    @property
    def cy(self) -> float:
        """The vertical centre."""
        return (self.top + self.bottom) / 2

    @property
    def cx(self) -> float:
        """The horizontal centre."""
        return (self.x0 + self.x1) / 2


@dataclass(slots=True)
class Line:
    """Words on one baseline, left to right; `numbers` are its trailing number words."""

    words: list[Word]
    cy: float
    top: float = 0.0
    numbers: list[Word] = field(default_factory=list)
    labels: list[Word] = field(default_factory=list)
    taken: list[Word] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The line's words joined by spaces."""
        return " ".join(w.text for w in self.words)


def _lines(words: list[Word], height: float) -> list[Line]:
    """Return the words grouped into lines by their vertical centres, top to bottom."""
    lines: list[Line] = []
    for w in sorted(words, key=lambda w: (w.cy, w.x0)):
        if lines and abs(lines[-1].cy - w.cy) <= 0.45 * height:
            lines[-1].words.append(w)
        else:
            lines.append(Line([w], w.cy))
    for line in lines:
        line.words.sort(key=lambda w: w.x0)
        line.cy = median(w.cy for w in line.words)
        line.top = min(w.top for w in line.words)
        cut = len(line.words)
        while cut > 0 and is_number_like(line.words[cut - 1].text):
            cut -= 1
        line.numbers = line.words[cut:]
        line.labels = line.words[:cut]
    lines.sort(key=lambda line: line.cy)
    return lines


def _zones(lines: list[Line], height: float) -> list[list[Line]]:
    """Return groups of number lines that form one table each.

    A group ends at a section heading, or at a gap of more than six lines unless only label words
    (left of the numbers: rows whose cells are all blank) fill it.
    """
    zones: list[list[Line]] = []
    current: list[Line] = []
    between: list[Line] = []
    for line in lines:
        if not line.numbers:
            if HEADING.match(line.text) and current:
                zones.append(current)
                current = []
            between.append(line)
            continue
        if current and line.cy - current[-1].cy > 6 * height:
            edge = min(w.x0 for w in current[-1].numbers)
            if not between or any(w.x1 >= edge for b in between for w in b.words):
                zones.append(current)
                current = []
        current.append(line)
        between = []
    if current:
        zones.append(current)
    return [z for z in zones if sum(len(b.numbers) >= 2 for b in z) >= MIN_BANDS]


def _cluster(xs: list[float], tolerance: float) -> list[float]:
    """Return the centres of groups of x positions no further than `tolerance` apart."""
    groups: list[list[float]] = []
    for x in sorted(xs):
        if groups and x - groups[-1][-1] <= tolerance:
            groups[-1].append(x)
        else:
            groups.append([x])
    return [sum(g) / len(g) for g in groups]


def _aligned(xs: list[float], columns: list[float], tolerance: float) -> bool:
    """Return True where every x position lies within `tolerance` of one of the columns."""
    return all(any(abs(x - c) <= tolerance for c in columns) for x in xs)


def _head_columns(xs: list[float], heads: list[Word], tolerance: float) -> list[float] | None:
    """Return the columns the column heads show over numbers at `xs`, or None.

    None where the heads do not account for every number or show no column more than the numbers:
    heads wider than a column (a group head over several) are left out.
    """
    numbers = _cluster(xs, tolerance)
    if len(numbers) < 2 or not heads:
        return None
    pitch = min(b - a for a, b in pairwise(numbers))
    columns = _cluster([w.cx for w in heads if w.x1 - w.x0 <= 1.3 * pitch], tolerance)
    return columns if len(columns) > len(numbers) and _aligned(xs, columns, tolerance) else None


def _columns(bands: list[Line], heads: list[Word], tolerance: float) -> list[float]:
    """Return the x-centres of a table's value columns.

    The column heads above the first row give every column, blank ones included, where they
    account for the fullest rows' numbers; else the fullest rows' numbers are the columns.
    """
    most = max(len(b.numbers) for b in bands)
    full = [w.cx for b in bands if len(b.numbers) == most for w in b.numbers]
    return _head_columns(full, heads, tolerance) or _cluster(full, tolerance)


def _cells(band: Line, columns: list[float], tolerance: float) -> list[str]:
    """Return a band's value cells, with blanks where it misses a column its table has."""
    if len(band.numbers) < 2:
        return [w.text for w in band.numbers]
    slots: dict[int, str] = {}
    for w in band.numbers:
        col = min(range(len(columns)), key=lambda c: abs(columns[c] - w.cx))
        if abs(columns[col] - w.cx) > tolerance or col in slots:
            return [w.text for w in band.numbers]  # not aligned with the table's columns: keep as read
        slots[col] = w.text
    return [slots.get(c, "") for c in range(len(columns))]


@dataclass(slots=True)
class Row:
    """A rebuilt table row: group-column words, its own label words, and its cells (None: all blank)."""

    top: float
    outer: list[Word]
    own: list[Word]
    cells: list[str] | None

    @property
    def label(self) -> str:
        words = sorted(self.outer, key=lambda w: (w.top, w.x0)) + sorted(self.own, key=lambda w: (w.top, w.x0))
        return " ".join(w.text for w in words)

    @property
    def opens(self) -> bool:
        """True where the row's own label starts with an enumerator ("1、", "（六）")."""
        first = min(self.own, key=lambda w: (w.top, w.x0), default=None)
        return first is not None and bool(ENUMERATOR.match(first.text))


def _rows_of(band: Line, cells: list[str] | None) -> list[Row]:
    """Return the rows a band's label words make: its own, then rows whose cells are all blank.

    Words of an outer (group) column go with the band's own row. A line of the row's own column
    that opens with an enumerator ("3.", "（五）") starts another row's label: a row whose cells
    are all blank has no band of its own.
    """
    words = band.labels + band.taken
    if not words:
        return []
    inner = max(words, key=lambda w: w.x1)
    outer = [w for w in words if w.x1 < inner.x0 - 1]
    own = sorted((w for w in words if w.x1 >= inner.x0 - 1), key=lambda w: (w.top, w.x0))
    groups: list[list[Word]] = []
    for w in own:
        if not groups or ENUMERATOR.match(w.text):
            groups.append([])
        groups[-1].append(w)
    home = next((g for g in groups if any(w in band.labels for w in g)), None)
    if home is None:
        home = min(groups, key=lambda g: min(abs(w.cy - band.cy) for w in g)) if groups else []
    rows = [Row(band.top, outer, home, cells)]
    rows += [Row(g[0].top, [], g, None) for g in groups if g is not home]
    return rows


def _join_split_labels(rows: list[Row]) -> list[Row]:
    """Return the rows with a label's first lines put back on the row below that lacks its opening.

    A tall label centred on its values can lose its first line to the row above: that line opens
    with an enumerator and has no values, and the row below's label starts mid-sentence. A label of
    a row whose cells are all blank can be split the same way: its lines are joined again.
    """
    out: list[Row] = []
    for row in sorted(rows, key=lambda r: r.top):
        prev = out[-1] if out else None
        if prev is not None and prev.cells is None and prev.opens and not row.opens:
            row.outer = prev.outer + row.outer
            row.own = prev.own + row.own
            row.top = prev.top
            out[-1] = row
            continue
        out.append(row)
    return out


def _heads_above(lines: list[Line], start: int, reach: float, left: float) -> list[Word]:
    """Return the words right of `left` on the lines just above `lines[start]`.

    The walk stops at a line of numbers, a section heading or `reach` (in points) above the row.
    """
    words: list[Word] = []
    first = lines[start]
    for line in reversed(lines[max(0, start - 40) : start]):
        if line.numbers or HEADING.match(line.text) or first.cy - line.cy > reach:
            break
        words.extend(w for w in line.words if w.x0 >= left)
    return words


def _lone_columns(lines: list[Line], start: int, height: float, tolerance: float) -> list[float] | None:
    """Return the columns of a table of one unlabelled row (table 四) from the heads just above it, or None."""
    band = lines[start]
    if len(band.numbers) < 2 or band.labels:
        return None
    return _head_columns([w.cx for w in band.numbers], _heads_above(lines, start, 4 * height, 0.0), tolerance)


def rebuild(raw_words: list[dict[str, Any]]) -> list[tuple[float, Block]] | None:
    """Return (top, block) for a page's words with its unruled tables as one-row grids, or None.

    None means the page holds no such table (no group of MIN_BANDS rows of numbers, no lone row
    under column heads), so the caller keeps its plain line reading.
    """
    words = [Word(w["text"], w["x0"], w["x1"], w["top"], w["bottom"]) for w in raw_words if w["text"].strip()]
    if not words:
        return None
    height = median(w.bottom - w.top for w in words) or 9.0
    tolerance = max(6.0, 0.8 * height)
    lines = _lines(words, height)
    zones = _zones(lines, height)
    zoned = {id(b) for z in zones for b in z}
    lone = [
        (b, c) for n, b in enumerate(lines) if id(b) not in zoned and (c := _lone_columns(lines, n, height, tolerance))
    ]
    position = {id(b): n for n, b in enumerate(lines)}
    centres = [line.cy for line in lines]
    if not zones and not lone:
        return None
    placed: list[tuple[float, Block]] = []
    for band, columns in lone:
        placed.append((band.top, Table([_cells(band, columns, tolerance)])))
    for zone in zones:
        boundary = min(w.x0 for b in zone for w in b.numbers) - 1
        columns = _columns(zone, _heads_above(lines, position[id(zone[0])], 10 * height, boundary), tolerance)
        first, last = zone[0].cy - 2.5 * height, zone[-1].cy + 2.5 * height
        loose: list[Word] = []
        for line in lines[bisect_left(centres, first) : bisect_right(centres, last)]:
            if line.numbers or not line.words:
                continue
            left = [w for w in line.words if w.x1 <= boundary]
            if not left or len(left) < len(line.words):
                continue  # a header line ("信息内容 本年新制作数量 …") labels columns, not a row
            nearest = min(zone, key=lambda b: (abs(b.cy - line.cy), b.cy < line.cy))
            (nearest.taken if abs(nearest.cy - line.cy) <= 2.2 * height else loose).extend(left)
            line.words = []
        blank = [""] * len(columns)
        rows: list[Row] = []
        for band in zone:
            own_rows = _rows_of(band, _cells(band, columns, tolerance))
            if own_rows:
                rows += own_rows
            else:
                placed.append((band.top, Paragraph(band.text)))
        if loose:
            # Label words far from every row of numbers: rows whose cells are all blank.
            rows += _rows_of(Line([], loose[0].cy, min(w.top for w in loose), taken=loose), None)
        for r in _join_split_labels(rows):
            placed.append((r.top, Table([[r.label, *(blank if r.cells is None else r.cells)]])))
    done = zoned | {id(b) for b, _ in lone}
    for line in lines:
        if id(line) not in done and line.words:
            placed.append((line.top, Paragraph(line.text)))
    placed.sort(key=lambda p: p[0])
    return placed
