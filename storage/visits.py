"""Scheduled revisits: which sites are due for a crawl, by a visit policy kept in the store and the run history.

The policy lives in the `counters` table (`visit/busy_from`, `visit/busy_to` as MMDD, `visit/busy_days`,
`visit/quiet_days`): by default daily from 1 January to 15 April, when the 年报 of the past year appear
(statutory deadline 31 January, late ones into spring), and every 30 days otherwise. A site's last visit is
the end of the latest `finished` crawl run that crawled it (its stats hold `site/<id>/pages`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .engine import aware
from .models import Counter, CrawlRun
from .runs import LOOK_BACK

SLACK = timedelta(hours=1)
"""A visit this much short of its interval is due already (a daily cron at 02:00 meets yesterday's 02:05 run)."""


@dataclass(frozen=True, slots=True)
class VisitPolicy:
    """Every `busy_days` days from `busy_from` to `busy_to` (MMDD, inclusive), every `quiet_days` otherwise."""

    busy_from: int = 101
    busy_to: int = 415
    busy_days: int = 1
    quiet_days: int = 30

    def interval(self, when: datetime) -> timedelta:
        """Return the time between visits on day `when`."""
        mmdd = when.month * 100 + when.day
        if self.busy_from <= self.busy_to:
            busy = self.busy_from <= mmdd <= self.busy_to
        else:  # a season across the new year, e.g. 1101–0415
            busy = mmdd >= self.busy_from or mmdd <= self.busy_to
        return timedelta(days=self.busy_days if busy else self.quiet_days)

    def due(self, last: datetime | None, now: datetime) -> bool:
        """True where a site last visited at `last` (None: never) is due at `now`."""
        return last is None or now - last >= self.interval(now) - SLACK

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


FIELDS = ("busy_from", "busy_to", "busy_days", "quiet_days")


def check_policy(values: dict[str, Any]) -> VisitPolicy:
    """Return the policy of `values` (unknown keys, days < 1 or dates that are not MMDD raise ValueError)."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown visit policy key(s): {', '.join(sorted(unknown))} (known: {', '.join(FIELDS)})")
    policy = VisitPolicy(**{k: int(v) for k, v in values.items()})
    for key in ("busy_from", "busy_to"):
        mmdd = getattr(policy, key)
        if not (1 <= mmdd // 100 <= 12 and 1 <= mmdd % 100 <= 31):
            raise ValueError(f"{key}={mmdd:04d}: give a month and day as MMDD, e.g. 0101 or 0415")
    if policy.busy_days < 1 or policy.quiet_days < 1:
        raise ValueError("busy_days and quiet_days are whole days, at least 1")
    return policy


def policy(s: Session) -> VisitPolicy:
    """Return the store's visit policy (the default for each value it does not hold)."""
    rows = {c.name: c.value for c in s.scalars(select(Counter).where(Counter.name.like("visit/%")))}
    return VisitPolicy(**{k: rows[f"visit/{k}"] for k in FIELDS if f"visit/{k}" in rows})


def set_policy(s: Session, new: VisitPolicy) -> None:
    """Store `new` as the visit policy."""
    for key, value in new.to_dict().items():
        row = s.get(Counter, f"visit/{key}")
        if row is None:
            s.add(Counter(name=f"visit/{key}", value=value))
        else:
            row.value = value


def last_visits(s: Session, sites: Iterable[str]) -> dict[str, datetime]:
    """Return, per site of `sites` some finished run crawled, when the latest such run finished."""
    wanted = set(sites)
    out: dict[str, datetime] = {}
    query = (
        select(CrawlRun)
        .where(CrawlRun.status == "finished", CrawlRun.finished_at.is_not(None))
        .order_by(CrawlRun.finished_at.desc())
        .limit(LOOK_BACK)
    )
    for run in s.scalars(query):
        stats = run.stats or {}
        for site in wanted - out.keys():
            if f"site/{site}/pages" in stats:
                out[site] = aware(run.finished_at)  # type: ignore[arg-type]
        if out.keys() >= wanted:
            break
    return out


@dataclass(frozen=True, slots=True)
class Visit:
    """One site's standing: its last visit (None: never), when it is next due, and whether it is due now."""

    site: str
    last: datetime | None
    next_due: datetime | None
    due: bool


def visits(s: Session, sites: Iterable[str], now: datetime | None = None) -> list[Visit]:
    """Return each site's `Visit` at `now` (default: the current time), in the order given."""
    now = now or datetime.now(UTC)
    rule = policy(s)
    ids = list(dict.fromkeys(sites))
    last = last_visits(s, ids)
    out = []
    for sid in ids:
        seen = last.get(sid)
        nxt = None if seen is None else seen + rule.interval(now) - SLACK
        out.append(Visit(sid, seen, nxt, rule.due(seen, now)))
    return out
