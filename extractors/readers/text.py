"""Plain text and Markdown: tab-per-cell dumps, pipe rows and Markdown tables become grids."""

from __future__ import annotations

import re

from ..invisible import visible
from ..model import Block, Document, Paragraph, Table
from .encoding import decode

_MD_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")


_MD_EMPHASIS = re.compile(r"^(\*\*|__|\*)(?=\S)(.+?)(?<=\S)\1$")
"""A cell's whole text in Markdown emphasis (`**48**`: a converter keeping a bold total)."""
_MD_BREAK = re.compile(r"<br\s*/?>", re.I)
_MD_INLINE_TAG = re.compile(r"</?(?:b|strong|em|i|u|span|font|sup|sub)\b[^>]*>", re.I)


def _pipe_cells(line: str) -> list[str | None]:
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|") and s.count("|") > 1 and line.strip().startswith("|"):
        s = s[:-1]
    return [_cell_text(c) for c in s.split("|")]


def _cell_text(cell: str) -> str:
    """Return a pipe cell's text without the marks converters put in it: `<br>` as a line break, inline HTML tags
    (`<b>`, `<span>`) and emphasis around the whole cell (`**48**`) dropped."""
    text = _MD_INLINE_TAG.sub("", _MD_BREAK.sub("\n", cell)).strip() if "<" in cell else cell.strip()
    m = _MD_EMPHASIS.match(text) if "*" in text or "__" in text else None
    return m.group(2).strip() if m else text


def _is_pipe_row(line: str) -> bool:
    return line.count("|") >= 1 and bool(line.strip()) and not line.lstrip().startswith("\t")


def blocks_from_text(text: str) -> list[Block]:
    """Return the blocks of a text dump: tab-cell runs and pipe rows as tables, other lines as paragraphs."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("\t"):
            rows, i = _tab_table(lines, i)
            blocks.append(Table(rows))
            continue
        if _is_pipe_row(line) and not _MD_HEADING.match(line):
            rows = []
            while i < len(lines) and (_is_pipe_row(lines[i]) or _MD_RULE.match(lines[i])):
                if not _MD_RULE.match(lines[i]):
                    rows.append(_pipe_cells(lines[i]))
                i += 1
            blocks.append(Table(rows))
            continue
        stripped = _MD_HEADING.sub("", line).strip()
        if stripped:
            blocks.append(Paragraph(stripped))
        i += 1
    return blocks


def _tab_table(lines: list[str], i: int) -> tuple[list[list[str | None]], int]:
    """Return the rows of a one-cell-per-tab-line table starting at line i, and the next line index.

    Cells start with a tab; a line without one continues the cell above; a blank line ends a row.
    """
    rows: list[list[str | None]] = []
    row: list[str | None] = []
    prev_blank = False
    while i < len(lines):
        line = lines[i]
        if line.startswith("\t"):
            row.append(line[1:])
            prev_blank = False
        elif not line.strip():
            if row:
                rows.append(row)
                row = []
            prev_blank = True
        elif prev_blank or not row:
            break
        else:
            row[-1] = f"{row[-1]}\n{line}"
        i += 1
    if row:
        rows.append(row)
    return rows, i


def read_text(data: bytes, carrier: str = "text") -> Document:
    """Return the Document of a plain-text or Markdown file."""
    # Before the lines are read: a zero-width space inside a number would make a table row's cell a word.
    return Document(blocks_from_text(visible(decode(data))), carrier=carrier)
