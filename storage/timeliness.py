"""One stored report's timeliness: on time, late or undated against its body's deadline (as `coverage` decides)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .bodies import classify
from .coverage import Deadlines, judge, online_date


@dataclass(frozen=True, slots=True)
class Timeliness:
    """When a report went online against the day it was due."""

    status: str
    """`on_time`, `late` or `undated` (no date known); `on_time` too where no deadline applies (乡镇/街道)."""
    published_at: str | None
    """When it went online, YYYY-MM-DD (`coverage.online_date`); None when undated."""
    deadline: str | None
    """The last day it could go online, YYYY-MM-DD; None where no deadline applies or the year is unknown."""
    days_late: int | None
    """Days after the deadline; None unless `late`."""
    level: str
    """The body's level the deadline is taken from: `government`, `department`, `township` or `other`."""


def timeliness(report: Mapping[str, Any], deadlines: Deadlines | None = None) -> Timeliness:
    """Return a stored report's `Timeliness`: its online date against its body's deadline for its year.

    The level comes from the body's name (`bodies.classify`), the deadline from `Deadlines` (the statutory
    day of `extractors.level_deadline` unless the user set one), the date from `coverage.online_date`.
    """
    body = str(report.get("body") or report.get("agency") or "")
    region = report.get("region_code")
    level = classify(body, region) if body else "other"
    year = report.get("year")
    due = (deadlines or Deadlines()).for_body(year, level, region) if isinstance(year, int) else None
    published = online_date(report)
    status, days_late = judge(published, due)
    return Timeliness(
        status=status,
        published_at=published.isoformat() if published else None,
        deadline=due.isoformat() if due else None,
        days_late=days_late,
        level=level,
    )
