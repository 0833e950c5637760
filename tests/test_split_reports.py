"""Reports published over several pages (fixtures/web2 sites gp-split and dz-flip): a TRS article cut into
`t…_1.html` pages and a page-flip book's text version are crawled and read as one report each, cell for cell the
record of the same report on one page, and no part page is taken for a report of its own.

Run as a script to print the measure: `python -m tests.test_split_reports`.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from extractors import extract
from fixtures.web2 import reports as R
from fixtures.web2.common import article_html
from fixtures.web2.server import Web2, build_sites
from fixtures.web2.sites_e import flip_lines, flip_page

ROOT = Path(__file__).resolve().parents[1]
SITES = ("gp-split", "dz-flip")
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


def _whole(site_id: str, doc: R.Doc) -> bytes:
    """Return the same report on one page: the reference its parts must read as."""
    site = build_sites()[site_id]
    if site_id == "dz-flip":
        return flip_page(doc.title, 1, 1, flip_lines(doc)).encode()
    main = article_html(site, doc, date="2025-01-01", publisher=doc.agency, index_no="0")
    return site.page(doc.title, main, article={"title": doc.title, "date": "2025-01-01"}).encode()


def _docs() -> dict[str, R.Doc]:
    """Return the report docs of the two sites by title."""
    from fixtures.web2 import sites_e

    docs: dict[str, R.Doc] = {}
    real_make = R.make_report

    def keep(*args: Any, **kwargs: Any) -> R.Doc:
        doc = real_make(*args, **kwargs)
        docs[doc.title] = doc
        return doc

    sites_e.R.make_report = keep  # type: ignore[attr-defined]
    try:
        sites_e.site_split()
        sites_e.site_flip()
    finally:
        sites_e.R.make_report = real_make  # type: ignore[attr-defined]
    return docs


def measure() -> dict[str, Any]:
    """Return, per site, reports expected and found, cells read as on one page, and part pages taken as reports."""
    docs = _docs()
    with Web2() as web, tempfile.TemporaryDirectory() as tmp:
        rows = list(csv.reader(web.write_registry(Path(tmp) / "all.csv").open(encoding="utf-8")))
        reg = Path(tmp) / "sites.csv"
        with reg.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([rows[0], *(r for r in rows[1:] if r[0] in SITES)])
        db, out = f"sqlite:///{tmp}/store.db", Path(tmp) / "records.jsonl"
        crawl = subprocess.run([sys.executable, "-m", "nianbao.cli", "crawl", "--sites", str(reg), "--fast", "--db", db,
                                "--quiet"], cwd=tmp, capture_output=True, text=True, timeout=300)  # fmt: skip
        subprocess.run([sys.executable, "-m", "nianbao.cli", "export", "--db", db, "--format", "jsonl", "--out",
                        str(out)], cwd=tmp, capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
        expected = [rep for rep in web.expected()["reports"] if rep["site"] in SITES]
        records = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines() if x.strip()]
    by_url = {rec["source_url"]: rec for rec in records}
    result: dict[str, Any] = {"exit": crawl.returncode, "stderr": crawl.stderr[-500:]}
    for site in SITES:
        result[site] = {"expected": 0, "found": 0, "cells": 0, "cells_right": 0, "wrong": [], "part_reports": []}
    for rep in expected:
        got = result[rep["site"]]
        got["expected"] += 1
        rec = by_url.get(rep["urls"][0])
        ref = extract(_whole(rep["site"], docs[rep["title"]]), name="whole.html")
        want = {k: v for t in TABLES for k, v in _leaves(ref[t], t).items()}
        got["cells"] += len(want)
        if rec is None:
            continue
        got["found"] += 1
        have = {k: v for t in TABLES for k, v in _leaves(rec[t], t).items()}
        right = [k for k in want if have.get(k) == want[k]]
        got["cells_right"] += len(right)
        if len(right) < len(want):
            got["wrong"].append(rep["urls"][0])
        sections = {k for k, v in rec["sections"].items() if v} == {k for k, v in ref["sections"].items() if v}
        if not sections:
            got["wrong"].append(f"sections of {rep['urls'][0]}")
    known = {rep["urls"][0] for rep in expected}
    for rec in records:
        if rec["source_url"] not in known and rec.get("site") in SITES:
            result[rec["site"]]["part_reports"].append(rec["source_url"])
    return result


@pytest.mark.slow
def test_a_report_split_over_pages_is_read_whole() -> None:
    result = measure()
    assert result["exit"] == 0, result["stderr"]
    for site in SITES:
        got = result[site]
        assert got["found"] == got["expected"], (site, got)
        assert got["cells_right"] == got["cells"] and not got["wrong"], (site, got)
        assert not got["part_reports"], (site, got)


if __name__ == "__main__":
    print(json.dumps(measure(), ensure_ascii=False, indent=1))
