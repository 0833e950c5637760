"""A 年报 column paged by a pager drawn by script: its links call a page function that sends the browser to an
address built around the page number (`"index_" + (n - 1) + ".html"`). A crawl reads every page of it.

A local site on 127.0.0.1: `/zfxxgk/nb/index.html` lists two reports and draws `共3页` with `javascript:goPage(n)`
links; `index_1.html` and `index_2.html` list the rest. Before, the crawl read the first page only (2 of 5 reports).
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

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "fixtures" / "documents").glob("seed*_html"))
PER_PAGE = 2


class _Site(BaseHTTPRequestHandler):
    asked: ClassVar[list[str]] = []
    pager: ClassVar[str] = "path"  # path: index_N.html; query: list.jsp?pageNo=N

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _list(self, page: int) -> bytes:
        total = -(-len(PAGES) // PER_PAGE)
        items = "".join(f'<li><a href="/zfxxgk/nb/202501/t20250110_{k}.html">第{k}单位2024年政府信息公开工作年度报告</a>'
                        f"<span>2025-01-1{k}</span></li>"
                        for k in range(page * PER_PAGE, min((page + 1) * PER_PAGE, len(PAGES))))  # fmt: skip
        if self.pager == "path":
            jump = 'location.href = "index_" + (n - 1) + ".html";'
        else:
            jump = 'window.location = "list.jsp?cat=7&pageNo=" + n;'
        links = " ".join(f'<a href="javascript:goPage({n})">{n}</a>' for n in range(1, total + 1))
        return (f"<html><head><title>政府信息公开年报</title><script>function goPage(n){{ {jump} }}</script></head>"
                f"<body><div class='crumb'>首页 > 政府信息公开 > 政府信息公开年报</div><ul>{items}</ul>"
                f"<div class='page'>共{total}页 {links} <a href='javascript:goPage({page + 2})'>下一页</a></div>"
                "</body></html>").encode()  # fmt: skip

    def do_GET(self) -> None:
        self.asked.append(self.path)
        path = self.path
        if path == "/robots.txt":
            return self._send(b"User-agent: *\nAllow: /\n")
        if path in ("/zfxxgk/nb/index.html", "/zfxxgk/nb/list.jsp?cat=7&pageNo=1"):
            return self._send(self._list(0))
        for n in range(1, 4):
            if path in (f"/zfxxgk/nb/index_{n - 1}.html", f"/zfxxgk/nb/list.jsp?cat=7&pageNo={n}") and n > 1:
                return self._send(self._list(n - 1))
        if path.startswith("/zfxxgk/nb/202501/t20250110_"):
            k = int(path.rsplit("_", 1)[1].split(".")[0])
            if k < len(PAGES):
                page = (PAGES[k] / "input.html").read_text(encoding="utf-8")
                title = f"第{k}单位2024年政府信息公开工作年度报告"
                return self._send(page.replace("<body>", f"<body><h1>{title}</h1>", 1).encode("utf-8"))
        self.send_error(404)


@pytest.fixture
def site() -> Iterator[str]:
    _Site.asked = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("pager", ["path", "query"])
def test_a_column_paged_by_a_script_pager_is_read_to_its_end(tmp_path: Path, site: str, pager: str) -> None:
    assert len(PAGES) == 5
    _Site.pager = pager
    db, out = f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path / "records.jsonl"
    proc = subprocess.run([sys.executable, "-m", "nianbao.cli", "crawl", "--fast", "--db", db, "--quiet",
                           f"{site}/zfxxgk/nb/index.html"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    subprocess.run([sys.executable, "-m", "nianbao.cli", "export", "--db", db, "--format", "jsonl", "--out", str(out)],
                   cwd=tmp_path, capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
    records = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines() if x.strip()]
    assert len(records) == len(PAGES), (len(records), _Site.asked)
    lists = [p for p in _Site.asked if "t20250110_" not in p and p != "/robots.txt"]
    assert len(lists) == len(set(lists)) == 3, lists  # each list page asked once, no half-built address
