"""Reports published over several pages (fixtures/web2 sites gp-split and dz-flip): a TRS article cut into
`t…_1.html` pages and a page-flip book's text version (on another host, linked from the 年报 column) are crawled and read as one report each, cell for cell the
record of the same report on one page, and no part page is taken for a report of its own. A part that cannot be
had (404) is an error line, and its report is stored from the parts there are.

Run as a script to print the measure: `python -m tests.test_split_reports`.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from crawler.article_parts import MAX_PARTS
from extractors import extract
from fixtures.web2 import reports as R
from fixtures.web2.common import article_html, li
from fixtures.web2.model import SiteBuilder
from fixtures.web2.server import Web2, build_sites
from fixtures.web2.sites_e import CLOUD_BOOK, _trs_pager, flip_lines, flip_page

ROOT = Path(__file__).resolve().parents[1]
SITES = ("gp-split", "dz-flip")
HOSTS = (*SITES, "dz-cloud")  # dz-flip's flipbook is on a newspaper's cloud no registry row names
TABLES = ("proactive", "requests", "review_litigation")


def _leaves(value: Any, path: str = "") -> dict[str, Any]:
    """Return every leaf of a record's table as {path: value}."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(_leaves(inner, f"{path}/{key}"))
        return out
    if isinstance(value, list):
        out = {}
        for i, inner in enumerate(value):
            out.update(_leaves(inner, f"{path}/{i}"))
        return out
    return {path: value}


def _whole(site: SiteBuilder, doc: R.Doc) -> bytes:
    """Return the same report on one page: the reference its parts must read as."""
    if site.id == "dz-cloud":
        return flip_page(doc.title, 1, 1, flip_lines(doc)).encode()
    main = article_html(site, doc, date="2025-01-01", publisher=doc.agency, index_no="0")
    return site.page(doc.title, main, article={"title": doc.title, "date": "2025-01-01"}).encode()


def measure() -> dict[str, Any]:
    """Return, per site, reports expected and found, cells read as on one page, and part pages taken as reports."""
    sites = build_sites()
    docs = {title: doc for site in HOSTS for title, doc in sites[site].docs.items()}
    with Web2() as web, tempfile.TemporaryDirectory() as tmp:
        rows = list(csv.reader(web.write_registry(Path(tmp) / "all.csv").open(encoding="utf-8")))
        reg = Path(tmp) / "sites.csv"
        with reg.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([rows[0], *(r for r in rows[1:] if r[0] in SITES)])
        db, out, feed = f"sqlite:///{tmp}/store.db", Path(tmp) / "records.jsonl", Path(tmp) / "feed.jsonl"
        crawl = subprocess.run([sys.executable, "-m", "nianbao.cli", "crawl", "--sites", str(reg), "--fast", "--db", db,
                                "--feed", str(feed), "--quiet", "-s", f"NIANBAO_NAMED_HOSTS={web.sites['dz-cloud'].ip}"],
                               cwd=tmp, capture_output=True, text=True, timeout=300)  # fmt: skip
        subprocess.run([sys.executable, "-m", "nianbao.cli", "export", "--db", db, "--format", "jsonl", "--out",
                        str(out)], cwd=tmp, capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
        expected = [rep for rep in web.expected()["reports"] if rep["site"] in HOSTS]
        records = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines() if x.strip()]
        lines = [json.loads(x) for x in feed.read_text(encoding="utf-8").splitlines() if x.strip()]
        port = str(web.port)
        cloud = sorted({r["path"] for r in web.requests if r["site"] == "dz-cloud"})
    errors = {line["source_url"]: line.get("error") or "" for line in lines if line.get("kind") == "error"}
    stems = [rep["urls"][0].rsplit(".", 1)[0] for rep in expected if "its pager counts" in rep["note"]]
    phantom = [err for url, err in errors.items() if any(url.startswith(stem + "_") for stem in stems)]
    by_url = {rec["source_url"]: rec for rec in records}
    result: dict[str, Any] = {"exit": crawl.returncode, "stderr": crawl.stderr[-1500:], "cloud_requests": cloud,
                              "phantom_errors": phantom}  # fmt: skip
    for site in HOSTS:
        result[site] = {"expected": 0, "found": 0, "cells": 0, "cells_right": 0, "wrong": [], "part_reports": [],
                        "lost_parts_said": 0, "lost_parts": 0}  # fmt: skip
    for rep in expected:
        got = result[rep["site"]]
        got["expected"] += 1
        rec = by_url.get(rep["urls"][0])
        ref = extract(_whole(sites[rep["site"]], docs[rep["title"]]), name="whole.html")
        tables = TABLES
        if "lost: " in rep["note"]:  # its last page is lost: the rest is read, the loss is an error line
            lost = rep["note"].split("lost: ")[1].replace("{port}", port)
            got["lost_parts"] += 1
            got["lost_parts_said"] += any(url.endswith(lost.split("/", 3)[-1]) and "404" in err
                                          for url, err in errors.items())  # fmt: skip
            tables = TABLES[:2]
        want = {k: v for t in tables for k, v in _leaves(ref[t], t).items()}
        got["cells"] += len(want)
        if rec is None:
            continue
        got["found"] += 1
        have = {k: v for t in tables for k, v in _leaves(rec[t], t).items()}
        right = [k for k in want if have.get(k) == want[k]]
        got["cells_right"] += len(right)
        if len(right) < len(want):
            got["wrong"].append(rep["urls"][0])
        shown = {k for k, v in ref["sections"].items() if v}
        if tables != TABLES:
            shown -= {"review_litigation", "problems", "other"}
        if {k for k, v in rec["sections"].items() if v} != shown:
            got["wrong"].append(f"sections of {rep['urls'][0]}")
    known = {rep["urls"][0] for rep in expected}
    for rec in records:
        if rec["source_url"] not in known and rec.get("site") in SITES:
            result[rec["site"]]["part_reports"].append(rec["source_url"])
    return result


@pytest.mark.slow
def test_a_report_split_over_pages_is_read_whole() -> None:
    result = measure()
    assert result["exit"] == 1, result["stderr"]  # a report stored without a lost part needs a person's attention
    assert "page(s) of reports cut into pages not fetched" in result["stderr"], result["stderr"]
    for site in HOSTS:
        got = result[site]
        assert got["found"] == got["expected"], (site, got)
        assert got["cells_right"] == got["cells"] and not got["wrong"], (site, got)
        assert not got["part_reports"], (site, got)
        assert got["lost_parts_said"] == got["lost_parts"], (site, got)
    assert result["gp-split"]["lost_parts"] == 1  # the case is there
    # a pager counting 20 pages where 2 are there: 18 parts lost in two lines, most of them never asked for
    assert len(result["phantom_errors"]) == 2, result["phantom_errors"]
    assert "(and 6 more part(s))" in result["phantom_errors"][0] and "HTTP 404" in result["phantom_errors"][0]
    assert "not asked" in result["phantom_errors"][1] and "(and 10 more part(s))" in result["phantom_errors"][1]
    # on the cloud only the book linked from the 年报 column was read, not the cloud's other pages
    assert result["cloud_requests"] and all(p.startswith(CLOUD_BOOK + "/") or p == "/robots.txt"
                                            for p in result["cloud_requests"]), result["cloud_requests"]  # fmt: skip


class _LongReportWeb(Web2):
    """One TRS site whose one report is cut into `parts` pages by the article pager (its content on the first ten,
    a line on each of the rest)."""

    def __init__(self, parts: int) -> None:
        super().__init__()
        s = SiteBuilder("lp-parts", "127.0.0.52", name="长平县人民政府", family="TRS WCM (an article cut into many pages)",
                        mechanism="one report cut into many pages by createPageHTML", region_code="140581",
                        region_name="山西省晋城市长平县", level="county", start_paths=["/zfxxgk/zfxxgknb/index.html"],
                        site_code="1405810002", site_name="长平县人民政府")  # fmt: skip
        doc = R.make_report("长平县人民政府", 2024, 5200)
        chunks = [R.Doc(title=doc.title, agency=doc.agency, year=doc.year, fmt=doc.fmt) for _ in range(parts)]
        for n, block in enumerate(doc.blocks):
            chunks[min(n * 10 // len(doc.blocks), parts - 1)].blocks.append(block)
        for chunk in chunks[10:]:
            chunk.blocks.append(("p", "本页为报告续页。"))
        stem, folder = "t20250120_52000", "/zfxxgk/zfxxgknb/202501"
        for k, chunk in enumerate(chunks):
            main = article_html(s, chunk, date="2025-01-20", publisher=doc.agency, index_no="11140581/2025-00001",
                                attach=_trs_pager(stem, "html", parts, k))  # fmt: skip
            page = s.page(doc.title, main, article={"title": doc.title, "date": "2025-01-20"})
            s.add(f"{folder}/{stem}.html" if k == 0 else f"{folder}/{stem}_{k}.html", page)
        s.add("/zfxxgk/zfxxgknb/index.html", s.page("政府信息公开年报", f'<ul class="list">'
              f'{li(f"{folder}/{stem}.html", doc.title, "2025-01-20")}</ul>', column="政府信息公开年报"))  # fmt: skip
        self.sites = {s.id: s}


def _crawl_long_report(tmp: Path, parts: int, *settings: str) -> tuple[int, str, list[dict[str, Any]], dict]:
    """Crawl a report cut into `parts` pages; return the exit status, stderr, the feed's error lines and the
    summary row."""
    with _LongReportWeb(parts) as web:
        reg = web.write_registry(tmp / "sites.csv")
        feed, summary = tmp / "feed.jsonl", tmp / "summary.json"
        crawl = subprocess.run([sys.executable, "-m", "nianbao.cli", "crawl", "--sites", str(reg), "--fast", "--db", "",
                                "--feed", str(feed), "--summary", str(summary), "--quiet", *settings],
                               cwd=tmp, capture_output=True, text=True, timeout=300)  # fmt: skip
    lines = [json.loads(x) for x in feed.read_text(encoding="utf-8").splitlines() if x.strip()]
    [row] = json.loads(summary.read_text(encoding="utf-8"))["sites"]
    return crawl.returncode, crawl.stderr, [x for x in lines if x.get("kind") == "error"], row


@pytest.mark.slow
def test_a_report_cut_into_more_parts_than_the_limit_says_which_were_not_fetched(tmp_path: Path) -> None:
    status, stderr, errors, row = _crawl_long_report(tmp_path, MAX_PARTS + 30)
    assert status == 1 and "page(s) of reports cut into pages not fetched" in stderr, stderr[-2000:]
    # The first page and 199 parts read; the pager's parts past them were not named at all before (exit 0, silent).
    assert row["reports_new"] == 1 and row["parts_lost"] == 30
    [error] = errors
    assert f"over {MAX_PARTS} parts: this and 29 more part(s) not fetched" in error["error"]
    assert error["source_url"].endswith(f"_{MAX_PARTS}.html")  # the first part not fetched, named


@pytest.mark.slow
def test_a_report_whose_parts_exceed_the_size_limit_says_which_were_not_fetched(tmp_path: Path) -> None:
    status, stderr, errors, row = _crawl_long_report(tmp_path, 40, "-s", "DOWNLOAD_MAXSIZE=60000")
    assert status == 1 and "page(s) of reports cut into pages not fetched" in stderr, stderr[-2000:]
    [error] = errors
    assert "the parts exceed 60000 bytes" in error["error"] and "more part(s) not fetched" in error["error"]
    assert row["reports_new"] == 1 and 0 < row["parts_lost"] < 39


if __name__ == "__main__":
    print(json.dumps(measure(), ensure_ascii=False, indent=1))


def _revisit(tmp: Path, change: bool) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Crawl a report cut into 3 pages twice into one store, its last part changed in between where `change`
    (a table cell corrected and the correction said, the first page as it was); return each crawl's summary row and the requests of
    its parts (method, path, status, conditional headers)."""
    db = f"sqlite:///{tmp}/store.db"
    with _LongReportWeb(3) as web:
        reg = web.write_registry(tmp / "sites.csv")
        [site] = web.sites.values()
        out = []
        for n in (1, 2):
            web.clear_requests()
            summary = tmp / f"summary{n}.json"
            crawl = subprocess.run([sys.executable, "-m", "nianbao.cli", "crawl", "--sites", str(reg), "--fast", "--db",
                                    db, "--feed", str(tmp / f"feed{n}.jsonl"), "--summary", str(summary), "--quiet"],
                                   cwd=tmp, capture_output=True, text=True, timeout=300)  # fmt: skip
            assert crawl.returncode == 0, crawl.stderr[-2000:]
            [row] = json.loads(summary.read_text(encoding="utf-8"))["sites"]
            parts = [(r["method"], r["path"], r["status"], "If-None-Match" in r["headers"]) for r in web.requests
                     if r["path"].endswith(("_1.html", "_2.html"))]  # fmt: skip
            out.append((row, parts))
            if change:  # a cell of a table on the last page corrected, and the correction said
                last = next(route for path, route in site.routes.items() if path.endswith("_2.html"))
                cell = re.search(rb"<td[^>]*>(\d+)</td>", last.body)
                assert cell is not None
                fixed = cell[0].replace(cell[1] + b"</td>", str(int(cell[1]) + 1).encode() + b"</td>")
                last.body = last.body.replace(cell[0], fixed, 1).replace(
                    b"</body>", "<p>更正说明：本报告第三页于2025年2月更正。</p></body>".encode())
    return out


@pytest.mark.slow
def test_a_revisit_reads_a_report_again_when_a_part_changed_while_its_first_page_did_not(tmp_path: Path) -> None:
    (first, _), (second, parts) = _revisit(tmp_path, change=True)
    assert first["reports_new"] == 1
    assert second["reports_new"] == 1, f"the changed part went unseen: {second}, parts asked {parts}"
    out = tmp_path / "reports.jsonl"
    subprocess.run([sys.executable, "-m", "nianbao.cli", "export", "--db", f"sqlite:///{tmp_path}/store.db",
                    "--format", "jsonl", "--out", str(out)], cwd=tmp_path, capture_output=True, timeout=120,
                   check=True)  # fmt: skip
    [record] = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines() if x.strip()]
    assert record["version"] == 2 and "更正说明" in json.dumps(record["sections"], ensure_ascii=False), record["version"]


@pytest.mark.slow
def test_a_revisit_of_an_unchanged_report_asks_its_parts_conditionally(tmp_path: Path) -> None:
    (first, _), (second, parts) = _revisit(tmp_path, change=False)
    assert first["reports_new"] == 1
    assert second["reports_new"] == 0 and second["reports_known"] == 1, second
    assert parts and all(status == 304 and conditional for _, _, status, conditional in parts), parts
