"""PDF with a text layer: pdfplumber tables as grids, the remaining lines as paragraphs, in page order."""

from __future__ import annotations

import io
import logging
from typing import Any

from ..errors import Corrupt, Encrypted, ExtractionError, NoText, TooLarge
from ..model import Block, Document, Paragraph, Table
from .pdf_rows import rebuild

MAX_PAGES = 300
for _name in ("pdfminer", "pdfplumber"):
    logging.getLogger(_name).setLevel(logging.ERROR)


def _inside(obj: dict[str, Any], boxes: list[tuple[float, float, float, float]]) -> bool:
    x = (obj["x0"] + obj["x1"]) / 2
    y = (obj["top"] + obj["bottom"]) / 2
    return any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in boxes)


def _page_blocks(page: Any) -> list[Block]:
    """Return one page's blocks: real tables as grids, everything else as text lines, top to bottom."""
    placed: list[tuple[float, Block]] = []
    boxes: list[tuple[float, float, float, float]] = []
    for found in page.find_tables():
        rows = found.extract()
        width = max((len(r) for r in rows), default=0)
        if width < 2:
            continue  # a framed text box, not a table: its text is read as lines below
        boxes.append(found.bbox)
        grid: list[list[str | None]] = [[None if c is None else c.strip() for c in r] for r in rows]
        placed.append((found.bbox[1], Table(grid)))
    rest = page.filter(lambda obj: obj.get("object_type") != "char" or not _inside(obj, boxes)) if boxes else page
    rebuilt = rebuild(rest.extract_words())
    if rebuilt is not None:
        placed.extend(rebuilt)
    else:
        for line in rest.extract_text_lines(layout=False, strip=True):
            text = line["text"].strip()
            if text:
                placed.append((line["top"], Paragraph(text)))
    placed.sort(key=lambda p: p[0])
    return [b for _, b in placed]


def _meta_text(value: str | bytes) -> str:
    """Return a metadata string, undoing pdfminer's Latin-1 view of UTF-16 strings."""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if value.startswith(("\u00fe\u00ff", "\u00ff\u00fe")):
        try:
            return value.encode("latin-1").decode("utf-16").strip("\x00 ")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return ""
    return value.strip("\x00 ")


def _pdf_error(exc: Exception) -> ExtractionError:
    """Return the ExtractionError for a pdfminer failure, looking inside pdfplumber's PdfminerException wrapper."""
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc
    if isinstance(inner, PDFPasswordIncorrect | PDFEncryptionError):
        return Encrypted("encrypted PDF (password required)")
    detail = " ".join(str(inner).split())[:80]
    return Corrupt(f"unreadable PDF: {type(inner).__name__}" + (f": {detail}" if detail else ""))


def read_pdf(data: bytes) -> Document:
    """Return the Document of a PDF. Raises ExtractionError for encrypted, broken or image-only files."""
    import pdfplumber

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception as exc:  # pdfminer raises many types for broken files
        raise _pdf_error(exc) from None
    blocks: list[Block] = []
    try:
        with pdf:
            if len(pdf.pages) > MAX_PAGES:
                raise TooLarge(f"PDF has {len(pdf.pages)} pages (limit {MAX_PAGES})")
            for page in pdf.pages:
                blocks.extend(_page_blocks(page))
                page.flush_cache()
            meta = {k: _meta_text(v) for k, v in (pdf.metadata or {}).items() if isinstance(v, str | bytes)}
    except ExtractionError:
        raise
    except Exception as exc:
        raise _pdf_error(exc) from None
    if not any(isinstance(b, Table) or b.text for b in blocks):
        raise NoText("PDF has no text layer (scanned image?)")
    return Document(blocks, carrier="pdf", title=meta.get("Title") or None, meta=meta)
