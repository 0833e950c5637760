"""The harvest report at scale (run by hand: `python bench/report.py`): N synthetic reports (default 5000) made
from the bundled sample documents' records, stored in a SQLite file, then `nianbao report` written and opened in
headless Chromium (Playwright driving /usr/bin/chromium). Prints the store build time, the page's size, the time
to write it, and in the browser: the time until the data is read (file loaded and parsed, JSON read) and until
the page is ready (first tables drawn), to
draw one report's three tables, and to sort and filter the list of every report (median of REPEAT).

`--reports N` sets the count, `--keep DIR` keeps the store and page there (and reuses a store already built with
the same N), `--json FILE` writes the figures (bench/results/report-*.json).
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from extractors import ExtractionError, extract  # noqa: E402
from storage import Store  # noqa: E402
from storage.bodies import BodySighting  # noqa: E402
from storage.writing import Addition  # noqa: E402

SAMPLES = ROOT / "nianbao" / "demo"
REPEAT = 5
UNITS = ("统计局", "财政局", "教育局", "水利局", "审计局", "民政局", "司法局", "商务局", "人力资源和社会保障局",
         "自然资源局")  # fmt: skip
"""Department names a synthetic county has (a county's reports are its government's and these)."""


def samples() -> list[tuple[bytes, dict[str, Any]]]:
    """Return the bundled documents that read without LibreOffice or OCR, with their records."""
    out = []
    for path in sorted(SAMPLES.glob("documents/*/input.*")) + sorted(SAMPLES.glob("corpus/real/*")):
        try:
            raw = path.read_bytes()
            out.append((raw, extract(raw)))
        except (ExtractionError, TypeError, ValueError):
            continue
    return [s for s in out if s[1].get("requests")]


def counties(n: int) -> list[tuple[str, str]]:
    """Return (code, name) of `n` county-level regions of the GB/T 2260 table."""
    from extractors.regions import regions

    found = [(code, r.name) for code, r in regions().items() if len(code) == 6 and not code.endswith("00")]
    return found[:n]


def _additions(count: int, base: list[tuple[bytes, dict[str, Any]]], places: list[tuple[str, str]],
               sightings: list[BodySighting]) -> Iterator[Addition]:  # fmt: skip
    """Yield the synthetic reports to store, noting their bodies (all but about one in twenty) in `sightings`."""
    for i in range(count):
        code, name = places[i // (len(UNITS) + 1)]
        unit = i % (len(UNITS) + 1)
        agency = f"{name}人民政府" if unit == 0 else f"{name}{UNITS[unit - 1]}"
        if i % 20 != 7:  # about one report in twenty is by a body in no list (unlisted)
            sightings.append(BodySighting(agency, "registry", site=f"s{code}", site_region_code=code))
        raw, record = base[i % len(base)]
        record = json.loads(json.dumps(record))
        for key in ("body", "body_key", "attribution", "region_name"):
            record.pop(key, None)
        record.update(agency=agency, year=2024, region_code=code, title=f"{agency}2024年政府信息公开工作年度报告")
        record["text_sha256"] = hashlib.sha256(f"{i}:{record['text_sha256']}".encode()).hexdigest()
        day = 1 + (i * 7919) % 100  # spread over January to mid-April 2025: some late
        record["published_at"] = time.strftime("%Y-%m-%d", time.gmtime(1735689600 + (day - 1) * 86400))
        if i % 13 == 5:
            record.pop("published_at")
        url = f"http://s{code}.example/nb/{i}.html"
        yield Addition(raw + f"<!-- {i} -->".encode(), record, {"url": url, "site": f"s{code}", "region_code": code})


def build(path: Path, count: int) -> float:
    """Store `count` synthetic reports (and their counties' obliged bodies) in a SQLite file; return seconds."""
    started = time.perf_counter()
    base = samples()
    places = counties(count // (len(UNITS) + 1) + 1)
    store = Store(f"sqlite:///{path}", blob_root=path.parent / "blobs")
    store.migrate()
    sightings: list[BodySighting] = []
    for _ in store.add_stream(_additions(count, base, places, sightings)):
        pass
    for missing in range(count // 25):  # bodies without a report
        code, name = places[missing % len(places)]
        name = f"{name}第{missing}街道办事处"
        sightings.append(BodySighting(name, "registry", site=f"s{code}", site_region_code=code))
    store.learn_bodies(sightings)
    store.close()
    return time.perf_counter() - started


def write_page(db: Path, out: Path) -> float:
    """Run `nianbao report` on the store; return its wall seconds."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "nianbao.cli", "report", "--db", f"sqlite:///{db}", "--out", str(out)],
                   cwd=ROOT, check=True, capture_output=True)  # fmt: skip
    return time.perf_counter() - started


OPEN_REPORT = """async (id) => { const t = performance.now(); location.hash = '#report-' + id;
  while (!document.querySelector('#report-view table.official')) await new Promise(r => setTimeout(r, 1));
  return performance.now() - t; }"""
SORT = """() => { const t = performance.now();
  document.querySelector('table[data-grid="reports"] th[data-key="published"]').click();
  return performance.now() - t; }"""
FILTER = """() => { const t = performance.now(); const box = document.querySelector('#report-table input[type=search]');
  box.value = '审计'; box.dispatchEvent(new Event('input')); return performance.now() - t; }"""


def _last_report(page: Path) -> int:
    """Return the id of the last report in a page's data (gzip-compressed JSON in base64)."""
    found = re.search(r'<script[^>]*id="nianbao-data"[^>]*>([^<]*)</script>', page.read_text(encoding="utf-8"))
    if found is None:
        raise SystemExit(f"{page}: no report data in the page")
    return json.loads(gzip.decompress(base64.b64decode(found.group(1))))["reports"][-1]["id"]


def browse(page_path: Path, chromium: str) -> dict[str, float]:
    """Open the page REPEAT times in a fresh headless Chromium page; return median milliseconds per step."""
    from playwright.sync_api import sync_playwright

    steps: dict[str, list[float]] = {k: [] for k in ("data_ms", "ready_ms", "open_report_ms", "sort_ms", "filter_ms")}
    last = _last_report(page_path)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for _ in range(REPEAT):
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(page_path.as_uri())
            page.wait_for_selector("body[data-ready]")
            for step in ("data", "ready"):  # the data read (page parsed, JSON read), then the first tables drawn
                mark = f"performance.getEntriesByName('nianbao-{step}')[0]"
                steps[f"{step}_ms"].append(page.evaluate(f"{mark} ? {mark}.startTime : NaN"))
            steps["open_report_ms"].append(page.evaluate(OPEN_REPORT, last))
            page.evaluate("location.hash = '#reports'")
            steps["sort_ms"].append(page.evaluate(SORT))
            steps["filter_ms"].append(page.evaluate(FILTER))
            page.close()
        browser.close()
    return {k: round(statistics.median(v), 1) for k, v in steps.items()}


def main(argv: list[str] | None = None) -> int:
    """Build, write and open the page; print the figures (and write them with --json). Return 0."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=int, default=5000, help="synthetic reports to store")
    ap.add_argument("--keep", help="folder for the store and the page (a store of the same size there is reused)")
    ap.add_argument("--chromium", default="/usr/bin/chromium", help="the Chromium binary")
    ap.add_argument("--json", help="write the figures to this file")
    args = ap.parse_args(argv)
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="nianbao-report-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / f"reports-{args.reports}.sqlite"
    built = None if db.exists() else round(build(db, args.reports), 1)
    page = folder / f"report-{args.reports}.html"
    figures: dict[str, Any] = {"reports": args.reports, "store_build_s": built}
    figures["write_s"] = round(write_page(db, page), 2)
    figures["page_mb"] = round(page.stat().st_size / 1e6, 2)
    figures.update(browse(page, args.chromium))
    for key, value in figures.items():
        print(f"{key:16} {value}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
