"""Place value rows printed away from their labels, and keep them only where the table's arithmetic agrees.

Text converted from PDF by other tools often prints a run of labels, then the value rows that belong to
them, each as a grid row of numbers with no label of its own (or with a fragment of one that names no row).
Between two rows whose label and values sit together (anchored rows), such value rows belong, in order,
to the official rows between those two that have no values of their own (slots). Every order-preserving
placement is tried; a placement is kept only where the whole table then satisfies its arithmetic (the
outcome rows sum to 总计 in every column, `confirm`). Otherwise the slot rows' cells are null and reported
with the value rows they could have been, so nothing is guessed silently. A stretch whose labels each sit
right above their own value row (label, values, label, values) is read as printed: nothing is inferred.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import combinations, pairwise, product

from . import labels as L
from .table_items import Item, Loc
from .values import Cell, Kind, is_blank, is_number_like, parse

MAX_PLACEMENTS = 5000
"""Combinations of placements tried at most; past it nothing is placed and the slots stay unsettled."""


@dataclass(slots=True)
class ValueRow:
    """A grid row of numbers without a label of its own."""

    item: int
    """The index of its first item."""
    cells: list[Cell]
    """Its values, one per column."""
    text: str
    """The row as printed (text fragments included), for the record's `ambiguous` entries."""


@dataclass(slots=True)
class Placement:
    """What the placement decided: rows placed for certain, and rows left unsettled with their readings."""

    placed: dict[str, list[Cell]] = field(default_factory=dict)
    """Slot row key → its values, where the arithmetic confirmed the placement."""
    labelled: dict[str, list[Cell]] = field(default_factory=dict)
    """Row key → its values, where each label of a stretch sits right before its own value row (no inference)."""
    unsettled: dict[str, list[list[int | float | None]]] = field(default_factory=dict)
    """Slot row key → per column, the readings the placements considered (None: the row printed no values)."""
    texts: dict[str, str] = field(default_factory=dict)
    """Slot row key → the text of the value rows it could have been."""


def value_rows(items: list[Item], start: Loc, stop: Loc, labels: set[int], width: int) -> list[ValueRow]:
    """Return the grid rows between start and stop holding exactly `width` numbers and no found label."""
    rows: dict[tuple[int, int], list[int]] = {}
    for i in range(start.item, min(stop.item + 1, len(items))):
        if items[i].row is not None:
            rows.setdefault(items[i].row, []).append(i)  # type: ignore[arg-type]
    out: list[ValueRow] = []
    for members in rows.values():
        if labels & set(members):
            continue
        texts = [items[i].text for i in members]
        numbers = [t for t in texts if is_number_like(t)]
        if len(numbers) != width or not all(is_number_like(t) or is_blank(t) or _fragment(t) for t in texts):
            continue
        cells = [parse(t, Kind.COUNT) for t in numbers]
        out.append(ValueRow(members[0], cells, " | ".join(t.strip() for t in texts if t.strip())))
    return out


def _fragment(text: str) -> bool:
    """True for a text cell that is a piece of a label (no digits): what a converter leaves of a broken label."""
    return not any(ch.isdigit() for ch in text)


def anchored(items: list[Item], found: dict[str, Loc]) -> dict[str, int]:
    """Return row key → item index of the rows whose label is a grid cell followed by numbers in its grid row."""
    out: dict[str, int] = {}
    for key, loc in found.items():
        label = items[loc.item]
        if label.row is None:
            continue
        j = loc.item + 1
        while j < len(items) and items[j].row == label.row:
            if is_number_like(items[j].text):
                out[key] = loc.item
                break
            j += 1
    return out


def in_order(order: list[str], anchors: dict[str, int]) -> dict[str, int]:
    """Return the largest set of anchored rows printed in official order (a row moved out of it bounds no gap)."""
    keys = [k for k in order if k in anchors]
    best: list[list[str]] = []
    for i, key in enumerate(keys):
        prev = [best[j] for j in range(i) if anchors[keys[j]] < anchors[key]]
        best.append([*max(prev, key=len, default=[]), key])
    chain = max(best, key=len, default=[])
    return {k: anchors[k] for k in chain}


def _gaps(order: list[str], anchors: dict[str, int], bounding: dict[str, int], slots_ok: Callable[[str], bool],
          start: int, stop: int, rows: list[ValueRow]) -> Iterator[tuple[list[str], list[ValueRow], int]]:  # fmt: skip
    """Yield (slot keys, value rows, where it starts) of each stretch between two anchored rows of `bounding` (those
    printed in official order) that holds value rows; a slot is a row without values of its own (not in `anchors`)."""
    bounds = [(-1, start)] + [(order.index(k), bounding[k]) for k in order if k in bounding] + [(len(order), stop)]
    for (a, pa), (b, pb) in pairwise(bounds):
        slots = [k for k in order[a + 1 : b] if k not in anchors and slots_ok(k)]
        found = [r for r in rows if pa < r.item < pb]
        if found:
            yield slots, found, pa


def place(
    items: list[Item],
    found: dict[str, Loc],
    start: Loc,
    stop: Loc,
    fixed: dict[str, list[Cell]],
    confirm: Callable[[dict[str, list[Cell]]], bool],
    slots_ok: Callable[[str], bool],
    width: int = 7,
) -> Placement | None:
    """Return the placement of table 三's detached value rows, or None where the table has none.

    `fixed` holds every row's values as read so far (a slot's are replaced); `confirm` says whether a whole
    table satisfies its arithmetic; `slots_ok` whether a row may receive a value row (not a group label).
    """
    order = [s.key for s in L.REQUEST_ROWS]
    anchors = anchored(items, found)
    labels = {loc.item for loc in found.values()}
    rows = value_rows(items, start, stop, labels, width)
    gaps = list(_gaps(order, anchors, in_order(order, anchors), slots_ok, start.item, stop.item, rows))
    if not gaps:
        return None
    result = Placement()
    options: list[list[dict[str, list[Cell] | None]]] = []
    for slots, vrows, begin in gaps:
        if _interleaved(slots, vrows, found, begin):
            result.labelled.update({k: r.cells for k, r in zip(slots, vrows, strict=True)})
            continue
        text = " / ".join(r.text for r in vrows)
        for key in slots:
            result.texts[key] = text
        if len(vrows) > len(slots):
            options.append([dict.fromkeys(slots)])
            continue
        gap_options = []
        for chosen in combinations(slots, len(vrows)):
            assign: dict[str, list[Cell] | None] = dict.fromkeys(slots)
            assign.update({k: r.cells for k, r in zip(chosen, vrows, strict=True)})
            gap_options.append(assign)
        options.append(gap_options)
    if not options:
        return result
    fixed = {**fixed, **result.labelled}
    total = 1
    for o in options:
        total *= len(o)
    combos = [_merge(c) for c in product(*options)] if total <= MAX_PLACEMENTS else []
    confirmed = [m for m in combos if confirm(_table(fixed, m))]
    slots_all = [k for part in options for k in part[0]]
    if len(confirmed) == 1:
        result.placed = {k: v for k, v in confirmed[0].items() if v is not None}
        blank = [k for k, v in confirmed[0].items() if v is None]
        for key in blank:  # a slot the document printed no values for: null, and said so
            result.unsettled[key] = [[None] for _ in range(width)]
        return result
    for key in slots_all:
        readings: list[list[int | float | None]] = [[] for _ in range(width)]
        for merged in confirmed or combos or [dict.fromkeys(slots_all)]:
            cells = merged.get(key)
            for c in range(width):
                value = cells[c].value if cells is not None else None
                if value not in readings[c]:
                    readings[c].append(value)
        result.unsettled[key] = readings
    return result


def _interleaved(slots: list[str], vrows: list[ValueRow], found: dict[str, Loc], begin: int) -> bool:
    """True where each slot's label was found right before its own value row: label, values, label, values."""
    if len(slots) != len(vrows) or any(k not in found for k in slots):
        return False
    before = begin
    for key, row in zip(slots, vrows, strict=True):
        if not before < found[key].item < row.item:
            return False
        before = row.item
    return True


def _merge(combo: tuple[dict[str, list[Cell] | None], ...]) -> dict[str, list[Cell] | None]:
    """Return one placement of every gap as one dict: slot key → its values, or None where it got no row."""
    return {k: v for part in combo for k, v in part.items()}


def _table(fixed: dict[str, list[Cell]], merged: dict[str, list[Cell] | None]) -> dict[str, list[Cell]]:
    """Return the table's rows with a placement applied (a slot without a row is left out: blank)."""
    table = {k: v for k, v in fixed.items() if k not in merged}
    table.update({k: v for k, v in merged.items() if v is not None})
    return table
