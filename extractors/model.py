"""What a reader hands to the report parser: paragraphs and table grids, in document order."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Paragraph:
    """A run of prose (one paragraph or one line of a text dump)."""

    text: str


@dataclass(slots=True)
class Table:
    """A table grid in reading order.

    Each row is a list of cells; a cell is its text (`""` for an empty cell) or `None` where the
    position is covered by a neighbour's rowspan/colspan and has no cell of its own.
    """

    rows: list[list[str | None]]


Block = Paragraph | Table


@dataclass(slots=True)
class Document:
    """A read document: its blocks in order, the carrier that was read and any title metadata."""

    blocks: list[Block]
    carrier: str
    title: str | None = None
    meta: dict[str, str] = field(default_factory=dict)
    pictures: int = 0
    """Pictures shown among the text that were not read (HTML `<img>`, Word drawings, wide PDF images): a table
    drawn as one is missing from the blocks."""
    shown: list[tuple[int, str]] = field(default_factory=list)
    """The pictures that may hold text (a page's: extractors/pictures.py; a Word file's wide drawings), in order:
    (the index of the block they come before, their address as written or relationship id). Where their bytes are
    at hand, OCR may read them (api.py)."""
    attached: dict[str, bytes] = field(default_factory=dict)
    """The bytes of pictures of `shown` the document holds itself (a Word file's media), by their address."""
    read_pictures: int = 0
    """Pictures read by OCR into the blocks."""
    spelt: float | None = None
    """The share of the text layer's letters that are Chinese characters in common use (a PDF's, extractors/legible.py;
    None: not judged; ASCII letters counted where they are most of its letters, `legible.latin_share`). Under 1, some
    of its fonts may map their glyphs to the wrong characters."""

    def text(self) -> str:
        """Return the document's plain text: paragraphs and table rows, one per line."""
        lines: list[str] = []
        for block in self.blocks:
            if isinstance(block, Paragraph):
                lines.append(block.text)
            else:
                for row in block.rows:
                    lines.append("\t".join(c for c in row if c))
        return "\n".join(lines)
