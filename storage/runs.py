"""Crawl runs: their rows (start, heartbeat, end), who owns one, and whether one marked `running` still runs.

A run killed with SIGKILL cannot record its end; the next run sees that its process is gone (same host) or
that it has been silent for `SILENCE` (another host), and marks it `interrupted`. The functions taking a
Session are run by `Store` in its retried write transaction.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .engine import aware
from .keys import iso
from .models import CrawlRun

SILENCE = timedelta(minutes=30)
"""A run on another host that has not shown life for this long is taken as interrupted."""


def this_owner() -> str:
    """Return `host:pid` of this process, as stored in a run's `owner`."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive
    return True


def abandoned(owner: str | None, last_sign: datetime, now: datetime) -> bool:
    """True where a `running` run's process is gone (same host) or it has been silent for `SILENCE`."""
    host, _, pid = (owner or "").rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        return not _alive(int(pid))
    return now - last_sign > SILENCE


def start(s: Session, sites: Iterable[str] | None, note: str | None) -> int:
    """Mark abandoned `running` runs `interrupted`, add a run owned by this process; return its id."""
    now = datetime.now(UTC)
    for old in s.scalars(select(CrawlRun).where(CrawlRun.status == "running")):
        if abandoned(old.owner, aware(old.heartbeat_at or old.started_at), now):
            old.status = "interrupted"
    run = CrawlRun(started_at=now, status="running", sites=list(sites) if sites else None, note=note,
                   owner=this_owner(), heartbeat_at=now)  # fmt: skip
    s.add(run)
    s.flush()
    return run.id


def beat(s: Session, run_id: int) -> None:
    """Record that run `run_id` is still alive."""
    s.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(heartbeat_at=datetime.now(UTC)))


def finish(s: Session, run_id: int, stats: dict[str, Any] | None, status: str) -> None:
    """Record the end of run `run_id`; raise KeyError where there is no such run."""
    run = s.get(CrawlRun, run_id)
    if run is None:
        raise KeyError(f"no crawl run {run_id}")
    run.finished_at = datetime.now(UTC)
    run.heartbeat_at = run.finished_at
    run.status = status
    run.stats = stats


LOOK_BACK = 200
"""How many earlier runs `last_reports` and the visit history look through."""


def site_reports(stats: dict[str, Any], site: str) -> int:
    """Return the reports (new and known) a run's stats count for `site`."""
    return int(stats.get(f"site/{site}/reports_new", 0) or 0) + int(stats.get(f"site/{site}/reports_known", 0) or 0)


def last_reports(s: Session, sites: Iterable[str], before: int | None = None) -> dict[str, int]:
    """Return, per site of `sites`, the reports of the latest `finished` run before run `before` that crawled
    it (its stats have `site/<id>/pages`); a site no such run crawled is left out."""
    wanted = set(sites)
    out: dict[str, int] = {}
    query = select(CrawlRun).where(CrawlRun.status == "finished").order_by(CrawlRun.id.desc()).limit(LOOK_BACK)
    if before is not None:
        query = query.where(CrawlRun.id < before)
    for run in s.scalars(query):
        stats = run.stats or {}
        for site in wanted - out.keys():
            if f"site/{site}/pages" in stats:
                out[site] = site_reports(stats, site)
        if out.keys() >= wanted:
            break
    return out


def listing(s: Session) -> list[dict[str, Any]]:
    """Return every run as a dict (id, started_at, finished_at, status, sites, stats, note, owner), oldest first."""
    return [
        {
            "id": r.id,
            "started_at": iso(r.started_at),
            "finished_at": iso(r.finished_at),
            "status": r.status,
            "sites": r.sites,
            "stats": r.stats,
            "note": r.note,
            "owner": r.owner,
        }
        for r in s.scalars(select(CrawlRun).order_by(CrawlRun.id))
    ]
