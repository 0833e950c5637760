"""The document as one flat list of items, and forward search through it.

Every carrier's blocks become a sequence of items in reading order, each either a grid cell
(HTML, DOCX, PDF, XLS, tab- or pipe-separated text) or a run of text (consecutive paragraph
lines, page marks dropped), kept with its compact (whitespace-free) form and the map back to the
original text. `Loc` is a place in that sequence; `_Finder` and `_anchor` search labels forward.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .model import Block, Paragraph
from .normalize import compact_cell, compact_with_map
from .values import is_number_like

_PAGE_MARK = re.compile(r"(?:(?<=\s)|^)[-—–]\s*\d{1,3}\s*[-—–](?=\s|$)")


@dataclass(slots=True)
class Item:
    """One cell of a grid (`row` set) or one run of text (`row` None), with its compact form."""

    text: str
    compact: str
    cmap: Sequence[int]
    row: tuple[int, int] | None
    col: int = 0


@dataclass(slots=True, frozen=True)
class Loc:
    """Where a label was found: item index and its [start, end) in the item's compact text."""

    item: int
    start: int
    end: int


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
                comp, cmap = compact_cell(cell)
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


def _original_slice(item: Item, cstart: int, cend: int) -> str:
    """Return the original text of a run between two compact offsets."""
    if cstart >= len(item.cmap):
        return ""
    a = item.cmap[cstart]
    b = item.cmap[cend] if cend < len(item.cmap) else len(item.text)
    return item.text[a:b]


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
