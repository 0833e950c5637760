"""The crawler keeps what it should (issue 7, item 3), proven against real loopback web servers.

Documents are recognised by their bytes whatever their Content-Type; pages nested too deep for the parser
are refused with an error line, never taken for empty lists; Retry-After is honoured up to a bound and a
dead host is given up after a few consecutive failures; oversized bodies count as `too_large` whatever the
download handler says; and no more than CONCURRENT_REQUESTS_PER_DOMAIN (2) requests are in flight per host.
"""

from __future__ import annotations

import email.utils
import gzip
import json
import re
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import Response
from scrapy.utils._download_handlers import get_maxsize_msg
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from crawler.failures import too_large
from storage import Store

from . import clirun
from .conftest import DOCUMENTS, ROOT

TITLE = "某某区{}2024年政府信息公开工作年度报告"
ROBOTS = b"User-agent: *\nAllow: /\n"
PDF = (DOCUMENTS / "seed001_pdf" / "input.pdf").read_bytes()
PDF2 = (DOCUMENTS / "seed003_pdf" / "input.pdf").read_bytes()
DOCX = (DOCUMENTS / "seed002_docx" / "input.docx").read_bytes()
DOC = (DOCUMENTS / "seed000_doc" / "input.doc").read_bytes()
REPORT_PAGE = (DOCUMENTS / "seed004_html" / "input.html").read_bytes()


@dataclass
class Reply:
    """What the server answers: a status, a body, headers; a hang holds the connection until the server stops."""

    status: int = 200
    body: bytes = b""
    ctype: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    length: bool = True  # False: no Content-Length, the body ends when the connection closes
    repeat: int = 1  # the body is written this many times (a stream)
    hang: bool = False


Route = Callable[[int], Reply]  # called with how many times the path was asked for before


def page(links: list[tuple[str, str]], wrap: int = 0, title: str = "政府信息公开年报") -> Reply:
    """Return a list page linking (href, text) pairs, its list nested `wrap` elements deep."""
    items = "".join(f'<li><a href="{href}">{text}</a></li>' for href, text in links)
    html = f"<html><head><title>{title}</title></head><body>{'<div>' * wrap}<ul>{items}</ul>{'</div>' * wrap}"
    return Reply(body=f"{html}</body></html>".encode())


def fixed(reply: Reply) -> Route:
    """Return a route answering `reply` every time."""
    return lambda n: reply


class Web:
    """A loopback server of fixed routes that records each request and the peak of requests in flight per Host."""

    def __init__(self, routes: dict[str, Route], address: str = "127.0.0.1", pause: float = 0.0) -> None:
        self.routes = {"/robots.txt": fixed(Reply(body=ROBOTS, ctype="text/plain")), **routes}
        self.pause = pause
        self.hits: list[tuple[str, float]] = []  # (path, arrival time)
        self.peak: Counter[str] = Counter()
        self.stop = threading.Event()
        self._now: Counter[str] = Counter()
        self._lock = threading.Lock()
        web = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                web._serve(self)

        self.server = ThreadingHTTPServer((address, 0), Handler)
        self.url = f"http://{address}:{self.server.server_address[1]}/"
        self.host = f"{address}:{self.server.server_address[1]}"

    def count(self, path: str) -> int:
        """Return how many requests the path had."""
        return sum(1 for p, _ in self.hits if p == path)

    def times(self, path: str) -> list[float]:
        """Return when each request of the path arrived."""
        return [t for p, t in self.hits if p == path]

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        host = h.headers.get("Host", "")
        with self._lock:
            seen = self.count(h.path)
            self.hits.append((h.path, time.monotonic()))
            self._now[host] += 1
            self.peak[host] = max(self.peak[host], self._now[host])
        try:
            route = self.routes.get(h.path)
            if route is None:
                h.send_error(404)
                return
            reply = route(seen)
            if reply.hang:
                self.stop.wait(60)
                return
            time.sleep(self.pause)
            h.send_response(reply.status)
            h.send_header("Content-Type", reply.ctype)
            for name, value in reply.headers.items():
                h.send_header(name, value)
            if reply.length:
                h.send_header("Content-Length", str(len(reply.body) * reply.repeat))
            h.end_headers()
            for _ in range(reply.repeat):
                h.wfile.write(reply.body)
        except OSError:
            pass  # the crawler hung up
        finally:
            with self._lock:
                self._now[host] -= 1

    @contextmanager
    def running(self) -> Iterator[Web]:
        """Serve in a thread for the block's duration."""
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.stop.set()
            self.server.shutdown()
            self.server.server_close()


@dataclass
class Crawl:
    """What a `nianbao crawl` run left: its feed items, per-site summary rows, crawl stats and stderr."""

    items: list[dict[str, Any]]
    sites: dict[str, dict[str, Any]]
    stats: dict[str, Any]
    stderr: str

    def errors(self) -> dict[str, str]:
        """Return source URL → error of every error item."""
        return {i["source_url"]: i["error"] for i in self.items if i["kind"] == "error"}

    def reports(self) -> set[str]:
        """Return the source URLs of the report and source items."""
        return {i["source_url"] for i in self.items if i["kind"] in ("report", "source")}


# `nianbao crawl` with a lazy aiohttp handler: Scrapy's is built when the crawler is, before the event loop runs.
AIOHTTP = (
    "import sys; from scrapy.core.downloader.handlers._aiohttp import AiohttpDownloadHandler as A; "
    "Lazy = type('Lazy', (A,), {'lazy': True}); from nianbao.cli import main; sys.exit(main())"
)


def crawl(tmp: Path, urls: list[str], *settings: str, fast: bool = True, aiohttp: bool = False) -> Crawl:
    """Run `nianbao crawl` on `urls` in a subprocess (settings as KEY=VALUE) and return what it left."""
    db = f"sqlite:///{tmp / 'nb.sqlite'}"
    args = ["crawl", *urls, "--db", db, "--feed", str(tmp / "feed.jsonl"), "--summary", str(tmp / "summary.json"),
            "-s", "RETRY_BACKOFF_BASE=0.1", "-s", "DOWNLOAD_TIMEOUT=5"]  # fmt: skip
    if fast:
        args.append("--fast")
    for s in settings:
        args += ["-s", s]
    if aiohttp:
        handler = ["-s", 'DOWNLOAD_HANDLERS={"http": "__main__.Lazy"}']
        run = subprocess.run([sys.executable, "-c", AIOHTTP, *args, *handler], cwd=ROOT, capture_output=True,
                             timeout=300)  # fmt: skip
    else:
        run = clirun.run(args, cwd=ROOT, timeout=300)  # a forked child: the crawl without the interpreter's start-up
    stderr = run.stderr.decode(errors="replace")
    assert run.returncode in (0, 1), stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    feed = tmp / "feed.jsonl"
    items = [json.loads(x) for x in feed.read_text(encoding="utf-8").splitlines() if x] if feed.exists() else []
    summary = json.loads((tmp / "summary.json").read_text(encoding="utf-8"))
    with Store(db) as store:
        stats = store.runs()[-1]["stats"] or {}
    return Crawl(items, {r["site"]: r for r in summary["sites"]}, stats, stderr)


# -- 1. documents whatever their Content-Type ------------------------------------------------------------


@pytest.mark.slow
def test_documents_are_recognised_by_their_bytes_whatever_their_content_type(tmp_path: Path) -> None:
    served = {
        "/nb/a.pdf": Reply(body=PDF, ctype="text/html"),
        "/nb/b.docx": Reply(body=DOCX, ctype="text/plain; charset=utf-8"),
        "/nb/c.doc": Reply(body=DOC, ctype="text/html; charset=gb2312"),
        "/nb/download?id=4": Reply(body=PDF2, ctype="text/html; charset=utf-8"),  # no extension: a candidate page
    }
    links = [(path, TITLE.format(f"第{n}单位")) for n, path in enumerate(served)]
    web = Web({"/": fixed(page(links)), **{p: fixed(r) for p, r in served.items()}})
    with web.running():
        run = crawl(tmp_path, [web.url])
    wanted = {web.url + p.lstrip("/") for p in served}
    assert run.errors() == {}, run.errors()
    assert {i["source_url"] for i in run.items if i["kind"] == "report"} == wanted
    assert run.sites[web.host]["reports_new"] == 4


# -- 2. deeply nested HTML ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_deep_html_is_read_within_the_parser_limit_and_refused_with_an_error_line_beyond(tmp_path: Path) -> None:
    # lxml's default stops at 256 levels; past the huge-tree limit (2048 levels) nothing can read the page.
    web = Web({
        "/deep300.html": fixed(page([("/nb/r300.pdf", TITLE.format("甲"))], wrap=300)),
        "/deep3000.html": fixed(page([("/nb/r3000.pdf", TITLE.format("乙"))], wrap=3000)),
        "/nb/r300.pdf": fixed(Reply(body=PDF, ctype="application/pdf")),
        "/nb/r3000.pdf": fixed(Reply(body=PDF2, ctype="application/pdf")),
    })  # fmt: skip
    with web.running():
        run = crawl(tmp_path, [web.url + "deep300.html", web.url + "deep3000.html"])
    assert run.reports() == {web.url + "nb/r300.pdf"}
    errors = run.errors()
    assert set(errors) == {web.url + "deep3000.html"}, errors
    assert re.search(r"nest|depth|deep", errors[web.url + "deep3000.html"], re.I), errors
    assert run.stats.get(f"site/{web.host}/errors") == 1, run.stats
    assert web.count("/nb/r3000.pdf") == 0


@pytest.mark.slow
def test_a_list_answer_nested_past_pythons_recursion_limit_is_an_error_line_and_the_crawl_goes_on(
    tmp_path: Path,
) -> None:
    # Before: Scrapy's traceback on stderr, the site's errors 0, exit 0 with its other report found.
    shell = ("<html><head><title>政府信息公开年报</title><script>window._CONFIG = {SID: '175'};</script></head><body>"
             '<script>var TREE = [{"id": 2629, "name": "政府信息公开年报"}, {"id": 2630, "name": "部门年报"}];'
             "</script></body></html>")  # fmt: skip
    good = json.dumps({"articles": [{"title": TITLE.format("乙"), "url": "/nb/r.pdf", "created_at": "2025-01-20"}]})
    web = Web({
        "/gkmlpt/annualreport": fixed(Reply(body=shell.encode())),
        "/gkmlpt/api/all/2629?sid=175&page=1": fixed(Reply(body=b"[" * 100_000 + b"]" * 100_000,
                                                           ctype="application/json")),
        "/gkmlpt/api/all/2630?sid=175&page=1": fixed(Reply(body=good.encode(), ctype="application/json")),
        "/nb/r.pdf": fixed(Reply(body=PDF, ctype="application/pdf")),
    })  # fmt: skip
    with web.running():
        run = crawl(tmp_path, [web.url + "gkmlpt/annualreport"])
    assert run.reports() == {web.url + "nb/r.pdf"}
    deep = web.url + "gkmlpt/api/all/2629?sid=175&page=1"
    assert set(run.errors()) == {deep} and "RecursionError" in run.errors()[deep], run.errors()
    assert run.stats[f"site/{web.host}/errors"] == 1 and run.stats[f"site/{web.host}/pages_unread"] == 1
    said = [line for line in run.stderr.splitlines() if line.startswith("nianbao:")]
    assert said == [f"nianbao: {web.host}: 1 page(s) could not be read (their error lines say why)"], said


@pytest.mark.slow
def test_a_report_page_nested_past_lxmls_default_limit_is_kept(tmp_path: Path) -> None:
    html = REPORT_PAGE.decode("utf-8")
    start, end = html.index(">", html.index("<body")) + 1, html.rindex("</body>")
    deep = html[:start] + "<div>" * 300 + html[start:end] + "</div>" * 300 + html[end:]
    web = Web({
        "/": fixed(page([("/nb/deep.html", TITLE.format("甲"))])),
        "/nb/deep.html": fixed(Reply(body=deep.encode("utf-8"))),
    })  # fmt: skip
    with web.running():
        run = crawl(tmp_path, [web.url])
    # Read by the crawler (a document item goes to the pipeline); the extractor must keep it too.
    not_reports = run.stats.get(f"site/{web.host}/not_reports")
    assert run.reports() == {web.url + "nb/deep.html"} and not run.errors(), f"not reports: {not_reports}"


# -- 3. Retry-After and dead hosts -------------------------------------------------------------------------


@pytest.mark.slow
def test_retry_after_is_honoured_and_a_host_asking_too_long_is_given_up(tmp_path: Path) -> None:
    def later(status: int, wait: str, body: bytes, ctype: str) -> Route:
        return lambda n: Reply(body=body, ctype=ctype) if n else Reply(status=status, headers={"Retry-After": wait})

    def date_in(seconds: float) -> str:
        return email.utils.formatdate(time.time() + seconds, usegmt=True)

    slow = Web({
        "/": fixed(page([("/nb/a.pdf", TITLE.format("甲")), ("/nb/b.docx", TITLE.format("乙"))])),
        "/nb/a.pdf": later(429, "2", PDF, "application/pdf"),
        "/nb/b.docx": lambda n: later(503, date_in(3), DOCX, "application/octet-stream")(n),
    }, address="127.0.0.1")  # fmt: skip
    docs = [f"/nb/{c}.pdf" for c in "cde"]
    away = Web({
        "/": fixed(page([(d, TITLE.format(d[-5])) for d in docs])),
        **{d: fixed(Reply(status=503, headers={"Retry-After": "3600"})) for d in docs},
    }, address="127.0.0.2")  # fmt: skip
    with slow.running(), away.running():
        run = crawl(tmp_path, [slow.url, away.url], "RETRY_TIMES=2")
    # Honoured: the second request came no sooner than the server asked (the backoff alone is 0.1 s).
    a, b = slow.times("/nb/a.pdf"), slow.times("/nb/b.docx")
    assert (len(a), len(b)) == (2, 2), slow.hits
    assert a[1] - a[0] >= 1.9 and b[1] - b[0] >= 1.5, (a, b)
    assert run.reports() == {slow.url + "nb/a.pdf", slow.url + "nb/b.docx"}
    assert run.stats.get(f"site/{slow.host}/given_up") is None
    # Over the 120 s bound: the host is given up at once, every document becomes an error line.
    assert sum(away.count(d) for d in docs) <= 2, away.hits
    assert set(run.errors()) == {away.url + d.lstrip("/") for d in docs}, run.errors()
    assert run.stats[f"site/{away.host}/given_up"] == 3, run.stats
    assert run.stats[f"site/{away.host}/given_up_reason"] == f"{away.host}: Retry-After 3600 s over the 120 s bound"


@pytest.mark.slow
def test_a_dead_host_is_given_up_after_consecutive_timeouts(tmp_path: Path) -> None:
    docs = [f"/nb/{n}.pdf" for n in range(12)]
    web = Web({
        "/": fixed(page([(d, TITLE.format(f"第{n}单位")) for n, d in enumerate(docs)])),
        **{d: fixed(Reply(hang=True)) for d in docs},
    })  # fmt: skip
    with web.running():
        run = crawl(tmp_path, [web.url], "DOWNLOAD_TIMEOUT=1", "RETRY_TIMES=1", "NIANBAO_HOST_FAILURES=3")
    hits = sum(web.count(d) for d in docs)
    # Three consecutive timeouts give the host up; only the one other request then in flight may still go out.
    assert hits <= 4, hits
    assert set(run.errors()) == {web.url + d.lstrip("/") for d in docs}, run.errors()
    given_up = run.stats.get(f"site/{web.host}/given_up", 0)
    assert given_up >= len(docs) - hits and given_up + run.stats.get(f"site/{web.host}/errors", 0) == len(docs)
    assert run.stats[f"site/{web.host}/given_up_reason"] == f"{web.host}: 3 consecutive timeouts", run.stats


@pytest.mark.slow
def test_a_host_refusing_connections_is_given_up_in_one_line_without_a_traceback(tmp_path: Path) -> None:
    # Scrapy's robots.txt middleware logged the refused robots.txt with its traceback (two of them chained).
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    host = f"127.0.0.1:{port}"
    run = crawl(tmp_path, [f"http://{host}/"])  # it asserts no traceback on stderr
    said = [line for line in run.stderr.splitlines() if line.startswith("nianbao:")]
    assert said == [f"nianbao: {host}: host given up ({host}: 5 consecutive connection errors)"], said
    assert "Connection refused" in run.stderr  # what happened is still said, in Scrapy's own line


# -- 4. too large, whatever the words ----------------------------------------------------------------------

LIMIT = 200_000


@pytest.mark.slow
@pytest.mark.parametrize("aiohttp", [False, True], ids=["http11", "aiohttp"])
def test_oversized_bodies_count_as_too_large_whatever_the_handler_says(tmp_path: Path, aiohttp: bool) -> None:
    chunk = b"%PDF-1.4\n" + b"0" * 65527
    bomb = gzip.compress(b"%PDF-1.4\n" + b"0" * (20 * LIMIT))  # small on the wire, 20 × the limit inflated
    served = {
        "/nb/declared.pdf": Reply(body=chunk, ctype="application/pdf", repeat=40),
        "/nb/streamed.pdf": Reply(body=chunk, ctype="application/pdf", repeat=40, length=False),
        "/nb/bomb.pdf": Reply(body=bomb, ctype="application/pdf", headers={"Content-Encoding": "gzip"}),
    }
    assert len(bomb) < LIMIT
    links = [(p, TITLE.format(f"第{n}单位")) for n, p in enumerate(served)] + [("/nb/ok.pdf", TITLE.format("甲"))]
    web = Web({"/": fixed(page(links)), "/nb/ok.pdf": fixed(Reply(body=PDF, ctype="application/pdf")),
               **{p: fixed(r) for p, r in served.items()}})  # fmt: skip
    with web.running():
        run = crawl(tmp_path, [web.url], f"DOWNLOAD_MAXSIZE={LIMIT}", "RETRY_TIMES=0", aiohttp=aiohttp)
    assert set(run.errors()) == {web.url + p.lstrip("/") for p in served}, run.errors()
    row = run.sites[web.host]
    assert (row["too_large"], row["errors"], row["reports_new"]) == (3, 3, 1), row


def test_every_size_refusal_scrapy_raises_is_too_large() -> None:
    request = Request("http://127.0.0.1/nb/a.pdf", meta={"download_maxsize": 1000})
    body = gzip.compress(b"0" * 100_000)
    response = Response(request.url, body=body, headers={"Content-Encoding": "gzip"}, request=request)
    mw = HttpCompressionMiddleware.from_crawler(get_crawler())
    with pytest.raises(IgnoreRequest) as decompressed:
        mw.process_response(request, response)
    refusals = [
        DownloadCancelledError(get_maxsize_msg(5000, 1000, request, expected=True)),  # declared, HTTP/1.1 H2 httpx
        DownloadCancelledError(get_maxsize_msg(5000, 1000, request, expected=False)),  # streamed, H2 httpx aiohttp
        DownloadCancelledError(""),  # streamed over HTTP/1.1: Twisted's bare cancellation
        decompressed.value,
    ]
    for exc in refusals:
        assert too_large(Failure(exc)), exc
    assert not too_large(Failure(IgnoreRequest("off-site")))
    assert not too_large(Failure(ValueError("larger than download max size, said someone")))


# -- 5. at most two requests in flight per host --------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("delay", ["0", "0.02"], ids=["fast", "delay"])
def test_at_most_two_requests_are_in_flight_per_host(tmp_path: Path, delay: str) -> None:
    docs = [f"/nb/{n}.html" for n in range(60)]
    web = Web({
        "/": fixed(page([(d, TITLE.format(f"第{n}街道办事处")) for n, d in enumerate(docs)])),
        **{d: fixed(Reply(body=REPORT_PAGE)) for d in docs},
    }, pause=0.05)  # fmt: skip
    with web.running():
        run = crawl(tmp_path, [web.url], f"DOWNLOAD_DELAY={delay}")
    assert all(web.count(d) == 1 for d in docs), web.hits
    assert len(run.reports()) == 60
    assert web.peak[web.host] <= 2, web.peak
