"""Discovery recall, precision and request cost of the real crawler on a fixture web (run by hand).

    .venv/bin/python bench/discovery.py --web web2 [--json bench/results/discovery-web2.json]
    .venv/bin/python bench/discovery.py --web demo

Serves the chosen web (`demo`: nianbao.demo.server.FixtureWeb; `web2`: fixtures.web2.Web2), writes its registry,
and runs the crawler as a user would (`python -m nianbao.cli crawl --sites REGISTRY --fast --db '' --feed F
--summary S`). Then, per site and in total, it prints:

* reports expected / found (recall): a report is found when any of its URLs is in the feed as a `report` or
  `source` line;
* false reports (precision): `report` lines whose URL is no expected report URL; negatives taken as reports are
  listed by name (each one is a failure);
* requests made, requests per report found, and wasted requests: requests to URLs that are neither an expected
  report URL nor one of the oracle's list/navigation URLs (robots.txt is not counted as wasted).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]


def norm(url: str) -> str:
    p = urlsplit(url)
    q = urlencode(sorted(parse_qsl(p.query, keep_blank_values=True)))
    return f"{(p.hostname or '').lower()}:{p.port or 80}{unquote(p.path) or '/'}" + (f"?{unquote(q)}" if q else "")


def norm_path(url: str) -> str:
    p = urlsplit(url)
    return f"{(p.hostname or '').lower()}:{p.port or 80}{unquote(p.path) or '/'}"


def open_web(name: str) -> Any:
    sys.path.insert(0, str(ROOT))
    if name == "demo":
        from nianbao.demo.server import FixtureWeb

        return FixtureWeb()
    from fixtures.web2 import Web2

    return Web2()


def oracle(name: str, exp: dict[str, Any]) -> tuple[list[dict], dict[str, dict], set[str], set[str]]:
    """(reports, negatives by normalised URL, list URLs, list paths) from either web's expected()."""
    reports = exp["reports"]
    negatives: dict[str, dict] = {}
    lists: set[str] = set()
    paths: set[str] = set()
    if name == "demo":
        for u in exp.get("negatives", []):
            negatives[norm(u)] = {"url": u, "kind": "negative"}
        for urls in exp.get("columns", {}).values():
            lists.update(norm(u) for u in urls)
        lists.update(norm(u) for u in exp.get("wrappers", []))
    else:
        for n in exp["negatives"]:
            negatives[norm(n["url"])] = n
        for entry in exp["lists"]:
            (paths.add(norm_path(entry["url"])) if entry["match"] == "path" else lists.add(norm(entry["url"])))
    return reports, negatives, lists, paths


def run(name: str, timeout: float, crawl_args: tuple[str, ...] = ()) -> dict[str, Any]:
    """Return the crawl's recall, precision and request cost per site of the fixture web `name` (`crawl_args`: more
    arguments for `nianbao crawl`, e.g. `--browser`), with the crawl's summary rows per site (`summary`)."""
    with open_web(name) as web, tempfile.TemporaryDirectory() as tmp:
        reg = web.write_registry(Path(tmp) / "sites.csv")
        exp = web.expected()
        feed, summary = Path(tmp) / "feed.jsonl", Path(tmp) / "summary.json"
        web.clear_requests() if hasattr(web, "clear_requests") else web.requests.clear()
        cmd = [
            sys.executable,
            "-m",
            "nianbao.cli",
            "crawl",
            "--sites",
            str(reg),
            "--fast",
            "--db",
            "",
            "--feed",
            str(feed),
            "--summary",
            str(summary),
            "--quiet",
            *crawl_args,
        ]
        unlisted = [s.ip for s in getattr(web, "sites", {}).values() if not getattr(s, "listed", True)]
        if unlisted:  # hosts the web serves that no registry row names (a cloud a column links): loopback, so named
            cmd += ["-s", f"NIANBAO_NAMED_HOSTS={','.join(unlisted)}"]
        t0 = time.monotonic()
        proc = subprocess.run(
            cmd, cwd=tmp, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=timeout
        )
        elapsed = time.monotonic() - t0
        requests = list(web.requests)
        lines = (
            [json.loads(x) for x in feed.read_text(encoding="utf-8").splitlines() if x.strip()] if feed.exists() else []
        )
        rows = summary_rows(summary)
    reports, negatives, lists, paths = oracle(name, exp)
    report_urls = {norm(u): rep for rep in reports for u in rep["urls"]}
    site_of_host: dict[str, str] = {}
    seen_kind: dict[str, set[str]] = defaultdict(set)
    for line in lines:
        if line.get("source_url"):
            seen_kind[norm(line["source_url"])].add(line.get("kind", ""))
    per: dict[str, dict[str, Any]] = defaultdict(
        lambda: {
            "expected": 0,
            "found": 0,
            "missed": [],
            "false_reports": [],
            "negatives_as_reports": [],
            "requests": 0,
            "wasted": 0,
            "wasted_urls": [],
        }
    )
    for rep in reports:
        s = per[rep["site"]]
        s["expected"] += 1
        for u in rep["urls"]:
            site_of_host[norm_path(u).split("/")[0]] = rep["site"]
        if any(seen_kind.get(norm(u), set()) & {"report", "source"} for u in rep["urls"]):
            s["found"] += 1
        else:
            s["missed"].append(rep["urls"][0])
    for line in lines:
        if line.get("kind") != "report":
            continue
        u = norm(line.get("source_url", ""))
        if u in report_urls:
            continue
        site = line.get("site") or "?"
        per[site]["false_reports"].append(line.get("source_url"))
        if u in negatives:
            per[site]["negatives_as_reports"].append({"url": line.get("source_url"), "kind": negatives[u].get("kind")})
    for r in requests:
        s = per[r["site"]]
        s["requests"] += 1
        url = f"http://{r['host']}{r['path']}" + (f"?{r['query']}" if r["query"] else "")
        if len(s.setdefault("request_log", [])) < 300:
            qs = f"?{r['query']}" if r["query"] else ""
            s["request_log"].append(f"{r['method']} {r['path']}{qs} {r['status']}")
        if r["path"] == "/robots.txt":
            continue
        n = norm(url)
        if n in report_urls or n in lists or norm_path(url) in paths:
            continue
        s["wasted"] += 1
        if len(s["wasted_urls"]) < 40:
            s["wasted_urls"].append(f"{r['method']} {url} {r['status']}")
    total = {"expected": 0, "found": 0, "false_reports": 0, "negatives_as_reports": 0, "requests": 0, "wasted": 0}
    sites = {}
    for sid in sorted(per):
        s = per[sid]
        s["recall"] = round(s["found"] / s["expected"], 3) if s["expected"] else None
        taken = s["found"] + len(s["false_reports"])
        s["precision"] = round(s["found"] / taken, 3) if taken else None
        s["requests_per_report"] = round(s["requests"] / s["found"], 1) if s["found"] else None
        sites[sid] = s
        for k in ("expected", "found", "requests", "wasted"):
            total[k] += s[k]
        total["false_reports"] += len(s["false_reports"])
        total["negatives_as_reports"] += len(s["negatives_as_reports"])
    total["recall"] = round(total["found"] / total["expected"], 3) if total["expected"] else None
    taken = total["found"] + total["false_reports"]
    total["precision"] = round(total["found"] / taken, 3) if taken else None
    total["requests_per_report"] = round(total["requests"] / total["found"], 1) if total["found"] else None
    return {
        "web": name,
        "exit_status": proc.returncode,
        "seconds": round(elapsed, 1),
        "feed_lines": len(lines),
        "stderr_tail": proc.stderr[-2000:],
        "total": total,
        "sites": sites,
        "summary": rows,
    }


def summary_rows(path: Path) -> dict[str, dict[str, Any]]:
    """Return the crawl summary's row of each site (none where the crawl wrote no summary)."""
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    rows = data.get("sites", data) if isinstance(data, dict) else data
    return {r["site"]: r for r in rows} if isinstance(rows, list) else {}


def show(result: dict[str, Any]) -> None:
    print(
        f"web {result['web']}: crawl exit {result['exit_status']} in {result['seconds']} s, "
        f"{result['feed_lines']} feed lines"
    )
    print(
        f"{'site':12} {'found/exp':>9} {'recall':>6} {'prec':>6} {'false':>5} {'neg':>4} {'req':>5} "
        f"{'req/rep':>7} {'wasted':>6}"
    )

    def row(name: str, s: dict[str, Any]) -> None:
        false = s["false_reports"] if isinstance(s["false_reports"], int) else len(s["false_reports"])
        neg = (
            s["negatives_as_reports"] if isinstance(s["negatives_as_reports"], int) else len(s["negatives_as_reports"])
        )
        print(
            f"{name:12} {s['found']:>4}/{s['expected']:<4} {s['recall'] if s['recall'] is not None else '-':>6} "
            f"{s['precision'] if s['precision'] is not None else '-':>6} {false:>5} {neg:>4} {s['requests']:>5} "
            f"{s['requests_per_report'] if s['requests_per_report'] is not None else '-':>7} {s['wasted']:>6}"
        )

    for sid, s in result["sites"].items():
        row(sid, s)
    row("TOTAL", result["total"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--web", choices=("demo", "web2"), default="web2")
    ap.add_argument("--json", help="write the numbers here as JSON")
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--browser", action="store_true", help="crawl with --browser (challenge hosts through Chromium)")
    args = ap.parse_args(argv)
    result = run(args.web, args.timeout, ("--browser",) if args.browser else ())
    show(result)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print("json:", args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
