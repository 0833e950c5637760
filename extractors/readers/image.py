"""Scanned reports: JPG/PNG/TIFF pages and image-only PDFs read by local OCR (readers/ocr.py).

Each page's words, in points, go through the same row rebuilder as PDFs drawn without ruling
lines (pdf_rows.rebuild); a page without such a table is read as lines. The document keeps, for
every table cell that holds a number, the OCR word it came from (its confidence and alternative
readings), for ocr_confirm to doubt what the table's arithmetic does not confirm.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from statistics import median
from typing import Any

from ..errors import Bomb, Corrupt, NoText, TooLarge
from ..model import Block, Document, Paragraph, Table
from ..values import is_number_like
from .ocr import Engine, OcrWord, choose
from .pdf_rows import rebuild

OCR_DPI = int(os.environ.get("NIANBAO_OCR_DPI", "200"))
"""Resolution image-only PDF pages are rendered at for OCR (bench/results/ocr.json: 200 reads as well as 300)."""
MAX_OCR_PAGES = 60
"""Pages of a scan read by OCR, at a few seconds each; a longer scan is refused (no report is that long)."""
MAX_PIXELS = 60_000_000
"""Pixels of one page image (A4 at 600 dpi is 35 million): a larger one is refused as a decompression bomb."""
A4_INCHES = (8.27, 11.69)
SCREEN_WIDTH_PX = 2000
"""A picture this wide or narrower, stating no print resolution, is drawn for a screen (about 96 pixels an inch)."""
UPSCALE = 3
"""A screen picture is enlarged this many times before OCR, as if scanned at ~300 dpi: the five bundled reports'
tables as screenshots read 884/990 cells right as they are, 919 enlarged 1.5×, 982 2×, 987 3× (none wrong)."""
ENLARGED_PIXELS = 12_000_000
"""An enlarged picture stays under this many pixels (an A4 page at ~340 dpi): OCR's time and memory grow with it."""


@dataclass(slots=True)
class OcrDocument(Document):
    """A Document read by OCR, with the recognised word behind each number cell of its tables."""

    readings: dict[int, list[OcrWord | None]] = field(default_factory=dict)
    """Block index → one entry per cell of the block's (single) row, or per word of a line of text holding
    numbers: the OCR word of a number, else None."""
    engine: str = ""
    """The OCR engine that read it."""


def _line_paragraphs(words: list[OcrWord]) -> list[tuple[float, Block]]:
    """Return the words as text lines (top, Paragraph), top to bottom."""
    if not words:
        return []
    height = median(w.bottom - w.top for w in words) or 1.0
    lines: list[list[OcrWord]] = []
    for w in sorted(words, key=lambda w: ((w.top + w.bottom) / 2, w.x0)):
        cy = (w.top + w.bottom) / 2
        if lines and abs((lines[-1][0].top + lines[-1][0].bottom) / 2 - cy) <= 0.45 * height:
            lines[-1].append(w)
        else:
            lines.append([w])
    out: list[tuple[float, Block]] = []
    for line in lines:
        line.sort(key=lambda w: w.x0)
        out.append((min(w.top for w in line), Paragraph(" ".join(w.text for w in line))))
    return out


def _cell_words(row: list[str | None], top: float, words: list[OcrWord], used: set[int], height: float) -> list[
        OcrWord | None]:  # fmt: skip
    """Return, for each cell of a rebuilt row starting at `top`, the unused number word it was read from."""
    near = sorted(
        (w for w in words if id(w) not in used and abs(w.top - top) <= height and is_number_like(w.text)),
        key=lambda w: w.x0,
    )
    out: list[OcrWord | None] = []
    start = 0
    for cell in row:
        found = None
        if cell and is_number_like(cell):
            for k in range(start, len(near)):
                if near[k].text == cell:
                    found, start = near[k], k + 1
                    used.add(id(found))
                    break
        out.append(found)
    return out


def page_blocks(words: list[OcrWord]) -> tuple[list[Block], list[list[OcrWord | None] | None]]:
    """Return one page's blocks from its OCR words, and per block the OCR words of its cells (None: a paragraph)."""
    placed = rebuild([w.as_dict() for w in words if w.text])
    if placed is None:
        placed = _line_paragraphs(words)
    height = median(w.bottom - w.top for w in words) if words else 1.0
    used: set[int] = set()
    blocks: list[Block] = []
    cells: list[list[OcrWord | None] | None] = []
    for top, block in placed:
        blocks.append(block)
        if isinstance(block, Table) and len(block.rows) == 1:
            cells.append(_cell_words(block.rows[0], top, words, used, height))
        elif isinstance(block, Paragraph) and any(is_number_like(t) for t in block.text.split()):
            cells.append(_cell_words(block.text.split(), top, words, used, height))  # a row of values read as text
        else:
            cells.append(None)
    return blocks, cells


def picture_blocks(ocr: Engine, top: float, picture: tuple[Any, float], words: dict[int, Any]
                   ) -> list[tuple[float, Block]]:  # fmt: skip
    """Return the blocks OCR reads in a picture on a page (grey image, points per pixel), each at the picture's `top`
    in the order read; the OCR words of each block's cells go into `words` by the block's id."""
    placed: list[tuple[float, Block]] = []
    blocks, cells = page_blocks(ocr.words(*for_ocr(picture)))
    for block, got in zip(blocks, cells, strict=True):
        placed.append((top, block))
        if got is not None:
            words[id(block)] = got
    return placed


def read_pages(pages: Iterator[tuple[Any, float]], carrier: str, ocr: Engine | None = None) -> OcrDocument:
    """Return the OcrDocument of page images given as (PIL image, points per pixel).

    Raises NoText where OCR finds no words at all, or where no OCR engine is installed.
    """
    ocr = ocr or choose()
    doc = OcrDocument([], carrier=carrier, engine=ocr.name)
    seen = 0
    for image, scale in pages:
        seen += 1
        blocks, cells = page_blocks(ocr.words(image, scale))
        for block, words in zip(blocks, cells, strict=True):
            if words is not None:
                doc.readings[len(doc.blocks)] = words
            doc.blocks.append(block)
    if not seen:
        raise NoText("no text: no text layer and no page images")
    if not any(isinstance(b, Table) or b.text for b in doc.blocks):
        raise NoText(f"no text: no text layer, and OCR ({ocr.name}) found none in its images")
    return doc


def _scale(image: Any) -> float:
    """Return points per pixel of a page image: from its stated dpi, else as if it were an A4 page."""
    dpi = image.info.get("dpi")
    if isinstance(dpi, tuple) and dpi and 50 <= float(dpi[0]) <= 2400:
        return 72.0 / float(dpi[0])
    width, height = image.size
    inches = A4_INCHES[1] if width > height else A4_INCHES[0]
    return 72.0 * inches / max(width, 1)


def image_pages(data: bytes) -> Iterator[tuple[Any, float]]:
    """Yield the frames of a JPG/PNG/TIFF file as (grey image, points per pixel), refusing bombs and long scans."""
    from PIL import Image, ImageSequence, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise Corrupt(f"unreadable image: {type(exc).__name__}") from None
    frames = getattr(image, "n_frames", 1)
    if frames > MAX_OCR_PAGES:
        raise TooLarge(f"image has {frames} pages (OCR limit {MAX_OCR_PAGES})")
    for frame in ImageSequence.Iterator(image):
        width, height = frame.size
        if width * height > MAX_PIXELS:
            raise Bomb(f"image page of {width}×{height} pixels is over {MAX_PIXELS}: refused as a decompression bomb")
        try:
            grey = frame.convert("L")
        except (OSError, ValueError, SyntaxError) as exc:
            raise Corrupt(f"unreadable image: {type(exc).__name__}") from None
        yield grey, _scale(frame)


def for_ocr(page: tuple[Any, float]) -> tuple[Any, float]:
    """Return a picture (grey image, points per pixel) as OCR reads it best: a screen picture enlarged UPSCALE times,
    or less where that would pass ENLARGED_PIXELS (not under 1.5 times: then as it is), a scan as it is."""
    from PIL import Image

    image, scale = page
    dpi = image.info.get("dpi")
    printed = isinstance(dpi, tuple) and dpi and float(dpi[0]) >= 150
    factor = min(UPSCALE, (ENLARGED_PIXELS / max(image.width * image.height, 1)) ** 0.5)
    if printed or image.width > SCREEN_WIDTH_PX or factor < 1.5:
        return image, scale
    size = (round(image.width * factor), round(image.height * factor))
    return image.resize(size, Image.Resampling.LANCZOS), scale / factor


def read_image(data: bytes, carrier: str) -> OcrDocument:
    """Return the OcrDocument of a JPG/PNG/TIFF scan. Raises ExtractionError (Corrupt, Bomb, NoText, …)."""
    return read_pages(image_pages(data), carrier)


def _render(pdf: Any, index: int, dpi: int, every: bool = False) -> Any:
    """Return page `index` of an open PDFium document rendered grey at `dpi`, or None where it draws nothing OCR
    could read: no picture and no path (glyphs drawn as paths) — unless `every` page is wanted."""
    from pypdfium2.raw import FPDF_PAGEOBJ_IMAGE, FPDF_PAGEOBJ_PATH

    page = pdf[index]
    try:
        drawn = [FPDF_PAGEOBJ_IMAGE, FPDF_PAGEOBJ_PATH]
        if not every and not any(True for _ in page.get_objects(filter=drawn, max_depth=3)):
            return None  # nothing OCR could read
        width, height = page.get_size()
        if width * height * (dpi / 72) ** 2 > MAX_PIXELS:
            raise Bomb(f"scanned PDF page of {width:.0f}×{height:.0f} points is too large to render")
        return page.render(scale=dpi / 72, grayscale=True).to_pil()
    finally:
        page.close()


def _pdf_pages(data: bytes, dpi: int, every: bool = False) -> Iterator[tuple[Any, float]]:
    """Yield the pages of a PDF that draw a picture or a path (`every` page: all) rendered at `dpi` as (grey image,
    points per pixel), one at a time.

    PDFium is not thread-safe: every call holds the readers' PDFium lock, released while a page is read by OCR.
    """
    import pypdfium2 as pdfium

    from .pdf_pages import LOCK

    with LOCK:
        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            raise Corrupt(f"unreadable PDF: {exc}") from None
        pages = len(pdf)
    try:
        scanned = 0
        for index in range(pages):
            with LOCK:
                image = _render(pdf, index, dpi, every)
            if image is None:
                continue
            scanned += 1
            if scanned > MAX_OCR_PAGES:
                raise TooLarge(f"scanned PDF has over {MAX_OCR_PAGES} pages of images (the OCR limit)")
            yield image, 72.0 / dpi
    finally:
        with LOCK:
            pdf.close()


def read_scanned_pdf(data: bytes, dpi: int = OCR_DPI, every: bool = False) -> OcrDocument:
    """Return the OcrDocument of a PDF without a text layer, its pages rendered at `dpi` and read by OCR: those that
    draw a picture or a path (a scan; glyphs drawn as paths), or `every` page (a PDF whose fonts do not say what
    their glyphs are)."""
    return read_pages(_pdf_pages(data, dpi, every), "pdf")


def is_ocr(doc: Document) -> bool:
    """True where the document was read by OCR."""
    return isinstance(doc, OcrDocument)


__all__ = [
    "OCR_DPI", "OcrDocument", "for_ocr", "image_pages", "is_ocr", "page_blocks", "read_image", "read_pages",
    "read_scanned_pdf",
]  # fmt: skip
