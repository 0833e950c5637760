"""Response bodies over the size limit are abandoned, recorded against their URL, and the crawl goes on."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from storage import Store

from . import clirun
from .conftest import DOCUMENTS, ROOT

LIMIT = 1_000_000
TITLE = "某某区人民政府办公室2024年政府信息公开工作年度报告"


class _Site(BaseHTTPRequestHandler):
    """A 年报 column with one report page, one oversized PDF and one oversized stream of unknown length."""

    report = (DOCUMENTS / "seed004_html" / "input.html").read_bytes()
    streamed: ClassVar[dict[str, int]] = {}

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, body: bytes, ctype: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/robots.txt":
            self._send(b"User-agent: *\nAllow: /\n", "text/plain")
        elif self.path == "/":
            links = "".join(
                f'<li><a href="{href}">{TITLE}{n}</a></li>'
                for n, href in (("", "/nb/2024.html"), ("（附件）", "/nb/big.pdf"), ("（全文）", "/nb/stream.pdf"))
            )
            self._send(f"<html><body><h1>政府信息公开年报</h1><ul>{links}</ul></body></html>".encode(), "text/html")
        elif self.path == "/nb/2024.html":
            self._send(self.report, "text/html; charset=utf-8")
        elif self.path == "/nb/big.pdf":
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            self.send_header("Content-Length", str(50 * LIMIT))
            self.end_headers()
            self._stream("big")
        elif self.path == "/nb/stream.pdf":
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            self.end_headers()  # no length: HTTP/1.0 style, ends when the connection closes
            self._stream("stream")
        else:
            self.send_error(404)

    def _stream(self, name: str) -> None:
        chunk = b"%PDF-1.4\n" + b"0" * 65527
        sent = 0
        try:
            while sent < 50 * LIMIT:
                self.wfile.write(chunk)
                sent += len(chunk)
        except OSError:
            pass  # the crawler hung up: what we want
        finally:
            _Site.streamed[name] = sent


@pytest.mark.slow
def test_oversized_documents_are_abandoned_recorded_and_the_crawl_goes_on(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    db = f"sqlite:///{tmp_path / 'nb.sqlite'}"
    try:
        run = clirun.run(
            ["crawl", url, "--fast", "--db", db, "--feed", str(tmp_path / "feed.jsonl"),
             "--summary", str(tmp_path / "summary.json"), "-s", f"DOWNLOAD_MAXSIZE={LIMIT}",
             "-s", "DOWNLOAD_TIMEOUT=20", "-s", "RETRY_TIMES=0"],
            cwd=ROOT, timeout=300,
        )  # fmt: skip
    finally:
        server.shutdown()
    stderr = run.stderr.decode(errors="replace")
    assert run.returncode == 0, stderr[-3000:]
    assert "Traceback" not in stderr
    items = [json.loads(x) for x in (tmp_path / "feed.jsonl").read_text(encoding="utf-8").splitlines()]
    errors = {i["source_url"].rsplit("/", 1)[-1]: i["error"] for i in items if i["kind"] == "error"}
    assert set(errors) == {"big.pdf", "stream.pdf"}
    assert all("max size" in e for e in errors.values()), errors
    assert [i["source_url"].rsplit("/", 1)[-1] for i in items if i["kind"] == "report"] == ["2024.html"]
    [site] = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))["sites"]
    assert (site["too_large"], site["reports_new"]) == (2, 1)
    # Abandoned, not buffered: the server could send only a little past the limit before the hang-up.
    assert all(sent < 10 * LIMIT for sent in _Site.streamed.values()), _Site.streamed
    with Store(db) as store:
        assert store.counts()["reports"] == 1
