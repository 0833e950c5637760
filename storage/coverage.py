"""Coverage of a region and year: one row per obliged body (on time, late, missing or undated), then the
stored reports of that year whose body is in no list (unlisted).

Pure query and computation over a `Store`: the obliged bodies (`bodies`, less those retired by the year),
the latest reports of the year in the region, and the bodies' 公布情况 notices for the year.

A report is a body's where its `body_key` is one of the keys the body's names give (a renamed body's former
and new names), or folds into it (a government's 办公室 report is the government's: `entity_of`), or where
the body's notice for the year links the report's URL. Its `published_at` is when it went online: the
record's (the page's metadata or the list's date, as the crawl stored it), else the earliest date a source
row gives, else the date of a notice naming the body for the year; never the signature date printed inside
the report. A body without a stored report whose notice for the year links its report counts as published
on the notice's date. Status: `missing` without any report; `undated` with one but no date; `late` where the
date is after the deadline; `on_time` otherwise, and wherever no deadline applies (乡镇/街道 unless the user
sets one). Deadlines come from `extractors.level_deadline`; the user's overrides (per level, or per region
code prefix: the longest prefix wins, then the level's) replace them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from extractors import ambiguous_cells, entity_of, level_deadline

from .bodies import LEVELS, aliases, classify, code_prefix
from .keys import parse_datetime

STATUSES = ("on_time", "late", "missing", "undated", "unlisted")
"""A row's status: the four of an obliged body, then `unlisted` for a report whose body is in no list."""
ATTENTION = ("missing", "late")
"""Statuses that need attention (`nianbao coverage` exits 1)."""
KEYS = ("body", "body_key", "level", "region_code", "status", "published_at", "deadline", "days_late", "urls",
        "format", "failed_checks", "ambiguous_cells")  # fmt: skip
"""The keys of a row, in order (the JSON objects and the CSV columns)."""


@dataclass(frozen=True, slots=True)
class CoverageRow:
    """One obliged body's report for the year (or its absence), or one unlisted report."""

    body: str
    """The body's canonical name (the report's `body` for an unlisted row)."""
    body_key: str
    """`REGION|NAME`, the key the body's reports carry."""
    level: str
    """`government`, `department`, `township` or `other` (an unlisted row's from its name)."""
    region_code: str | None
    """The body's GB/T 2260 code."""
    status: str
    """One of `STATUSES`."""
    published_at: str | None
    """When the report went online, YYYY-MM-DD; None when missing or undated."""
    deadline: str | None
    """The last day it may go online, YYYY-MM-DD; None where none applies."""
    days_late: int | None
    """Days after the deadline; None unless `late`."""
    urls: list[str]
    """The report's URLs (every source of every matching report, then a notice's link); empty when missing."""
    format: str | None
    """The table format of the report (`2019`/`2021`, the record's `format`), or None."""
    failed_checks: list[str]
    """The rule ids of the record's checks at severity E, sorted, without repeats."""
    ambiguous_cells: list[str]
    """The cells the record leaves ambiguous (its `ambiguous` paths, e.g. `requests.received.natural`)."""

    def to_dict(self) -> dict[str, Any]:
        """Return the row as JSON: exactly `KEYS`."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Deadlines:
    """The user's deadlines, replacing the statutory ones: per level and per region code prefix."""

    by_level: Mapping[str, dt.date] = field(default_factory=dict)
    """`government`/`department`/`township`/`other` → the last day."""
    by_region: Mapping[str, dt.date] = field(default_factory=dict)
    """A GB/T 2260 code prefix (as `code_prefix` trims it) → the last day; the longest matching prefix wins."""

    def for_body(self, year: int, level: str, region_code: str | None) -> dt.date | None:
        """Return the deadline of a body of `level` in `region_code` for the report of `year`, or None."""
        code = region_code or ""
        regional = [p for p in self.by_region if code.startswith(p)]
        if regional:
            return self.by_region[max(regional, key=len)]
        if level in self.by_level:
            return self.by_level[level]
        found = level_deadline(year, level)
        return found[1] if found else None


def parse_deadline(text: str) -> tuple[str, str, dt.date]:
    """Return (`level` or `region`, its key, the date) of a `LEVEL=YYYY-MM-DD` or `CODE=YYYY-MM-DD` setting.

    Raises ValueError with one line for anything else.
    """
    key, sep, value = text.partition("=")
    key = key.strip()
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        day = None
    if not sep or day is None:
        raise ValueError(f"{text!r}: write LEVEL=YYYY-MM-DD or REGION_CODE=YYYY-MM-DD")
    if key in LEVELS:
        return "level", key, day
    if re.fullmatch(r"\d{2,12}", key):
        return "region", code_prefix(key), day
    raise ValueError(f"{text!r}: {key!r} is neither a level ({', '.join(LEVELS)}) nor a region code")


def deadlines_from(settings: Iterable[str]) -> Deadlines:
    """Return the `Deadlines` of `--deadline` settings (see `parse_deadline`); raises ValueError on a bad one."""
    by_level: dict[str, dt.date] = {}
    by_region: dict[str, dt.date] = {}
    for text in settings:
        kind, key, day = parse_deadline(text)
        (by_level if kind == "level" else by_region)[key] = day
    return Deadlines(by_level, by_region)


# -- reading a stored report ----------------------------------------------------------------------
def _day(value: Any) -> dt.date | None:
    parsed = parse_datetime(value)
    return parsed.date() if parsed is not None else None


def judge(published: dt.date | None, deadline: dt.date | None) -> tuple[str, int | None]:
    """Return a publication's status against its deadline (`undated`, `late` or `on_time`) and its days late
    (None unless late); with no deadline known a dated report is on time."""
    if published is None:
        return "undated", None
    if deadline is not None and published > deadline:
        return "late", (published - deadline).days
    return "on_time", None


def online_date(report: Mapping[str, Any]) -> dt.date | None:
    """Return when a stored report went online: its record's `published_at` (page metadata or the crawl's),
    else the earliest `published_at` or list date of its sources; None where nothing dates it."""
    own = _day(report.get("published_at"))
    if own is not None:
        return own
    found = [d for s in report.get("source_details") or [] for v in (s.get("published_at"), s.get("list_date"))
             if (d := _day(v)) is not None]  # fmt: skip
    return min(found) if found else None


def failed_checks(report: Mapping[str, Any]) -> list[str]:
    """Return the rule ids of a record's checks at severity E, sorted, without repeats."""
    return sorted({str(c.get("rule")) for c in report.get("checks") or [] if c.get("severity") == "E"})


def _urls(report: Mapping[str, Any]) -> list[str]:
    urls = [str(u) for u in report.get("sources") or []]
    own = report.get("source_url")
    return urls if urls or not own else [str(own)]


def _notices(body: Any, year: int) -> list[Mapping[str, Any]]:
    """Return a body's notice evidence about the report of `year`."""
    found = [e for e in body.evidence or [] if isinstance(e, Mapping) and e.get("kind") == "notice"]
    return [e for e in found if e.get("year") == year]


# -- the table -------------------------------------------------------------------------------------
def _row(body: Any, level: str, year: int, deadlines: Deadlines, reports: list[Mapping[str, Any]]) -> CoverageRow:
    notices = _notices(body, year)
    notice_days = sorted(d for n in notices if (d := _day(n.get("date"))) is not None)
    linked = [str(n["report_url"]) for n in notices if n.get("report_url")]
    deadline = deadlines.for_body(year, level, body.region_code)
    dated = sorted((d, r.get("seq") or 0, i) for i, r in enumerate(reports) if (d := online_date(r)) is not None)
    primary = reports[dated[0][2]] if dated else (reports[0] if reports else None)
    published = dated[0][0] if dated else (notice_days[0] if notice_days and (reports or linked) else None)
    urls: list[str] = []
    for url in [u for r in reports for u in _urls(r)] + linked:
        if url not in urls:
            urls.append(url)
    status, days_late = ("missing", None) if not reports and not linked else judge(published, deadline)
    return CoverageRow(
        body=body.name, body_key=body.body_key, level=level, region_code=body.region_code, status=status,
        published_at=published.isoformat() if published and status != "missing" else None,
        deadline=deadline.isoformat() if deadline else None,
        days_late=days_late,
        urls=urls if status != "missing" else [],
        format=(primary or {}).get("format"),
        failed_checks=failed_checks(primary or {}),
        ambiguous_cells=ambiguous_cells(primary or {}),
    )  # fmt: skip


def _unlisted(report: Mapping[str, Any], year: int, deadlines: Deadlines) -> CoverageRow:
    body = str(report.get("body") or report.get("agency") or "")
    level = classify(body, report.get("region_code")) if body else "other"
    published = online_date(report)
    deadline = deadlines.for_body(year, level, report.get("region_code"))
    late = published is not None and deadline is not None and published > deadline
    return CoverageRow(
        body=body, body_key=str(report.get("body_key") or ""), level=level, region_code=report.get("region_code"),
        status="unlisted", published_at=published.isoformat() if published else None,
        deadline=deadline.isoformat() if deadline else None,
        days_late=(published - deadline).days if late and published and deadline else None,
        urls=_urls(report), format=report.get("format"), failed_checks=failed_checks(report),
        ambiguous_cells=ambiguous_cells(report),
    )  # fmt: skip


def coverage_rows(bodies: Iterable[Any], reports: Iterable[Mapping[str, Any]], year: int,
                  deadlines: Deadlines | None = None) -> list[CoverageRow]:  # fmt: skip
    """Return the coverage of `year`: a row per obliged body (those not retired by `year`), ordered by level,
    region and key, then a row per report matched to no body (`unlisted`), in report order.

    `bodies` are `Body` rows (or objects with the same fields); `reports` the year's latest stored reports as
    `Store.reports` gives them.
    """
    deadlines = deadlines or Deadlines()
    active = [b for b in bodies if b.retired_year is None or b.retired_year > year]
    by_alias: dict[str, Any] = {}
    by_url: dict[str, Any] = {}
    for body in active:
        for alias in aliases(body):
            by_alias.setdefault(alias, body)
        for notice in _notices(body, year):
            if notice.get("report_url"):
                by_url.setdefault(str(notice["report_url"]), body)
    matched: dict[str, list[Mapping[str, Any]]] = {b.body_key: [] for b in active}
    unlisted: list[Mapping[str, Any]] = []
    for report in reports:
        key = report.get("body_key")
        body = by_alias.get(key or "") or by_alias.get(entity_of(key) or "")
        if body is None:
            body = next((by_url[u] for u in _urls(report) if u in by_url), None)
        if body is None:
            unlisted.append(report)
        else:
            matched[body.body_key].append(report)
    order = {level: i for i, level in enumerate(LEVELS)}
    rows = [_row(b, b.level if b.level in order else "other", year, deadlines, matched[b.body_key]) for b in active]
    rows.sort(key=lambda r: (order.get(r.level, 9), r.region_code or "", r.body_key))
    return rows + [_unlisted(r, year, deadlines) for r in unlisted]


def coverage(store: Any, region: str, year: int, deadlines: Deadlines | None = None) -> list[CoverageRow]:
    """Return the coverage of `region` (a GB/T 2260 code prefix, known to the table or not) for `year` from a
    `Store` (see `coverage_rows`)."""
    bodies = store.bodies(region)
    reports = list(store.reports(region=region, year=year))
    return coverage_rows(bodies, reports, year, deadlines)


def totals(rows: Iterable[CoverageRow]) -> dict[str, dict[str, int]]:
    """Return the count of each status per level (`unlisted` rows under their own level), levels in order."""
    out: dict[str, dict[str, int]] = {}
    for row in rows:
        per = out.setdefault(row.level, dict.fromkeys(STATUSES, 0))
        per[row.status] += 1
    order = {level: i for i, level in enumerate(LEVELS)}
    return dict(sorted(out.items(), key=lambda kv: order.get(kv[0], 9)))


def needs_attention(rows: Iterable[CoverageRow]) -> bool:
    """Return True where any obliged body is missing or late."""
    return any(r.status in ATTENTION for r in rows)
