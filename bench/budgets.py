"""Does a crawl with the default budgets read a 信息公开 platform of thousands of units whole? (run by hand)

    .venv/bin/python bench/budgets.py --units 3000 [--json bench/results/platform-3000.json]
    .venv/bin/python bench/budgets.py --units 60 --overrides '{"max_pages": 400}'

Serves `fixtures.web2.platform` (a Hanweb 信息公开 module of N units, about five reports a unit, each earlier year
asked for by `fbtime`), runs `nianbao crawl --sites REGISTRY --fast --db ''` as a user would, and prints the reports
expected and found, the requests the platform answered, the summary's `budget hit` and the exit status.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def run(units: int, overrides: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Return what one crawl of a platform of `units` units found (its registry row's `overrides` as given)."""
    sys.path.insert(0, str(ROOT))
    from fixtures.web2.platform import SITE_ID, PlatformWeb

    with PlatformWeb(units) as web, tempfile.TemporaryDirectory() as tmp:
        reg = web.write_registry(Path(tmp) / "sites.csv")
        if overrides:
            with reg.open(encoding="utf-8") as fh:
                rows = list(csv.DictReader(fh))
            rows[0]["overrides"] = json.dumps(overrides)
            with reg.open("w", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)
        expected = set(web.expected_urls())
        feed, summary = Path(tmp) / "feed.jsonl", Path(tmp) / "summary.json"
        cmd = [sys.executable, "-m", "nianbao.cli", "crawl", "--sites", str(reg), "--fast", "--db", "",
               "--feed", str(feed), "--summary", str(summary), "--quiet"]  # fmt: skip
        t0 = time.monotonic()
        proc = subprocess.run(cmd, cwd=tmp, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                              text=True, timeout=timeout)  # fmt: skip
        seconds = time.monotonic() - t0
        lines = [json.loads(x) for x in feed.read_text(encoding="utf-8").splitlines()] if feed.exists() else []
        found = {x["source_url"] for x in lines if x.get("kind") in ("report", "source")} & expected
        [row] = json.loads(summary.read_text(encoding="utf-8"))["sites"] if summary.exists() else [{}]
        asked = {web.url(SITE_ID, r["path"] + (f"?{r['query']}" if r["query"] else "")) for r in web.requests}
        missed = sorted(expected - found)
        return {
            "units": units,
            "overrides": overrides,
            "reports_expected": len(expected),
            "reports_found": len(found),
            "requests": len(web.requests),
            "budget_hit": row.get("budget_hit"),
            "missed_never_asked": len([u for u in missed if u not in asked]),
            "missed_sample": missed[:10],
            "feed_kinds": dict(Counter(x.get("kind") for x in lines)),
            "summary": row,
            "exit_status": proc.returncode,
            "stderr_tail": proc.stderr.strip().splitlines()[-3:],
            "seconds": round(seconds, 1),
        }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--units", type=int, default=3000)
    ap.add_argument("--overrides", default="{}", help="the registry row's overrides, as JSON")
    ap.add_argument("--timeout", type=float, default=7200)
    ap.add_argument("--json", help="write the result here")
    args = ap.parse_args(argv)
    result = run(args.units, json.loads(args.overrides), args.timeout)
    result["commit"] = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                                      text=True).stdout.strip()  # fmt: skip
    print(json.dumps(result, ensure_ascii=False, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
