"""Fuzzing: no reader, nor `extract`, raises anything but ExtractionError, whatever the bytes.

(a) random bytes; (b) real documents (PDF, HTML, DOCX, seed text, XLSX) mutated by flips, truncation,
insertion and duplication (and, for DOCX/XLSX, the same inside a zip member); (c) random HTML with
tables and hostile rowspan/colspan values; (d) random text dumps of tabs, pipes, digits and labels.
DOC/WPS/RTF would start LibreOffice, so bytes that sniff as those are never handed to `extract` here.
"""

from __future__ import annotations

import functools
import html as htmlmod
import io
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from extractors import ExtractionError, extract
from extractors.model import Document
from extractors.readers.docx import read_docx
from extractors.readers.html import read_html
from extractors.readers.pdf import read_pdf
from extractors.readers.sheet import read_xls, read_xlsx
from extractors.readers.text import read_text
from extractors.record import build_record
from extractors.sniff import sniff

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
DOCUMENTS = ROOT / "fixtures" / "documents"

LABELS = ("本年新收", "予以公开", "总计", "自然人", "商业企业", "一、本年新收政府信息公开申请数量", "（一）予以公开",
          "三、本年度办理结果", "四、结转下年度继续办理", "行政复议", "行政诉讼", "维持", "纠正", "未经复议直接起诉",
          "第二十条第（一）项", "制发件数", "政府信息公开工作年度报告", "2023年", "合计", "件")  # fmt: skip
SLOW_CARRIERS = ("doc", "wps", "rtf")  # these go through LibreOffice

pytestmark = pytest.mark.slow  # hundreds of examples a test: the slow layer

# NIANBAO_FUZZ_SCALE=20 runs twenty times the examples (a longer hunt by hand; the default keeps CI fast).
SCALE = max(1, int(os.environ.get("NIANBAO_FUZZ_SCALE", "1")))
_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large]
FAST = settings(max_examples=200 * SCALE, deadline=None, suppress_health_check=_QUIET)
MUTATE = settings(max_examples=80 * SCALE, deadline=None, suppress_health_check=_QUIET)
PDF_MUTATE = settings(max_examples=40 * SCALE, deadline=None, suppress_health_check=_QUIET)


def _ok(reason: str) -> None:
    assert isinstance(reason, str) and reason.strip(), "ExtractionError without a reason"
    assert "\n" not in reason, f"reason is not one line: {reason!r}"


def _attempt(fn: Callable[[], object]) -> object | None:
    """Run `fn`; return its result, or None where it raised ExtractionError. Any other exception fails the test."""
    try:
        return fn()
    except ExtractionError as exc:
        _ok(exc.reason)
        return None


def _extract(data: bytes, name: str) -> None:
    """`extract` the bytes unless they sniff as a LibreOffice carrier (too slow for a fuzz loop)."""
    try:
        carrier = sniff(data, name)
    except ExtractionError:
        carrier = None
    if carrier in SLOW_CARRIERS:
        return
    _attempt(lambda: extract(data, name=name))


def _read_and_build(reader: Callable[[bytes], Document], data: bytes) -> None:
    doc = _attempt(lambda: reader(data))
    if doc is None:
        event("reader refused")
        return
    assert isinstance(doc, Document)
    event("reader read" + (" tables" if any(hasattr(b, "rows") for b in doc.blocks) else ""))
    _attempt(lambda: build_record(doc).to_dict())


# --- real samples ----------------------------------------------------------------------------------------------


def _report_docx() -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("2023年某某区人民政府政府信息公开工作年度报告")
    document.add_paragraph("三、收到和处理政府信息公开申请情况")
    table = document.add_table(rows=4, cols=4)
    grid = (("", "", "自然人", "总计"), ("一、本年新收政府信息公开申请数量", "", "12", "12"),
            ("三、本年度办理结果", "（一）予以公开", "7", "7"), ("", "（二）部分公开", "1", "1"))  # fmt: skip
    for r, row in enumerate(grid):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    table.cell(0, 0).merge(table.cell(0, 1))
    table.cell(2, 0).merge(table.cell(3, 0))
    document.add_paragraph("四、政府信息公开行政复议、行政诉讼情况")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _report_xlsx() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["本列数据的勾稽关系", None, "自然人", "总计"])
    ws.append(["一、本年新收政府信息公开申请数量", None, 12, 12])
    ws.append(["三、本年度办理结果", "（一）予以公开", 7, 7])
    ws.append([None, "（二）部分公开", 1, 1.5])
    ws.merge_cells("A1:B1")
    ws.merge_cells("A3:A4")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _first(*patterns: tuple[Path, str]) -> bytes | None:
    for folder, pattern in patterns:
        found = sorted(folder.glob(pattern), key=lambda p: p.stat().st_size)
        if found:
            return found[0].read_bytes()
    return None


@functools.cache
def samples() -> dict[str, tuple[str, bytes]]:
    """carrier -> (file name, bytes) of one good document per carrier; those without a source are left out."""
    found = {
        "pdf": ("report.pdf", _first((DOCUMENTS, "*/input.pdf"), (CORPUS / "real", "*.pdf"))),
        "html": ("report.html", _first((CORPUS / "real", "*.html"), (DOCUMENTS, "*/input.html"))),
        "text": ("report.txt", _first((CORPUS / "seeds", "*.txt"), (CORPUS / "real", "pingtan_*.txt"))),
        "docx": ("report.docx", _report_docx()),
        "xlsx": ("report.xlsx", _report_xlsx()),
    }
    return {k: (name, data) for k, (name, data) in found.items() if data}


def sample(carrier: str) -> tuple[str, bytes]:
    got = samples().get(carrier)
    if got is None:
        pytest.skip(f"no {carrier} sample (shared corpus and fixtures/documents absent)")
    return got


# --- mutations -------------------------------------------------------------------------------------------------


def _position(draw: st.DrawFn, size: int) -> int:
    """A position in [0, size), often near the head or tail where headers and cross-reference tables live."""
    where = draw(st.sampled_from(("head", "tail", "any")))
    if where == "head":
        return draw(st.integers(0, min(size, 2048) - 1))
    if where == "tail":
        return draw(st.integers(max(0, size - 2048), size - 1))
    return draw(st.integers(0, size - 1))


@st.composite
def mutate_bytes(draw: st.DrawFn, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        if not buf:
            break
        op = draw(st.sampled_from(("flip", "truncate", "insert", "duplicate")))
        if op == "flip":
            for _ in range(draw(st.integers(1, 16))):
                buf[_position(draw, len(buf))] ^= draw(st.integers(1, 255))
        elif op == "truncate":
            buf = buf[: draw(st.integers(0, len(buf)))]
        elif op == "insert":
            at = _position(draw, len(buf))
            buf[at:at] = draw(st.binary(min_size=1, max_size=256))
        else:
            start = _position(draw, len(buf))
            end = draw(st.integers(start, min(len(buf), start + 8192)))
            at = _position(draw, len(buf))
            buf[at:at] = buf[start:end] * draw(st.integers(1, 3))
    return bytes(buf)


@st.composite
def mutate_zip_member(draw: st.DrawFn, data: bytes) -> bytes:
    """Rewrite the archive with one member's bytes mutated: broken XML that still unzips."""
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        names = src.namelist()
        target = draw(st.sampled_from(names))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
            for name in names:
                body = src.read(name)
                dst.writestr(name, draw(mutate_bytes(body)) if name == target and body else body)
    return out.getvalue()


READERS: dict[str, Callable[[bytes], Document]] = {
    "pdf": read_pdf,
    "html": read_html,
    "docx": read_docx,
    "text": read_text,
    "xlsx": read_xlsx,
    "xls": read_xls,
}


# --- (a) random bytes ------------------------------------------------------------------------------------------


@FAST
@given(data=st.binary(max_size=4096), name=st.sampled_from(("x.bin", "x.pdf", "x.html", "x.txt", "x.md", "x.docx")))
def test_random_bytes_extract(data: bytes, name: str) -> None:
    _extract(data, name)


@FAST
@given(data=st.binary(max_size=4096))
def test_random_bytes_every_reader(data: bytes) -> None:
    for reader in READERS.values():
        _read_and_build(reader, data)


@FAST
@given(
    magic=st.sampled_from((b"%PDF-1.4\n", b"PK\x03\x04", b"\xef\xbb\xbf", b"\xff\xfe", b"<html>", b"<table><tr><td>")),
    rest=st.binary(max_size=2048),
)
def test_magic_prefixed_random_bytes(magic: bytes, rest: bytes) -> None:
    data = magic + rest
    _extract(data, "x")
    for reader in READERS.values():
        _read_and_build(reader, data)


# --- (b) mutated real documents ----------------------------------------------------------------------------------


def _mutated_case(carrier: str, data: bytes) -> None:
    name, _ = sample(carrier)
    _read_and_build(READERS[carrier], data)
    _extract(data, name)


@PDF_MUTATE
@given(st.data())
def test_mutated_pdf(data: st.DataObject) -> None:
    _, good = sample("pdf")
    _mutated_case("pdf", data.draw(mutate_bytes(good), label="mutated"))


@MUTATE
@given(st.data())
def test_mutated_html(data: st.DataObject) -> None:
    _, good = sample("html")
    _mutated_case("html", data.draw(mutate_bytes(good), label="mutated"))


@MUTATE
@given(st.data())
def test_mutated_text(data: st.DataObject) -> None:
    _, good = sample("text")
    mutated = data.draw(mutate_bytes(good), label="mutated")
    _mutated_case("text", mutated)
    _read_and_build(read_html, mutated)


@MUTATE
@given(st.data(), st.booleans())
def test_mutated_docx(data: st.DataObject, inside: bool) -> None:
    _, good = sample("docx")
    mutated = data.draw(mutate_zip_member(good) if inside else mutate_bytes(good), label="mutated")
    _mutated_case("docx", mutated)


@MUTATE
@given(st.data(), st.booleans())
def test_mutated_xlsx(data: st.DataObject, inside: bool) -> None:
    _, good = sample("xlsx")
    mutated = data.draw(mutate_zip_member(good) if inside else mutate_bytes(good), label="mutated")
    _mutated_case("xlsx", mutated)


def test_samples_are_good() -> None:
    """The unmutated samples extract, so the mutations start from documents that reach the parser."""
    for carrier, (name, data) in samples().items():
        if carrier == "xlsx":
            assert read_xlsx(data).blocks
            continue
        assert isinstance(extract(data, name=name)["year"], int), carrier


# --- (c) random HTML ---------------------------------------------------------------------------------------------

SPANS = st.sampled_from(("0", "-1", "abc", "99999999", "1", "2", "3", "", " 2 ", "2.5", "1e3", "0x10", "٣", "64", "65",
                         "-99999999999999999999", "99999999999999999999999"))  # fmt: skip
WORDS = st.one_of(
    st.sampled_from(LABELS),
    st.integers(-10, 10**7).map(str),
    st.text(alphabet="0123456789０１２３,.-—/%（）()本年新收予以公开总计件 \t\n|", max_size=12),
)


def _el(tag: str, attrs: str, kids: list[str]) -> str:
    return f"<{tag}{attrs}>{''.join(kids)}</{tag}>"


def _span_attrs(rowspan: str | None, colspan: str | None) -> str:
    out = ""
    if rowspan is not None:
        out += f' rowspan="{htmlmod.escape(rowspan)}"'
    if colspan is not None:
        out += f" colspan={colspan!r}" if " " not in colspan else f' colspan="{colspan}"'
    return out


def _html_tree(kids: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    cell = st.builds(
        lambda tag, rs, cs, content: _el(tag, _span_attrs(rs, cs), content),
        st.sampled_from(("td", "th")), st.none() | SPANS, st.none() | SPANS, st.lists(kids, max_size=3),
    )  # fmt: skip
    row = st.builds(lambda cells: _el("tr", "", cells), st.lists(cell, max_size=6))
    section = st.builds(lambda tag, rows: _el(tag, "", rows), st.sampled_from(("tbody", "thead", "tfoot")),
                        st.lists(row, max_size=4))  # fmt: skip
    table = st.builds(lambda parts: _el("table", ' border="1"', parts), st.lists(row | section, max_size=8))
    block = st.builds(_el, st.sampled_from(("div", "p", "span", "b", "center", "li", "h2", "font", "td", "tr")),
                      st.just(""), st.lists(kids, max_size=4))  # fmt: skip
    junk = st.sampled_from(("<td", "</tr>", "<table>", "</table>", "<tr><td>", "<br>", "&nbsp;", "<!--", "-->",
                            "<script>x</script>", "<td rowspan=3>", "<th colspan=-1>"))  # fmt: skip
    return st.one_of(table, block, junk)


HTML_BODY = st.recursive(WORDS.map(htmlmod.escape), _html_tree, max_leaves=40)


@FAST
@given(
    title=st.sampled_from(("", "2023年政府信息公开工作年度报告", "首页")) | WORDS,
    body=st.lists(HTML_BODY, min_size=1, max_size=5),
    charset=st.sampled_from(("utf-8", "gb18030", "gbk", "latin-1", "bogus")),
)
def test_random_html(title: str, body: list[str], charset: str) -> None:
    page = (f'<html><head><meta charset="{charset}"><title>{htmlmod.escape(title)}</title></head>'
            f"<body>{''.join(body)}</body></html>")  # fmt: skip
    codec = charset if charset in ("utf-8", "gb18030", "gbk") else "utf-8"
    data = page.encode(codec, errors="replace")
    _read_and_build(read_html, data)
    _extract(data, "page.html")


# --- (d) random text ---------------------------------------------------------------------------------------------

CELL_TEXT = st.one_of(st.sampled_from(LABELS), st.integers(-5, 10**6).map(str), st.sampled_from(("", " ", "—", "-")),
                      st.text(alphabet="0123456789|\t 本年新收予以公开总计（）一二三、.", max_size=10))  # fmt: skip


def _line(kind: str, cells: list[str]) -> str:
    if kind == "tab-cells":
        return "\n".join("\t" + c for c in cells)
    if kind == "tabs":
        return "\t".join(cells)
    if kind == "pipes":
        return "| " + " | ".join(cells) + " |"
    if kind == "bare-pipes":
        return "|".join(cells)
    if kind == "rule":
        return "|" + "|".join("---" for _ in cells) + "|"
    if kind == "heading":
        return "## " + " ".join(cells)
    return " ".join(cells)


TEXT_LINE = st.builds(
    _line,
    st.sampled_from(("tab-cells", "tabs", "pipes", "bare-pipes", "rule", "heading", "prose", "blank")),
    st.lists(CELL_TEXT, max_size=8),
)


@FAST
@given(
    lines=st.lists(TEXT_LINE, max_size=40),
    newline=st.sampled_from(("\n", "\r\n", "\r")),
    codec=st.sampled_from(("utf-8", "gb18030", "utf-16", "utf-8-sig")),
    carrier=st.sampled_from(("text", "markdown")),
)
def test_random_text(lines: list[str], newline: str, codec: str, carrier: str) -> None:
    data = newline.join(lines).encode(codec, errors="replace")
    _read_and_build(lambda d: read_text(d, carrier=carrier), data)
    _extract(data, "report.md" if carrier == "markdown" else "report.txt")


_WORD_TEXT = st.one_of(
    st.sampled_from(("0", "12", "3.27万元", "-", "1.属于国家秘密", "（三）不", "予公开", "三、收到和处理政府信息公开申请情况",
                     "自然人", "总计", "结果", "维持", "2.重复申请", "一、本年新收政府信息公开申请数量")),
    st.text(alphabet="0123456789.、（）一二三四五六七八九十申请公开", min_size=1, max_size=12),
)  # fmt: skip


@st.composite
def _unruled_table(draw: st.DrawFn) -> list[tuple[str, float, float, float]]:
    """Return words laid out as a borderless table (labels left, number columns right) plus stray words."""
    words = []
    columns = draw(st.integers(2, 8))
    for row in range(draw(st.integers(3, 30))):
        y = 100 + row * draw(st.floats(8, 20))
        words.append((draw(_WORD_TEXT), draw(st.floats(40, 120)), y + draw(st.floats(-8, 8)), draw(st.floats(10, 120))))
        for col in range(columns):
            if draw(st.booleans()) or col == 0:
                words.append((str(draw(st.integers(0, 9999))), 300 + 36 * col + draw(st.floats(-2, 2)), y, 12.0))
    stray = st.tuples(_WORD_TEXT, st.floats(0, 500), st.floats(0, 780), st.floats(1, 40))
    return words + draw(st.lists(stray, max_size=20))


@FAST
@given(st.one_of(
    st.lists(st.tuples(_WORD_TEXT, st.floats(0, 500), st.floats(0, 780), st.floats(1, 40)), max_size=120),
    _unruled_table(),
))  # fmt: skip
def test_unruled_row_rebuilding_loses_and_invents_no_word(words):
    """Whatever the words and their places, every word comes out exactly once, as a cell or in a line."""
    from collections import Counter

    from extractors.model import Paragraph, Table
    from extractors.readers.pdf_rows import rebuild

    raw = [{"text": t, "x0": x, "x1": x + w, "top": y, "bottom": y + 9} for t, x, y, w in words]
    placed = rebuild(raw)
    event("rebuilt" if placed is not None else "left as lines")
    if placed is None:
        return
    out: Counter[str] = Counter()
    for _, block in placed:
        texts = [block.text] if isinstance(block, Paragraph) else [c for row in block.rows for c in row if c]
        assert isinstance(block, Paragraph | Table)
        out.update(tok for text in texts for tok in text.split(" ") if tok)
    assert out == Counter(t for t, *_ in words)
