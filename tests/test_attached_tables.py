"""A report whose page holds its text and whose tables are in a document the page links (附表 as an attachment).

Both are stored, each as what it is. The page's record must not say its tables are simply missing, as though the
publisher left them out: it says the page links documents that may hold them, and the cause is ours (the report is
cut over two documents; this reader reads one at a time). Nor must the attachment's record say its parts are missing
as an error of the publisher's: the report page that links it may hold them.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from lxml import html as lxml_html

from extractors import extract

from .local_site import PageHandler, crawl_records, report_title, serving

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "fixtures" / "documents" / "seed000_html" / "input.html"
TABLES = "/files/tables.docx"


def text_page() -> bytes:
    """Return seed000's report page without its tables, under `report_title(0)`, linking the tables as a DOCX."""
    tree = lxml_html.fromstring(SEED.read_text(encoding="utf-8"))
    for table in list(tree.iter("table")):
        table.getparent().remove(table)
    page = lxml_html.tostring(tree, encoding="unicode")
    link = f'<p>附件：<a href="{TABLES}">2024年政府信息公开工作年度报告统计表.docx</a></p>'
    return page.replace("<body>", f"<body><h1>{report_title(0)}</h1>", 1).replace("</body>", f"{link}</body>").encode()


def tables_docx() -> bytes:
    """Return seed000's Word report with only its tables and their headings (第二十条…, 申请人情况, 行政复议) left."""
    import docx

    document = docx.Document(str(ROOT / "fixtures" / "documents" / "seed000_docx" / "input.docx"))
    body = document.element.body
    for p in [p for p in body if p.tag.endswith("}p")]:
        if not any(k in "".join(p.itertext()) for k in ("第二十条", "申请人情况", "行政复议")):
            body.remove(p)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_page_of_text_alone_says_its_tables_are_not_found_and_blames_nobody_else() -> None:
    # Read alone (`nianbao extract`), nothing says where its tables went: STR-05 as before, the publisher's.
    record = extract(text_page(), name="page.html")
    missing = [c for c in record["checks"] if c["rule"] == "STR-05"]
    assert len(missing) == 3 and all(c.get("cause") != "parse" for c in missing)
    linked = extract(text_page(), name="page.html", context={"attachments": 1})
    said = [c for c in linked["checks"] if c["rule"] == "STR-05"]
    assert len(said) == 3 and all(c.get("cause") == "parse" for c in said), said
    assert all("links 1 document" in c["message"] for c in said), said


def test_tables_alone_say_their_parts_may_be_on_the_report_page_that_links_them() -> None:
    # Read alone, the missing parts are errors of the report's (STR-01, E), as before.
    alone = [c for c in extract(tables_docx(), name="t.docx")["checks"] if c["rule"] == "STR-01"]
    assert len(alone) == 4 and all(c["severity"] == "E" and c.get("cause") != "parse" for c in alone), alone
    linked = extract(tables_docx(), name="t.docx", context={"from_report_page": True})
    said = [c for c in linked["checks"] if c["rule"] == "STR-01"]
    assert len(said) == 4 and all(c["severity"] == "W" and c.get("cause") == "parse" for c in said), said
    assert all("the report page that links it may hold it" in c["message"] for c in said), said


class _Site(PageHandler):
    LIST = "/zfxxgk/nb/index.html"
    PAGE = "/zfxxgk/nb/202501/t20250111_1.html"

    def page(self, path: str) -> bytes | None:
        if path == self.LIST:
            return (f'<html><head><meta charset="utf-8"><title>政府信息公开年报</title></head><body><ul><li>'
                    f'<a href="{self.PAGE}">{report_title(0)}</a><span>2025-01-10</span></li></ul></body></html>'
                    ).encode()  # fmt: skip
        return text_page() if path == self.PAGE else None

    def do_GET(self) -> None:
        if self.path != TABLES:
            super().do_GET()
            return
        body = tables_docx()
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.mark.slow
def test_a_crawled_page_linking_its_tables_says_so(tmp_path: Path) -> None:
    with serving(_Site) as url:
        done, records = crawl_records(url + _Site.LIST, tmp_path)
    assert done.returncode == 0, done.stderr[-800:]
    by_url = {r["source_url"].split(url, 1)[1]: r for r in records}
    assert set(by_url) == {_Site.PAGE, TABLES}
    page, tables = by_url[_Site.PAGE], by_url[TABLES]
    assert page["proactive"] is None and tables["proactive"] and tables["requests"] and tables["review_litigation"]
    said = [c for c in page["checks"] if c["rule"] == "STR-05"]
    assert len(said) == 3 and all(c.get("cause") == "parse" and "links 1 document" in c["message"] for c in said)
    parts = [c for c in tables["checks"] if c["rule"] == "STR-01"]
    assert parts and all(c.get("cause") == "parse" and c["severity"] == "W" for c in parts), parts


def test_what_the_crawl_knew_holds_for_a_document_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # A PDF whose layer is wrong in part is read again (by OCR) and the second reading kept: the record built from it
    # still knows a report page linked the document.
    from extractors import api
    from extractors.readers.docx import read_docx

    monkeypatch.setattr(api, "read_pdf_pages", lambda data: read_docx(tables_docx()))  # the tables, without parts
    partial = ROOT / "fixtures" / "garbled" / "seed000_partial" / "input.pdf"
    record = extract(partial, context={"from_report_page": True})
    said = [c for c in record["checks"] if c["rule"] == "STR-01"]
    assert said and all(c.get("cause") == "parse" for c in said), said
