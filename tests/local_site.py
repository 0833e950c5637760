"""A small web of a test's own on 127.0.0.1, and a crawl of it through the CLI (`nianbao crawl`, then `export`)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

PAGES = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "documents").glob("seed*_html"))
"""The bundled HTML report pages, in seed order."""


def report_title(k: int) -> str:
    """Return the title report page `k` of a test web is served under."""
    return f"第{k}单位2024年政府信息公开工作年度报告"


def report_page(k: int) -> bytes | None:
    """Return bundled report page `k` (PAGES) under `report_title(k)` as its h1, or None past the last."""
    if not 0 <= k < len(PAGES):
        return None
    page = (PAGES[k] / "input.html").read_text(encoding="utf-8")
    return page.replace("<body>", f"<body><h1>{report_title(k)}</h1>", 1).encode("utf-8")


class PageHandler(BaseHTTPRequestHandler):
    """A quiet handler of a test web: robots.txt allows all, `REPORTS{k}.html` is `report_page(k)`, any other path
    is the subclass's `page(path)` (404 where None). Every path asked is kept in `asked` (emptied by `serving`)."""

    asked: ClassVar[list[str]] = []
    REPORTS = "/zfxxgk/nb/202501/t20250110_"

    def log_message(self, *args: object) -> None:
        pass

    def page(self, path: str) -> bytes | None:
        """Return the HTML of `path`, or None for a 404."""
        return None

    def do_GET(self) -> None:
        self.asked.append(self.path)
        if self.path == "/robots.txt":
            body: bytes | None = b"User-agent: *\nAllow: /\n"
        elif self.path.startswith(self.REPORTS):
            body = report_page(int(self.path.rsplit("_", 1)[1].split(".")[0]))
        else:
            body = self.page(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def serving(handler: type[PageHandler]) -> Iterator[str]:
    """Serve `handler` on a free loopback port while inside; yield the site's address (`http://127.0.0.1:PORT`)."""
    handler.asked = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def crawl_records(url: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], list[dict[str, object]]]:
    """Return the finished `nianbao crawl --fast URL` (into a store under `tmp_path`) and the reports it stored, as
    `nianbao export --format jsonl` writes them (none where the crawl failed)."""
    db, out = f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path / "records.jsonl"
    proc = subprocess.run([sys.executable, "-m", "nianbao.cli", "crawl", "--fast", "--db", db, "--quiet", url],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)  # fmt: skip
    if proc.returncode != 0:
        return proc, []
    subprocess.run([sys.executable, "-m", "nianbao.cli", "export", "--db", db, "--format", "jsonl", "--out", str(out)],
                   cwd=tmp_path, capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
    return proc, [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines() if x.strip()]
