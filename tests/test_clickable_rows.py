"""A 年报 column whose entries are clickable rows, not links: a list item, a table row or a block that sends the
browser to the report by script (`onclick="window.open('…')"`, `onclick="location.href='…'"`) or names it in a
data attribute a site script reads (`data-href`, `data-url`). A crawl reads every report of it.

A local site on 127.0.0.1: `/zfxxgk/nb/index.html` lists the five bundled report pages, each entry one of those
forms, none an `<a href>`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from parsel import Selector

from crawler import discovery as D

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "fixtures" / "documents").glob("seed*_html"))
ENTRIES = (
    '<li onclick="window.open(\'{url}\')"><span class="t">{title}</span><span>{date}</span></li>',
    '<table><tr onclick="location.href=\'{url}\'"><td>{title}</td><td>{date}</td></tr></table>',
    '<div class="item" data-href="{url}"><p>{title}</p><em>{date}</em></div>',
    '<li data-url="{url}" title="{title}"><span>{title}</span><i>{date}</i></li>',
    '<dl><dd onclick="javascript:window.location.href=\'{url}\';return false;">{title} {date}</dd></dl>',
)


def _title(k: int) -> str:
    return f"第{k}单位2024年政府信息公开工作年度报告"


def column() -> str:
    """Return the column page: one entry of each form, the k-th leading to report k."""
    rows = "".join(form.format(url=f"./202501/t20250110_{k}.html", title=_title(k), date=f"2025-01-1{k}")
                   for k, form in enumerate(ENTRIES))  # fmt: skip
    return (f"<html><head><title>政府信息公开年报</title></head><body><div class='crumb'>首页 > 政府信息公开 > "
            f"政府信息公开年报</div><div class='list'>{rows}</div></body></html>")  # fmt: skip


class _Site(BaseHTTPRequestHandler):
    asked: ClassVar[list[str]] = []

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.asked.append(self.path)
        if self.path == "/robots.txt":
            return self._send(b"User-agent: *\nAllow: /\n")
        if self.path == "/zfxxgk/nb/index.html":
            return self._send(column().encode("utf-8"))
        if self.path.startswith("/zfxxgk/nb/202501/t20250110_"):
            k = int(self.path.rsplit("_", 1)[1].split(".")[0])
            if k < len(PAGES):
                page = (PAGES[k] / "input.html").read_text(encoding="utf-8")
                return self._send(page.replace("<body>", f"<body><h1>{_title(k)}</h1>", 1).encode("utf-8"))
        self.send_error(404)


@pytest.fixture
def site() -> Iterator[str]:
    _Site.asked = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_each_clickable_row_is_a_link_with_its_title_and_date() -> None:
    links = D.list_links(Selector(text=column()), "http://x.gov.cn/zfxxgk/nb/index.html")
    got = {lk.url: lk for lk in links}
    for k in range(len(ENTRIES)):
        link = got[f"http://x.gov.cn/zfxxgk/nb/202501/t20250110_{k}.html"]
        assert D.is_report_title(link.text), link
        assert _title(k) in link.text and link.date == f"2025-01-1{k}", link


def test_a_clickable_row_beside_its_own_link_is_one_link() -> None:
    html = ('<ul><li onclick="window.open(\'./a/t1.html\')"><a href="./a/t1.html">某局2024年政府信息公开工作年度报告</a>'
            "</li></ul>")
    links = D.list_links(Selector(text=html), "http://x.gov.cn/nb/index.html")
    assert [lk.url for lk in links] == ["http://x.gov.cn/nb/a/t1.html"]
    assert links[0].text == "某局2024年政府信息公开工作年度报告"
    # A block holding links is no row to click, and a long one's text is no title.
    html = ('<div data-url="/api/list/7"><a href="./a/t2.html">某局2024年政府信息公开工作年度报告</a></div>'
            f'<div onclick="location.href=\'/\'">{"首页导航" * 100}</div>')
    links = D.list_links(Selector(text=html), "http://x.gov.cn/nb/index.html")
    assert [(lk.url, lk.text) for lk in links] == [("http://x.gov.cn/nb/a/t2.html", "某局2024年政府信息公开工作年度报告"),
                                                   ("http://x.gov.cn/", "")]  # fmt: skip


@pytest.mark.slow
def test_a_column_of_clickable_rows_is_read_whole(tmp_path: Path, site: str) -> None:
    assert len(PAGES) == len(ENTRIES) == 5
    db, out = f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path / "records.jsonl"
    proc = subprocess.run([sys.executable, "-m", "nianbao.cli", "crawl", "--fast", "--db", db, "--quiet",
                           f"{site}/zfxxgk/nb/index.html"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    subprocess.run([sys.executable, "-m", "nianbao.cli", "export", "--db", db, "--format", "jsonl", "--out", str(out)],
                   cwd=tmp_path, capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
    records = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines() if x.strip()]
    assert len(records) == len(PAGES), (len(records), _Site.asked)
    assert sorted(r["published_at"] for r in records) == [f"2025-01-1{k}" for k in range(5)]
