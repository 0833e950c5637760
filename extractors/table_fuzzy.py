"""The fuzzy label fallback: place rows still missing at a label that nearly spells them.

Used once the exact label search has found a table: a cell or a stretch of a text run between
the found neighbours of a missing row is taken when it is nearest to that row's official label
(difflib ratio), or, failing that, when it opens with the row's own official enumerator, or is the row's bare
label (`labels.BARE_LABELS`) between two found neighbours.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from difflib import SequenceMatcher
from itertools import pairwise

from . import labels as L
from .table_items import Loc, _Finder
from .table_values import _ANNOTATION
from .values import is_number_like

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
        if place is None and spec.key in L.BARE_LABELS and before and after:
            place = next((loc for loc, text in candidates(lo, hi) if _label_core(text) == L.BARE_LABELS[spec.key]),
                         None)  # fmt: skip
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
