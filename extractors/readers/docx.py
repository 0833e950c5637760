"""DOCX (and DOC/WPS once converted): paragraphs and tables in body order, merged cells once."""

from __future__ import annotations

import io
import zipfile

from ..errors import Bomb, Corrupt, ExtractionError, TooLarge
from ..model import Block, Document, Paragraph, Table

MAX_UNZIPPED = 200 * 1024 * 1024
MAX_RATIO = 200
MAX_MEMBERS = 5000
MAX_ROW_SPAN = 1000  # grid columns one table row may span (python-docx repeats a cell per spanned column)
MAX_CELLS = 200_000  # grid cells in all tables of a document
MAX_NESTING = 8  # tables inside table cells


def _one_line(exc: BaseException) -> str:
    """Return the first 80 characters of an exception's message on one line (lxml messages span lines)."""
    return " ".join(str(exc).split())[:80]


def check_zip(data: bytes, what: str) -> zipfile.ZipFile:
    """Return the opened archive after refusing zip bombs: too many members, too large, too compressed."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise Corrupt(f"corrupt {what} (bad zip: {_one_line(exc)})") from None
    if len(infos) > MAX_MEMBERS:
        raise TooLarge(f"{what} archive has {len(infos)} members (limit {MAX_MEMBERS})")
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > MAX_UNZIPPED or total / packed > MAX_RATIO:
        raise Bomb(f"{what} unpacks to {total} bytes (ratio {total // packed}): refused as a zip bomb")
    return zf


def _table(table: object, budget: list[int]) -> Table:
    rows: list[list[str | None]] = []
    # Merged cells come back once per grid position; the elements themselves (kept alive here) say which.
    seen: set[object] = set()
    for row in table.rows:  # type: ignore[attr-defined]
        width = sum(tc.grid_span for tc in row._tr.tc_lst)
        if width > MAX_ROW_SPAN:
            raise TooLarge(f"DOCX table row spans {width} columns (limit {MAX_ROW_SPAN})")
        budget[0] += width
        if budget[0] > MAX_CELLS:
            raise TooLarge(f"DOCX tables too large (over {MAX_CELLS} cells)")
        out: list[str | None] = []
        for cell in row.cells:
            tc = cell._tc
            if tc in seen:
                out.append(None)
                continue
            seen.add(tc)
            out.append("\n".join(p.text for p in cell.paragraphs).strip())
        rows.append(out)
    return Table(rows)


def _blocks(table: object, budget: list[int], depth: int = 0) -> list[Block]:
    """Return a table as blocks: one grid, or, for a layout table whose cells hold tables, its contents.

    Word reports are sometimes laid out inside an outer table; its cells' paragraphs and the data
    tables nested in them are read in order, as if they stood in the body.
    """
    from docx.table import Table as DocxTable
    from docx.table import _Cell

    if depth > MAX_NESTING:
        raise TooLarge(f"DOCX tables nested more than {MAX_NESTING} deep")
    # Physical cells straight from the XML: `row.cells` would expand every gridSpan first.
    tcs = [tc for tr in table._tbl.tr_lst for tc in tr.tc_lst]  # type: ignore[attr-defined]
    if not any(tc.tbl_lst for tc in tcs):
        return [_table(table, budget)]
    budget[0] += len(tcs)
    if budget[0] > MAX_CELLS:
        raise TooLarge(f"DOCX tables too large (over {MAX_CELLS} cells)")
    blocks: list[Block] = []
    for tc in tcs:
        for part in _Cell(tc, table).iter_inner_content():  # type: ignore[arg-type]
            if isinstance(part, DocxTable):
                blocks.extend(_blocks(part, budget, depth + 1))
            elif part.text.strip():
                blocks.append(Paragraph(part.text.strip()))
    return blocks


def read_docx(data: bytes, carrier: str = "docx") -> Document:
    """Return the Document of a DOCX file. Raises ExtractionError for corrupt or hostile archives."""
    import docx
    from docx.table import Table as DocxTable

    zf = check_zip(data, "DOCX")
    if "word/document.xml" not in zf.namelist():
        raise Corrupt("not a Word document (no word/document.xml)")
    try:
        document = docx.Document(io.BytesIO(data))
        blocks: list[Block] = []
        budget = [0]
        for part in document.iter_inner_content():
            if isinstance(part, DocxTable):
                blocks.extend(_blocks(part, budget))
            else:
                text = part.text.strip()
                if text:
                    blocks.append(Paragraph(text))
        title = (document.core_properties.title or "").strip() or None
    except ExtractionError:
        raise
    except Exception as exc:  # python-docx and lxml raise many types on broken parts
        raise Corrupt(f"corrupt {carrier.upper()}: {type(exc).__name__}: {_one_line(exc)}") from None
    return Document(blocks, carrier=carrier, title=title)
