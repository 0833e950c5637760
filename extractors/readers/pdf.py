"""PDF with a text layer: pdfplumber tables as grids, the remaining lines as paragraphs, in page order.

PDFium reads the characters and paths (pdf_pages, pdf_layer) after every stream was decoded once
against the inflate budget here (pdf_streams); pdfplumber's table finder and word grouping work on them.
"""

from __future__ import annotations

import io
import logging
import threading
import zlib
from bisect import bisect_left
from contextvars import ContextVar
from types import SimpleNamespace
from typing import Any, NoReturn

from ..errors import Bomb, Corrupt, Encrypted, ExtractionError, NoText, TooLarge
from ..legible import MIN_SHARE, shares, unspelt
from ..limits import PDF_PAGE_OBJECTS, PDF_STREAM_BYTES, PDF_TOTAL_BYTES
from ..model import Block, Document, Paragraph, Table
from . import pdf_pages, pdf_streams
from .pdf_layer import Fonts
from .pdf_rows import rebuild
from .pdf_tables import join_pages

MAX_PAGES = 300
for _name in ("pdfminer", "pdfplumber"):
    logging.getLogger(_name).setLevel(logging.ERROR)

_OUT_STEP = 1024 * 1024  # inflate output per step: the most a stream ever gets past its budget
_IN_STEP = 64 * 1024  # compressed input per step: what is replayed byte by byte after a zlib error
_SLOW_SHARE = 16  # RunLength, ASCII85 and CCITT output is built from small Python objects: ~16 bytes a byte


class _Budget:
    """What the PDF being read may still inflate, and the refusal once it went over."""

    def __init__(self) -> None:
        self.left = PDF_TOTAL_BYTES
        self.refused: ExtractionError | None = None

    def cap(self) -> int:
        """Return the bytes the next stream may inflate to: the per-stream limit or what the file has left."""
        return min(PDF_STREAM_BYTES, self.left)

    def refuse(self, limit: int) -> NoReturn:
        """Raise (and remember, for pdfminer code that swallows errors) the refusal of a stream past `limit` bytes."""
        if self.refused is None:
            if limit == self.left < PDF_STREAM_BYTES:
                reason = f"PDF streams inflate past {PDF_TOTAL_BYTES} bytes in all: refused as a decompression bomb"
            else:
                reason = f"PDF stream inflates past {limit} bytes: refused as a decompression bomb"
            self.refused = Bomb(reason)
        raise self.refused

    def charge(self, out: bytes) -> bytes:
        """Return `out` once its size is taken off what is left."""
        self.left -= len(out)
        return out


_BUDGET: ContextVar[_Budget | None] = ContextVar("pdf_inflate_budget", default=None)


def _replay(d: Any, data: bytes, start: int, out: io.BytesIO, cap: int) -> bytes | None:
    """Return what pdfminer keeps of a damaged zlib stream, `d` being the inflater as it was at byte `start`.

    pdfminer then inflates byte by byte: damage in the last three bytes (the checksum) keeps the output,
    damage before them gives b"". Returns None past `cap` bytes.
    """
    for k in range(start, len(data)):
        try:
            got = d.decompress(data[k : k + 1])  # one byte inflates to a few hundred at most
        except zlib.error:
            return out.getvalue() if k >= len(data) - 3 else b""
        out.write(got)
        if out.tell() > cap:
            return None
        if d.eof:
            break
    return out.getvalue()


def _inflate(data: bytes, cap: int) -> bytes | None:
    """Return `data` inflated as pdfminer would (a cut-off stream keeps what came out), or None past `cap` bytes.

    Output comes _OUT_STEP at a time, so a bomb costs at most cap + _OUT_STEP bytes before it is refused.
    """
    d = zlib.decompressobj()
    out = io.BytesIO()
    pos, pending = 0, b""
    while not d.eof:
        if not pending and pos < len(data):
            pending = data[pos : pos + _IN_STEP]
            pos += len(pending)
        before = d.copy()
        try:
            got = d.decompress(pending, _OUT_STEP)
        except zlib.error:
            return _replay(before, data, pos - len(pending), out, cap)
        pending = d.unconsumed_tail
        if not got and not pending and pos >= len(data):
            break  # the input ran out before the end of the stream
        out.write(got)
        if out.tell() > cap:
            return None
    return out.getvalue()


def _flate(data: bytes) -> bytes:
    """Return `data` inflated: pdfminer's `zlib.decompress`, held to the budget while a PDF is being read."""
    budget = _BUDGET.get()
    if budget is None:
        return zlib.decompress(data)
    cap = budget.cap()
    got = _inflate(data, cap)
    if got is None:
        budget.refuse(cap)
    return budget.charge(got)


def _lzw(data: bytes) -> bytes:
    """Return `data` LZW-decoded, piece by piece against the budget while a PDF is being read."""
    from pdfminer.lzw import LZWDecoder

    budget = _BUDGET.get()
    out = io.BytesIO()
    for piece in LZWDecoder(io.BytesIO(data)).run():
        out.write(piece)
        if budget is not None and out.tell() > budget.cap():
            budget.refuse(budget.cap())
    return budget.charge(out.getvalue()) if budget is not None else out.getvalue()


def _runlength_size(data: bytes) -> int:
    """Return the bytes a RunLengthDecode stream expands to, read from its run headers alone."""
    size = i = 0
    while i < len(data) and data[i] != 128:
        n = data[i]
        size += n + 1 if n < 128 else 257 - n
        i += n + 2 if n < 128 else 2
    return size


def _slow_filter(decode: Any, bound: Any) -> Any:
    """Return `decode` refusing, while a PDF is being read, input whose output `bound(data, params)` is too large."""

    def guarded(data: bytes, *params: Any) -> bytes:
        budget = _BUDGET.get()
        if budget is None:
            return decode(data, *params)
        limit = budget.cap() // _SLOW_SHARE
        if bound(data, *params) > limit:
            budget.refuse(limit)
        return budget.charge(decode(data, *params))

    return guarded


def _ccitt_bound(data: bytes, params: Any) -> int:
    """Return the most a CCITT stream can expand to: a row (Columns bits) for every bit of input."""
    cols = params.get("Columns") if isinstance(params, dict) else None
    return len(data) * 8 * ((cols + 7) // 8) if isinstance(cols, int) else 0


_INSTALL_LOCK = threading.Lock()


def _install_budget() -> None:
    """Route pdfminer's expanding stream filters through the budget (outside read_pdf: as before)."""
    from pdfminer import pdftypes

    # The crawler reads PDFs in several threads at once: the hooks must go in exactly once.
    with _INSTALL_LOCK:
        if not getattr(pdftypes, "_nianbao_budgeted", False):
            _install_hooks(pdftypes)


def _install_hooks(pdftypes: Any) -> None:
    """Replace pdfminer's expanding filters with budgeted ones (under `_INSTALL_LOCK`)."""
    names = ("zlib", "lzwdecode", "rldecode", "ascii85decode", "ccittfaxdecode")
    missing = [n for n in names if not hasattr(pdftypes, n)]
    if missing:
        # Fail closed: without the hook a decompression bomb would be inflated whole.
        raise RuntimeError(f"pdfminer.pdftypes no longer has {missing}: the inflate budget cannot be installed")
    pdftypes.zlib = SimpleNamespace(decompress=_flate, decompressobj=zlib.decompressobj, error=zlib.error)
    pdftypes.lzwdecode = _lzw
    pdftypes.rldecode = _slow_filter(pdftypes.rldecode, _runlength_size)
    pdftypes.ascii85decode = _slow_filter(pdftypes.ascii85decode, lambda data: 4 * data.count(b"z") + len(data))
    pdftypes.ccittfaxdecode = _slow_filter(pdftypes.ccittfaxdecode, _ccitt_bound)
    pdftypes._nianbao_budgeted = True


def _centred_in(char: dict[str, Any], bbox: tuple[float, float, float, float]) -> bool:
    """Return True where the character's centre lies in `bbox`, as pdfplumber places a character in a cell."""
    x0, top, x1, bottom = bbox
    h_mid, v_mid = (char["x0"] + char["x1"]) / 2, (char["top"] + char["bottom"]) / 2
    return x0 <= h_mid < x1 and top <= v_mid < bottom


def _cells(found: Any, chars: list[dict[str, Any]]) -> list[list[str | None]]:
    """Return pdfplumber's `Table.extract()` of a found table, given the characters centred in it.

    The same placing (a character's centre in a row, then in a cell) and text, with the centres worked
    out once and each row's characters found by bisection, not by testing every character per row.
    """
    from pdfplumber.utils import extract_text

    h = [(c["x0"] + c["x1"]) / 2 for c in chars]
    v = [(c["top"] + c["bottom"]) / 2 for c in chars]
    order = sorted(range(len(chars)), key=v.__getitem__)
    centres = [v[n] for n in order]
    grid: list[list[str | None]] = []
    for row in found.rows:
        x0, top, x1, bottom = row.bbox
        band = order[bisect_left(centres, top) : bisect_left(centres, bottom)]
        in_row = sorted(n for n in band if x0 <= h[n] < x1)  # back in the page's order, as pdfplumber keeps it
        cells: list[str | None] = []
        for cell in row.cells:
            if cell is None:
                cells.append(None)
                continue
            cx0, ctop, cx1, cbottom = cell
            inside = [chars[n] for n in in_row if cx0 <= h[n] < cx1 and ctop <= v[n] < cbottom]
            cells.append(extract_text(inside) if inside else "")
        grid.append(cells)
    return grid


def _inside(obj: dict[str, Any], boxes: list[tuple[float, float, float, float]]) -> bool:
    x = (obj["x0"] + obj["x1"]) / 2
    y = (obj["top"] + obj["bottom"]) / 2
    return any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in boxes)


def _page_blocks(page: Any, pictured: list[tuple[float, Block]] | None = None) -> list[Block]:
    """Return one page's blocks: real tables as grids, everything else as text lines, top to bottom; `pictured`:
    blocks OCR read in the page's pictures, each at its picture's top (in the order read)."""
    placed: list[tuple[float, Block]] = list(pictured or [])
    boxes: list[tuple[float, float, float, float]] = []
    for found in page.find_tables():
        bbox = found.bbox  # pdfplumber merges every cell's box on each reading
        rows = _cells(found, [c for c in page.chars if _centred_in(c, bbox)])
        width = max((len(r) for r in rows), default=0)
        if width < 2:
            continue  # a framed text box, not a table: its text is read as lines below
        boxes.append(bbox)
        grid: list[list[str | None]] = [[None if c is None else c.strip() for c in r] for r in rows]
        placed.append((bbox[1], Table(grid)))
    rest = page.filter(lambda obj: obj.get("object_type") != "char" or not _inside(obj, boxes)) if boxes else page
    rebuilt = rebuild(rest.extract_words())
    if rebuilt is not None:
        placed.extend(rebuilt)
    else:
        for line in rest.extract_text_lines(layout=False, strip=True):
            text = line["text"].strip()
            if text:
                placed.append((line["top"], Paragraph(text)))
    placed.sort(key=lambda p: p[0])  # stable: a picture's blocks keep their order
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
    if isinstance(inner, ExtractionError):
        return inner  # the inflate budget's refusal, raised from inside pdfminer
    if isinstance(inner, PDFPasswordIncorrect | PDFEncryptionError):
        return Encrypted("encrypted PDF (password required)")
    detail = " ".join(str(inner).split())[:80]
    return Corrupt(f"unreadable PDF: {type(inner).__name__}" + (f": {detail}" if detail else ""))


def read_pdf(data: bytes) -> Document:
    """Return the Document of a PDF. Raises ExtractionError for encrypted, broken, bomb or image-only files."""
    descents, meta = _prepare(data)
    blocks, pictures, _, _ = _read_pages(data, descents)
    text = layer_text(blocks)
    if not text.strip():
        from .image import read_scanned_pdf  # a scan, or its glyphs drawn as paths (its ruled tables found empty)

        return read_scanned_pdf(data)
    share, letters, latin = shares(text)
    if share is not None and share < MIN_SHARE:
        return _read_illegible(data, unspelt(share, letters))
    if latin is not None:  # mostly Latin letters (a Chinese font's codes, or English): OCR reads it unless a report
        share = latin
    return Document(blocks, carrier="pdf", title=meta.get("Title") or None, meta=meta, pictures=pictures, spelt=share)


def layer_text(blocks: list[Block]) -> str:
    """Return the text of a document's blocks, its tables' cells included."""
    return "\n".join(b.text if isinstance(b, Paragraph) else "\n".join(c or "" for row in b.rows for c in row)
                     for b in blocks)  # fmt: skip


def read_pdf_pages(data: bytes) -> Document:
    """Return the OcrDocument of a PDF's every page rendered and read by local OCR (a text layer wrong in part).
    Raises NoText where OCR cannot read them."""
    from .image import read_scanned_pdf

    return read_scanned_pdf(data, every=True)


def _read_illegible(data: bytes, why: str) -> Document:
    """Return the OcrDocument of a PDF whose text layer does not spell its text (`why`): its pages rendered and read
    by local OCR, as a scan's are. Raises NoText, saying both, where OCR cannot read them."""
    try:
        return read_pdf_pages(data)
    except (NoText, TooLarge) as exc:  # no engine, none found, over the OCR limits: said with why OCR was needed
        raise type(exc)(f"its text layer does not spell its text ({why}); {exc}") from None


def _prepare(data: bytes) -> tuple[dict[str, float | None], dict[str, str]]:
    """Return the font descents and the metadata strings, every stream decoded once against a fresh budget first.

    Raises the budget's Bomb past it, or the ExtractionError of a file pdfminer cannot read.
    """
    from pdfminer import pdftypes

    _install_budget()
    budget = _Budget()
    token = _BUDGET.set(budget)
    try:
        try:
            descents = pdf_streams.scan(data, pdf_streams.filters_of(pdftypes, {"flate": _flate, "lzw": _lzw}))
        except pdf_streams.Unreadable:
            descents = None
        try:
            if descents is None:
                descents = pdf_streams.walk(data)
            return descents, _meta(data)
        except ExtractionError:
            raise
        except Exception as exc:  # pdfminer raises many types for broken files
            raise _pdf_error(exc) from None
    finally:
        _BUDGET.reset(token)


def _meta(data: bytes) -> dict[str, str]:
    """Return the document information strings as pdfplumber merges them (the oldest update's entry wins)."""
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfparser import PDFParser
    from pdfplumber.utils import resolve_and_decode

    merged: dict[str, Any] = {}
    for info in PDFDocument(PDFParser(io.BytesIO(data))).info:
        merged.update(info)
    out: dict[str, str] = {}
    for key, value in merged.items():
        try:
            value = resolve_and_decode(value)
        except Exception:
            continue  # pdfplumber drops an entry it cannot resolve
        if isinstance(value, str | bytes):
            out[key] = _meta_text(value)
    return out


def _read_pages(data: bytes, descents: dict[str, float | None], ocr: Any = None) -> tuple[list[Block], int,
        dict[int, Any], int]:  # fmt: skip
    """Return the blocks of every page, read with PDFium (one document at a time: PDFium is not thread-safe), a table
    row a page break cut in two joined again; the pictures wide enough to hold a table; and, with an OCR engine
    `ocr`, those pictures read by it where they stand: per block read so its OCR words (image.page_blocks), and how
    many pictures were read (at most MAX_OCR_PAGES)."""
    from .image import MAX_OCR_PAGES, MAX_PIXELS, picture_blocks

    pages: list[list[Block]] = []
    pictures = read = 0
    words: dict[int, Any] = {}  # id of an OCR block -> its cells' OCR words
    fonts = Fonts(descents.get)
    with pdf_pages.LOCK, pdf_pages.opened(data) as doc:
        count = pdf_pages.page_count(doc)
        if count > MAX_PAGES:
            raise TooLarge(f"PDF has {count} pages (limit {MAX_PAGES})")
        for page in pdf_pages.pages(doc, fonts, PDF_PAGE_OBJECTS, MAX_PIXELS if ocr is not None else 0):
            pictured: list[tuple[float, Block]] = []
            for top, image, scale in page.read_images[: max(MAX_OCR_PAGES - read, 0)]:
                pictured += picture_blocks(ocr, top, (image, scale), words)
                read += 1
            pages.append(_page_blocks(page, pictured))
            pictures += page.pictures
    blocks = join_pages(pages)
    return blocks, pictures, {i: words[id(b)] for i, b in enumerate(blocks) if id(b) in words}, read


def read_pdf_pictures(data: bytes) -> Document | None:
    """Return the Document of a PDF whose wide pictures (tables drawn as pictures) are read by local OCR where they
    stand, its text read as text; None where it shows none OCR could read or no OCR engine is installed."""
    from .image import OcrDocument
    from .ocr import choose

    try:
        ocr = choose()
    except ExtractionError:  # no engine installed
        return None
    descents, meta = _prepare(data)
    blocks, pictures, readings, read = _read_pages(data, descents, ocr)
    if not read:
        return None
    doc = OcrDocument(blocks, carrier="pdf", title=meta.get("Title") or None, meta=meta, engine=ocr.name,
                      readings=readings)  # fmt: skip
    doc.pictures, doc.read_pictures = pictures - read, read
    return doc
