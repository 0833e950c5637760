"""OFD (GB/T 33190): the pages' characters and ruling lines through the same table path as a PDF's.

The package is read here directly with lxml (ofd_package.py): the OFD libraries on PyPI give text
runs at best, not each glyph's box nor the path objects that rule a table. Ruled tables are found
by pdfplumber's own table finder on the page's edges (the lattice a PDF's ruling lines go through),
and the rest of the words by the row rebuilder of PDFs drawn without ruling lines (pdf_rows).
A package whose pages draw only pictures (ImageObjects: a scan kept as OFD) is read by local OCR, as
an image-only PDF is (readers/image.py).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from typing import Any

from pdfplumber.table import TableFinder
from pdfplumber.utils.text import chars_to_textmap, extract_words

from ..errors import Corrupt, NoText, TooLarge
from ..model import Block, Document, Paragraph, Table
from .image import MAX_OCR_PAGES, image_pages, read_pages
from .ofd_package import OfdDocument, OfdPage, read_package
from .pdf_rows import rebuild
from .pdf_tables import join_pages


class _Surface:
    """The part of a pdfplumber page the table finder reads (its box, chars and edges), over an OFD page."""

    def __init__(self, page: OfdPage) -> None:
        self.bbox = (0.0, 0.0, page.width, page.height)
        self.chars = page.chars
        self.edges = page.edges


def _inside(char: dict[str, Any], boxes: list[tuple[float, float, float, float]]) -> bool:
    """True where the centre of `char` lies in one of `boxes` (x0, top, x1, bottom)."""
    x = (char["x0"] + char["x1"]) / 2
    y = (char["top"] + char["bottom"]) / 2
    return any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in boxes)


def page_blocks(page: OfdPage) -> list[Block]:
    """Return one page's blocks, top to bottom: ruled tables as grids, other words as rebuilt rows or lines."""
    placed: list[tuple[float, Block]] = []
    boxes: list[tuple[float, float, float, float]] = []
    surface = _Surface(page)
    for found in TableFinder(surface).tables if page.edges else ():
        box = found.bbox  # a property that walks every cell
        surface.chars = [c for c in page.chars if _inside(c, [box])]  # extract scans these once per row
        rows = found.extract()
        if max((len(r) for r in rows), default=0) < 2:
            continue  # a frame around text, not a table: its text is read as lines below
        boxes.append(box)
        placed.append((box[1], Table([[None if c is None else c.strip() for c in r] for r in rows])))
    rest = [c for c in page.chars if not _inside(c, boxes)] if boxes else page.chars
    rebuilt = rebuild(extract_words(rest)) if rest else None
    if rebuilt is not None:
        placed.extend(rebuilt)
    elif rest:
        for line in chars_to_textmap(rest, layout=False).extract_text_lines(strip=True):
            if line["text"].strip():
                placed.append((line["top"], Paragraph(line["text"].strip())))
    placed.sort(key=lambda p: p[0])
    return [b for _, b in placed]


def _pictures(ofd: OfdDocument, images: list[tuple[str, tuple[float, float, float, float]]]) -> Iterator[
        tuple[Any, float]]:  # fmt: skip
    """Yield the pictures of a scan kept as OFD as (grey image, points per pixel as each is drawn), one at a time."""
    if len(images) > MAX_OCR_PAGES:
        raise TooLarge(f"OFD has {len(images)} pictures to read by OCR (limit {MAX_OCR_PAGES})")
    for member, (x0, _, x1, _) in images:
        try:
            data = ofd.member(member)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise Corrupt(f"unreadable OFD picture {member}: {type(exc).__name__}") from None
        image, _ = next(image_pages(data), (None, 0.0))
        if image is not None:
            yield image, (x1 - x0) / max(image.width, 1)


def read_ofd(data: bytes) -> Document:
    """Return the Document of an OFD package; one whose pages draw only pictures (a scan) is read by local OCR.

    Raises Corrupt, Bomb or TooLarge for a damaged or hostile package (ofd_package.read_package) and
    NoText where its pages draw neither text nor pictures, or OCR finds no text in them (or no engine is installed).
    """
    ofd = read_package(data)
    pages: list[list[Block]] = []
    images: list[tuple[str, tuple[float, float, float, float]]] = []
    for page in ofd.pages:
        pages.append(page_blocks(page))
        images += page.images
        page.chars, page.edges = [], []  # laid out: free the page before the next
    blocks = join_pages(pages)  # a table row a page break cut in two, joined as in a PDF
    if not any(isinstance(b, Table) or b.text for b in blocks):
        if not images:
            raise NoText("OFD has no text and no pictures")
        doc = read_pages(_pictures(ofd, images), "ofd")
        doc.title, doc.meta = ofd.meta.get("Title") or None, ofd.meta
        return doc
    return Document(blocks, carrier="ofd", title=ofd.meta.get("Title") or None, meta=ofd.meta)
