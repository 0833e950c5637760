"""The same report marked up another way reads the same: metamorphic tests of the HTML reader and table parser.

Agency sites publish the standard tables through many editors (TRS, Hanweb, Word pasted into a CMS). Each variant
below rewrites every table of a bundled report page the way real pages differ, without changing what a reader
sees: header rows in `<thead>` or `<th>`, cell text wrapped in `<span>`/`<font>`/`<p>`, non-breaking spaces,
full-width digits, a label broken over two lines, editor attributes, an empty trailing row, wrapper `<div>`s,
whitespace between cells. The record's three tables, its format and its table-rule failures must equal those of
the page as bundled (which tests/test_gold.py holds to the gold, field by field).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lxml import etree, html

from extractors import extract
from tests.variants import differing, kept, read_kept

DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "documents"
PAGES = sorted(p for p in DOCS.glob("*_html") if (p / "input.html").is_file())
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
NUMBER = re.compile(r"^\s*\d+\s*$")


def _cells(root: etree._Element) -> list[etree._Element]:
    """Return the cells of the page's data tables (a layout table around them is not one)."""
    return [c for c in root.iter("td", "th") if next(c.iterdescendants("table"), None) is None]


def _wrap_children(cell: etree._Element, tag: str, **attrs: str) -> None:
    """Move the cell's text and children into one new child element `tag`."""
    inner = etree.Element(tag, **attrs)
    inner.text, cell.text = cell.text, None
    for child in list(cell):
        inner.append(child)
    cell.append(inner)


def tbody_thead(root: etree._Element) -> None:
    for table in root.iter("table"):
        rows = [r for r in table if r.tag == "tr"]
        if not rows:
            continue
        head, body = etree.SubElement(table, "thead"), etree.SubElement(table, "tbody")
        head.append(rows[0])
        for row in rows[1:]:
            body.append(row)


def th_first_row(root: etree._Element) -> None:
    for table in root.iter("table"):
        first = next(table.iter("tr"), None)
        for cell in first if first is not None else []:
            if cell.tag == "td":
                cell.tag = "th"


def span_font(root: etree._Element) -> None:
    for cell in _cells(root):
        _wrap_children(cell, "font", face="宋体", size="2")
        _wrap_children(cell, "span", style="font-size:14px;font-family:宋体")


def paragraph(root: etree._Element) -> None:
    for cell in _cells(root):
        _wrap_children(cell, "p", style="text-align:center;margin:0")


def nbsp(root: etree._Element) -> None:
    for cell in _cells(root):
        cell.text = "\u00a0 " + (cell.text or "") if len(cell) else f"\u00a0{cell.text or ''}\u00a0"


def full_width_digits(root: etree._Element) -> None:
    for cell in _cells(root):
        if cell.text and NUMBER.match(cell.text):
            cell.text = cell.text.translate(FULL_WIDTH)


def label_line_break(root: etree._Element) -> None:
    for cell in _cells(root):
        text = cell.text or ""
        if len(cell) == 0 and len(text) >= 6 and not re.search(r"\d", text):
            cell.text = text[: len(text) // 2]
            etree.SubElement(cell, "br").tail = text[len(text) // 2 :]


def unit_line_break(root: etree._Element) -> None:
    for cell in _cells(root):
        m = re.fullmatch(r"\s*([\d.,]+)\s*(万?元)\s*", cell.text or "")
        if m and len(cell) == 0:
            cell.text = m.group(1)
            etree.SubElement(cell, "br").tail = m.group(2)


def editor_attributes(root: etree._Element) -> None:
    for row in root.iter("tr"):
        row.set("style", "height:20.25pt")
    for cell in _cells(root):
        cell.set("width", "87")
        cell.set("class", "xl65")
        cell.set("style", "border:solid windowtext 1.0pt;padding:0 5.4pt")


def empty_trailing_row(root: etree._Element) -> None:
    for table in root.iter("table"):
        rows = list(table.iter("tr"))
        if rows:
            last = rows[-1]
            blank = etree.Element("tr")
            for _ in last:
                etree.SubElement(blank, "td").text = "\u00a0"
            last.addnext(blank)


def wrapper_divs(root: etree._Element) -> None:
    for table in list(root.iter("table")):
        outer = etree.Element("div", **{"class": "TRS_Editor"})
        inner = etree.SubElement(outer, "div", style="overflow-x:auto")
        table.addprevious(outer)
        inner.append(table)


def whitespace_between_cells(root: etree._Element) -> None:
    for row in root.iter("tr"):
        row.text = "\n    "
        for cell in row:
            cell.tail = "\n    "


def split_tables(root: etree._Element) -> None:
    """Each table broken in two after its middle row, the way a table running over a page break is pasted."""
    for table in list(root.iter("table")):
        rows = list(table.iter("tr"))
        if len(rows) < 4:
            continue
        second = etree.Element("table", border="1")
        for row in rows[len(rows) // 2 :]:
            second.append(row)
        gap = etree.Element("p")
        gap.text = "\u00a0"
        table.addnext(gap)
        gap.addnext(second)


def layout_table(root: etree._Element) -> None:
    """The whole article inside an outer layout table (older portals lay pages out with tables)."""
    body = root.find("body") if root.find("body") is not None else root
    outer = etree.Element("table", width="100%")
    cell = etree.SubElement(etree.SubElement(outer, "tr"), "td")
    cell.text, body.text = body.text, None
    for child in list(body):
        cell.append(child)
    body.append(outer)


def word_paste(root: etree._Element) -> None:
    """Word's paste: an `o:p` after each cell's text, MSO classes and a `lang` span."""
    for cell in _cells(root):
        _wrap_children(cell, "span", lang="EN-US", style="mso-bidi-font-size:10.5pt")
        etree.SubElement(cell, "o:p")
        cell.set("class", "MsoNormal")


def spaced_labels(root: etree._Element) -> None:
    """Short labels spread with full-width spaces to fill their cells (规章 written 规　　章)."""
    for cell in _cells(root):
        text = cell.text or ""
        if len(cell) == 0 and 2 <= len(text) <= 4 and re.fullmatch(r"[\u4e00-\u9fff]+", text):
            cell.text = "\u3000\u3000".join(text)


def hidden_junk(root: etree._Element) -> None:
    """Text a browser does not show, as some sites sprinkle it against copying: a hidden digit in every number,
    a hidden character in every label, a hidden row of numbers in every table."""
    for k, cell in enumerate(_cells(root)):
        text = cell.text or ""
        if len(cell) == 0 and text.strip():
            cell.text = text[: max(1, len(text) // 2)]
            style = ("display:none", "display: none;", "visibility:hidden")[k % 3]
            junk = etree.SubElement(cell, "span", style=style)
            junk.text = "9" if NUMBER.match(text) else "扰"
            junk.tail = text[max(1, len(text) // 2) :]
    for table in root.iter("table"):
        rows = list(table.iter("tr"))
        if len(rows) > 2:
            ghost = etree.Element("tr", style="display:none")
            for _ in rows[-1]:
                etree.SubElement(ghost, "td").text = "7"
            rows[1].addnext(ghost)


def comments_in_cells(root: etree._Element) -> None:
    """An editor's comment left in every cell (a number, words): a browser shows neither."""
    for cell in _cells(root):
        cell.append(etree.Comment(" 原值 15，已改 "))


INVISIBLE = ("\u200b", "\ufeff", "\u200d", "\u00ad", "\u2060")


def zero_width_chars(root: etree._Element) -> None:
    """Characters a browser draws as nothing (a zero-width space, joiner or word joiner, a soft hyphen, a BOM) inside
    every label and number and at the end of every cell, as pasting from some editors and anti-copy scripts leave."""
    for k, cell in enumerate(_cells(root)):
        text = (cell.text or "").strip()
        if len(cell) == 0 and text:
            cut = max(1, len(text) // 2)
            cell.text = text[:cut] + INVISIBLE[k % len(INVISIBLE)] + text[cut:] + "\ufeff"


ENUMERATOR = re.compile(r"^\s*(?:[（(][一二三四五六七八九十]+[)）]|[一二三四五六七八九十]+、|[1-9][.．、](?!\d))\s*")


def no_enumerators(root: etree._Element) -> None:
    """Row labels written without their enumerators (（七）总计 as 总计, 一、本年新收… as 本年新收…), as some
    local templates have them."""
    for cell in _cells(root):
        if len(cell) == 0 and cell.text and not re.search(r"\d\s*$", cell.text):
            cell.text = ENUMERATOR.sub("", cell.text)


VARIANTS: dict[str, Callable[[etree._Element], None]] = {
    f.__name__: f
    for f in (tbody_thead, th_first_row, span_font, paragraph, nbsp, full_width_digits, label_line_break,
              unit_line_break, editor_attributes, empty_trailing_row, wrapper_divs, whitespace_between_cells,
              split_tables, layout_table, word_paste, spaced_labels, hidden_junk, comments_in_cells, no_enumerators,
              zero_width_chars)
}


def _variant(page: bytes, change: Callable[[etree._Element], None]) -> bytes:
    root = html.fromstring(page)
    change(root)
    return html.tostring(root, encoding="utf-8", doctype="<!DOCTYPE html>")


@pytest.fixture(scope="module")
def bundled() -> dict[str, tuple[bytes, dict[str, Any]]]:
    if not PAGES:
        pytest.skip("no bundled HTML report pages (fixtures/documents/*_html)")
    return {p.name: (data := (p / "input.html").read_bytes(), read_kept(data, "input.html")) for p in PAGES}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_a_table_marked_up_another_way_reads_the_same(variant: str, bundled: dict[str, Any]) -> None:
    differ = differing(bundled, lambda page: _variant(page, VARIANTS[variant]), "input.html")
    assert not differ, f"{variant}: {differ}"


def test_the_variants_change_the_markup_not_the_copy() -> None:
    page = (PAGES[0] / "input.html").read_bytes() if PAGES else pytest.skip("no bundled HTML pages")
    before = copy.deepcopy(html.fromstring(page))
    for change in VARIANTS.values():
        root = html.fromstring(page)
        change(root)
        # Every table cell is still there, in order, with the same visible words (spaces and digit widths aside).
        if change in (hidden_junk, no_enumerators, zero_width_chars):
            continue  # it adds what a browser does not show; it drops the labels' enumerators
        words = [re.sub(r"\s+", "", c.text_content()).translate({0xFF10 + i: 0x30 + i for i in range(10)})
                 for c in _cells(root)]  # fmt: skip
        want = [re.sub(r"\s+", "", c.text_content()) for c in _cells(before)]
        assert [w for w in words if w] == [w for w in want if w]


def _procurement_cell(cell: str) -> bytes:
    """Return the first bundled page with its 政府集中采购 amount cell's text replaced by `cell` (markup)."""
    page = (PAGES[0] / "input.html").read_text(encoding="utf-8") if PAGES else pytest.skip("no bundled HTML pages")
    changed, n = re.subn(r"(政府集中采购</td><td[^>]*>[^<]*</td><td[^>]*>)[^<]*(</td>)", rf"\g<1>{cell}\g<2>", page)
    assert n == 1
    return changed.encode("utf-8")


def test_a_cell_holding_more_numbers_than_its_row_has_columns_is_null_and_said() -> None:
    # "3.2<br>7万元": read a number a token the row is three values for two columns; the amount was taken as 3.2 and
    # 7万元 dropped without a word. Whether it is 3.27万元 broken over two lines or two numbers is not the parser's
    # to settle: null, with both readings.
    record = extract(_procurement_cell("3.2<br/>7万元"), name="input.html")
    procurement = record["proactive"]["procurement"]
    assert procurement["amount_wan_yuan"] is None and procurement["items"] is not None
    (entry,) = [a for a in record["ambiguous"] if a["cell"] == "proactive.procurement.amount_wan_yuan"]
    assert entry["reason"] == "long_row" and entry["candidates"] == [3.2, 3.27]
    assert "3.2" in entry["source_text"] and "7万元" in entry["source_text"]
    # A number and its unit on two lines is one number; two numbers for two cells are the row's two values.
    assert extract(_procurement_cell("3.27<br/>万元"), name="input.html")["proactive"]["procurement"][
        "amount_wan_yuan"] == 3.27  # fmt: skip


@pytest.mark.parametrize(("declared", "codec"), [("gb2312", "gb18030"), ("gbk", "gb18030"), (None, "gb18030"),
                                                 ("utf-16", "utf-16")])  # fmt: skip
def test_a_page_in_another_encoding_reads_the_same(declared: str | None, codec: str, bundled: dict[str, Any]) -> None:
    # Many agency pages are GB2312/GBK, declared in a <meta> (or not at all); gb18030 decodes what either writes. A
    # page saved as UTF-16 (with its byte-order mark) was refused as binary.
    for name, (page, want) in bundled.items():
        text = re.sub(r"<meta[^>]*charset[^>]*>", "", page.decode("utf-8"), flags=re.I)
        if declared:
            text = text.replace("<head>", f'<head><meta http-equiv="Content-Type" content="text/html; charset={declared}">', 1)
        assert kept(extract(text.encode(codec), name="input.html")) == want, name


def test_tables_drawn_as_pictures_are_said_not_read_and_not_blamed_on_the_publisher() -> None:
    # A 图片版 page read alone: the text as text, each table a picture at an address the page does not carry (the
    # crawl fetches them: tests/test_picture_tables.py). So the tables are missing; the record says where they may
    # be and marks the miss ours (cause "parse"), not the report's.
    page = (PAGES[0] / "input.html").read_text(encoding="utf-8") if PAGES else pytest.skip("no bundled HTML pages")
    pictured = re.sub(r"<table.*?</table>", '<p><img src="/u/cms/2025/t.png" width="800"></p>', page, flags=re.S)
    furniture = '<img src="/images/logo.png"><img src="/u/share.gif"><img src="/u/a.png" width="16" height="16">'
    pictured = pictured.replace("<body>", f"<body>{furniture}", 1)
    record = extract(pictured.encode("utf-8"), name="input.html")
    misses = {c["where"]: c for c in record["checks"] if c["rule"] == "STR-05"}
    assert set(misses) == {"proactive", "requests", "review_litigation"}
    assert all(c.get("cause") == "parse" and "3 picture(s) not read" in c["message"] for c in misses.values())
    # Without pictures (page furniture is none) a missing table is the plain miss it was.
    bare = re.sub(r"<table.*?</table>", "", page, flags=re.S).replace("<body>", f"<body>{furniture}", 1)
    plain = [c for c in extract(bare.encode("utf-8"), name="input.html")["checks"] if c["rule"] == "STR-05"]
    assert plain and all(c.get("cause") is None and c["message"] == "table not found" for c in plain)
