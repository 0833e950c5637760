"""Does a crawl with the default budgets read a 信息公开 platform of thousands of units whole? (run by hand)

    .venv/bin/python bench/budgets.py --units 3000 [--json bench/results/platform-3000.json]
    .venv/bin/python bench/budgets.py --units 60 --overrides '{"max_pages": 400}'
    .venv/bin/python bench/budgets.py --units 3000 --column 5 --no-tree   # one platform-wide 年报 column
    .venv/bin/python bench/budgets.py --units 3000 --workers 2 --db postgresql+psycopg://postgres@127.0.0.1/bench

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


def run(units: int, overrides: dict[str, Any], timeout: float, workers: int = 0, redis: str = "", db: str = "",
        column: int = 0, tree: bool = True) -> dict[str, Any]:  # fmt: skip
    """Return what one crawl of a platform of `units` units found (its registry row's `overrides` as given): by one
    process, or by `workers` processes of a crawl seeded in `redis` into the store `db`; with its 年报 column of
    `column` reports a page where not 0, without its unit tree where not `tree`."""
    sys.path.insert(0, str(ROOT))
    from fixtures.web2.platform import SITE_ID, PlatformWeb

    with PlatformWeb(units, column_per_page=column, tree=tree) as web, tempfile.TemporaryDirectory() as tmp:
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
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        nianbao = [sys.executable, "-m", "nianbao.cli"]
        t0 = time.monotonic()
        if not workers:
            feeds, summaries = [Path(tmp) / "feed.jsonl"], [Path(tmp) / "summary.json"]
            cmd = [*nianbao, "crawl", "--sites", str(reg), "--fast", "--db", "", "--feed", str(feeds[0]),
                   "--summary", str(summaries[0]), "--quiet"]  # fmt: skip
            proc = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True, timeout=timeout)
            status, stderr = proc.returncode, proc.stderr
        else:  # seed the frontier in Redis, then `workers` processes share it and one PostgreSQL store
            queue = f"bench-{os.getpid()}"
            subprocess.run([*nianbao, "crawl", "--sites", str(reg), "--redis", redis, "--queue", queue, "--db", db],
                           cwd=tmp, env=env, check=True, capture_output=True, timeout=120)  # fmt: skip
            feeds = [Path(tmp) / f"feed{n}.jsonl" for n in range(workers)]
            summaries = [Path(tmp) / f"summary{n}.json" for n in range(workers)]
            procs = [subprocess.Popen([*nianbao, "worker", "--redis", redis, "--queue", queue, "--db", db,
                                       "--blobs", str(Path(tmp) / "blobs"), "--fast", "--idle", "10",
                                       "--feed", str(feeds[n]), "--summary", str(summaries[n])],
                                      cwd=tmp, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                     for n in range(workers)]  # fmt: skip
            outs = [p.communicate(timeout=timeout)[1] for p in procs]
            status, stderr = max(p.returncode for p in procs), "\n".join(outs)
        seconds = time.monotonic() - t0
        lines = [json.loads(x) for f in feeds if f.exists() for x in f.read_text(encoding="utf-8").splitlines()]
        found = {x["source_url"] for x in lines if x.get("kind") in ("report", "source")} & expected
        rows = [json.loads(s.read_text(encoding="utf-8"))["sites"][0] for s in summaries if s.exists()]
        row = rows[0] if len(rows) == 1 else {"workers": rows, "budget_hit": [r.get("budget_hit") for r in rows]}
        asked = {web.url(SITE_ID, r["path"] + (f"?{r['query']}" if r["query"] else "")) for r in web.requests}
        missed = sorted(expected - found)
        return {
            "units": units,
            "column_per_page": column,
            "tree": tree,
            "overrides": overrides,
            "reports_expected": len(expected),
            "reports_found": len(found),
            "requests": len(web.requests),
            "budget_hit": row.get("budget_hit"),
            "missed_never_asked": len([u for u in missed if u not in asked]),
            "missed_sample": missed[:10],
            "feed_kinds": dict(Counter(x.get("kind") for x in lines)),
            "summary": row,
            "exit_status": status,
            "stderr_tail": stderr.strip().splitlines()[-3:],
            "seconds": round(seconds, 1),
        }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--units", type=int, default=3000)
    ap.add_argument("--overrides", default="{}", help="the registry row's overrides, as JSON")
    ap.add_argument("--timeout", type=float, default=7200)
    ap.add_argument("--json", help="write the result here")
    ap.add_argument("--workers", type=int, default=0, help="crawl with this many `nianbao worker` processes")
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="with --workers: the frontier's Redis")
    ap.add_argument("--db", default="", help="with --workers: the shared store (a PostgreSQL URL)")
    ap.add_argument("--column", type=int, default=0, metavar="PER_PAGE",
                    help="add the platform's 年报 column (a jpage list of every report, this many a page)")
    ap.add_argument("--no-tree", action="store_true", help="leave the unit tree out: the column is the only way")
    args = ap.parse_args(argv)
    if args.workers and not args.db:
        ap.error("--workers needs --db (a store every worker reaches)")
    result = run(args.units, json.loads(args.overrides), args.timeout, args.workers, args.redis, args.db,
                 args.column, not args.no_tree)
    result["commit"] = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                                      text=True).stdout.strip()  # fmt: skip
    print(json.dumps(result, ensure_ascii=False, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
