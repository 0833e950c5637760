"""Locate a table's rows: each row's label, searched in table order between two places.

Labels are matched whole in grid cells and, in runs of text, behind an optional enumerator
("1.", "(一)", "一、") and a few words of heading. Rows a converter moved out of order are
searched again over the whole table; what is still missing goes to the fuzzy fallback.
"""

from __future__ import annotations

import re

from . import labels as L
from .table_fuzzy import _fuzzy
from .table_items import Loc, _Finder

_ENUM_PREFIX = r"(?:(?:[1-9][.、]|\([一二三四五六七八]\)|[一二三四五六七八]、)?[\u4e00-\u9fff]{0,12}?)"


def _run_pattern(pattern: re.Pattern[str]) -> re.Pattern[str]:
    body = pattern.pattern.replace("^", "").replace("$", "")
    return re.compile(_ENUM_PREFIX + "(?:" + body + ")")


_RUN_CACHE: dict[str, re.Pattern[str]] = {}


def _run_re(pattern: re.Pattern[str]) -> re.Pattern[str]:
    got = _RUN_CACHE.get(pattern.pattern)
    if got is None:
        got = _RUN_CACHE[pattern.pattern] = _run_pattern(pattern)
    return got


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
