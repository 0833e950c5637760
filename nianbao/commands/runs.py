"""`nianbao runs`: the store's crawl runs, and one summary of several (the workers of a distributed crawl).

Each `nianbao crawl` and each `nianbao worker` records a run row with its stats; a worker sees only its share of a
shared crawl. `--queue NAME` takes the latest worker run of that queue with every worker run of it that ran at the
same time as one of them (one round of a distributed crawl); `--combine ID …` takes the runs named. Their stats are
added (numbers summed; reasons such as a blocked host's kept once each) and printed as `nianbao crawl` prints its
summary, with the same attention lines and exit status.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from ..exits import ATTENTION, OK, UsageError
from ..output import print_table
from ..stores import open_store

NOT_ADDED = ("reports_last_run",)
"""Per-site stats that are not a count of this round's work: left out of a combined summary (each worker read the
last run's figure; no drop is judged from a share)."""


def round_of(runs: list[dict[str, Any]], queue: str) -> list[dict[str, Any]]:
    """Return the worker runs of `queue`'s latest round, oldest first: its latest run and every run of the queue that
    overlapped in time one already taken (an empty list where the queue has no worker run)."""
    from crawler.distributed.keys import run_note

    mine = sorted((r for r in runs if r["note"] == run_note(queue)), key=lambda r: _when(r["started_at"]),
                  reverse=True)  # fmt: skip
    if not mine:
        return []
    taken = [mine[0]]
    since = _when(mine[0]["started_at"])
    for run in mine[1:]:
        if _when(run["finished_at"]) >= since:  # it was still running when a run already taken started
            taken.append(run)
            since = min(since, _when(run["started_at"]))
    return sorted(taken, key=lambda r: r["id"])


def _when(stamp: str | None) -> datetime:
    """Return a run's ISO time stamp as an aware datetime; None (a run still going) is now."""
    return datetime.fromisoformat(stamp) if stamp else datetime.now(UTC)


def combined_stats(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the stats of `runs` added together: numbers summed, texts (reasons) kept once each, joined by '; '."""
    out: dict[str, Any] = {}
    for run in runs:
        for key, value in (run["stats"] or {}).items():
            if key.rsplit("/", 1)[-1] in NOT_ADDED:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                seen = [] if key not in out else str(out[key]).split("; ")
                out[key] = "; ".join(dict.fromkeys([*seen, str(value)]))
            else:
                out[key] = out.get(key, 0) + value
    return out


def combined_summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the crawl summary (as `nianbao crawl --summary` writes it) of `runs` taken together."""
    from crawler.extensions import site_summary

    sites = list(dict.fromkeys(site for run in runs for site in run["sites"] or []))
    stats = combined_stats(runs)
    statuses = sorted({run["status"] for run in runs})
    return {"runs": [run["id"] for run in runs], "status": statuses, "sites": site_summary(stats, sites)}


def cmd_runs(args: argparse.Namespace) -> int:
    """Print the last runs, or one summary of several (`--queue`, `--combine`); return the exit status."""
    store = open_store(args.db, create=False)
    try:
        runs = store.runs()
    finally:
        store.close()
    if args.queue or args.combine:
        return _combined(args, runs)
    shown = runs[-args.last :] if args.last > 0 else runs
    if args.format == "json":
        print(json.dumps(shown, ensure_ascii=False, indent=1))
        return OK
    rows = [("run", "status", "started", "finished", "owner", "note", "sites", "pages", "new", "known", "errors")]
    for run in shown:
        totals = _site_totals(run)
        rows.append((str(run["id"]), run["status"], _minute(run["started_at"]), _minute(run["finished_at"]),
                     run["owner"] or "-", run["note"] or "-", str(len(run["sites"] or [])), str(totals["pages"]),
                     str(totals["reports_new"]), str(totals["reports_known"]), str(totals["errors"])))  # fmt: skip
    print_table(rows)
    return OK


def _combined(args: argparse.Namespace, runs: list[dict[str, Any]]) -> int:
    """Print one summary of the runs `--queue` or `--combine` names; return ATTENTION where a site needs it."""
    from crawler.run import attention

    from .crawl import print_summary

    if args.combine:
        by_id = {run["id"]: run for run in runs}
        missing = [str(i) for i in args.combine if i not in by_id]
        if missing:
            raise UsageError(f"--combine: no crawl run {', '.join(missing)} in the store (nianbao runs lists them)")
        chosen = [by_id[i] for i in dict.fromkeys(args.combine)]
    else:
        chosen = round_of(runs, args.queue)
        if not chosen:
            raise UsageError(f"--queue {args.queue}: no worker run of that queue in the store")
    summary = combined_summary(chosen)
    if args.format == "json":
        print(json.dumps(summary, ensure_ascii=False, indent=1))
    else:
        ids = ", ".join(str(i) for i in summary["runs"])
        print(f"runs {ids} together ({', '.join(summary['status'])})")
        print_summary(summary)
    needs = attention(summary)
    for site, why in needs.items():
        print(f"nianbao: {site}: {why}", file=sys.stderr)
    return ATTENTION if needs else OK


def _site_totals(run: dict[str, Any]) -> dict[str, int]:
    """Return a run's pages, new and known reports and errors (too large included), added over its sites' rows of
    the crawl summary."""
    from crawler.extensions import site_summary

    rows = site_summary(run["stats"] or {}, run["sites"] or [])
    return {key: sum(int(r[key]) for r in rows) for key in ("pages", "reports_new", "reports_known", "errors")}


def _minute(stamp: str | None) -> str:
    """Return an ISO time stamp to the minute, or '-'."""
    return stamp[:16].replace("T", " ") if stamp else "-"


def add_runs_parser(sub: Any, make: Any, default_db: str) -> None:
    """Add `nianbao runs` to the command line's subparsers."""
    ru = make(sub, "runs", "the store's crawl runs; with --queue or --combine, one summary of several runs (the "
              "workers of a distributed crawl)")  # fmt: skip
    ru.add_argument("--db", default=default_db, help="SQLAlchemy URL of the store")
    ru.add_argument("--last", type=int, default=20, help="list this many of the latest runs (0: all)")
    ru.add_argument("--queue", help="one summary of the latest round of `nianbao worker` runs of this queue")
    ru.add_argument("--combine", type=int, nargs="+", metavar="RUN", help="one summary of these runs")
    ru.add_argument("--format", default="table", choices=("table", "json"), help="output format")
    ru.set_defaults(func=cmd_runs)
