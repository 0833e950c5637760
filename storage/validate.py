"""Checks across reports: format-spec §8.5 cross-year rules XY-01…XY-05 and §8.6 timeliness TIME-01…03.

Reports are grouped by reporting entity: the issuing body's `body_key` (region code plus canonical name,
one key for `淮安市洪泽区人民政府` and `洪泽区人民政府`; see `extractors.attribution`), a government's
办公室/办公厅 folded into the government (`keys.entity_key`); the cross-year rules compare each report
with the entity's report of the year before. Only latest versions are compared.
"""

from __future__ import annotations

import copy
import difflib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from extractors import REQUEST_COLUMNS, compact, publication_deadline
from extractors import RULES as ALL_RULES
from extractors import lookup_rule as lookup
from extractors import title_issuer as _title_issuer

from .keys import agency_key, attributed, entity_key, parse_datetime
from .store import Store

# Rule id → one-line meaning, for the rules checked here (cross-year first, as `nianbao validate` lists them).
RULES: dict[str, str] = {
    r.id: r.meaning for r in sorted((r for r in ALL_RULES.values() if r.in_store), key=lambda r: r.family != "XY")
}
SIMILARITY_LIMIT = 0.5
_HEADING_5 = re.compile(r"^\s*五\s*[、.．]?[^。\n]{0,30}?改进情况[:：]?")


@dataclass(frozen=True)
class Finding:
    """One failed rule: which, how bad, for whom, in which years, where, what was expected and found."""

    rule: str
    severity: str
    agency: str | None
    region_code: str | None
    years: tuple[int, ...]
    where: str
    expected: Any
    found: Any
    report_ids: tuple[int, ...]

    def as_dict(self) -> dict[str, Any]:
        """Return the finding as a JSON-able dict."""
        # Field by field, not `asdict`: that walks and copies every value (a third of `validate --json`'s time).
        return {"rule": self.rule, "severity": self.severity, "agency": self.agency, "region_code": self.region_code,
                "years": list(self.years), "where": self.where, "expected": copy.deepcopy(self.expected),
                "found": copy.deepcopy(self.found), "report_ids": list(self.report_ids)}  # fmt: skip


@dataclass
class Compared:
    """What a validation run read and compared (filled in by `validate` and `validate_records`)."""

    reports: int = 0
    """Latest reports read."""
    bodies: int = 0
    """Bodies (entities) with at least one report of a known year."""
    pairs: int = 0
    """Body-year pairs compared with the same body's report of the year before (the cross-year rules' reach)."""


def validate(store: Store, region: str | None = None, compared: Compared | None = None) -> list[Finding]:
    """Return the findings of XY-01…XY-05 and TIME-01…03 over the store's latest reports (optionally one region).

    A body the store knows under several names (a rename, a former name in a notice) is one body here.
    `compared`, where given, is filled with what was read and compared. The store is read region by region
    (`validate_stream`): memory holds one region's reports and the findings, not every report; to hold less, iterate
    `validate_sorted.sorted_findings`, which yields the same findings in the same order from runs sorted on disk.
    """
    from .validate_sorted import sorted_findings

    return list(sorted_findings(store, region, compared))


def validate_records(records: Iterable[dict[str, Any]], known: dict[str, str] | None = None,
                     compared: Compared | None = None) -> list[Finding]:  # fmt: skip
    """Return the findings of XY-01…XY-05 and TIME-01…03 over `records` (as `Store.reports` yields them).

    `known` maps the key of every name a body was seen under to the body's key (`bodies.aliases`);
    `compared`, where given, is filled with the counts of reports, bodies and body-year pairs compared.
    """
    known = known or {}
    compared = compared if compared is not None else Compared()
    groups: dict[str, dict[int, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    findings: list[Finding] = []
    for rec in records:
        compared.reports += 1
        findings += _timeliness(rec)
        rec = attributed(rec)
        key = entity_key(known.get(rec.get("body_key") or "", rec.get("body_key")))
        year = rec.get("year")
        if key is not None and isinstance(year, int):
            groups[key][year].append(rec)
    compared.bodies += len(groups)
    for by_year in groups.values():
        for year in sorted(by_year):
            if year - 1 not in by_year:
                continue
            compared.pairs += len(by_year[year])
            for cur in by_year[year]:
                prev = _previous(cur, by_year[year - 1])
                findings += _carry_over(prev, cur)
                findings += _in_force(prev, cur)
                findings += _prior_items(prev, cur)
                findings += _problems_copy(prev, cur)
                findings += _identity(prev, cur)
    findings.sort(key=_order)
    return findings


def _order(f: Finding) -> tuple[Any, ...]:
    """Return the sort key of findings: region, agency, years, rule, where."""
    return (f.region_code or "", f.agency or "", f.years, f.rule, f.where)


def summary(findings: Iterable[Finding]) -> dict[str, dict[str, Any]]:
    """Return per rule (every rule of `RULES`, then any other): findings, counts by severity, entities."""
    out: dict[str, dict[str, Any]] = {
        rule: {"rule": rule, "description": text, "findings": 0, "E": 0, "W": 0, "I": 0, "entities": 0}
        for rule, text in RULES.items()
    }
    entities: dict[str, set[tuple[str | None, str | None]]] = defaultdict(set)
    for f in findings:
        row = out.setdefault(
            f.rule, {"rule": f.rule, "description": "", "findings": 0, "E": 0, "W": 0, "I": 0, "entities": 0}
        )
        row["findings"] += 1
        row[f.severity] = row.get(f.severity, 0) + 1
        entities[f.rule].add((f.region_code, f.agency))
    for rule, seen in entities.items():
        out[rule]["entities"] = len(seen)
    return out


# -- helpers --------------------------------------------------------------------------------------
def _previous(cur: dict[str, Any], candidates: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the year-before report to compare `cur` with: the same body where there is one, else the first."""
    same = [c for c in candidates if c.get("body_key") == cur.get("body_key")]
    return (same or candidates)[0]


def _finding(
    rule: str, severity: str, prev: dict[str, Any] | None, cur: dict[str, Any], where: str, expected: Any, found: Any
) -> Finding:
    """Return the finding of `rule` for `cur` (and `prev`); raise ValueError for an id not a store rule of `RULES`."""
    lookup(rule, "store")
    years = (cur["year"] - 1, cur["year"]) if prev is not None else (cur["year"],)
    ids = tuple(r.get("report_id") for r in (prev, cur) if r is not None)
    return Finding(rule, severity, cur.get("agency"), cur.get("region_code"), years, where, expected, found, ids)


def _carry_over(prev: dict[str, Any], cur: dict[str, Any]) -> list[Finding]:
    """XY-01: this year's 上年结转 equals last year's 结转下年度, per column (E where the total differs)."""
    before = ((prev.get("requests") or {}).get("carried_forward")) or []
    now = ((cur.get("requests") or {}).get("carried_over")) or []
    if not any(v is not None for v in before) or not any(v is not None for v in now):
        return []
    out = []
    for i, column in enumerate(REQUEST_COLUMNS):
        expected = before[i] if i < len(before) else None
        found = now[i] if i < len(now) else None
        if (expected or 0) != (found or 0):
            severity = "E" if column == "total" else "W"
            out.append(_finding("XY-01", severity, prev, cur, f"carried_over.{column}", expected, found))
    return out


def _in_force(prev: dict[str, Any], cur: dict[str, Any]) -> list[Finding]:
    """XY-02 (2021 format): 现行有效件数 this year = last year's + 本年制发 − 本年废止, per row."""
    out = []
    for row in ("regulations", "normative_documents"):
        p = (prev.get("proactive") or {}).get(row) or {}
        c = (cur.get("proactive") or {}).get(row) or {}
        if p.get("in_force") is None or c.get("in_force") is None or "issued" not in c:
            continue
        expected = p["in_force"] + (c.get("issued") or 0) - (c.get("repealed") or 0)
        if expected != c["in_force"]:
            out.append(_finding("XY-02", "W", prev, cur, f"proactive.{row}.in_force", expected, c["in_force"]))
    return out


def _prior_items(prev: dict[str, Any], cur: dict[str, Any]) -> list[Finding]:
    """XY-03 (2019 format): 上一年项目数量 this year = last year's 上一年项目数量 + 本年增/减."""
    out = []
    prev_table = prev.get("proactive") or {}
    for row, c in (cur.get("proactive") or {}).items():
        p = prev_table.get(row)
        if not isinstance(c, dict) or not isinstance(p, dict):
            continue
        if c.get("prior_year_items") is None or p.get("prior_year_items") is None:
            continue
        expected = p["prior_year_items"] + (p.get("items_change") or 0)
        if expected != c["prior_year_items"]:
            where = f"proactive.{row}.prior_year_items"
            out.append(_finding("XY-03", "W", prev, cur, where, expected, c["prior_year_items"]))
    return out


def problems_text(record: dict[str, Any]) -> str:
    """Return part 五 (`sections.problems`) without its heading, in matching form (no spaces)."""
    text = ((record.get("sections") or {}).get("problems")) or ""
    return compact(_HEADING_5.sub("", text.strip(), count=1))


def similarity(a: str, b: str) -> float:
    """Return difflib's ratio of two texts (0 … 1), or an upper bound of it where that bound is <= the limit."""
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() <= SIMILARITY_LIMIT or matcher.quick_ratio() <= SIMILARITY_LIMIT:
        return matcher.quick_ratio()
    return matcher.ratio()


def _problems_copy(prev: dict[str, Any], cur: dict[str, Any]) -> list[Finding]:
    """XY-04: part 五 of year y is not a near-copy of year y-1 (difflib ratio > 0.5 is flagged)."""
    a, b = problems_text(prev), problems_text(cur)
    if len(a) < 10 or len(b) < 10:
        return []
    ratio = similarity(a, b)
    if ratio <= SIMILARITY_LIMIT:
        return []
    return [_finding("XY-04", "W", prev, cur, "sections.problems", f"<= {SIMILARITY_LIMIT}", round(ratio, 3))]


def title_issuer(record: dict[str, Any]) -> str | None:
    """Return who the title names as issuer: the title without years and the 政府信息公开… tail."""
    return _title_issuer(record.get("title"))


def _same_name(a: dict[str, Any], b: dict[str, Any], name_a: str | None, name_b: str | None) -> bool:
    """True where two names (of reports `a` and `b`) are one: equal, or equal once the parent regions' prefixes
    are dropped (the canonical body name). `平潭综合实验区管委会` and `平潭综合实验区` are one body but two names."""
    if agency_key(name_a) == agency_key(name_b):
        return True
    names = [attributed({"agency": n, "region_code": r.get("region_code")}).get("body") for n, r in
             ((name_a, a), (name_b, b))]  # fmt: skip
    return names[0] is not None and names[0] == names[1]


def _identity(prev: dict[str, Any], cur: dict[str, Any]) -> list[Finding]:
    """XY-05: the agency and the issuer named in the title are those of the year before (`淮安市洪泽区人民政府`
    and `洪泽区人民政府` are one name, its parent's prefix dropped; a government and its 办公室 are two)."""
    out = []
    a, b = prev.get("agency"), cur.get("agency")
    if agency_key(a) and agency_key(b) and not _same_name(prev, cur, a, b):
        out.append(_finding("XY-05", "W", prev, cur, "agency", a, b))
    ta, tb = title_issuer(prev), title_issuer(cur)
    if ta and tb and not _same_name(prev, cur, ta, tb):
        out.append(_finding("XY-05", "W", prev, cur, "title", ta, tb))
    return out


def deadline(record: dict[str, Any]) -> tuple[str, date] | None:
    """Return (rule, last allowed publication day) for a report, or None without a year."""
    return publication_deadline(record.get("year"), record.get("agency"))


def _timeliness(rec: dict[str, Any]) -> list[Finding]:
    """TIME-01…03: published by the deadline of 条例 Art. 49 (or the old Art. 31 for years ≤ 2018)."""
    rule = deadline(rec)
    published = parse_datetime(rec.get("published_at"))
    if rule is None or published is None:
        return []
    name, last_day = rule
    if published.date() <= last_day:
        return []
    return [_finding(name, "W", None, rec, "published_at", f"<= {last_day.isoformat()}", published.date().isoformat())]
