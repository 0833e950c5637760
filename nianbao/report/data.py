"""What the harvest report shows, gathered from a store: coverage per year, failed checks by rule and by body,
and one compact entry per stored report (its tables drawn by `cells`), all JSON-able for the page."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from extractors import lookup_rule
from extractors.regions import describe
from storage.bodies import LEVELS
from storage.coverage import STATUSES, CoverageRow, Deadlines, coverage_rows, online_date

from .cells import draw_tables, layouts_json


@dataclass(slots=True)
class RuleCount:
    """One rule's failures over the reports shown."""

    rule: str
    """The rule id, e.g. `T3-01`."""
    meaning: str
    """What a failure means (`extractors.rules`); empty for an id the rules table does not know."""
    severity: dict[str, int] = field(default_factory=dict)
    """Severity (`E`, `W`, `I`) → failed checks at it."""
    reports: int = 0
    """Reports with at least one failure of the rule."""
    bodies: int = 0
    """Distinct bodies (`body_key`, else the agency) with such a report."""


@dataclass(slots=True)
class BodyCount:
    """One body's failed checks over its reports shown."""

    body: str
    """The body's name (the record's `body`, else its `agency`)."""
    body_key: str
    """`REGION|NAME`, or empty where the record has none."""
    region_code: str | None
    """The body's GB/T 2260 code."""
    reports: int = 0
    """Its reports shown."""
    errors: int = 0
    """Failed checks at severity E, over those reports."""
    warnings: int = 0
    """Failed checks at severity W."""
    rules: list[str] = field(default_factory=list)
    """The rule ids that failed, sorted."""


@dataclass(slots=True)
class ReportData:
    """Everything the page shows, as its script reads it (`to_json`)."""

    title: str
    """The page title: the region and years shown."""
    region: str | None
    """The `--region` code prefix, or None for every region."""
    years: list[int]
    """The report years shown, ascending."""
    summary: list[dict[str, Any]] = field(default_factory=list)
    """Coverage counts per year, county-level region and level (see `coverage_summary`)."""
    coverage: list[dict[str, Any]] = field(default_factory=list)
    """Coverage rows (`CoverageRow.to_dict()` plus `year`, `region_name` and `report`, the id of its report)."""
    rules: list[RuleCount] = field(default_factory=list)
    """Failed checks by rule, most reports first."""
    bodies: list[BodyCount] = field(default_factory=list)
    """Failed checks by body, most errors first."""
    reports: list[dict[str, Any]] = field(default_factory=list)
    """One compact entry per report (see `report_entry`), in `seq` order."""

    def to_json(self) -> dict[str, Any]:
        """Return the page's data: these fields, the statuses in order and the tables' layouts."""
        return {"title": self.title, "region": self.region, "years": self.years, "statuses": list(STATUSES),
                "summary": self.summary, "coverage": self.coverage, "rules": [asdict(r) for r in self.rules],
                "bodies": [asdict(b) for b in self.bodies], "reports": self.reports,
                "layouts": layouts_json()}  # fmt: skip


def _region_name(code: str | None, cache: dict[str, str]) -> str:
    """Return the name of a region code ("" where unknown), through `cache`."""
    if not code:
        return ""
    if code not in cache:
        try:
            cache[code] = describe(code)
        except Exception:  # an unknown code is shown as its digits
            cache[code] = code
    return cache[code]


def coverage_summary(rows: Iterable[Mapping[str, Any]], names: dict[str, str]) -> list[dict[str, Any]]:
    """Return the count of each status per year, region (the county-level code: a township's first 6 digits) and
    level, then a row per year and level over every region (`region` "*"), in the rows' level order."""
    counts: dict[tuple[int, str, str], Counter[str]] = {}
    for row in rows:
        code = (row.get("region_code") or "")[:6]
        for region in (code, "*"):
            counts.setdefault((row["year"], region, row["level"]), Counter())[row["status"]] += 1
    order = {level: i for i, level in enumerate(LEVELS)}
    out = []
    for (year, region, level), per in sorted(counts.items(), key=lambda kv: (-kv[0][0], kv[0][1] == "*", kv[0][1],
                                                                              order.get(kv[0][2], 9))):  # fmt: skip
        name = "every region" if region == "*" else (_region_name(region, names) if region else "(no region)")
        out.append({"year": year, "region": region, "region_name": name, "level": level,
                    **{s: per.get(s, 0) for s in STATUSES}, "total": sum(per.values())})  # fmt: skip
    return out


def report_entry(report: Mapping[str, Any], status: CoverageRow | None) -> dict[str, Any]:
    """Return a stored report as the page keeps it: identity, dates, URLs, checks, and its drawn tables."""
    drawn = draw_tables(report)
    published = online_date(report)
    checks = [[c.get("rule"), c.get("severity"), c.get("where"), c.get("expected"), c.get("found"),
               c.get("message"), c.get("column")] for c in report.get("checks") or [] if isinstance(c, Mapping)]
    return {
        "id": report.get("report_id"), "seq": report.get("seq"), "year": report.get("year"),
        "body": report.get("body") or report.get("agency") or "", "body_key": report.get("body_key") or "",
        "agency": report.get("agency"), "title": report.get("title"), "format": report.get("format"),
        "carrier": report.get("carrier"), "region_code": report.get("region_code"),
        "region_name": report.get("region_name"), "site": report.get("site"),
        "published": published.isoformat() if published else None,
        "status": status.status if status else None, "level": status.level if status else None,
        "deadline": status.deadline if status else None, "days_late": status.days_late if status else None,
        "urls": [str(u) for u in report.get("sources") or []] or ([report["source_url"]]
                                                                   if report.get("source_url") else []),
        "version": report.get("version"), "checks": checks, "placed": drawn.placed,
        "formats": drawn.formats, "values": drawn.values, "raw": drawn.raw, "marks": drawn.marks,
        "ambiguous": drawn.ambiguous,
    }  # fmt: skip


def rule_counts(reports: Iterable[Mapping[str, Any]]) -> list[RuleCount]:
    """Return the failed checks of the report entries by rule, most reports first, then by id."""
    counts: dict[str, RuleCount] = {}
    bodies: dict[str, set[str]] = {}
    for rep in reports:
        seen: set[str] = set()
        for rule, severity, *_ in rep["checks"]:
            rule = str(rule)
            count = counts.get(rule)
            if count is None:
                try:
                    meaning = lookup_rule(rule).meaning
                except (KeyError, ValueError):
                    meaning = ""
                count = counts[rule] = RuleCount(rule, meaning)
            count.severity[str(severity)] = count.severity.get(str(severity), 0) + 1
            if rule not in seen:
                seen.add(rule)
                count.reports += 1
                bodies.setdefault(rule, set()).add(rep["body_key"] or rep["body"])
    for rule, count in counts.items():
        count.bodies = len(bodies.get(rule, ()))
    return sorted(counts.values(), key=lambda c: (-c.reports, c.rule))


def body_counts(reports: Iterable[Mapping[str, Any]]) -> list[BodyCount]:
    """Return the failed checks of the report entries by body, most errors first, then by name."""
    out: dict[str, BodyCount] = {}
    for rep in reports:
        key = rep["body_key"] or rep["body"]
        count = out.setdefault(key, BodyCount(rep["body"], rep["body_key"], rep["region_code"]))
        count.reports += 1
        severities = Counter(str(c[1]) for c in rep["checks"])
        count.errors += severities.get("E", 0)
        count.warnings += severities.get("W", 0)
        count.rules = sorted(set(count.rules) | {str(c[0]) for c in rep["checks"]})
    return sorted(out.values(), key=lambda c: (-c.errors, -c.warnings, c.body))


COVERAGE_KEYS = ("report_id", "seq", "year", "body", "body_key", "agency", "region_code", "published_at",
                 "source_details", "sources", "source_url", "format", "checks", "ambiguous")
"""The keys of a stored report that coverage reads: a page of thousands of reports keeps only these (and the
report's entry) in memory, not the records with their text."""


def _status(entry: dict[str, Any], row: CoverageRow | None) -> None:
    """Copy a coverage row's status, level, deadline and lateness onto a report's entry."""
    if row is not None:
        entry.update(status=row.status, level=row.level, deadline=row.deadline, days_late=row.days_late)


def add_cross_year(entries: list[dict[str, Any]], findings: Iterable[Any]) -> int:
    """Append each cross-year finding (`storage.validate`, rules checked only across reports) to the checks of the
    report it is about (its year's); return how many were added. Timeliness findings are the records' own."""
    by_id = {e["id"]: e for e in entries}
    added = 0
    for f in findings:
        if lookup_rule(f.rule).in_record or not f.report_ids or f.report_ids[-1] not in by_id:
            continue
        years = "–".join(str(y) for y in f.years)
        by_id[f.report_ids[-1]]["checks"].append([f.rule, f.severity, f.where, f.expected, f.found,
                                                   f"compared across {years}", None])  # fmt: skip
        added += 1
    return added


def gather(store: Any, region: str | None, year: int | None, deadlines: Deadlines | None = None) -> ReportData:
    """Return the page's data for a region (a code prefix, or None for all) and a year (None: every year the
    store's reports have), from a `storage.Store`."""
    reports: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    for rep in store.reports(region=region, year=year):
        entries.append(report_entry(rep, None))
        reports.append({k: rep.get(k) for k in COVERAGE_KEYS})
    years = [year] if year is not None else sorted({r["year"] for r in reports if isinstance(r.get("year"), int)})
    bodies = store.bodies(region)
    names: dict[str, str] = {}
    by_url: dict[tuple[int, str], CoverageRow] = {}
    report_of_url: dict[tuple[int, str], int] = {}
    for rep in reports:
        for url in rep.get("sources") or []:
            report_of_url.setdefault((rep.get("year"), str(url)), rep["report_id"])
    cover: list[dict[str, Any]] = []
    for y in years:
        for row in coverage_rows(bodies, [r for r in reports if r.get("year") == y], y, deadlines):
            entry = row.to_dict()
            entry["year"] = y
            entry["region_name"] = _region_name(row.region_code, names)
            entry["report"] = next((report_of_url[(y, u)] for u in row.urls if (y, u) in report_of_url), None)
            cover.append(entry)
            for url in row.urls:
                by_url.setdefault((y, url), row)
    from storage.validate import validate

    add_cross_year(entries, validate(store, region))
    for rep, entry in zip(reports, entries, strict=True):
        _status(entry, next((by_url[(rep.get("year"), str(u))] for u in rep.get("sources") or []
                             if (rep.get("year"), str(u)) in by_url), None))  # fmt: skip
    where = _region_name(region, names) if region else "all regions"
    span = "–".join(str(y) for y in sorted({years[0], years[-1]})) if years else "no year"
    return ReportData(title=f"{where}, reports of {span}", region=region, years=years,
                      summary=coverage_summary(cover, names), coverage=cover,
                      rules=rule_counts(entries), bodies=body_counts(entries), reports=entries)  # fmt: skip
