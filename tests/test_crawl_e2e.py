"""End to end: real Scrapy against the fixture government web served on loopback (no mocks)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

from nianbao.demo.server import FixtureWeb

from .conftest import ROOT

CRAWL_SETTINGS = ["-s", "DOWNLOAD_TIMEOUT=3", "-s", "RETRY_BACKOFF_BASE=0.1", "-s", "RETRY_TIMES=2"]


def _crawl(registry: Path, out: Path, *extra: str, wait: bool = True) -> subprocess.CompletedProcess | subprocess.Popen:
    cmd = [sys.executable, "-m", "nianbao.cli", "crawl", "--sites", str(registry), "--fast",
           "--db", f"sqlite:///{out / 'nianbao.sqlite'}",
           "--feed", str(out / "reports.jsonl"), "--state", str(out / "state.sqlite"),
           "--summary", str(out / "summary.json"), *CRAWL_SETTINGS, *extra]  # fmt: skip
    if not wait:
        return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, timeout=600)


def _items(out: Path) -> list[dict]:
    path = out / "reports.jsonl"
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()] if path.exists() else []


def _groups(items: list[dict]) -> dict[str, set[str]]:
    """Return raw_sha256 → every URL the crawl found those bytes at (reports and their extra sources)."""
    reports = {i["raw_sha256"] for i in items if i["kind"] == "report"}
    groups: dict[str, set[str]] = defaultdict(set)
    for i in items:
        if i.get("raw_sha256") in reports:  # "unchanged" and "error" items carry no bytes
            groups[i["raw_sha256"]].add(i["source_url"])
    return groups


@pytest.fixture(scope="module")
def first_crawl(tmp_path_factory):
    out = tmp_path_factory.mktemp("crawl")
    with FixtureWeb() as web:
        registry = web.write_registry(out / "sites.csv")
        proc = _crawl(registry, out)
        expected = web.expected()
        requests = list(web.requests)
        yield {"web": web, "out": out, "proc": proc, "expected": expected, "requests": requests, "registry": registry}


def test_every_expected_report_found_once_with_all_its_urls(first_crawl):
    items = _items(first_crawl["out"])
    assert items, first_crawl["proc"].stderr.decode("utf-8", "replace")[-3000:]
    groups = _groups(items)
    by_url = {u: sha for sha, urls in groups.items() for u in urls}
    missing, wrong = [], []
    for rep in [r for r in first_crawl["expected"]["reports"] if r.get("phase", 1) == 1]:
        shas = {by_url.get(u) for u in rep["urls"]}
        if None in shas or len(shas) != 1:
            missing.append((rep["id"], sorted(u for u in rep["urls"] if u not in by_url)))
            continue
        if groups[shas.pop()] != set(rep["urls"]):
            wrong.append(rep["id"])
    assert not missing, f"recall below 100%: {missing}"
    assert not wrong, f"URL sets differ: {wrong}"
    reports = [i for i in items if i["kind"] == "report"]
    assert len(reports) == len({i["raw_sha256"] for i in reports}), "a document was reported twice"


def test_no_negative_is_taken_for_a_report(first_crawl):
    items = _items(first_crawl["out"])
    expected_urls = {u for r in first_crawl["expected"]["reports"] for u in r["urls"]}
    taken = {u for urls in _groups(items).values() for u in urls}
    assert not taken & set(first_crawl["expected"]["negatives"])
    assert taken <= expected_urls, f"precision below 100%: {sorted(taken - expected_urls)}"


def test_nothing_disallowed_or_offsite_is_requested(first_crawl):
    from urllib.parse import urlsplit

    asked = {f"http://{r['host']}{r['path']}" + (f"?{r['query']}" if r.get("query") else "") for r in first_crawl["requests"]}
    forbidden = set(first_crawl["expected"]["must_not_request"])
    assert not asked & forbidden
    forbidden_paths = {(urlsplit(u).netloc, urlsplit(u).path) for u in forbidden}
    assert not {(r["host"], r["path"]) for r in first_crawl["requests"]} & forbidden_paths


def test_challenge_hosts_are_recorded_as_blocked(first_crawl):
    summary = json.loads((first_crawl["out"] / "summary.json").read_text(encoding="utf-8"))
    rows = {r["site"]: r for r in summary["sites"]}
    for site, reason in first_crawl["expected"]["blocked"].items():
        assert rows[site]["blocked"], f"{site} not recorded as blocked"
        assert reason.split()[0] in rows[site]["blocked"]
    assert first_crawl["proc"].returncode == 1, "blocked sites must make the crawl exit non-zero"


def test_records_carry_their_context(first_crawl):
    reports = [i for i in _items(first_crawl["out"]) if i["kind"] == "report"]
    for r in reports:
        assert r["source_url"].startswith("http://127.0.0.")
        assert r["site"] and r["region_code"] and len(r["region_code"]) == 6 and r["region_name"]
        assert r["year"] and r["text_sha256"] and r["raw_sha256"]
    assert any(r.get("published_at") for r in reports)


def test_second_crawl_is_incremental_and_finds_the_new_report(tmp_path):
    with FixtureWeb() as web:
        registry = web.write_registry(tmp_path / "sites.csv")
        _crawl(registry, tmp_path)
        first = _items(tmp_path)
        n_first = len(web.requests)
        web.set_phase(2)
        second_proc = _crawl(registry, tmp_path)
        second = _items(tmp_path)[len(first):]
        later = web.requests[n_first:]
        expected = web.expected()
    new_reports = [i for i in second if i["kind"] == "report"]
    phase2 = [r for r in expected["reports"] if r.get("phase", 1) == 2]
    assert phase2, "the fixture web publishes a report in phase 2"
    assert {i["source_url"] for i in new_reports} & set(phase2[0]["urls"]), second_proc.stderr.decode()[-2000:]
    assert len(new_reports) == len(phase2), "a report of the first crawl was downloaded again"
    conditional = [r for r in later if "if-none-match" in {k.lower() for k in r["headers"]}]
    assert conditional and any(r["status"] == 304 for r in later)
    old_docs = {u for r in expected["reports"] if r.get("phase", 1) == 1 for u in r["urls"]}
    refetched = [r for r in later if f"http://{r['host']}{r['path']}" in old_docs and r["status"] == 200]
    assert not refetched, f"unchanged reports re-downloaded: {refetched[:3]}"


def test_interrupted_crawl_loses_nothing(tmp_path):
    with FixtureWeb() as web:
        registry = web.write_registry(tmp_path / "sites.csv")
        proc = _crawl(registry, tmp_path, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "-s", "DOWNLOAD_DELAY=0.3",
                      wait=False)  # fmt: skip
        deadline = time.time() + 60
        while time.time() < deadline and len([i for i in _items(tmp_path) if i["kind"] == "report"]) < 2:
            time.sleep(0.2)
        os.kill(proc.pid, signal.SIGINT)
        proc.wait(timeout=120)
        _crawl(registry, tmp_path)
        expected = web.expected()
    groups = _groups(_items(tmp_path))
    found = {u for urls in groups.values() for u in urls}
    for rep in [r for r in expected["reports"] if r.get("phase", 1) == 1]:
        assert set(rep["urls"]) & found, f"{rep['id']} lost after the interruption"
