"""图片版 pages: a report page that shows its tables as pictures is read with those pictures read by OCR.

fixtures/pictures/seedNNN_html_tables/ (build_pages.py): each bundled HTML report with its three tables replaced by
screenshots of them (`<img src="table_N.png">`), the text kept as text. The gold is the seed's. As for scans
(tests/test_ocr_slow.py), every cell must be right or flagged, and the engine the reader picks first must get 99%
of them right.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from extractors import extract
from extractors.readers.ocr import ENGINES, engine
from nianbao import exits

from .ocr_score import cell_scores

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
CASES = sorted((ROOT / "fixtures" / "pictures").glob("seed*_html_tables"))
SCANNED = sorted((ROOT / "fixtures" / "pictures").glob("seed*_pdf_pages"))
PRINTED = [case / "input.pdf" for case in CASES if (case / "input.pdf").is_file()]
WORD = sorted((ROOT / "fixtures" / "pictures").glob("seed*_docx_tables"))


def _need_ocr() -> None:
    if engine(ENGINES[0]) is None:
        pytest.skip(f"{ENGINES[0]} OCR engine not installed (pip install 'nianbao[ocr]')")


@pytest.mark.parametrize("kind", ["tables", "pages", "printed", "word"])
def test_a_saved_page_with_its_tables_as_pictures_reads_them_by_ocr(kind: str) -> None:
    # tables: the text as text, each table a screenshot; pages: only a title, each page of the report a scan;
    # printed: the first kind printed to PDF by LibreOffice (text as text, tables as pictures); word: Word files
    # whose tables were pasted as pictures.
    _need_ocr()
    cells = right = 0
    wrong: list[list[str]] = []
    cases = {"tables": CASES, "pages": SCANNED, "printed": [pdf.parent for pdf in PRINTED], "word": WORD}[kind]
    name = {"printed": "input.pdf", "word": "input.docx"}.get(kind, "input.html")
    for case in cases:
        record = extract(case / name)
        n, ok, _, bad = cell_scores(record, json.loads((case / "expected.json").read_text(encoding="utf-8")))
        cells, right = cells + n, right + ok
        wrong += [[case.name, *w] for w in bad]
    print(f"\npictured {kind}: {right}/{cells} cells right, {len(wrong)} wrong and not flagged")
    assert len(cases) == (5 if kind == "tables" else 2) and not wrong, wrong[:10]
    assert record["carrier"] == name.rsplit(".", 1)[1]
    assert right >= 0.99 * cells, f"{right}/{cells} right"


# -- a crawl: a report page whose tables are pictures on the site ------------------------------------------------


class _Site(BaseHTTPRequestHandler):
    """`/` lists the report `/nb/1.html` (the 图片版 page of fixture `case`, its pictures at `/upload/…`);
    `missing` names the picture answered 404. Every path asked is kept."""

    asked: ClassVar[list[str]] = []
    missing: ClassVar[str] = ""
    answer: ClassVar[str] = "404"  # how the missing picture is answered: 404, or 200 with an HTML error page
    case: ClassVar[Path] = CASES[0]
    markup: ClassVar[str] = "plain"  # plain: <img src>; lazy: a placeholder src, the picture in data-original;
    # linked: a thumbnail (a page of its own, not the picture) inside a link to the picture
    note: ClassVar[str] = ""  # a paragraph added to the report page (the page changed)

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, body: bytes, ctype: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.asked.append(self.path)
        case = self.case
        if self.path == "/robots.txt":
            return self._send(b"User-agent: *\nAllow: /\n", "text/plain")
        if self.path == "/":
            title = "某某区人民政府2024年政府信息公开工作年度报告"
            return self._send(f'<html><body><h1>政府信息公开年报</h1><a href="/nb/1.html">{title}</a></body></html>'
                              .encode(), "text/html; charset=utf-8")  # fmt: skip
        if self.path == "/nb/1.html":
            page = (case / "input.html").read_text(encoding="utf-8")
            page = re.sub(r'src="(\w+\.(?:png|jpg))"', r'src="/upload/2025/\1"', page)
            if self.markup == "lazy":
                page = re.sub(r'src="(/upload/[^"]+)"', r'src="/static/img/loading.gif" data-original="\1"', page)
            elif self.markup == "linked":
                page = re.sub(r'<img src="(/upload/[^"]+)"', r'<a href="\1"><img src="/thumbs/t.html"', page)
                page = page.replace('alt=""></p>', 'alt=""></a></p>')
            logo = '<img src="/images/logo.png" width="300" height="80">'  # page furniture: never asked
            page = page.replace("</body>", f"<p>{self.note}</p></body>", 1) if self.note else page
            return self._send(page.replace("<body>", f"<body>{logo}", 1).encode("utf-8"), "text/html; charset=utf-8")
        name = self.path.rsplit("/", 1)[-1]
        if name == self.missing and self.answer == "html":
            return self._send("<html><body>文件不存在</body></html>".encode(), "text/html; charset=utf-8")
        if self.path.startswith("/upload/2025/") and name != self.missing and (case / name).is_file():
            return self._send((case / name).read_bytes(), "image/png" if name.endswith(".png") else "image/jpeg")
        self.send_error(404)


@pytest.fixture
def site() -> Iterator[str]:
    _Site.asked = []
    _Site.missing = ""
    _Site.answer = "404"
    _Site.case = CASES[0]
    _Site.markup = "plain"
    _Site.note = ""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _crawl(tmp_path: Path, url: str) -> tuple[subprocess.CompletedProcess[str], list[dict], list[dict]]:
    """Return the crawl of `url` into a store of its own, the records exported, and the feed's lines."""
    db, feed, out = f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path / "feed.jsonl", tmp_path / "records.jsonl"
    proc = subprocess.run([sys.executable, "-m", "nianbao.cli", "crawl", "--fast", "--db", db, "--feed", str(feed),
                           "--quiet", "-s", "DOWNLOAD_TIMEOUT=10", url], cwd=tmp_path, capture_output=True, text=True,
                          timeout=600)  # fmt: skip
    subprocess.run([sys.executable, "-m", "nianbao.cli", "export", "--db", db, "--format", "jsonl", "--out", str(out)],
                   cwd=tmp_path, capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
    records = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines() if x.strip()]
    lines = [json.loads(x) for x in feed.read_text(encoding="utf-8").splitlines() if x.strip()]
    return proc, records, lines


@pytest.mark.parametrize("markup", ["plain", "lazy", "linked"])
def test_a_crawl_fetches_a_report_pages_pictures_and_reads_its_tables_from_them(tmp_path: Path, site: str,
                                                                                markup: str) -> None:  # fmt: skip
    # lazy: pictures loaded by script (`data-original`, the src a loading GIF); linked: each shown as a thumbnail
    # inside a link to the picture itself.
    _need_ocr()
    _Site.markup = markup
    proc, records, _ = _crawl(tmp_path, f"{site}/")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(records) == 1
    cells, right, _, wrong = cell_scores(records[0], json.loads((CASES[0] / "expected.json").read_text("utf-8")))
    print(f"\ncrawled 图片版 page: {right}/{cells} cells right, {len(wrong)} wrong and not flagged")
    assert not wrong and right >= 0.99 * cells, (right, cells, wrong[:5])
    assert sorted(p for p in _Site.asked if p.startswith("/upload/")) == [f"/upload/2025/table_{n}.png" for n in (1, 2, 3)]
    assert "/images/logo.png" not in _Site.asked


@pytest.mark.parametrize(("answer", "said"), [("404", "HTTP 404"), ("html", "not a picture")])
def test_a_picture_that_cannot_be_had_is_an_error_line_and_the_report_is_kept(tmp_path: Path, site: str, answer: str,
                                                                              said: str) -> None:  # fmt: skip
    # html: the server answers 200 with an error page where the picture should be.
    _need_ocr()
    _Site.missing = "table_3.png"  # table 四's picture
    _Site.answer = answer
    proc, records, lines = _crawl(tmp_path, f"{site}/")
    assert proc.returncode == exits.ATTENTION and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert "1 picture(s) of reports drawn as pictures not fetched" in proc.stderr
    assert len(records) == 1 and records[0]["proactive"] and records[0]["requests"]
    assert records[0]["review_litigation"] is None
    miss = [c for c in records[0]["checks"] if c["rule"] == "STR-05"]
    assert len(miss) == 1 and miss[0].get("cause") == "parse" and "1 picture(s) not read" in miss[0]["message"]
    errors = [line for line in lines if line.get("kind") == "error"]
    assert len(errors) == 1 and errors[0]["source_url"].endswith("/upload/2025/table_3.png"), errors
    assert said in errors[0]["error"]


def test_a_crawl_reads_a_report_shown_as_the_pictures_of_its_pages(tmp_path: Path, site: str) -> None:
    # The page holds only a title: read as text it is no report at all; its pictures are.
    _need_ocr()
    _Site.case = SCANNED[0]
    proc, records, _ = _crawl(tmp_path, f"{site}/")
    assert proc.returncode == 0 and len(records) == 1, proc.stderr[-2000:]
    cells, right, _, wrong = cell_scores(records[0], json.loads((SCANNED[0] / "expected.json").read_text("utf-8")))
    print(f"\ncrawled page of page pictures: {right}/{cells} cells right, {len(wrong)} wrong and not flagged")
    assert not wrong and right >= 0.99 * cells, (right, cells, wrong[:5])
    assert records[0]["sections"]["overview"], "the parts' text comes from the pictures too"


def test_a_report_page_read_with_its_pictures_is_not_read_again_while_it_is_unchanged(tmp_path: Path,
                                                                                      site: str) -> None:  # fmt: skip
    # The server gives no validators (no 304): the page is fetched whole on each visit. Stored is the page with its
    # pictures carried, so its own bytes are not those stored: the crawl memory keeps them.
    _need_ocr()
    pictures = [f"/upload/2025/table_{n}.png" for n in (1, 2, 3)]
    proc, first, earlier = _crawl(tmp_path, f"{site}/")
    assert proc.returncode == 0 and len(first) == 1, proc.stderr[-2000:]
    assert sorted(p for p in _Site.asked if p.startswith("/upload/")) == pictures
    _Site.asked = []
    proc, again, lines = _crawl(tmp_path, f"{site}/")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "/nb/1.html" in _Site.asked and not [p for p in _Site.asked if p.startswith("/upload/")]
    fetched = [(a.pop("fetched_at"), b.pop("fetched_at"))
               for a, b in zip(first[0]["source_details"], again[0]["source_details"], strict=True)]  # fmt: skip
    assert again == first and all(a < b for a, b in fetched)  # the same report, fetched again
    lines = lines[len(earlier) :]  # the feed goes on from the first crawl's
    assert [line["kind"] for line in lines if line["source_url"].endswith("/nb/1.html")] == ["unchanged"]
    _Site.asked = []
    _Site.note = "本报告数据更正说明。"
    proc, changed, _ = _crawl(tmp_path, f"{site}/")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert sorted(p for p in _Site.asked if p.startswith("/upload/")) == pictures  # changed: read again
    assert len(changed) >= 1 and all(r["requests"] for r in changed)
