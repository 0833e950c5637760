"""OFD (GB/T 33190): the pages' characters and ruling lines through the same table path as a PDF's.

The package is read here directly with lxml (ofd_package.py): the OFD libraries on PyPI give text
runs at best, not each glyph's box nor the path objects that rule a table. Ruled tables are found
by pdfplumber's own table finder on the page's edges (the lattice a PDF's ruling lines go through),
and the rest of the words by the row rebuilder of PDFs drawn without ruling lines (pdf_rows).
A package whose pages draw only pictures (ImageObjects: a scan kept as OFD) is read by local OCR, as
an image-only PDF is (readers/image.py); one whose text pages stand beside pictures wide enough to hold a table
(tables scanned in) counts them, and `read_ofd_pictures` reads them by OCR where they stand, as a PDF's.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from typing import Any

from pdfplumber.table import TableFinder
from pdfplumber.utils.text import chars_to_textmap, extract_words

from ..errors import Corrupt, ExtractionError, NoText, TooLarge
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


WIDE_SHARE = 0.4
"""A picture at least this share of its page's width may hold a table drawn as a picture (a seal or a logo is
narrower), as in a PDF (`pdf_layer.wide_pictures`)."""


def _wide(page: OfdPage) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Return the page's pictures wide enough to hold a table, as (package member, box)."""
    return [(member, box) for member, box in page.images if box[2] - box[0] >= WIDE_SHARE * page.width]


def page_blocks(page: OfdPage, pictured: list[tuple[float, Block]] | None = None) -> list[Block]:
    """Return one page's blocks, top to bottom: ruled tables as grids, other words as rebuilt rows or lines;
    `pictured`: blocks OCR read in the page's pictures, each at its picture's top (in the order read)."""
    placed: list[tuple[float, Block]] = list(pictured or [])
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
    for member, box in images:
        if (picture := _picture(ofd, member, box)) is not None:
            yield picture


def _picture(ofd: OfdDocument, member: str, box: tuple[float, float, float, float]) -> tuple[Any, float] | None:
    """Return the picture a package member holds, drawn in `box`, as (grey image of its first frame, points per pixel
    as drawn), or None where it has none. Raises Corrupt for a member that cannot be read, and image_pages' errors
    for a picture refused (a bomb)."""
    try:
        data = ofd.member(member)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise Corrupt(f"unreadable OFD picture {member}: {type(exc).__name__}") from None
    image = next(image_pages(data), (None, 0.0))[0]
    return None if image is None else (image, (box[2] - box[0]) / max(image.width, 1))


def read_ofd(data: bytes) -> Document:
    """Return the Document of an OFD package; one whose pages draw only pictures (a scan) is read by local OCR.

    Raises Corrupt, Bomb or TooLarge for a damaged or hostile package (ofd_package.read_package) and
    NoText where its pages draw neither text nor pictures, or OCR finds no text in them (or no engine is installed).
    """
    ofd = read_package(data)
    pages: list[list[Block]] = []
    images: list[tuple[str, tuple[float, float, float, float]]] = []
    wide = 0
    for page in ofd.pages:
        pages.append(page_blocks(page))
        images += page.images
        wide += len(_wide(page))
        page.chars, page.edges = [], []  # laid out: free the page before the next
    blocks = join_pages(pages)  # a table row a page break cut in two, joined as in a PDF
    if not any(isinstance(b, Table) or b.text for b in blocks):
        if not images:
            raise NoText("OFD has no text and no pictures")
        doc = read_pages(_pictures(ofd, images), "ofd")
        doc.title, doc.meta = ofd.meta.get("Title") or None, ofd.meta
        return doc
    return Document(blocks, carrier="ofd", title=ofd.meta.get("Title") or None, meta=ofd.meta, pictures=wide)


def read_ofd_pictures(data: bytes) -> Document | None:
    """Return the OcrDocument of an OFD whose wide pictures (tables drawn as pictures) are read by local OCR where
    they stand, its text read as text; None where it shows none OCR could read or no OCR engine is installed. A
    picture that cannot be read (a damaged member, a bomb) is left unread and counted among `pictures`."""
    from .image import OcrDocument, picture_blocks
    from .ocr import choose

    try:
        ocr = choose()
    except ExtractionError:  # no engine installed
        return None
    ofd = read_package(data)
    pages: list[list[Block]] = []
    words: dict[int, Any] = {}  # id of an OCR block -> its cells' OCR words
    pictures = read = 0
    for page in ofd.pages:
        pictured: list[tuple[float, Block]] = []
        wide = _wide(page)
        pictures += len(wide)
        for member, box in wide:
            if read >= MAX_OCR_PAGES:
                break
            try:
                picture = _picture(ofd, member, box)
            except ExtractionError:
                continue
            if picture is not None:
                pictured += picture_blocks(ocr, box[1], picture, words)
                read += 1
        pages.append(page_blocks(page, pictured))
        page.chars, page.edges = [], []
    if not read:
        return None
    blocks = join_pages(pages)
    doc = OcrDocument(blocks, carrier="ofd", title=ofd.meta.get("Title") or None, meta=ofd.meta, engine=ocr.name,
                      readings={i: words[id(b)] for i, b in enumerate(blocks) if id(b) in words})  # fmt: skip
    doc.pictures, doc.read_pictures = pictures - read, read
    return doc
