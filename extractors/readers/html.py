"""HTML pages: a DOM walk that keeps prose and tables in order, tables expanded into exact grids.

trafilatura drops rowspan/colspan and may move tables after the text, so tables are read here with
lxml; spans are expanded with bounds, so a hostile colspan cannot blow up memory.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from lxml import etree, html

from ..errors import Corrupt, NoText, TooLarge
from ..model import Block, Document, Paragraph, Table
from ..pictures import shown_picture
from .encoding import decode

MAX_SPAN = 64  # no official table is wider than 16 columns or taller than ~40 rows
MAX_GRID_CELLS = 20_000
MAX_PAGE_CELLS = 200_000  # all tables of a page together: many small span-blown tables add up
MAX_TAGS = 3_000_000  # "<" in the page: parsing and walking cost ~200 bytes a tag (a 30 MB report has ~150k)
_T = TypeVar("_T")
_CELL_TAGS = frozenset(("td", "th"))
_SKIP = frozenset({"script", "style", "noscript", "template", "iframe", "object", "svg", "head", "select", "option"})
_BLOCK = frozenset(
    {"p", "div", "section", "article", "main", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "dd", "dt",
     "blockquote", "pre", "center", "header", "footer", "ul", "ol", "dl", "form", "body", "td", "th"}
)  # fmt: skip
_WS = re.compile(r"[ \t\r\f\v\u00a0\u3000]+")
_HIDING = re.compile(
    r"(?:^|;)\s*(?:display\s*:\s*none(?![\w-])|visibility\s*:\s*hidden(?![\w-])|font-size\s*:\s*0+(?:\.0+)?(?:px|pt|em|rem|%)?\s*(?:;|$))",
    re.I,
)
"""An inline style under which a browser shows nothing of the element."""
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_\-]+)""", re.I)
_TITLE_META = ("ArticleTitle", "articletitle", "og:title", "title", "Title", "dc.title")


def _declared_charset(data: bytes) -> str | None:
    m = _META_CHARSET.search(data[:4096])
    return m.group(1).decode("ascii", "replace") if m else None


def _span(value: str | None) -> int:
    try:
        n = int(str(value).strip()) if value is not None else 1
    except ValueError:
        return 1
    return max(1, min(n, MAX_SPAN))


def _hidden(node: etree._Element) -> bool:
    """True where a browser shows nothing of `node`: the `hidden` attribute, or an inline style that hides it (some
    sites sprinkle hidden characters into a page against copying; a template may hide a row)."""
    if node.get("hidden") is not None:
        return True
    style = node.get("style")
    return bool(style) and _HIDING.search(style) is not None


def _cell_text(cell: etree._Element) -> str:
    if not len(cell):  # a cell of text only: no nested tags to walk
        return _tidy(cell.text or "")
    parts: list[str] = []
    _shown_text(cell, parts)
    return _tidy("".join(parts))


def _shown_text(node: etree._Element, parts: list[str]) -> None:
    """Add to `parts` the text a browser shows of `node`'s content: hidden, scripted and commented parts left out
    (their tails kept), a line break before a `br`, `p` or `div`."""
    if node.text:
        parts.append(node.text)
    for child in node:
        tag = child.tag if isinstance(child.tag, str) else None  # None: a comment or processing instruction
        if tag is not None and tag not in _SKIP and not _hidden(child):
            if tag in ("br", "p", "div") and parts:
                parts.append("\n")
            _shown_text(child, parts)
        if child.tail:
            parts.append(child.tail)


def _tidy(text: str) -> str:
    """Return a cell's text with each line's blank runs made one space, lines and the whole stripped."""
    if text.isalnum():  # a number or a label without spaces or punctuation: nothing to tidy (no space is alnum)
        return text
    if "\n" not in text:
        return _WS.sub(" ", text).strip()
    return "\n".join(_WS.sub(" ", line).strip() for line in text.split("\n")).strip()


def _rows_of(table: etree._Element) -> list[etree._Element]:
    rows = []
    for child in table:
        if child.tag == "tr":
            rows.append(child)
        elif child.tag in ("thead", "tbody", "tfoot"):
            rows.extend(r for r in child if r.tag == "tr")
    return rows


def grid(table: etree._Element) -> Table:
    """Return the table as a grid; positions covered by a span hold None. Raises TooLarge on absurd sizes."""
    rows: list[list[str | None]] = []
    pending: dict[int, int] = {}  # column -> rows still covered by a rowspan from above (no entry: none)
    cells_total = 0
    for tr in _rows_of(table):
        if _hidden(tr):
            continue
        row: list[str | None] = []
        col = 0
        for td in tr:
            if td.tag not in _CELL_TAGS or _hidden(td):
                continue
            if pending:
                col = _covered(row, col, pending)
            # Most cells have neither attribute: no call for the span of 1 that _span gives a missing one.
            rs = _span(a) if (a := td.get("rowspan")) else 1
            cs = _span(a) if (a := td.get("colspan")) else 1
            row.append(_cell_text(td))
            if cs > 1:
                row.extend([None] * (cs - 1))
            if rs > 1:
                for c in range(col, col + cs):
                    pending[c] = rs - 1
            col += cs
        if pending:
            _covered(row, col, pending)
        cells_total += len(row)
        if cells_total > MAX_GRID_CELLS:
            raise TooLarge(f"table too large (over {MAX_GRID_CELLS} cells)")
        rows.append(row)
    return Table(rows)


def _covered(row: list[str | None], col: int, pending: dict[int, int]) -> int:
    """Fill `row` from `col` with the positions rowspans from above cover (one row of each used); return the next
    free column."""
    while col in pending:
        row.append(None)
        if pending[col] == 1:
            del pending[col]
        else:
            pending[col] -= 1
        col += 1
    return col


class _Walker:
    """Collects paragraphs and data tables in document order."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.buf: list[str] = []
        self.cells = 0
        self.shown: list[tuple[int, str]] = []

    def flush(self) -> None:
        text = _WS.sub(" ", "".join(self.buf)).strip()
        for line in text.split("\n"):
            line = line.strip()
            if line:
                self.blocks.append(Paragraph(line))
        self.buf = []

    def walk(self, node: etree._Element) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in _SKIP or not isinstance(node.tag, str) or _hidden(node):
            if node.tail:
                self.buf.append(node.tail)
            return
        if tag == "table" and next(node.iterdescendants("table"), None) is None:
            self.flush()
            table = grid(node)
            self.cells += sum(len(row) for row in table.rows)
            if self.cells > MAX_PAGE_CELLS:
                raise TooLarge(f"tables too large (over {MAX_PAGE_CELLS} cells in all)")
            if any(c for row in table.rows for c in row):
                self.blocks.append(table)
        else:
            if tag in _BLOCK:
                self.flush()
            if tag == "br":
                self.buf.append("\n")
            elif tag == "img" and (picture := shown_picture(node)) is not None:
                self.flush()  # the picture's text, if read, goes between the text before it and after it
                self.shown.append((len(self.blocks), picture[0]))
            if node.text:
                self.buf.append(node.text)
            for child in node:
                self.walk(child)
            if tag in _BLOCK:
                self.flush()
        if node.tail:
            self.buf.append(node.tail)


@dataclass(frozen=True, slots=True)
class Meta:
    """One `<meta>` of a page that has a content attribute."""

    name: str | None
    """Its name attribute (None: none)."""
    prop: str | None
    """Its property attribute (None: none)."""
    content: str
    """Its content attribute, as written."""


def shown_pictures(root: etree._Element) -> list[tuple[str, str]]:
    """Return the pictures of a parsed page that may hold text (`pictures.shown_picture`) where the page walk reads
    them: in its body, outside skipped elements (scripts, `noscript`, frames …) and hidden ones; in page order."""
    body = root.find("body")
    out = []
    for img in (body if body is not None else root).iter("img"):
        if _hidden(img) or any(up.tag in _SKIP or _hidden(up) for up in img.iterancestors()):
            continue
        if (picture := shown_picture(img)) is not None:
            out.append(picture)
    return out


def per_tree(fn: Callable[[Any], _T]) -> Callable[[Any], _T]:
    """Return `fn`, a pure function of a parsed tree, answering from its last answer while asked about the same tree
    again (a page's readers ask for the same scan of it several times).

    The last tree is held, so no other tree can take its id; the slot is read once a call, so a thread reading
    another page cannot swap it between two reads. The answer is shared: callers must not change it.
    """
    last: list[tuple[Any, Any]] = [(None, None)]

    @wraps(fn)
    def call(root: Any) -> _T:
        held = last[0]
        if held[0] is root:
            return held[1]
        answer = fn(root)
        last[0] = (root, answer)
        return answer

    return call


@per_tree
def page_metas(root: etree._Element) -> list[Meta]:
    """Return the `<meta>` elements with a content attribute of the tree at `root`, in page order.

    A page's readers (title, dates, column, marks) each ask for a few metas: one pass answers them all, where an
    XPath `//meta[@name=…]` each walked the whole tree."""
    return [Meta(m.get("name"), m.get("property"), content) for m in root.iter("meta")
            if (content := m.get("content")) is not None]  # fmt: skip


def meta_content(root: etree._Element, *names: str) -> str | None:
    """Return the content of the first `<meta>` whose name is one of `names` (as written), or None."""
    return next((m.content for m in page_metas(root) if m.name in names), None)


def _title(root: etree._Element) -> str | None:
    first: dict[str, str] = {}  # name or property -> content of the first <meta> that has both, in page order
    for meta in page_metas(root):
        for key in (meta.name, meta.prop):
            if key and key not in first:
                first[key] = meta.content
    for name in _TITLE_META:
        got = first.get(name)
        if got and got.strip():
            return str(got).strip()
    got = root.xpath("//title/text()")
    return str(got[0]).strip() if got else None


def read_html(data: bytes, declared_charset: str | None = None) -> Document:
    """Return the Document of an HTML page (charset from the caller, the page's meta, or detection)."""
    _admit(data)
    text = decode(data, declared_charset or _declared_charset(data))
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    if not text.strip():
        raise NoText("empty HTML page")
    # Real CMS pages nest past libxml2's default 256 levels; past its huge limit the tree would be cut short.
    parser = html.HTMLParser(huge_tree=True)
    try:
        root = html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise Corrupt(f"unparseable HTML: {' '.join(str(exc).split())[:80]}") from None
    for error in parser.error_log:
        if error.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT:
            raise TooLarge(f"HTML not read whole: the parser stopped at its limit ({error.message.split(',')[0]})")
    return _document(root)


def read_html_tree(data: bytes, root: etree._Element) -> Document:
    """Return the Document of an HTML page `data` that the caller has parsed whole into `root` already (a crawler
    reading the page for its links), so the page is parsed once."""
    _admit(data)
    return _document(root)


def _admit(data: bytes) -> None:
    """Raise TooLarge where the page has more tags than a walk of it may cost."""
    tags = data.count(b"<")
    if tags > MAX_TAGS:
        raise TooLarge(f"HTML page has {tags} tags (limit {MAX_TAGS})")


def _document(root: etree._Element) -> Document:
    """Return the Document of a parsed page: its paragraphs and tables in order, its title and meta."""
    meta = {}
    for name in ("PubDate", "ContentSource", "ColumnName", "SiteName"):
        got = meta_content(root, name)
        if got and got.strip():
            meta[name] = got.strip()
    body = root.find("body")
    walker = _Walker()
    walker.walk(body if body is not None else root)
    walker.flush()
    return Document(walker.blocks, carrier="html", title=_title(root), meta=meta, pictures=len(walker.shown),
                    shown=walker.shown)  # fmt: skip
