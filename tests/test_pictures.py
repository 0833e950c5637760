"""Pictures of a report page (extractors/pictures.py): which may hold text, carried in the page as `data:`
addresses, read from a saved page's folder, and the bad ones refused without a fault."""

from __future__ import annotations

import base64
import io
import re
import struct
import zlib
from pathlib import Path

import pytest
from parsel import Selector
from PIL import Image

from crawler.page_facts import content_pictures, page_facts
from crawler.spiders.pictures import pictured_before, pictured_row
from extractors import extract
from extractors.pictures import data_address, embed, is_content_picture, local_pictures, picture_bytes
from storage.memory import Remembered

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
SEED000 = Path(__file__).resolve().parents[1] / "fixtures" / "documents" / "seed000_html" / "input.html"


def _png(width: int, height: int) -> bytes:
    """Return a grey PNG of `width` × `height` pixels claimed in its header (its one row of data: a bomb's shape)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * (width + 1))) + (
        chunk(b"IEND", b""))  # fmt: skip


@pytest.mark.parametrize(
    ("src", "width", "height", "content"),
    [
        ("/u/cms/2025/table1.png", None, None, True),
        ("/u/cms/2025/table1.png", "1002", "159", True),  # table 四 drawn: wide and low
        ("/u/cms/2025/table1.png", "100%", None, True),  # a percentage says nothing of its size
        ("/u/cms/2025/table1.png", "120px", None, False),
        ("/u/cms/2025/table1.png", "800", "40", False),  # a rule or a button
        ("/images/logo.png", None, None, False),
        ("/u/share.gif", None, None, False),
        ("data:image/png;base64,AAAA", None, None, True),  # a carried picture: its address names no furniture
        ("", None, None, False),
    ],
)
def test_which_pictures_may_hold_text(src: str, width: str | None, height: str | None, content: bool) -> None:
    assert is_content_picture(src, width, height) is content


def test_a_picture_carried_in_the_page_is_read_back_and_other_addresses_are_not() -> None:
    address = data_address(PNG)
    assert address is not None and address.startswith("data:image/png;base64,")
    assert picture_bytes(address, 1000) == PNG
    assert picture_bytes(address, 10) is None  # over the size limit
    assert picture_bytes("data:image/png;base64,!!notbase64", 1000) is None
    assert picture_bytes("data:text/html;base64," + base64.b64encode(b"<html>").decode(), 1000) is None
    assert picture_bytes("/u/t.png", 1000) is None
    assert data_address(b"<html>404</html>") is None  # an error page answered for a picture


def test_embedding_shows_the_pictures_found_where_they_stand_and_keeps_the_rest_of_the_page() -> None:
    page = ('<html><head><base href="http://www.x.gov.cn/nb/"></head><body><p>一、总体情况</p>'
            '<img alt="x" src="/u/a.png?x=1&amp;y=2" width="800"><IMG SRC=\'b.png\'>'
            '<img src="/static/loading.gif" data-original="c.png">'  # loaded by script
            '<a href="/u/d.jpg"><img src="/thumbs/t.jpg" width="120"></a>'  # a thumbnail of d.jpg
            '<a href="/u/e.jpg"><img src="/thumbs/t.jpg" width="120"></a>'  # the same thumbnail for e.jpg
            '<p>二、主动公开</p></body></html>')  # fmt: skip
    found = {"http://www.x.gov.cn/u/a.png?x=1&y=2": PNG, "http://www.x.gov.cn/nb/c.png": PNG,
             "http://www.x.gov.cn/u/d.jpg": PNG, "http://www.x.gov.cn/u/e.jpg": PNG,
             "http://www.x.gov.cn/nb/b.png": b"<html>not a picture</html>"}  # fmt: skip
    out, placed = embed(page, "http://www.x.gov.cn/nb/2025/t1.html", found)
    assert placed == set(found) - {"http://www.x.gov.cn/nb/b.png"}
    root = Selector(text=out)
    assert [img.attrib.get("src", "")[:22] for img in root.css("img")] == [
        "data:image/png;base64,", "b.png", "data:image/png;base64,", "data:image/png;base64,", "data:image/png;base64,"]
    assert not root.css("img[data-original]") and 'width="800"' in out
    assert root.css("p::text").getall() == ["一、总体情况", "二、主动公开"]
    assert embed(page, "http://www.x.gov.cn/nb/2025/t1.html", {}) == (page, set())


def test_a_picture_too_small_to_hold_a_table_is_given_its_size_not_carried() -> None:
    # Unnamed bullets, one without a size, one stretched to 300 px: fetched, each is found to be 16 x 16 pixels, so
    # the page says so and the reader takes them for furniture (no OCR, no "2 picture(s)" in STR-05).
    icon = io.BytesIO()
    Image.new("L", (16, 16), 255).save(icon, format="PNG")
    page = re.sub(r"<table.*?</table>", "", SEED000.read_text(encoding="utf-8"), flags=re.S)  # a report, no tables
    page = page.replace("<body>", '<body><img src="/u/dot.png"><img src="/u/dot2.png" width="300">', 1)
    found = {"http://www.x.gov.cn/u/dot.png": icon.getvalue(), "http://www.x.gov.cn/u/dot2.png": icon.getvalue()}
    out, placed = embed(page, "http://www.x.gov.cn/nb/1.html", found)
    assert placed == set(found) and "data:" not in out
    imgs = Selector(text=out).css("img")
    assert [(i.attrib.get("width"), i.attrib.get("height")) for i in imgs] == [("16", "16"), ("16", "16")]
    record = extract(out.encode("utf-8"), name="input.html")
    misses = [c for c in record["checks"] if c["rule"] == "STR-05"]
    assert misses and all(c["message"] == "table not found" for c in misses), misses


def test_a_saved_page_reads_only_picture_files_in_its_own_folder(tmp_path: Path) -> None:
    (tmp_path / "page").mkdir()
    (tmp_path / "page" / "files").mkdir()
    (tmp_path / "page" / "files" / "t1.png").write_bytes(PNG)
    (tmp_path / "page" / "notes.txt").write_bytes(b"not a picture")
    (tmp_path / "secret.png").write_bytes(PNG)
    page = tmp_path / "page" / "input.html"
    sources = ["files/t1.png", "notes.txt", "../secret.png", "/etc/hostname", "http://example.gov.cn/t.png",
               "missing.png"]  # fmt: skip
    assert local_pictures(page, sources, 1000) == {"files/t1.png": PNG}


def test_a_report_pages_pictures_are_listed_for_the_crawl_in_order() -> None:
    # Those the extractor's page walk reads as pictures, not those in hidden or skipped elements.
    html = ('<html><head><base href="http://www.x.gov.cn/nb/"></head><body><img src="a.png">'
            '<noscript><img src="n.png"></noscript><img src="/images/logo.png">'
            '<img src="data:image/png;base64,AAAA"><img src="javascript:void(0)"><img src="b.jpg" height="300">'
            '<img src="data:image/gif;base64,R0lGOD" data-src="c.png">'  # a placeholder, the picture loaded by script
            '<a href="/u/big.jpg"><img src="/u/small.jpg" width="100"></a>'
            '<div style="display:none"><img src="hidden.png"></div><svg><img src="drawn.png"></svg></body></html>')  # fmt: skip
    got = content_pictures(Selector(text=html), "http://www.x.gov.cn/nb/")
    assert got == ["http://www.x.gov.cn/nb/a.png", "data:image/png;base64,AAAA", "http://www.x.gov.cn/nb/b.jpg",
                   "http://www.x.gov.cn/nb/c.png", "http://www.x.gov.cn/u/big.jpg"]  # fmt: skip


TITLE = "某某区人民政府2024年政府信息公开工作年度报告"


@pytest.mark.parametrize(
    ("body", "report", "asked"),
    [
        # A report title over the pictures of its pages and nothing else: a report shown as pictures.
        ('<img src="/u/p1.jpg"><img src="/u/p2.jpg">', True, ["/u/p1.jpg", "/u/p2.jpg"]),
        # The same with its PDF linked: a wrapper around the attachment, whose pictures are not asked.
        ('<img src="/u/p1.jpg"><a href="/u/nb.pdf">下载</a>', False, []),
        # A report title over page furniture only: a wrapper.
        ('<img src="/images/logo.png"><a href="/u/nb.html">正文</a>', False, []),
        # A list of reports under a banner picture: a list.
        (f'<img src="/u/top.jpg"><a href="/nb/1.html">{TITLE}</a>', False, []),
    ],
)
def test_a_report_title_over_pictures_alone_is_a_report_shown_as_pictures(body: str, report: bool, asked: list) -> None:
    html = f"<html><head><title>{TITLE}</title></head><body><h1>{TITLE}</h1>{body}</body></html>"
    facts = page_facts("http://www.x.gov.cn/nb/2025/t1.html", html, Selector(text=html), {})
    assert facts.is_report is report
    assert [url.removeprefix("http://www.x.gov.cn") for url in facts.pictures] == asked


def test_a_hostile_picture_carried_in_a_page_is_not_read_and_the_page_still_is() -> None:
    # A decompression bomb (a PNG header claiming 60,000 × 60,000 pixels) and a broken picture in a report page
    # whose text holds no table: neither is read, no fault, and the record says 2 pictures were not read.
    bomb, broken = data_address(_png(60_000, 60_000)), data_address(PNG)
    page = (Path(__file__).resolve().parents[1] / "fixtures" / "documents" / "seed000_html" / "input.html").read_text(
        encoding="utf-8")  # fmt: skip
    page = re.sub(r"<table.*?</table>", "", page, flags=re.S)
    page = page.replace("<body>", f'<body><img src="{bomb}"><img src="{broken}">', 1)
    record = extract(page.encode("utf-8"), name="input.html")
    misses = [c for c in record["checks"] if c["rule"] == "STR-05"]
    assert len(misses) == 3 and all("2 picture(s) not read" in c["message"] for c in misses), misses


def test_a_page_read_with_its_pictures_is_left_alone_only_while_its_bytes_and_what_was_stored_of_them_hold() -> None:
    page, stored, url = "a" * 64, "b" * 64, "http://h/nb/1.html"
    row = pictured_row(url, page, stored)
    attachment = {"url": "http://h/nb/1.pdf", "role": "document", "context": {}, "cb": "parse_page", "method": "GET",
                  "form": None}  # fmt: skip
    known = Remembered(None, None, True, True, (attachment, row), stored)
    assert pictured_before(known, page) == row
    assert pictured_before(known, "c" * 64) is None  # the page changed
    assert pictured_before(Remembered(None, None, True, True, (row,), "d" * 64), page) is None  # stored since: other
    assert pictured_before(Remembered(None, None, True, True, (attachment,), stored), page) is None  # never pictured
    part = {"url": "http://h/nb/1_2.html", "role": "part", "context": {"sha256": "e" * 64}}
    assert pictured_before(Remembered(None, None, True, True, (row, part), stored), page) is None  # parts may change
    assert pictured_before(Remembered(None, None, False, False, (row,)), page) is None  # a list page
    assert pictured_before(None, page) is None
