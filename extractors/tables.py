"""Find the three official tables in a read document and return their cells.

Every carrier ends up here the same way: a sequence of items, each either a table cell (from a
grid: HTML, DOCX, PDF, XLS, tab- or pipe-separated text) or a run of text (a paragraph, or a text
dump that lost the table structure). Row labels are found in order, whitespace-insensitively; a
row's values are the cells after its label in the same grid row, or the numbers between its label
and the next one in a run, cut apart by `splitting` where a dump glued them together.

The parts live in their own modules: `table_items` (the items and searching them),
`table_rows` (locating rows by their labels), `table_fuzzy` (the fuzzy label fallback) and
`table_values` (reading a row's values); this module finds the three tables and assembles each
one's `TableResult`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from . import labels as L
from .model import Block
from .splitting import choose, consensus
from .table_detached import place
from .table_detached_labels import place_by_labels
from .table_detached_review import number_rows, read_split
from .table_extra import NO_COLUMNS, column_name, drop_extra_column, extra_columns, extra_rows, header_index
from .table_items import Item, Loc, _anchor, _end_of_doc, _Finder, _original_slice, _region_text, build_items
from .table_rows import _locate
from .table_values import (
    FORMULA,
    _cells_to_values,
    _chunks,
    _multi_number,
    _Raw,
    _values_between,
    long_readings,
    placed_whole,
    row_text,
    short_readings,
)
from .typed_tables import OUTCOME_ROWS
from .values import Cell, Kind, is_blank, is_number_like

_SECTION5 = re.compile(r"[五5][、.].{0,12}(?:存在的?主要问题|问题及改进|改进情况)|[六6][、.]其他需要报告")
# Table 四's header: "结果维持" where cells keep their two lines together, else its stacked words.
_REVIEW_HEAD = re.compile(r"结果维持|未经复议直接起诉")
# A table is taken as found only with this many of its rows: a page quoting a label or two is no table.
MIN_ROWS_PROACTIVE = 3
MIN_ROWS_REQUESTS = 8
REVIEW_PLACEMENTS = 6435
"""The most placements of a short run in table 四's 15 cells considered (C(15, 7): every count of numbers)."""


@dataclass(slots=True)
class Doubt:
    """A cell left null: its row and column index, the row's text and the readings considered."""

    row: str
    """The row key."""
    index: int
    """The column index in the row."""
    source_text: str | None
    """The row's label and values as the document prints them."""
    candidates: list[int | float | None]
    """The distinct readings considered for the cell, most likely first."""
    reason: str
    """Why it is unsettled (typed_ambiguity.AMBIGUITY_REASONS)."""


@dataclass(slots=True)
class TableResult:
    """One parsed table: row key → parsed cells, its format, and what could not be settled."""

    rows: dict[str, list[Cell | None]] = field(default_factory=dict)
    format: str | None = None
    missing: list[str] = field(default_factory=list)
    ambiguous: list[Doubt] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    """Row key → the row's text as printed (label and values), for the entries of `ambiguous`."""
    inferred: set[str] = field(default_factory=set)
    """Rows whose values were printed away from their label and placed by the official row order."""
    short_runs: set[str] = field(default_factory=set)
    """Rows read from a run of fewer numbers than columns, placed every way their order allows (a dump that dropped
    blank cells): where the ways disagree, the cell is unsettled as `short_row`."""
    extra_rows: list[str] = field(default_factory=list)
    """Grid rows beyond the official layout, as printed (STR-04); looked for only where no official row is missing."""
    extra_columns: list[str] = field(default_factory=list)
    """Headers of columns beyond the official layout (STR-04), whose cells are left out of the rows' values."""


@dataclass(slots=True)
class Tables:
    """All three tables (None where a table was not found)."""

    proactive: TableResult | None
    requests: TableResult | None
    review: TableResult | None

    def placed(self) -> tuple[set[str], bool]:
        """Return table 三's rows placed by the official row order, and whether table 四's values were cut from
        split rows: what `checks.check_tables_three_four` marks cause parse."""
        inferred = self.requests.inferred if self.requests is not None else set()
        return inferred, self.review is not None and bool(self.review.inferred)


def _num(c: Cell | None) -> int | float:
    return 0 if c is None or c.value is None else c.value


def _row_sum_ok(values: list[Cell]) -> bool:
    return sum(_num(c) for c in values[:-1]) == _num(values[-1])


def _groups_ok(values: list[Cell]) -> bool:
    return all(_row_sum_ok(values[g * 5 : g * 5 + 5]) for g in range(3))


def _settle(
    result: TableResult,
    options: dict[str, list[list[Cell]]],
    width: dict[str, int],
) -> None:
    """Fill `result.rows` from the narrowed options: one candidate is taken, many leave nulls."""
    for key, cands in options.items():
        if len(cands) == 1:
            result.rows[key] = list(cands[0])
            continue
        agreed = consensus([[c.value for c in cand] for cand in cands], width[key])
        row: list[Cell | None] = []
        for i, value in enumerate(agreed):
            if value is None:
                row.append(None)
                readings = list(dict.fromkeys(cand[i].value for cand in cands))
                why = "short_row" if key in result.short_runs else "glued"
                result.ambiguous.append(Doubt(key, i, result.sources.get(key), readings, why))
            else:
                row.append(cands[0][i])
        result.rows[key] = row


def _parse_table(
    finder: _Finder,
    specs: tuple[L.RowSpec, ...],
    start: Loc,
    stop: Loc,
    row_ok: Callable[[list[Cell]], bool] | None = None,
    skip: frozenset[tuple[int, int]] = frozenset(),
) -> tuple[TableResult, dict[str, list[list[Cell]]], dict[str, Loc]]:
    """Return the table's rows found, per row its candidate cell lists (several where digits were glued), and
    where each row's label was found. Grid cells at `skip`'s (grid, column) positions are no row's values."""
    items = finder.items
    found = _locate(finder, specs, start, stop)
    result = TableResult()
    ordered = sorted(found.items(), key=lambda kv: (kv[1].item, kv[1].start))
    options: dict[str, list[list[Cell]]] = {}
    raws: dict[str, _Raw] = {}
    for idx, (key, loc) in enumerate(ordered):
        nxt = ordered[idx + 1][1] if idx + 1 < len(ordered) else None
        raws[key] = _values_between(items, loc, nxt, stop, skip)
        result.sources[key] = row_text(items, loc, nxt, stop)
    if row_ok is not None and not skip:
        first = ordered[0][1] if ordered else stop
        dropped = drop_extra_column(raws, len(specs[0].columns), row_ok, header_index(items, start, first))
        if dropped is not None:
            result.extra_columns.append(column_name(items, start, first, *dropped))
    for key, _ in ordered:
        spec = next(s for s in specs if s.key == key)
        raw = raws[key]
        kinds = [k for _, k in spec.columns]
        short = short_readings(raw, kinds)
        if short is not None:  # which columns the converter dropped is unknown: every cell is left null
            options[key] = [[Cell(None, "", False) for _ in kinds]]
            result.ambiguous += [Doubt(key, i, result.sources[key], r, "short_row") for i, r in enumerate(short)]
            continue
        long = long_readings(raw, kinds)
        if long is not None:  # a cell holding several numbers: which is its column's is unknown
            options[key] = [long[0]]
            result.ambiguous += [Doubt(key, i, result.sources[key], r, "long_row") for i, r in long[1]]
            continue
        cands, glued = _cells_to_values(raw, kinds)
        if not glued:  # a workbook formula saved without its value and not computed (readers/sheet_formulas.py)
            result.ambiguous += [Doubt(key, i, result.sources[key], [], "formula") for i, c in enumerate(cands[0])
                                 if c.value is None and FORMULA.match(c.raw)]  # fmt: skip
        if glued and placed_whole(cands, raw.tokens):
            result.short_runs.add(key)
        if glued and row_ok is not None:
            fitting = [c for c in cands if row_ok(c)]
            cands = fitting or cands
        options[key] = cands
    result.missing = [s.key for s in specs if s.key not in found and not s.optional]
    return result, options, found


def _prose_filter(key: str, spec: L.RowSpec, cands: list[list[Cell]], prose: dict[str, int]) -> list[list[Cell]]:
    """Return the candidates agreeing with each number the prose states for this row, one at a time."""
    for i, (col, _) in enumerate(spec.columns):
        wanted = prose.get(f"{key}.{col}")
        if wanted is None:
            continue
        agreeing = [c for c in cands if c[i].value == wanted]
        if agreeing:
            cands = agreeing
    return cands


def _proactive(finder: _Finder, start: Loc, stop: Loc, prose: dict[str, int]) -> TableResult:
    region = _region_text(finder.items, start, stop)
    n19 = len(L.SIGNATURES_2019.findall(region))
    n21 = len(L.SIGNATURES_2021.findall(region))
    fmt = "2021" if n21 > n19 else "2019"
    specs = L.PROACTIVE_ROWS_2021 if fmt == "2021" else L.PROACTIVE_ROWS_2019
    result, options, found = _parse_table(finder, specs, start, stop)
    by_key = {s.key: s for s in specs}
    options = {k: _prose_filter(k, by_key[k], v, prose) if len(v) > 1 else v for k, v in options.items()}
    placement = place_by_labels(finder.items, found, start, stop, specs)
    if placement is not None:  # value rows printed away from their labels: placed where the labels settle it
        options.update({key: [cells] for key, cells in placement.placed.items()})
        result.inferred |= placement.inferred
        for key, readings in placement.unsettled.items():
            options[key] = [[Cell(None, "", False) for _ in readings]]
            result.ambiguous += [Doubt(key, i, placement.texts[key], r, "detached") for i, r in enumerate(readings)]
        result.missing = [k for k in result.missing if k not in options]
    widths = {s.key: len(s.columns) for s in specs}
    _settle(result, options, widths)
    result.format = fmt
    if fmt == "2019":
        result.missing = [k for k in result.missing if k not in L.OPTIONAL_2019_PROACTIVE]
    if not result.missing:
        result.extra_rows = extra_rows(finder.items, found, specs, start, stop)
    return result


def _requests(finder: _Finder, start: Loc, stop: Loc, prose: dict[str, int]) -> TableResult:
    added = extra_columns(finder.items, start, stop) if start.item < stop.item else NO_COLUMNS
    result, options, found = _parse_table(finder, L.REQUEST_ROWS, start, stop, row_ok=_row_sum_ok, skip=added.skip)
    result.extra_columns = [*added.headers, *result.extra_columns]
    has_subrows = any(k in options for k in L.REQUEST_ROWS_2021)
    own = options.get("other_handling")
    own_filled = bool(own) and any(c.value is not None for c in own[0]) if own else False
    if has_subrows:
        result.format = "2021"
        if not own_filled:
            options.pop("other_handling", None)
    else:
        result.format = "2019"
        if "other_handling" not in options:
            result.missing.append("other_handling")
    result.missing = [k for k in result.missing if not (k == "other_handling" and has_subrows)]
    _place_detached(finder, found, result, options, (start, stop), has_subrows)

    def score(assign: dict[str, list[Cell]]) -> int:
        s = 0
        outcome = [k for k in assign if k not in ("new_received", "carried_over", "total_processed", "carried_forward")]
        if has_subrows:
            outcome = [k for k in outcome if k != "other_handling"]
        for c in range(7):
            def v(key: str, col: int = c) -> int | float:
                return _num(assign[key][col]) if key in assign else 0
            if v("new_received") + v("carried_over") == v("total_processed") + v("carried_forward"):
                s += 2
            if v("total_processed") == sum(v(k) for k in outcome):
                s += 2
        for key, wanted in prose.items():
            if key in assign and _num(assign[key][6]) == wanted:
                s += 1
        return s

    narrowed = choose(options, score)
    _settle(result, narrowed, {k: 7 for k in options})
    if not result.missing:
        result.extra_rows = extra_rows(finder.items, found, L.REQUEST_ROWS, start, stop, added.skip)
    return result


def _leaves(has_subrows: bool) -> tuple[str, ...]:
    """Return the outcome rows that sum to 总计: the （六） sub-rows in place of （六） where the table has them."""
    if not has_subrows:
        return OUTCOME_ROWS
    return tuple(k for k in OUTCOME_ROWS if k != "other_handling") + L.REQUEST_ROWS_2021


def _columns_add_up(rows: dict[str, list[Cell]], leaves: tuple[str, ...]) -> bool:
    """True where 总计 is the sum of the outcome rows in every column (blanks as 0)."""
    total = rows.get("total_processed")
    if total is None or any(c.value is None for c in total):
        return False
    return all(_num(total[c]) == sum(_num(rows[k][c]) for k in leaves if k in rows) for c in range(len(total)))


def _place_detached(finder: _Finder, found: dict[str, Loc], result: TableResult,
                    options: dict[str, list[list[Cell]]], region: tuple[Loc, Loc],
                    has_subrows: bool) -> None:  # fmt: skip
    """Give table 三's value rows printed without labels to their rows where the arithmetic confirms it."""
    leaves = _leaves(has_subrows)
    fixed = {k: v[0] for k, v in options.items()}
    placement = place(
        finder.items, found, *region, fixed,
        lambda rows: _columns_add_up(rows, leaves),
        lambda key: key != "other_handling" if has_subrows else key not in L.REQUEST_ROWS_2021,
    )  # fmt: skip
    if placement is None:
        return
    options.update({key: [cells] for key, cells in placement.labelled.items()})
    for key, cells in placement.placed.items():
        options[key] = [cells]
        result.inferred.add(key)
    for key, readings in placement.unsettled.items():
        options[key] = [[Cell(None, "", False) for _ in readings]]
        for i, values in enumerate(readings):
            result.ambiguous.append(Doubt(key, i, placement.texts.get(key), values, "detached"))
    result.missing = [k for k in result.missing if k not in options]


_REVIEW_HEADER = re.compile(
    r"(?:结果维持|结果纠正|其他结果|尚未审结|总计|未经复议直接起诉|复议后起诉|行政复议|行政诉讼|结果|维持|纠正|其他|尚未|审结|[|:])+"
)


def _review_grid_tokens(items: list[Item], start: Loc, stop: Loc) -> list[str]:
    """Return the cells of table 四's data row(s): the first grid rows after the header holding numbers."""
    tokens: list[str] = []
    row_cells: dict[tuple[int, int], list[str]] = {}
    order: list[tuple[int, int]] = []
    for j in range(start.item, min(stop.item + 1, len(items))):
        it = items[j]
        if it.row is None:
            continue
        if it.row not in row_cells:
            row_cells[it.row] = []
            order.append(it.row)
        row_cells[it.row].append(it.text)
    for row in order:
        cells = row_cells[row]
        if not any(is_number_like(c) or _multi_number(c) for c in cells):
            continue
        tokens.extend(c for c in cells if is_blank(c) or is_number_like(c) or _multi_number(c))
        if len(tokens) >= 15:
            break
    return tokens


def _review(finder: _Finder, start: Loc, stop: Loc) -> TableResult:
    """Return table 四 (15 cells in one data row) read from its header location `start`."""
    items = finder.items
    result = TableResult()
    kinds = [Kind.COUNT] * 15
    head = items[start.item]
    grid = _review_grid_tokens(items, start, stop)
    split = read_split(number_rows(items, start, stop), _groups_ok)
    if split is not None and split.cells is None:  # split rows no single reading confirms: null, and said so
        result.rows["review_litigation"] = [None] * len(kinds)
        result.sources["review_litigation"] = split.text
        doubts = enumerate(split.candidates)
        result.ambiguous += [Doubt("review_litigation", i, split.text, r, "detached") for i, r in doubts]
        return result
    if split is not None and (split.inferred or len(grid) != len(kinds)):
        result.rows["review_litigation"] = list(split.cells)  # type: ignore[arg-type]
        result.sources["review_litigation"] = split.text
        if split.inferred:
            result.inferred.add("review_litigation")
        return result
    if head.row is not None or len(grid) == len(kinds):
        # A header read as text over a grid row of values (PDFs without ruling lines) reads as a grid.
        raw = _Raw(grid, False)
    else:
        m = _REVIEW_HEADER.match(head.compact, start.start)
        begin = m.end() if m else start.end
        if stop.item == start.item:
            text = _original_slice(head, begin, stop.start)
        else:
            rest = [items[j].text for j in range(start.item + 1, min(stop.item, len(items)))]
            text = " ".join([_original_slice(head, begin, len(head.compact)), *rest])
        raw = _Raw(_chunks(text), True)
    if not raw.tokens:
        return result
    result.sources["review_litigation"] = " ".join(raw.tokens)
    # A run of fewer numbers than cells is placed where the three groups' totals allow (a dump that dropped blanks).
    cands, glued = _cells_to_values(raw, kinds, _groups_ok, REVIEW_PLACEMENTS)
    if glued and placed_whole(cands, raw.tokens):
        result.short_runs.add("review_litigation")
    if glued:
        cands = [c for c in cands if _groups_ok(c)] or cands
    _settle(result, {"review_litigation": cands}, {"review_litigation": 15})
    return result


def parse_tables(
    blocks: list[Block],
    prose_requests: dict[str, int] | None = None,
    prose_proactive: dict[str, int] | None = None,
) -> Tables:
    """Return the three tables found in `blocks`.

    The prose dicts hold numbers the report's text states (table 三 totals by row; table 二 counts
    by `row.column`); they only break ties among cuts of glued digits.
    """
    items = build_items(blocks)
    if not items:
        return Tables(None, None, None)
    finder = _Finder(items)
    begin, end = Loc(0, 0, 0), _end_of_doc(items)
    p_start = _anchor(finder, L.PROACTIVE_START, begin, end)
    r_start = _anchor(finder, L.REQUESTS_START, p_start or begin, end)
    v_start = _anchor(finder, _REVIEW_HEAD, r_start or p_start or begin, end)
    if v_start is not None and items[v_start.item].row is not None:
        v_start = Loc(v_start.item, 0, 0)
    v_stop = (_anchor(finder, _SECTION5, v_start, end) if v_start else None) or end
    proactive = requests = review = None
    if p_start is not None:
        proactive = _proactive(finder, p_start, r_start or v_start or end, prose_proactive or {})
        if len(proactive.rows) < MIN_ROWS_PROACTIVE:
            proactive = None
    if r_start is not None:
        requests = _requests(finder, r_start, v_start or end, prose_requests or {})
        if len(requests.rows) < MIN_ROWS_REQUESTS:
            requests = None
    if v_start is not None:
        review = _review(finder, v_start, v_stop)
        if not review.rows:
            review = None
    return Tables(proactive, requests, review)
