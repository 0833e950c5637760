"""Shared paths and fixtures for the test suite."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
DOCUMENTS = ROOT / "fixtures" / "documents"


def need_browser() -> None:
    """Skip the calling test where `--browser` cannot run here: scrapy-playwright or the system's Chromium missing."""
    pytest.importorskip("scrapy_playwright", reason="scrapy-playwright is not installed: pip install -e '.[test]'")
    from crawler.browser import BrowserUnavailable, find_chromium

    try:
        find_chromium()
    except BrowserUnavailable as exc:
        pytest.skip(f"{exc} (`make system-deps`)")


def need_shared() -> None:
    """Skip the calling test where ../shared (the corpus beside the checkout) is absent."""
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS}: clone the project with shared/ beside it")


OFFICE_CARRIERS = ("doc", "wps")
"""The carriers read through LibreOffice (soffice): without it they raise ConverterMissing and are not stored."""


def readable_here(reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the expected reports (of `FixtureWeb.expected()`) this machine can read: all where LibreOffice is
    installed, else all but the DOC/WPS ones (`make system-deps` installs it)."""
    from extractors import soffice

    if soffice() is not None:
        return reports
    return [r for r in reports if r["carrier"] not in OFFICE_CARRIERS]


# One LibreOffice conversion per DOC/WPS file for the whole run (all xdist workers and the CLI processes they
# start): a soffice start costs seconds, and dozens of tests read the same fixture documents.
# The first process to load this file (xdist's controller) names it; workers inherit it.
OWN_OFFICE_CACHE = "NIANBAO_OFFICE_CACHE" not in os.environ
if OWN_OFFICE_CACHE:
    os.environ["NIANBAO_OFFICE_CACHE"] = str(Path(tempfile.gettempdir()) / f"nianbao-test-office-{os.getpid()}")


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Stop the fork server of tests/clirun.py, if this test process started one; the controlling process
    also removes the run's LibreOffice conversions."""
    from . import clirun

    clirun.stop()
    if OWN_OFFICE_CACHE and not hasattr(session.config, "workerinput"):
        shutil.rmtree(os.environ["NIANBAO_OFFICE_CACHE"], ignore_errors=True)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip a test marked `libreoffice` where soffice is not installed, saying so."""
    if item.get_closest_marker("libreoffice") is not None:
        from extractors import soffice

        if soffice() is None:
            pytest.skip("LibreOffice (soffice) is not installed: DOC/WPS cannot be converted here "
                        "(apt-get install libreoffice-writer-nogui, or `make system-deps`)")  # fmt: skip


@pytest.fixture
def corpus() -> Path:
    need_shared()
    return CORPUS


@pytest.fixture
def sqlite_store(tmp_path: Path):
    """A migrated SQLite store in a temporary folder."""
    from storage import Store

    s = Store(f"sqlite:///{tmp_path / 'db.sqlite'}", blob_root=tmp_path / "blobs")
    s.migrate()
    yield s
    s.close()


def _backends() -> tuple[str, ...]:
    from .databases import BACKENDS

    return BACKENDS


@pytest.fixture(params=_backends())
def backend_db_url(request: pytest.FixtureRequest, tmp_path: Path):
    """The URL of a fresh database on each backend (SQLite, PostgreSQL), skipped where one is unreachable."""
    from .databases import BackendUnavailable, backend_url

    try:
        with backend_url(request.param, tmp_path) as u:
            yield u
    except BackendUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture
def backend_store(backend_db_url: str, tmp_path: Path):
    """A migrated Store on each backend (SQLite, PostgreSQL), its blobs in a temporary folder."""
    from storage import Store

    s = Store(backend_db_url, blob_root=tmp_path / "blobs")
    s.migrate()
    yield s
    s.close()


# -- one crawl of the demo web, shared ------------------------------------------------------------------------

CRAWL_SETTINGS = ["-s", "DOWNLOAD_TIMEOUT=1.5", "-s", "RETRY_BACKOFF_BASE=0.1", "-s", "RETRY_TIMES=2"]


def crawl_argv(registry: Path, out: Path, *extra: str, db: str | None = None) -> list[str]:
    """Return the arguments of `nianbao crawl` of `registry` into `db` (default: `out/nianbao.sqlite`), its blobs,
    feed (`reports.jsonl`) and summary in `out`."""
    return ["crawl", "--sites", str(registry), "--fast", "--db", db or f"sqlite:///{out / 'nianbao.sqlite'}",
            "--blobs", str(out / "blobs"), "--feed", str(out / "reports.jsonl"), "--summary", str(out / "summary.json"),
            *CRAWL_SETTINGS, *extra]  # fmt: skip


@dataclass
class FirstCrawl:
    """The first crawl of a fresh demo web (phase 1) into a fresh SQLite store, everything in `out`."""

    web: Any  # the FixtureWeb crawled, still serving on the same port (so the copies' URLs stay right)
    out: Path
    registry: Path
    proc: subprocess.CompletedProcess
    expected: dict[str, Any]
    requests: list[dict[str, Any]]

    def copy(self, dest: Path) -> Path:
        """Copy the crawl's store, blobs, feed, summary and registry into `dest`; return `dest`.

        The web goes back to phase 1 with an empty request log, as it was when the crawl ended.
        """
        shutil.copytree(self.out, dest, dirs_exist_ok=True)
        self.web.set_phase(1)
        self.web.clear_requests()
        return dest


@pytest.fixture(scope="session")
def first_crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FirstCrawl]:
    """The demo web crawled once per test process (`crawl_argv`); read it, or work on a `copy()` of it.

    Only tests that need a first crawl, not the first crawl's own course (interrupted, killed, failing), use it:
    a test that crawls again crawls the same web, as it would after a first crawl of its own.
    """
    from nianbao.demo.server import FixtureWeb

    from .clirun import run

    out = tmp_path_factory.mktemp("first-crawl")
    with FixtureWeb() as web:
        registry = web.write_registry(out / "sites.csv")
        proc = run(crawl_argv(registry, out), cwd=ROOT)
        yield FirstCrawl(web, out, registry, proc, web.expected(), list(web.requests))
