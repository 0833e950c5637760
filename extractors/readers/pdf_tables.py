"""Tables that run over a page break of a PDF: a row the break cut in two is joined again."""

from __future__ import annotations

import re

from .. import labels as L
from ..model import Block, Paragraph, Table
from ..normalize import compact
from ..values import is_number_like

_NEW_LABEL = re.compile(
    r"^\s*(?:[（(]\s*[一二三四五六七八九十\d]{1,3}\s*[)）]|[一二三四五六七八九十]{1,3}\s*[、.．]|\d{1,2}\s*[.．、])"
)
"""A cell opening with an enumerator ("（四）", "4.", "三、") starts a row of its own."""
_PAGE_MARK = re.compile(
    r"^\s*(?:[-—–]\s*\d{1,4}\s*[-—–]|\d{1,4}|第\s*\d{1,4}\s*页(?:\s*[,，]?\s*共\s*\d{1,4}\s*页)?|\d{1,4}\s*/\s*\d{1,4})\s*$"
)
"""A page number printed at a page's foot or head ("- 3 -", "3", "第3页 共9页", "3/9")."""


def join_pages(pages: list[list[Block]]) -> list[Block]:
    """Return the blocks of consecutive pages in one list, a table row cut by a page break joined (`join_broken_row`)
    where one page's last table goes on as the next page's first (page numbers between them aside)."""
    blocks: list[Block] = []
    for page in pages:
        before = _edge(blocks, reverse=True)
        after = _edge(page)
        if isinstance(before, Table) and isinstance(after, Table) and join_broken_row(before, after) and not after.rows:
            page = [b for b in page if b is not after]
        blocks.extend(page)
    return blocks


def _edge(blocks: list[Block], reverse: bool = False) -> Block | None:
    """Return the first (last) block of `blocks` that is no page number, or None."""
    for block in reversed(blocks) if reverse else blocks:
        if not (isinstance(block, Paragraph) and _PAGE_MARK.match(block.text)):
            return block
    return None


_SPECS = (*L.REQUEST_ROWS, *L.PROACTIVE_ROWS_2019, *L.PROACTIVE_ROWS_2021)


def _words(row: list[str | None]) -> str:
    """Return the row's words: its cells that are no number, in one compact text."""
    return compact("".join(c for c in row if c and not is_number_like(c)))


def _official(words: str) -> bool:
    """True where `words` name a row of the standard tables."""
    return bool(words) and any(spec.pattern.search(words) for spec in _SPECS)


def join_broken_row(before: Table, after: Table) -> bool:
    """Join `after`'s first row into `before`'s last where they are one row a page break cut in two, and return True.

    `after`'s first row is its first after the header rows it repeats from `before` (a table whose heading rows
    repeat on each page). They are one row where both are as wide, the new page's part opens no row of its own (no
    cell starting with an enumerator), the two parts complement each other (a column holds a number in at most one of
    them; where both hold text it is words, joined with a line break), and the words of the old page's part name no
    row of the standard tables while the joined words do ("3.补正后申" + "请内容仍不明确"): a whole row with blank
    numbers on top of the new page ("规章 0 0 0" then "规范性文件") is a row of its own.
    """
    if not before.rows or not after.rows:
        return False
    head = _repeated_head(before, after)
    if head >= len(after.rows):
        return False
    last, first = before.rows[-1], after.rows[head]
    if len(last) != len(first) or not any(first):
        return False
    for a, b in zip(last, first, strict=True):
        if not b:
            continue
        if _NEW_LABEL.match(b) or (a and (is_number_like(a) or is_number_like(b))):
            return False
    joined = [f"{a}\n{b}" if a and b else (b or a) for a, b in zip(last, first, strict=True)]
    if _official(_words(last)) or not _official(_words(joined)):
        return False
    before.rows[-1] = joined
    del after.rows[head]
    return True


def _repeated_head(before: Table, after: Table) -> int:
    """Return how many of `after`'s first rows repeat `before`'s first rows (heading rows printed on each page)."""
    count = 0
    for a, b in zip(before.rows[:-1], after.rows, strict=False):
        if a != b:
            break
        count += 1
    return count
