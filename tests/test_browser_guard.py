"""Chromium (`crawl --browser`) never reaches an internal address the user did not name.

Chromium resolves names and follows a page's scripts, fetches and redirects itself, past the crawl's own
SafetyMiddleware and resolver. A gated page (a 瑞数-style 412 `$_ts` script that sets a cookie and reloads) that,
once passed, has Chromium fetch from another loopback host nobody named must not reach that host.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest

from crawler.browser import BrowserGuard

from .conftest import ROOT, need_browser

GATED_HOST, PROBE_HOST = "127.0.0.61", "127.0.0.62"
COOKIE = "gate_passed=1"


def _server(host: str, handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def webs() -> Iterator[tuple[str, list[str]]]:
    """(the gated site's URL, the paths the unnamed probe host was asked for)."""
    probed: list[str] = []

    class Probe(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            probed.append(self.path)
            self.send_response(200)
            self.send_header("Access-Control-Allow-Origin", "*")
            self.end_headers()
            self.wfile.write(b"/* probe */")

        def log_message(self, *args: object) -> None:
            pass

    probe = _server(PROBE_HOST, Probe)
    target = f"http://{PROBE_HOST}:{probe.server_address[1]}"

    class Gated(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/robots.txt":
                body, status = b"User-agent: *\nAllow: /\n", 200
            elif COOKIE not in (self.headers.get("Cookie") or ""):
                body, status = (b'<html><head><script>$_ts=window["$_ts"]||{};setTimeout(function(){document.cookie='
                                b'"' + COOKIE.encode() + b'; path=/";location.reload();},200);</script></head></html>',
                                412)  # fmt: skip
            else:
                body, status = (f'<html><head><meta charset="utf-8"><title>政务公开</title>'
                                f'<script src="{target}/probe.js"></script></head><body><h1>政务公开</h1>'
                                f'<script>fetch("{target}/fetched");</script><p>信息公开指南</p></body></html>'
                                ).encode(), 200  # fmt: skip
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    gated = _server(GATED_HOST, Gated)
    try:
        yield f"http://{GATED_HOST}:{gated.server_address[1]}/", probed
    finally:
        for server in (gated, probe):
            server.shutdown()


@pytest.mark.slow
def test_chromium_does_not_reach_an_unnamed_internal_host(tmp_path: Path, webs: tuple[str, list[str]]) -> None:
    need_browser()
    url, probed = webs
    summary = tmp_path / "summary.json"
    run = subprocess.run([sys.executable, "-m", "nianbao.cli", "crawl", url, "--browser", "--fast", "--quiet",
                          "--db", "", "--feed", "", "--summary", str(summary)],
                         cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                         timeout=300)  # fmt: skip
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    assert summary.exists(), run.stderr[-3000:]
    (row,) = json.loads(summary.read_text(encoding="utf-8"))["sites"]
    assert row["blocked"] is None and "瑞数" in (row["browser"] or "") and row["pages"] >= 1, row  # read in Chromium
    assert probed == [], f"Chromium reached {PROBE_HOST}, which nobody named: {probed}"


def _request(url: str, kind: str = "script") -> SimpleNamespace:
    return SimpleNamespace(url=url, resource_type=kind)


async def _aborts(guard: BrowserGuard, url: str, kind: str = "script") -> bool:
    return await guard(_request(url, kind))


def test_the_guard_refuses_unnamed_internal_hosts_and_what_the_crawl_never_reads() -> None:
    import asyncio

    guard = BrowserGuard()
    guard.name(frozenset({GATED_HOST}))
    cases = {
        f"http://{GATED_HOST}:8080/page.html": False,  # named by the user
        f"http://{PROBE_HOST}:8080/probe.js": True,  # internal, not named
        "http://localhost:9/x": True,  # a name resolving to loopback
        "http://10.1.2.3/": True,
        "http://[::1]:8080/": True,
        "http://8.8.8.8/x.js": False,  # a public address
        "data:text/plain,hello": False,
    }
    got = {url: asyncio.run(_aborts(guard, url)) for url in cases}
    assert got == cases
    assert asyncio.run(_aborts(guard, f"http://{GATED_HOST}:8080/logo.png", "image"))


@pytest.mark.slow
def test_a_browser_that_cannot_start_blocks_the_gated_host_in_one_line(tmp_path: Path,
                                                                       webs: tuple[str, list[str]]) -> None:  # fmt: skip
    pytest.importorskip("scrapy_playwright", reason="scrapy-playwright is not installed: pip install -e '.[test]'")
    broken = tmp_path / "chromium"
    broken.write_text("#!/bin/sh\necho 'cannot open display' >&2\nexit 1\n")
    broken.chmod(0o755)
    url, _ = webs
    summary = tmp_path / "summary.json"
    run = subprocess.run([sys.executable, "-m", "nianbao.cli", "crawl", url, "--browser", "--fast", "--quiet",
                          "--db", "", "--feed", "", "--summary", str(summary)], cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(ROOT), "NIANBAO_CHROMIUM": str(broken)},
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    assert run.returncode == 1, run.stderr[-3000:]
    (row,) = json.loads(summary.read_text(encoding="utf-8"))["sites"]
    assert "the browser could not start" in (row["blocked"] or ""), row
    assert "Call log" not in run.stderr and "Traceback" not in run.stderr, run.stderr[-3000:]
    assert sum("could not start" in line for line in run.stderr.splitlines()) == 2, run.stderr  # the log, the exit


@pytest.mark.slow
def test_a_gated_robots_txt_is_read_through_the_browser_and_obeyed(tmp_path: Path) -> None:
    need_browser()
    asked: list[str] = []

    class Gated(BaseHTTPRequestHandler):  # the whole host behind the gate, robots.txt too
        def do_GET(self) -> None:
            asked.append(self.path)
            if COOKIE not in (self.headers.get("Cookie") or ""):
                body, status, kind = (b'<html><head><script>$_ts=window["$_ts"]||{};setTimeout(function(){'
                                      b'document.cookie="' + COOKIE.encode() + b'; path=/";location.reload();},200);'
                                      b"</script></head></html>", 412, "text/html")  # fmt: skip
            elif self.path == "/robots.txt":
                body, status, kind = b"User-agent: *\nDisallow: /private/\n", 200, "text/plain"
            else:
                body, status, kind = ('<html><head><meta charset="utf-8"><title>政府信息公开年报</title></head><body>'
                                      '<ul><li><a href="/private/t1.html">某区2024年政府信息公开工作年度报告</a></li>'
                                      "</ul></body></html>").encode(), 200, "text/html; charset=utf-8"  # fmt: skip
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = _server("127.0.0.63", Gated)
    try:
        run = subprocess.run([sys.executable, "-m", "nianbao.cli", "crawl", f"http://127.0.0.63:{server.server_address[1]}/",
                              "--browser", "--fast", "--quiet", "--db", "", "--feed", "", "--summary",
                              str(tmp_path / "summary.json")], cwd=tmp_path,
                             env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                             timeout=300)  # fmt: skip
    finally:
        server.shutdown()
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    assert "/" in asked, asked  # the gated page was read, through the browser
    assert not any(path.startswith("/private/") for path in asked), f"robots.txt disallows /private/: {asked}"
