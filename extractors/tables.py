"""Find the three official tables in a read document and return their cells.

Every carrier ends up here the same way: a sequence of items, each either a table cell (from a
grid: HTML, DOCX, PDF, XLS, tab- or pipe-separated text) or a run of text (a paragraph, or a text
dump that lost the table structure). Row labels are found in order, whitespace-insensitively; a
row's values are the cells after its label in the same grid row, or the numbers between its label
and the next one in a run, cut apart by `splitting` where a dump glued them together.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from itertools import pairwise

from . import labels as L
from .model import Block, Paragraph
from .normalize import compact_with_map
from .splitting import TooMany, choose, consensus, cuts
from .values import Cell, Kind, is_blank, is_number_like, parse

_PAGE_MARK = re.compile(r"(?:(?<=\s)|^)[-—–]\s*\d{1,3}\s*[-—–](?=\s|$)")
_NUMBER = re.compile(r"[+\-增减]?\d+(?:\.\d+)?(?:\s*[(（]?\s*万?元\s*[)）]?)?")
_ANNOTATION = re.compile(r"[(（][^()（）]*[\u4e00-\u9fff][^()（）]*[)）]")
_UNIT_ONLY = re.compile(r"^[(（]\s*万?元\s*[)）]$")
_ENUM_PREFIX = r"(?:(?:[1-9][.、]|\([一二三四五六七八]\)|[一二三四五六七八]、)?[\u4e00-\u9fff]{0,12}?)"
_SECTION5 = re.compile(r"[五5][、.].{0,12}(?:存在的?主要问题|问题及改进|改进情况)|[六6][、.]其他需要报告")
# Table 四's header: "结果维持" where cells keep their two lines together, else its stacked words.
_REVIEW_HEAD = re.compile(r"结果维持|未经复议直接起诉")
_CELL_ENUM = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|\([一二三四五六七八九十]+\)|\d{1,2}[.、])+")
_NOT_LABEL_CHARS = re.compile(r"[^\u4e00-\u9fff]")
# A cell this close to an official label (difflib ratio) is that label with a character lost or garbled.
FUZZY_RATIO = 0.8
FUZZY_MIN_LENGTH = 4
FUZZY_MAX_LENGTH = 60
FUZZY_MIN_FOUND = 3
FUZZY_MAX_GAP = 120
FUZZY_MAX_RUN = 3000
_BETWEEN_NUMBERS = re.compile(r"[^\d+\-.]{3,}")
_ENUM_START = re.compile(r"\([一二三四五六七八九十]+\)|[一二三四五六七八九十]、")
# A table is taken as found only with this many of its rows: a page quoting a label or two is no table.
MIN_ROWS_PROACTIVE = 3
MIN_ROWS_REQUESTS = 8


@dataclass(slots=True)
class Item:
    """One cell of a grid (`row` set) or one run of text (`row` None), with its compact form."""

    text: str
    compact: str
    cmap: list[int]
    row: tuple[int, int] | None
    col: int = 0


@dataclass(slots=True, frozen=True)
class Loc:
    """Where a label was found: item index and its [start, end) in the item's compact text."""

    item: int
    start: int
    end: int


@dataclass(slots=True)
class TableResult:
    """One parsed table: row key → parsed cells, its format, and what could not be settled."""

    rows: dict[str, list[Cell | None]] = field(default_factory=dict)
    format: str | None = None
    missing: list[str] = field(default_factory=list)
    ambiguous: list[tuple[str, int]] = field(default_factory=list)


@dataclass(slots=True)
class Tables:
    """All three tables (None where a table was not found)."""

    proactive: TableResult | None
    requests: TableResult | None
    review: TableResult | None


def build_items(blocks: list[Block]) -> list[Item]:
    """Return the document as a flat list of items in reading order."""
    items: list[Item] = []
    lines: list[str] = []

    def flush() -> None:
        # Consecutive lines form one run, so a label broken over two lines (PDF text) is still one label.
        if lines:
            text = _PAGE_MARK.sub(" ", "\n".join(lines))
            comp, cmap = compact_with_map(text)
            items.append(Item(text, comp, cmap, None))
            lines.clear()

    for ti, block in enumerate(blocks):
        if isinstance(block, Paragraph):
            lines.append(block.text)
            continue
        flush()
        for ri, row in enumerate(block.rows):
            for ci, cell in enumerate(row):
                if cell is None:
                    continue
                comp, cmap = compact_with_map(cell)
                items.append(Item(cell, comp, cmap, (ti, ri), ci))
    flush()
    return items


class _Finder:
    """Searches labels forward through the items, cells whole and runs by regex."""

    def __init__(self, items: list[Item]) -> None:
        self.items = items

    def find(
        self, cell_re: re.Pattern[str], run_re: re.Pattern[str], start: Loc, stop: Loc, cells_only: bool = False
    ) -> Loc | None:
        """Return the first match at or after `start` and before `stop` (only grid cells if asked), or None."""
        for i in range(start.item, min(stop.item + 1, len(self.items))):
            it = self.items[i]
            lo = start.end if i == start.item else 0
            hi = stop.start if i == stop.item else len(it.compact)
            if it.row is not None:
                if lo > 0 or hi < len(it.compact) or not it.compact:
                    continue
                m = cell_re.search(it.compact)
                if m and not is_number_like(it.text):
                    return Loc(i, 0, max(m.end(), 1))
            elif not cells_only:
                m = run_re.search(it.compact, lo, hi)
                if m:
                    return Loc(i, m.start(), m.end())
        return None


def _run_pattern(pattern: re.Pattern[str]) -> re.Pattern[str]:
    body = pattern.pattern.replace("^", "").replace("$", "")
    return re.compile(_ENUM_PREFIX + "(?:" + body + ")")


_RUN_CACHE: dict[str, re.Pattern[str]] = {}


def _run_re(pattern: re.Pattern[str]) -> re.Pattern[str]:
    got = _RUN_CACHE.get(pattern.pattern)
    if got is None:
        got = _RUN_CACHE[pattern.pattern] = _run_pattern(pattern)
    return got


def _anchor(finder: _Finder, pattern: re.Pattern[str], start: Loc, stop: Loc) -> Loc | None:
    """Return where `pattern` first occurs in any item (cell or run) between start and stop."""
    for i in range(start.item, min(stop.item + 1, len(finder.items))):
        it = finder.items[i]
        lo = start.end if i == start.item else 0
        hi = stop.start if i == stop.item else len(it.compact)
        m = pattern.search(it.compact, lo, hi)
        if m:
            return Loc(i, m.start(), m.end())
    return None


def _locate(finder: _Finder, specs: tuple[L.RowSpec, ...], start: Loc, stop: Loc) -> dict[str, Loc]:
    """Return the label location of each row found, searched in table order."""
    found: dict[str, Loc] = {}
    cursor = start
    for idx, spec in enumerate(specs):
        loc = finder.find(spec.pattern, _run_re(spec.pattern), cursor, stop)
        if loc is None:
            continue
        if finder.items[loc.item].row is None:
            # A label in a heading line often repeats in the grid below it: the grid row is the row.
            nxt_spec = next((s for s in specs[idx + 1 :] if not s.optional), None)
            limit = finder.find(nxt_spec.pattern, _run_re(nxt_spec.pattern), loc, stop) if nxt_spec else None
            in_cell = finder.find(spec.pattern, spec.pattern, loc, limit or stop, cells_only=True)
            if in_cell is not None:
                loc = in_cell
        if spec.optional:
            nxt = next((s for s in specs[idx + 1 :] if not s.optional), None)
            if nxt is not None:
                limit = finder.find(nxt.pattern, _run_re(nxt.pattern), cursor, stop)
                if limit is not None and (limit.item, limit.start) < (loc.item, loc.start):
                    continue
        found[spec.key] = loc
        cursor = loc
    # Rows a converter moved out of order: searched again over the whole table, outside found labels.
    used = {(loc.item, loc.start) for loc in found.values()}
    for spec in specs:
        if spec.key in found or spec.optional:
            continue
        loc = finder.find(spec.pattern, _run_re(spec.pattern), start, stop)
        if loc is not None and (loc.item, loc.start) not in used:
            found[spec.key] = loc
            used.add((loc.item, loc.start))
    _fuzzy(finder, specs, found, start, stop)
    return found


def _label_core(text: str) -> str:
    """Return a cell's label without enumerator, annotations and anything but Chinese characters."""
    return _NOT_LABEL_CHARS.sub("", _ANNOTATION.sub("", _CELL_ENUM.sub("", text)))


def _fuzzy(finder: _Finder, specs: tuple[L.RowSpec, ...], found: dict[str, Loc], start: Loc, stop: Loc) -> None:
    """Place rows still missing at a label between their found neighbours that nearly spells them.

    Candidates are grid cells and, in runs of text, the stretches between numbers. One is taken
    only where its label is nearest to the missing row's official label, so a garbled "属于国秘密"
    is found and a neighbouring row's label never is. Only inside a table already found
    (FUZZY_MIN_FOUND rows) and across small gaps, so the cost stays bounded on any document.
    """
    if len(found) < FUZZY_MIN_FOUND:
        return
    items = finder.items
    used = {(loc.item, loc.start) for loc in found.values()}
    nearest: dict[tuple[int, int], list[float] | None] = {}

    def likeness(key: tuple[int, int], text: str) -> list[float] | None:
        if key not in nearest:
            core = _label_core(text)
            tail = items[key[0]].row is None
            ok = len(core) >= FUZZY_MIN_LENGTH - 1 and (tail or len(core) <= FUZZY_MAX_LENGTH)
            core = core[-FUZZY_MAX_LENGTH:]
            nearest[key] = [_likeness(core, s.label, tail) if s.label else 0.0 for s in specs] if ok else None
        return nearest[key]

    def candidates(lo: Loc, hi: Loc) -> Iterator[tuple[Loc, str]]:
        """Yield (where, compact text) of every possible label between two found rows, not yet taken."""
        for i in range(lo.item, min(hi.item + 1, len(items))):
            it = items[i]
            if it.row is not None:
                if (i, 0) not in used and not is_number_like(it.text):
                    yield Loc(i, 0, len(it.compact)), it.compact
                continue
            a = lo.end if i == lo.item else 0
            b = hi.start if i == hi.item else len(it.compact)
            if b - a > FUZZY_MAX_RUN:
                continue
            text = it.compact
            for m in _BETWEEN_NUMBERS.finditer(text, a, b):
                cuts = [m.start()] + [c.start() for c in _ENUM_START.finditer(text, m.start() + 1, m.end())] + [m.end()]
                for x, y in pairwise(cuts):
                    if x == m.start() and x - 2 >= a and text[x - 1] == "." and text[x - 2].isdigit():
                        x -= 2  # the row's "4." belongs to its label, not to the row above's digits
                    if (i, x) not in used:
                        yield Loc(i, x, y), text[x:y]

    def key(loc: Loc) -> tuple[int, int]:
        return (loc.item, loc.start)

    for idx, spec in enumerate(specs):
        if spec.key in found or not (spec.label or spec.key in L.OFFICIAL_ENUMERATORS):
            continue
        before = [found[s.key] for s in specs[:idx] if s.key in found]
        after = [found[s.key] for s in specs[idx + 1 :] if s.key in found]
        lo = max(before, key=key) if before else start
        hi = min(after, key=key) if after else Loc(min(stop.item, len(items) - 1), stop.start, stop.end)
        if hi.item - lo.item > FUZZY_MAX_GAP:
            continue
        best: tuple[float, Loc] | None = None
        for loc, text in candidates(lo, hi):
            ratios = likeness(key(loc), text)
            if ratios is None:
                continue
            ratio = ratios[idx]
            rival = max((r for n, r in enumerate(ratios) if n != idx), default=0.0)
            if ratio >= FUZZY_RATIO and ratio > rival and (best is None or ratio > best[0]):
                best = (ratio, loc)
        place = best[1] if best else None
        if place is None and spec.key in L.OFFICIAL_ENUMERATORS:
            place = _by_enumerator(spec.key, candidates(lo, hi))
        if place is not None:
            found[spec.key] = place
            used.add(key(place))


def _by_enumerator(row: str, candidates: Iterable[tuple[Loc, str]]) -> Loc | None:
    """Return the first candidate that opens with the row's own enumerator and its label's first words."""
    enum, head = L.OFFICIAL_ENUMERATORS[row]
    for loc, text in candidates:
        if not text.startswith(enum):
            continue
        core = _NOT_LABEL_CHARS.sub("", text[len(enum) :])[: len(head)]
        if core and SequenceMatcher(None, core, head, autojunk=False).ratio() >= 0.5:
            return loc
    return None


def _likeness(core: str, label: str, tail: bool = False) -> float:
    """Return how near a label core is to an official label ("a|b": the nearer wording).

    `tail` compares only the end of the core, as long as the label give or take a character: in a
    run of text a row's label ends where its numbers begin, after whatever header text precedes it.
    """
    best = 0.0
    for one in label.split("|"):
        ends = [core[-n:] for n in (len(one) - 1, len(one), len(one) + 1)] if tail else [core]
        best = max(best, *(SequenceMatcher(None, end, one, autojunk=False).ratio() for end in ends))
    return best


def _original_slice(item: Item, cstart: int, cend: int) -> str:
    """Return the original text of a run between two compact offsets."""
    if cstart >= len(item.cmap):
        return ""
    a = item.cmap[cstart]
    b = item.cmap[cend] if cend < len(item.cmap) else len(item.text)
    return item.text[a:b]


@dataclass(slots=True)
class _Raw:
    tokens: list[str]
    glued: bool  # True where the tokens came from a run and may hold several cells each


def _values_between(items: list[Item], loc: Loc, nxt: Loc | None, stop: Loc) -> _Raw:
    """Return the raw value tokens of the row labelled at `loc`."""
    end = nxt or stop
    label = items[loc.item]
    if label.row is not None:
        cells: list[str] = []
        for j in range(loc.item + 1, min(end.item, len(items))):
            it = items[j]
            if it.row != label.row:
                break
            if is_blank(it.text) or is_number_like(it.text) or _multi_number(it.text):
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


def _multi_number(text: str) -> bool:
    toks = text.split()
    return len(toks) > 1 and all(is_number_like(t) for t in toks)


def _chunks(text: str) -> list[str]:
    """Return the number tokens of a run, annotations and labels dropped, units kept on money."""
    text = _ANNOTATION.sub(lambda m: m.group(0) if _UNIT_ONLY.match(m.group(0)) else " ", text)
    return [re.sub(r"\s+", "", m.group(0)) for m in _NUMBER.finditer(text)]


def _part_cell(part: str, kind: Kind) -> Cell:
    """Return the cell of a part `cuts` already validated: plain ints need no regex."""
    if kind is Kind.MONEY:
        return parse(part, kind)
    return Cell(int(part), part, True)


def _cells_to_values(raw: _Raw, kinds: list[Kind]) -> tuple[list[list[Cell]], bool]:
    """Return the candidate cell lists for one row and whether the row was cut from glued digits."""
    n = len(kinds)
    if not raw.glued:
        toks: list[str] = []
        for t in raw.tokens:
            toks.extend(t.split() if _multi_number(t) else [t])
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
    if len(toks) > n:
        return [[parse(t, k) for t, k in zip(toks[:n], kinds, strict=True)]], False
    toks = toks + [""] * (n - len(toks))
    return [[parse(t, k) for t, k in zip(toks, kinds, strict=True)]], False


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
                result.ambiguous.append((key, i))
            else:
                row.append(cands[0][i])
        result.rows[key] = row


def _parse_table(
    finder: _Finder,
    specs: tuple[L.RowSpec, ...],
    start: Loc,
    stop: Loc,
    row_ok: Callable[[list[Cell]], bool] | None = None,
) -> tuple[TableResult, dict[str, list[list[Cell]]]]:
    """Return the table's rows found and, per row, its candidate cell lists (several where digits were glued)."""
    items = finder.items
    found = _locate(finder, specs, start, stop)
    result = TableResult()
    ordered = sorted(found.items(), key=lambda kv: (kv[1].item, kv[1].start))
    options: dict[str, list[list[Cell]]] = {}
    for idx, (key, loc) in enumerate(ordered):
        spec = next(s for s in specs if s.key == key)
        nxt = ordered[idx + 1][1] if idx + 1 < len(ordered) else None
        raw = _values_between(items, loc, nxt, stop)
        kinds = [k for _, k in spec.columns]
        cands, glued = _cells_to_values(raw, kinds)
        if glued and row_ok is not None:
            fitting = [c for c in cands if row_ok(c)]
            cands = fitting or cands
        options[key] = cands
    result.missing = [s.key for s in specs if s.key not in found and not s.optional]
    return result, options


def _end_of_doc(items: list[Item]) -> Loc:
    last = len(items) - 1
    return Loc(last, len(items[last].compact), len(items[last].compact)) if items else Loc(0, 0, 0)


def _region_text(items: list[Item], start: Loc, stop: Loc) -> str:
    parts = []
    for i in range(start.item, min(stop.item + 1, len(items))):
        it = items[i]
        lo = start.start if i == start.item else 0
        hi = stop.start if i == stop.item else len(it.compact)
        parts.append(it.compact[lo:hi])
    return "".join(parts)


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
    result, options = _parse_table(finder, specs, start, stop)
    by_key = {s.key: s for s in specs}
    options = {k: _prose_filter(k, by_key[k], v, prose) if len(v) > 1 else v for k, v in options.items()}
    widths = {s.key: len(s.columns) for s in specs}
    _settle(result, options, widths)
    result.format = fmt
    if fmt == "2019":
        result.missing = [k for k in result.missing if k not in L.OPTIONAL_2019_PROACTIVE]
    return result


def _requests(finder: _Finder, start: Loc, stop: Loc, prose: dict[str, int]) -> TableResult:
    result, options = _parse_table(finder, L.REQUEST_ROWS, start, stop, row_ok=_row_sum_ok)
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
    return result


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
    cands, glued = _cells_to_values(raw, kinds)
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
