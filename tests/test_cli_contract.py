"""The exit-status contract (nianbao.exits), one case at a time: status, one clear line, never a traceback."""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from nianbao import exits
from nianbao.cli import build_parser
from storage import Store

from . import clirun
from .conftest import DOCUMENTS, ROOT
from .databases import raw_bytes, synthetic_record

REPORT = (DOCUMENTS / "seed004_html" / "input.html").read_bytes()
TITLE = "某某区人民政府办公室2024年政府信息公开工作年度报告"


def run(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None, timeout: float = 300):
    """Run `nianbao ARGS`; return the finished process (stdout/stderr as text). The process is forked from a
    server that imported nianbao once (tests/clirun.py), a fresh interpreter where `env` changes what imports read."""
    return clirun.run(list(args), cwd=cwd, env=env, timeout=timeout, text=True)


def one_line(proc: subprocess.CompletedProcess) -> str:
    """Return the single `nianbao: …` line a failed command printed, asserting there is no traceback."""
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [x for x in proc.stderr.splitlines() if x.startswith("nianbao:")]
    assert len(lines) == 1, proc.stderr
    return lines[0]


# -- help, version, every option explained ---------------------------------------------------------------------


def test_bare_nianbao_prints_help_and_version_works():
    bare = run()
    assert bare.returncode == exits.OK and "usage: nianbao" in bare.stdout and "exit status" in bare.stdout
    version = run("--version")
    assert version.returncode == 0 and version.stdout.startswith("nianbao ")


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("no subcommands")


def test_every_option_has_help_and_shows_its_default():
    for name, sub in _subparsers(build_parser()).items():
        text = sub.format_help()
        assert "exit status: 0 success" in text, name
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            assert action.help, f"{name} {action.dest} has no help"
            if action.option_strings and action.default not in (None, False):
                assert f"(default: {action.default})" in " ".join(text.split()), f"{name} {action.dest}"


# -- bad usage or input: 2 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("db", "says"),
    [("garbage", "is not a database URL"), ("data/x.sqlite", "sqlite:///data/x.sqlite"),
     ("foo://bar", "unknown database kind")],
)  # fmt: skip
def test_a_db_that_is_not_a_url_is_bad_usage(tmp_path, db, says):
    proc = run("crawl", "--db", db, "http://127.0.0.1:9/", cwd=tmp_path)
    assert proc.returncode == exits.USAGE
    assert says in one_line(proc)
    assert not any(tmp_path.iterdir()), "nothing may be created for a command refused at the start"


@pytest.mark.parametrize("command", ["export", "validate"])
def test_export_and_validate_refuse_a_sqlite_file_that_does_not_exist(tmp_path, command):
    extra = ["--format", "jsonl", "--out", str(tmp_path / "x.jsonl")] if command == "export" else []
    proc = run(command, "--db", f"sqlite:///{tmp_path / 'typo.sqlite'}", *extra, cwd=tmp_path)
    assert proc.returncode == exits.USAGE
    assert "no database at" in one_line(proc)
    assert not (tmp_path / "typo.sqlite").exists()


@pytest.mark.parametrize("command", [["crawl", "--sites", "bundled"], ["sites"], ["export", "--format", "jsonl",
                                     "--out", "x.jsonl"], ["validate"]])  # fmt: skip
def test_an_unknown_region_code_is_refused(tmp_path, command):
    proc = run(*command, "--region", "99", cwd=tmp_path)
    assert proc.returncode == exits.USAGE
    assert "no such GB/T 2260 region code" in one_line(proc)


@pytest.mark.parametrize("value", ["abc", "2.5"])
def test_a_worker_count_that_is_no_whole_number_is_refused_before_the_crawl_starts(tmp_path, value):
    proc = run("crawl", "http://127.0.0.1:9/nb/", "--db", f"sqlite:///{tmp_path / 'n.sqlite'}",
               "-s", f"NIANBAO_EXTRACT_WORKERS={value}", cwd=tmp_path)  # fmt: skip
    assert proc.returncode == exits.USAGE and "NIANBAO_EXTRACT_WORKERS" in one_line(proc), proc.stderr[-500:]


def test_a_browser_crawl_without_chromium_is_refused_before_it_starts(tmp_path):
    pytest.importorskip("scrapy_playwright", reason="scrapy-playwright is not installed: pip install -e '.[test]'")
    proc = run("crawl", "http://127.0.0.1:9/nb/", "--db", "", "--browser", cwd=tmp_path,
               env={"NIANBAO_CHROMIUM": str(tmp_path / "no-chromium")})  # fmt: skip
    assert proc.returncode == exits.USAGE and "--browser needs Chromium" in one_line(proc), proc.stderr[-500:]


@pytest.mark.parametrize(
    ("pair", "takes"),
    [("CONCURRENT_REQUESTS=abc", "a whole number"), ("CONCURRENT_REQUESTS=2.5", "a whole number"),
     ("DOWNLOAD_DELAY=soon", "a number"), ("DOWNLOAD_TIMEOUT=later", "a number"),
     ("COOKIES_ENABLED=maybe", "0/1 or true/false"), ("NIANBAO_STORE_BATCH=many", "a whole number")],
)  # fmt: skip
def test_a_setting_scrapy_cannot_read_as_its_type_is_refused_in_one_line(tmp_path, pair, takes):
    proc = run("crawl", "http://127.0.0.1:9/nb/", "--db", f"sqlite:///{tmp_path / 'n.sqlite'}", "-s", pair,
               cwd=tmp_path)  # fmt: skip
    line = one_line(proc)
    assert proc.returncode == exits.USAGE and pair in line and takes in line, proc.stderr[-500:]
    assert "Traceback" not in proc.stderr


def test_every_setting_with_a_whole_number_default_read_as_a_float_takes_a_fraction():
    """READ_AS_FLOAT is the list of such settings: Scrapy's source and ours, read for getfloat("KEY") calls, name no
    other (a Scrapy upgrade that reads one more as a float fails here, not in a user's refused -s)."""
    import scrapy
    from scrapy.settings import Settings

    from nianbao.commands.crawl import READ_AS_FLOAT, check_setting_values

    defaults = Settings()
    defaults.setmodule("crawler.settings", priority="project")
    roots = [Path(scrapy.__file__).parent, ROOT / "crawler", ROOT / "nianbao", ROOT / "storage"]
    source = "\n".join(p.read_text(encoding="utf-8") for root in roots for p in root.rglob("*.py"))
    read_as_float = set(re.findall(r"getfloat\(\s*[\"']([A-Z0-9_]+)[\"']", source))
    assert {k for k in read_as_float if type(defaults.get(k)) is int} == READ_AS_FLOAT
    check_setting_values([f"{key}=1.5" for key in sorted(READ_AS_FLOAT)])  # no UsageError


def test_extract_refuses_a_url_and_a_missing_file(tmp_path):
    url = run("extract", "https://www.example.gov.cn/nb/2024.pdf")
    assert url.returncode == exits.USAGE and "nianbao crawl URL" in one_line(url)
    missing = run("extract", str(tmp_path / "nope.pdf"))
    assert missing.returncode == exits.USAGE and "no such file" in one_line(missing)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 truncated")
    bad = run("extract", str(broken))
    assert bad.returncode == exits.USAGE and str(broken) in one_line(bad)


@pytest.fixture
def stored(tmp_path: Path) -> str:
    """A SQLite store holding one report that carries no region code (as a crawl of a bare URL stores it)."""
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    record = synthetic_record("甲局", 2023)
    record.pop("region_code", None)
    with Store(url, blob_root=tmp_path / "blobs") as store:
        store.migrate()
        store.add(raw_bytes(record), record, {"url": "https://a.example/1.html", "site": "a"})
    return url


def test_export_out_a_folder_or_unwritable_is_bad_usage(tmp_path, stored):
    folder = run("export", "--db", stored, "--format", "jsonl", "--out", str(tmp_path))
    assert folder.returncode == exits.USAGE and "is a folder" in one_line(folder)
    blocked = tmp_path / "a-file"
    blocked.write_text("x")
    unwritable = run("export", "--db", stored, "--format", "csv", "--out", str(blocked / "cells.csv"))
    assert unwritable.returncode == exits.USAGE and "cannot create" in one_line(unwritable)


def test_an_export_empty_because_records_lack_region_codes_says_so(tmp_path, stored):
    proc = run("export", "--db", stored, "--format", "jsonl", "--out", str(tmp_path / "x.jsonl"), "--region", "32")
    assert proc.returncode == exits.ATTENTION
    assert "exported 0 reports" in proc.stdout
    assert "1 stored report(s) carry no region code" in one_line(proc)
    everything = run("export", "--db", stored, "--format", "jsonl", "--out", str(tmp_path / "y.jsonl"))
    assert everything.returncode == exits.OK and "exported 1 reports" in everything.stdout


def test_validate_json_with_no_findings_prints_an_empty_array(stored):
    proc = run("validate", "--db", stored, "--json")
    assert proc.returncode == exits.OK and json.loads(proc.stdout) == []


# -- could not start: 3 ----------------------------------------------------------------------------------------


def test_a_missing_driver_names_the_extra_to_install(tmp_path):
    if importlib.util.find_spec("psycopg2") is not None:
        pytest.skip("psycopg2 is installed here: no driver is missing")
    proc = run("crawl", "--db", "postgresql+psycopg2://u@127.0.0.1/db", "http://127.0.0.1:9/", cwd=tmp_path)
    assert proc.returncode == exits.CANNOT_START
    assert "pip install 'nianbao[postgres]'" in one_line(proc)


@pytest.mark.parametrize("command", [["crawl", "http://127.0.0.1:9/"], ["validate"]])
def test_an_unreachable_store_cannot_start(tmp_path, command):
    proc = run(*command, "--db", "postgresql+psycopg://postgres@127.0.0.1:1/test", cwd=tmp_path)
    assert proc.returncode == exits.CANNOT_START
    assert "cannot open postgresql+psycopg://postgres@127.0.0.1:1/test" in one_line(proc)


# -- extract with what a crawl knows ---------------------------------------------------------------------------


def test_extract_takes_the_publication_date_and_runs_the_timeliness_checks():
    doc = str(DOCUMENTS / "seed004_html" / "input.html")
    plain = json.loads(run("extract", doc, "--compact").stdout)
    late = json.loads(run("extract", doc, "--compact", "--published-at", f"{plain['year'] + 2}-06-01",
                          "--source-url", "https://www.example.gov.cn/nb.html").stdout)  # fmt: skip
    assert not any(c["rule"].startswith("TIME-0") and c["rule"] != "TIME-04" for c in plain["checks"])
    assert any(c["rule"] in ("TIME-01", "TIME-02", "TIME-03") for c in late["checks"])
    assert late["source_url"] == "https://www.example.gov.cn/nb.html"
    bad = run("extract", doc, "--published-at", "March 3")
    assert bad.returncode == exits.USAGE and "YYYY-MM-DD" in one_line(bad)


# -- crawls: finished-but-needs-attention, interrupted, the User-Agent -----------------------------------------


class _Site(BaseHTTPRequestHandler):
    """`/` lists one report (or none on `/empty/`); every request's User-Agent is kept; `slow` delays pages."""

    agents: ClassVar[list[str]] = []
    slow: ClassVar[float] = 0.0

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, body: bytes, ctype: str = "text/html; charset=utf-8") -> None:
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.agents.append(self.headers.get("User-Agent", ""))
        if self.path == "/robots.txt":
            return self._send(b"User-agent: *\nAllow: /\n", "text/plain")
        time.sleep(self.slow)
        if self.path == "/":
            return self._send(f'<html><body><h1>年报</h1><a href="/nb/1.html">{TITLE}</a></body></html>'.encode())
        if self.path == "/nb/1.html":
            return self._send(REPORT)
        if self.path.startswith("/empty/"):
            links = "".join(f'<a href="/empty/{n}.html">政府信息公开年报 第{n}页</a>' for n in range(40))
            return self._send(f"<html><body><h1>政府信息公开年报</h1>{links}</body></html>".encode())
        self.send_error(404)


@pytest.fixture
def site() -> Iterator[str]:
    _Site.agents = []
    _Site.slow = 0.0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _crawl(tmp_path: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "nianbao.cli", "crawl", "--fast", "--db", f"sqlite:///{tmp_path / 'db.sqlite'}",
            "--feed", str(tmp_path / "feed.jsonl"),
            "--summary", str(tmp_path / "summary.json"), "-s", "DOWNLOAD_TIMEOUT=5", *args]  # fmt: skip


@pytest.mark.slow
def test_a_crawl_that_finds_reports_succeeds_and_one_that_finds_none_needs_attention(tmp_path, site):
    good = clirun.run(_crawl(tmp_path, f"{site}/")[3:], cwd=ROOT, timeout=300, text=True)
    assert good.returncode == exits.OK, good.stderr
    empty = clirun.run(_crawl(tmp_path / "e", f"{site}/empty/")[3:], cwd=ROOT, timeout=300, text=True)
    assert empty.returncode == exits.ATTENTION
    assert "no report found" in one_line(empty) and "Traceback" not in empty.stderr


@pytest.mark.slow
def test_the_user_agent_is_ascii_and_names_the_operators_contact(tmp_path, site):
    proc = clirun.run(_crawl(tmp_path, "--contact", "harvest-ops@example.org", f"{site}/")[3:], cwd=ROOT,
                      timeout=300, text=True)  # fmt: skip
    assert proc.returncode == exits.OK, proc.stderr
    assert _Site.agents and all(a.isascii() for a in _Site.agents)
    assert {a for a in _Site.agents} == {f"nianbao/{_version()} (+harvest-ops@example.org)"}


def _version() -> str:
    from crawler.useragent import project_version

    return project_version()


@pytest.mark.slow
def test_ctrl_c_exits_130_and_says_how_to_resume(tmp_path, site):
    _Site.slow = 0.5
    proc = subprocess.Popen(_crawl(tmp_path, f"{site}/empty/"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip
    deadline = time.time() + 60
    while len(_Site.agents) < 4 and time.time() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == exits.INTERRUPTED, err
    assert "interrupted — run the same command to resume" in err and "Traceback" not in err
    served = len(_Site.agents)
    assert served < 42, "the crawl ran to its end: the interruption was not tested"
    with Store(f"sqlite:///{tmp_path / 'db.sqlite'}", blob_root=tmp_path / "blobs") as store:
        assert [r["status"] for r in store.runs()] == ["interrupted"]


@pytest.mark.slow
def test_progress_is_shown_on_a_terminal(tmp_path, site):
    """Under a pseudo-terminal the crawl rewrites one status line (pages, reports, errors per site)."""
    import pty
    import select

    _Site.slow = 0.3
    cmd = _crawl(tmp_path, "-s", "NIANBAO_PROGRESS_INTERVAL=0.2", f"{site}/")
    pid, fd = pty.fork()
    if pid == 0:  # the child: stdin/stdout/stderr are the terminal; it must never go on as pytest
        try:
            os.execv(cmd[0], cmd)
        finally:
            os._exit(127)
    out, deadline = b"", time.monotonic() + 300  # a hang guard, not a measurement
    while True:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            os.kill(pid, signal.SIGKILL)
            pytest.fail(f"the crawl under a terminal hung: {out.decode('utf-8', 'replace')[-500:]}")
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    text = out.decode("utf-8", "replace")
    assert os.waitstatus_to_exitcode(status) == exits.OK, text[-2000:]
    # A status line with totals, then the site's pages/reports/errors, rewritten in place.
    assert re.search(r"\r\x1b\[K\[\d\d:\d\d\] pages \d+  reports \d+  errors \d+  \| 127\.0\.0\.1:\d+ \d+/\d+/\d+", text)


def test_a_demo_port_in_use_is_one_line(tmp_path):
    from nianbao.demo.server import FixtureWeb

    with FixtureWeb() as web:  # holds its port on every demo address
        proc = run("demo", "--port", str(web.port), "--data", str(tmp_path), cwd=tmp_path)
    assert proc.returncode == exits.USAGE
    assert "cannot listen there" in one_line(proc)


def test_unreadable_documents_in_a_folder_need_attention_only_under_strict(tmp_path):
    (tmp_path / "good.html").write_bytes(REPORT)
    (tmp_path / "bad.pdf").write_bytes(b"%PDF-1.4 truncated")
    lenient = run("extract", str(tmp_path), "--quiet")
    assert lenient.returncode == exits.OK
    assert len(lenient.stdout.splitlines()) == 2 and "1 file(s)" in one_line(lenient)
    strict = run("extract", str(tmp_path), "--quiet", "--strict")
    assert strict.returncode == exits.ATTENTION and "could not be read" in one_line(strict)


def test_a_missing_optional_dependency_cannot_start_and_names_the_extra(tmp_path, stored):
    hide = "import sys; sys.modules['pyarrow'] = None; from nianbao.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.run([sys.executable, "-c", hide, "export", "--db", stored, "--format", "parquet", "--out",
                           str(tmp_path / "c.parquet")], capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == exits.CANNOT_START
    assert "pip install 'nianbao[parquet]'" in one_line(proc)
