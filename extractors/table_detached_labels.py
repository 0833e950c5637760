"""Place table 二's value rows printed away from their labels, by the labels present alone.

Table 二 has no arithmetic to confirm a placement, so a label-less value row (a grid row of numbers only) is
given to a row only where the labels the text prints settle it: a stretch of gathered labels followed by as
many value rows, every row between them in official order named by a label there, and each value row as wide
as the row it lands in. Anything else (a value row no label names, fewer value rows than labels, widths that
do not fit one way) leaves the rows of the stretch null, with the readings each could have had.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import combinations

from .labels import RowSpec
from .table_items import Item, Loc
from .table_values import _chunks, _original_slice
from .values import Cell, Kind, is_blank, is_number_like, parse


@dataclass(slots=True)
class LooseRow:
    """A grid row of numbers without a label of its own."""

    item: int
    """The index of its first item."""
    texts: list[str]
    """Its number cells as printed, in order."""
    text: str
    """The row as printed, for the record's `ambiguous` entries."""


@dataclass(slots=True)
class LabelPlacement:
    """Rows the labels settled, and rows left null with the readings they could have had."""

    placed: dict[str, list[Cell]] = field(default_factory=dict)
    """Row key → its values, where the labels present settle whose they are."""
    inferred: set[str] = field(default_factory=set)
    """The placed rows whose label is not right above their values (several labels gathered over several rows)."""
    unsettled: dict[str, list[list[int | float | None]]] = field(default_factory=dict)
    """Row key → per column, the readings considered (None: the row may have printed no values)."""
    texts: dict[str, str] = field(default_factory=dict)
    """Row key → the text of the value rows it could have been."""


def _has_own_values(items: list[Item], key: str, found: dict[str, Loc]) -> bool:
    """True where a label's own grid row, or its run up to the next label, holds a number."""
    loc = found[key]
    label = items[loc.item]
    if label.row is not None:
        j = loc.item + 1
        while j < len(items) and items[j].row == label.row:
            if is_number_like(items[j].text):
                return True
            j += 1
        return False
    ends = [other.start for other in found.values() if other.item == loc.item and other.start > loc.start]
    return bool(_chunks(_original_slice(label, loc.end, min(ends, default=len(label.compact)))))


def loose_rows(items: list[Item], start: Loc, stop: Loc, labels: set[int], widths: set[int]) -> list[LooseRow]:
    """Return the grid rows between start and stop holding only numbers (as many as some row's columns)."""
    rows: dict[tuple[int, int], list[int]] = {}
    for i in range(start.item, min(stop.item + 1, len(items))):
        if items[i].row is not None:
            rows.setdefault(items[i].row, []).append(i)  # type: ignore[arg-type]
    out = []
    for members in rows.values():
        texts = [items[i].text for i in members]
        numbers = [t for t in texts if is_number_like(t)]
        if labels & set(members) or len(numbers) not in widths:
            continue
        if all(is_number_like(t) or is_blank(t) for t in texts):
            out.append(LooseRow(members[0], numbers, " | ".join(t.strip() for t in texts if t.strip())))
    return out


Stretch = tuple[list[str], list[LooseRow]]
"""Labels gathered without values of their own, and the value rows printed right after them."""


def _stretches(items: list[Item], found: dict[str, Loc], rows: list[LooseRow]) -> list[Stretch]:
    """Return each stretch of (labels without values of their own, the value rows right after them) holding rows."""
    events: list[tuple[int, int, str | LooseRow]] = [(loc.item, loc.start, key) for key, loc in found.items()]
    events += [(r.item, 0, r) for r in rows]
    out: list[Stretch] = []
    keys: list[str] = []
    vrows: list[LooseRow] = []
    for _, _, ev in sorted(events, key=lambda e: (e[0], e[1])):
        if isinstance(ev, LooseRow):
            vrows.append(ev)
            continue
        if vrows:
            out.append((keys, vrows))
            keys, vrows = [], []
        if _has_own_values(items, ev, found):
            keys = []  # a row printed with its values bounds the stretch
        else:
            keys.append(ev)
    if vrows:
        out.append((keys, vrows))
    return out


def _slots(order: list[str], keys: list[str], found: dict[str, Loc], before: str | None, after: str | None,
           n_rows: int) -> list[str]:  # fmt: skip
    """Return the rows a stretch's value rows may belong to: its labels and the rows not found anywhere between
    them in official order; where that leaves too few, also those between the labels printed around it."""
    if keys:
        lo, hi = min(order.index(k) for k in keys) - 1, max(order.index(k) for k in keys) + 1
        inner = [k for k in order[lo + 1 : hi] if k in keys or k not in found]
        if len(inner) >= n_rows:
            return inner
    lo = min([order.index(before) if before in order else -1, *(order.index(k) - 1 for k in keys)])
    hi = max([order.index(after) if after in order else len(order), *(order.index(k) + 1 for k in keys)])
    return [k for k in order[lo + 1 : hi] if k in keys or k not in found]


def _fits(slots: list[str], vrows: list[LooseRow], width: dict[str, int]) -> list[dict[str, LooseRow | None]]:
    """Return every order-preserving assignment of the value rows to slots of their width."""
    out = []
    for chosen in combinations(slots, len(vrows)):
        if all(width[k] == len(r.texts) for k, r in zip(chosen, vrows, strict=True)):
            assign: dict[str, LooseRow | None] = dict.fromkeys(slots)
            assign.update(zip(chosen, vrows, strict=True))
            out.append(assign)
    return out


def place_by_labels(items: list[Item], found: dict[str, Loc], start: Loc, stop: Loc,
                    specs: tuple[RowSpec, ...]) -> LabelPlacement | None:  # fmt: skip
    """Return the placement of table 二's label-less value rows, or None where the table prints none."""
    order = [s.key for s in specs]
    kinds = {s.key: [k for _, k in s.columns] for s in specs}
    width = {k: len(v) for k, v in kinds.items()}
    patterns = {s.key: re.compile(s.pattern.pattern.replace("^", "").replace("$", "")) for s in specs}
    rows = loose_rows(items, start, stop, {loc.item for loc in found.values()}, set(width.values()))
    stretches = _stretches(items, found, rows)
    if not stretches:
        return None
    by_place = sorted(found, key=lambda k: (found[k].item, found[k].start))
    result = LabelPlacement()
    for keys, vrows in stretches:
        before = next((k for k in reversed(by_place) if found[k].item < vrows[0].item and k not in keys), None)
        after = next((k for k in by_place if found[k].item > vrows[-1].item), None)
        slots = _slots(order, keys, found, before, after, len(vrows))
        fits = _fits(slots, vrows, width)
        settled = len(fits) == 1 and all(k in keys for k in slots) and len(slots) == len(vrows)
        if settled:
            for key, row in fits[0].items():
                result.placed[key] = [parse(t, k) for t, k in zip(row.texts, kinds[key], strict=True)]  # type: ignore[union-attr]
                if len(keys) > 1:
                    result.inferred.add(key)
            continue
        named = [_label_text(items, found[k], patterns[k]) for k in keys]
        text = " ".join([*named, " / ".join(r.text for r in vrows)])
        for key in slots:
            result.unsettled[key] = _readings(key, fits, vrows, kinds[key])
            result.texts[key] = text
    return result


def _label_text(items: list[Item], loc: Loc, pattern: re.Pattern[str]) -> str:
    """Return a found label as printed, without the heading words a run match may take in before it."""
    item = items[loc.item]
    m = pattern.search(item.compact, loc.start, loc.end)
    return _original_slice(item, m.start(), m.end()) if m else _original_slice(item, loc.start, loc.end)


def _readings(key: str, fits: list[dict[str, LooseRow | None]], vrows: list[LooseRow],
              kinds: list[Kind]) -> list[list[int | float | None]]:  # fmt: skip
    """Return per column the readings an unsettled row could have: each fitting assignment's, else every value row
    of its width; always with None, for a row the text may have lost."""
    rows = [a.get(key) for a in fits] if fits else [r for r in vrows if len(r.texts) == len(kinds)]
    readings: list[list[int | float | None]] = [[] for _ in kinds]
    for row in [*rows, None]:
        for c, kind in enumerate(kinds):
            value = parse(row.texts[c], kind).value if row is not None else None
            if value not in readings[c]:
                readings[c].append(value)
    return readings
