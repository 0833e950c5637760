"""DOCX (and DOC/WPS once converted): paragraphs and tables in body order, merged cells once."""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..errors import Bomb, Corrupt, ExtractionError, TooLarge, Unsupported
from ..model import Block, Document, Paragraph, Table

MAX_UNZIPPED = 200 * 1024 * 1024  # all members together, as their headers declare
MAX_MEMBER = 100 * 1024 * 1024  # one member, as declared
MAX_XML = 64 * 1024 * 1024  # XML parts together: python-docx and openpyxl hold each one as an lxml tree
MAX_XML_TAGS = 4_000_000  # tags ("<") in those parts: ~180 bytes each through python-docx (42 MB of XML has 3.6M)
MAX_RATIO = 200  # unpacked / packed, for the archive and for each member over RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024  # smaller members may compress as well as they like: they cannot hurt
MAX_MEMBERS = 5000
MAX_ROW_SPAN = 1000  # grid columns one table row may span (python-docx repeats a cell per spanned column)
MAX_CELLS = 200_000  # grid cells in all tables of a document
MAX_NESTING = 8  # tables inside table cells
_READ_STEP = 1024 * 1024  # a member is inflated this much at a time when its real size is checked


def _one_line(exc: BaseException) -> str:
    """Return the first 80 characters of an exception's message on one line (lxml messages span lines)."""
    return " ".join(str(exc).split())[:80]


def _is_xml(name: str) -> bool:
    """True for the members the Office readers parse as XML."""
    return name.lower().endswith((".xml", ".rels"))


def _header_refusal(info: zipfile.ZipInfo, what: str) -> ExtractionError | None:
    """Return the refusal of one member on its header alone (method, size, ratio), or None."""
    name, size, packed = info.filename, info.file_size, info.compress_size
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        # zipfile inflates other methods a whole read at a time, without a bound; Office writes none of them.
        method = info.compress_type
        return Unsupported(f"{what} member {name} uses compression method {method} (only stored and deflated)")
    if size > MAX_MEMBER:
        return Bomb(f"{what} member {name} unpacks to {size} bytes (limit {MAX_MEMBER}): refused as a zip bomb")
    if size > RATIO_FLOOR and size > MAX_RATIO * packed:
        return Bomb(f"{what} member {name} inflates {size // max(packed, 1)}x to {size} bytes: refused as a zip bomb")
    return None


def _tags_in(zf: zipfile.ZipFile, info: zipfile.ZipInfo, what: str) -> int:
    """Return the number of tags ("<") in one member, inflated _READ_STEP at a time.

    zipfile's own `read()` inflates a deflated member whole before cutting it to the declared size, so a
    header that lies about the size would cost the real size in memory; reading in steps costs one step.
    The stream stops at the declared size, and a member longer than its header says fails its CRC there
    (BadZipFile: the caller refuses it as corrupt).
    """
    tags = 0
    with zf.open(info) as member:
        while chunk := member.read(_READ_STEP):
            tags += chunk.count(b"<")
    return tags


def check_zip(data: bytes, what: str, max_tags: int = MAX_XML_TAGS) -> zipfile.ZipFile:
    """Return the opened archive once every member has passed: count, method, declared sizes, ratios, real size.

    Each member is judged on its own, so a large stored (incompressible) member cannot dilute the ratio of a
    bomb beside it; then every member is inflated through a bounded reader to prove its header true, and the
    tags of the XML parts are counted against `max_tags`, since what the readers build grows with the tags.
    """
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise Corrupt(f"corrupt {what} (bad zip: {_one_line(exc)})") from None
    if len(infos) > MAX_MEMBERS:
        raise TooLarge(f"{what} archive has {len(infos)} members (limit {MAX_MEMBERS})")
    for info in infos:
        refusal = _header_refusal(info, what)
        if refusal is not None:
            raise refusal
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > MAX_UNZIPPED or total / packed > MAX_RATIO:
        raise Bomb(f"{what} unpacks to {total} bytes (ratio {total // packed}): refused as a zip bomb")
    xml = sum(i.file_size for i in infos if _is_xml(i.filename))
    if xml > MAX_XML:
        raise TooLarge(f"{what} XML parts unpack to {xml} bytes (limit {MAX_XML})")
    tags = 0
    try:
        for info in infos:
            n = _tags_in(zf, info, what)  # every member is read: its header is proven true or refused
            tags += n if _is_xml(info.filename) else 0
            if tags > max_tags:
                raise TooLarge(f"{what} XML parts hold over {max_tags} tags")
    except ExtractionError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError, zlib.error) as exc:
        raise Corrupt(f"corrupt {what} (bad zip: {_one_line(exc)})") from None
    return zf


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_TR, _TC, _P, _R, _TBL = _W + "tr", _W + "tc", _W + "p", _W + "r", _W + "tbl"
_WRAPPERS = frozenset(_W + tag for tag in ("hyperlink", "ins", "moveTo", "sdt", "sdtContent", "smartTag", "customXml",
                                           "fldSimple"))  # fmt: skip
"""Elements Word puts around what it shows (links, tracked insertions and moves, content controls, smart tags,
custom XML, simple fields): looked through. Deletions (`w:del`, `w:moveFrom`) and properties are not shown."""
_TCPR, _TRPR, _SPAN, _BEFORE = _W + "tcPr", _W + "trPr", _W + "gridSpan", _W + "gridBefore"
_VMERGE, _VAL = _W + "vMerge", _W + "val"
_EXTENT = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}extent"
_TXBX = _W + "txbxContent"
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_BLIP = "{http://schemas.openxmlformats.org/drawingml/2006/main}blip"
_EMBED = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}embed"
MIN_PICTURE_EMU = 2_520_000
"""A drawing this wide (7 cm) or wider may be a table drawn as a picture; a seal or a logo is narrower."""


def _number(parent: Any, tag: str, default: int) -> int:
    """Return the integer w:val of `parent`'s first `tag` child, or `default` where there is none (python-docx's)."""
    child = parent.find(tag) if parent is not None else None
    if child is None:
        return default
    value = child.get(_VAL)
    if value is None:
        raise ValueError(f"required '{tag.rsplit('}', 1)[-1]}' w:val attribute not present")
    return int(value)


def _continues(tc: Any) -> bool:
    """True where the cell continues a vertical merge from the row above (w:vMerge without val, or "continue")."""
    tc_pr = tc.find(_TCPR)
    merge = tc_pr.find(_VMERGE) if tc_pr is not None else None
    return merge is not None and merge.get(_VAL, "continue") == "continue"


@dataclass(slots=True)
class _Row:
    """One w:tr: its cells with their spans and where its grid starts."""

    cells: list[tuple[Any, int]]
    """(w:tc, gridSpan) in order."""
    before: int
    """w:gridBefore: grid columns left empty before the first cell."""

    def at(self, offset: int) -> Any:
        """Return the w:tc starting at grid column `offset` (python-docx's tc_at_grid_offset), or raise ValueError."""
        remaining = offset - self.before
        for tc, span in self.cells:
            if remaining < 0:
                break
            if remaining == 0:
                return tc
            remaining -= span
        raise ValueError(f"no `tc` element at grid_offset={offset}")


def _table(tbl: Any, budget: list[int]) -> Table:
    """Return a w:tbl as a grid, read from the XML as python-docx's `row.cells` reads it, merged cells once.

    A cell spanning columns (gridSpan) fills each; a cell continuing a vertical merge (vMerge) shows the
    cell it continues. Each position after a cell's first is None.
    """
    rows: list[_Row] = []
    grid: list[list[str | None]] = []
    seen: set[Any] = set()
    roots: dict[tuple[int, int], Any] = {}

    def root(index: int, offset: int) -> Any:
        """Return the cell a vertical merge reaching row `index` at `offset` starts from."""
        key = (index, offset)
        if key not in roots:
            if index < 0:
                raise ValueError("no tr above topmost tr in w:tbl")
            tc = rows[index].at(offset)
            roots[key] = root(index - 1, offset) if _continues(tc) else tc
        return roots[key]

    for tr in _within(tbl, _ROWS):
        row = _Row([(tc, _number(tc.find(_TCPR), _SPAN, 1)) for tc in _within(tr, _CELLS)],
                   _number(tr.find(_TRPR), _BEFORE, 0))  # fmt: skip
        width = sum(span for _, span in row.cells)
        if width > MAX_ROW_SPAN:
            raise TooLarge(f"DOCX table row spans {width} columns (limit {MAX_ROW_SPAN})")
        budget[0] += width
        if budget[0] > MAX_CELLS:
            raise TooLarge(f"DOCX tables too large (over {MAX_CELLS} cells)")
        out: list[str | None] = []
        offset = row.before
        for tc, span in row.cells:
            cell = root(len(rows) - 1, offset) if _continues(tc) else tc
            offset += span
            for _ in range(_number(cell.find(_TCPR), _SPAN, 1)):
                if cell in seen:
                    out.append(None)
                    continue
                seen.add(cell)
                out.append("\n".join(_text(p) for p in _within(cell, _PARAS)).strip())
        rows.append(row)
        grid.append(out)
    return Table(grid)


def _within(parent: Any, tags: frozenset[str]) -> Iterator[Any]:
    """Yield `parent`'s children whose tag is in `tags`, in order, looking through `_WRAPPERS` around them."""
    for child in parent.iterchildren():
        if child.tag in tags:
            yield child
        elif child.tag in _WRAPPERS:
            yield from _within(child, tags)


_RUNS, _ROWS, _CELLS, _PARAS = frozenset({_R}), frozenset({_TR}), frozenset({_TC}), frozenset({_P})
_CONTENT = frozenset({_P, _TBL})


def _text(p: Any) -> str:
    """Return a w:p's text as Word shows it: its runs' text (tabs and breaks included), those inside links,
    insertions, content controls and smart tags too, deleted and hidden (w:vanish) runs not."""
    return "".join(r.text for r in _within(p, _RUNS) if not _hidden(r))


_RPR, _VANISH = _W + "rPr", _W + "vanish"
_OFF = frozenset(("0", "false", "off"))


def _hidden(run: Any) -> bool:
    """True where a w:r is hidden text (w:vanish in its own properties): Word shows nothing of it."""
    props = run.find(_RPR)
    vanish = props.find(_VANISH) if props is not None else None
    return vanish is not None and (vanish.get(_VAL) or "true").lower() not in _OFF


def _blocks(tbl: Any, budget: list[int], depth: int = 0, shown: list[tuple[int, str]] | None = None, at: int = 0
            ) -> list[Block]:  # fmt: skip
    """Return a w:tbl as blocks: one grid, or, for a layout table whose cells hold tables, its contents.

    Word reports are sometimes laid out inside an outer table; its cells' paragraphs and the data
    tables nested in them are read in order, as if they stood in the body. With `shown`, the wide drawings in a
    grid's cells (a picture framed by a one-cell table) are noted as coming after it; `at`: the index in the
    document's blocks the table's first block takes.
    """
    if depth > MAX_NESTING:
        raise TooLarge(f"DOCX tables nested more than {MAX_NESTING} deep")
    # Physical cells straight from the XML: python-docx's `row.cells` would expand every gridSpan first.
    tcs = [tc for tr in _within(tbl, _ROWS) for tc in _within(tr, _CELLS)]
    if not any(next(_within(tc, frozenset({_TBL})), None) is not None for tc in tcs):
        if shown is not None:
            shown += [(at + 1, rid) for rid in _wide_drawings(tbl)]
        return [_table(tbl, budget)]
    budget[0] += len(tcs)
    if budget[0] > MAX_CELLS:
        raise TooLarge(f"DOCX tables too large (over {MAX_CELLS} cells)")
    blocks: list[Block] = []
    for tc in tcs:
        blocks.extend(_content(tc, budget, depth + 1, shown, at + len(blocks)))
    return blocks


def _content(parent: Any, budget: list[int], depth: int = 0, shown: list[tuple[int, str]] | None = None, at: int = 0
             ) -> list[Block]:  # fmt: skip
    """Return the blocks of a body or a cell: its paragraphs and tables in order (one pass over its children:
    python-docx's `iter_inner_content` selects them with an XPath union, which libxml2 merges in time quadratic in
    the number of paragraphs, 16 s for 4 MB of document XML). With `shown`, each paragraph's drawings wide enough
    to hold a table are noted in it as (the index of the block they come before, their picture's relationship id);
    `at`: the index in the document's blocks the first of these takes (a cell's or a text box's content)."""
    blocks: list[Block] = []
    for part in _within(parent, _CONTENT):
        if part.tag == _TBL:
            blocks.extend(_blocks(part, budget, depth, shown, at + len(blocks)))
            continue
        if text := _text(part).strip():
            blocks.append(Paragraph(text))
        if shown is not None:
            shown += [(at + len(blocks), rid) for rid in _wide_drawings(part)]
        for box in _text_boxes(part):  # what a text box anchored in the paragraph holds, after its text
            if depth >= MAX_NESTING:
                raise TooLarge(f"DOCX text boxes nested more than {MAX_NESTING} deep")
            blocks.extend(_content(box, budget, depth + 1, shown, at + len(blocks)))
    return blocks


def _text_boxes(p: Any) -> list[Any]:
    """Return the contents (w:txbxContent) of the text boxes anchored in a w:p, in order: a Word 2010 shape's, not
    the VML copy kept beside it for older readers (mc:Fallback), nor a box's inside another (read with it)."""
    return [box for box in p.iter(_TXBX) if not _boxed(box, p)]


def _wide_picture(extent: Any) -> str | None:
    """Return the relationship id of the picture a drawing's extent sizes where it is at least MIN_PICTURE_EMU wide,
    else None (a narrow one; a text box, a drawing without a picture)."""
    if int(extent.get("cx") or 0) < MIN_PICTURE_EMU:
        return None
    drawing = extent.getparent()
    # a text box's shape holds its content's pictures: they are that content's, not the box's
    blip = next((b for b in drawing.iter(_BLIP) if not _boxed(b, drawing)), None)
    return blip.get(_EMBED) if blip is not None else None


def _wide_drawings(p: Any) -> list[str]:
    """Return the relationship ids of the pictures of a w:p's drawings at least MIN_PICTURE_EMU wide, in order (a
    picture inside a text box is its own paragraph's)."""
    return [rid for extent in p.iter(_EXTENT) if not _boxed(extent, p) if (rid := _wide_picture(extent))]


def _copied(node: Any) -> bool:
    """True where `node` lies in the copy of a shape kept for older readers (mc:Fallback)."""
    return any(up.tag == _FALLBACK for up in node.iterancestors())


def _boxed(node: Any, p: Any) -> bool:
    """True where `node` lies inside a text box (or its VML copy) within the w:p `p`."""
    up = node.getparent()
    while up is not None and up is not p:
        if up.tag in (_TXBX, _FALLBACK):
            return True
        up = up.getparent()
    return False


def read_docx(data: bytes, carrier: str = "docx") -> Document:
    """Return the Document of a DOCX file. Raises ExtractionError for corrupt or hostile archives."""
    import docx

    zf = check_zip(data, "DOCX")
    if "word/document.xml" not in zf.namelist():
        raise Corrupt("not a Word document (no word/document.xml)")
    try:
        document = docx.Document(io.BytesIO(data))
        body = document.element.body
        shown: list[tuple[int, str]] = []
        blocks = _content(body, [0], shown=shown)
        pictures = sum(1 for extent in body.iter(_EXTENT) if not _copied(extent) and _wide_picture(extent))
        related = document.part.related_parts
        attached = {rid: related[rid].blob for _, rid in shown if rid in related}
        title = (document.core_properties.title or "").strip() or None
    except ExtractionError:
        raise
    except Exception as exc:  # python-docx and lxml raise many types on broken parts
        raise Corrupt(f"corrupt {carrier.upper()}: {type(exc).__name__}: {_one_line(exc)}") from None
    return Document(blocks, carrier=carrier, title=title, pictures=pictures, shown=shown, attached=attached)
