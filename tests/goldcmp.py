"""Field-by-field comparison of an extracted record with a gold record (spec/record-schema.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCORED_TOP = ("year", "format", "agency")
TABLES = ("proactive", "requests", "review_litigation")
# Gold `failed_checks` annotate the table rules; structural and text rules are reported but not scored.
SCORED_RULE_FAMILIES = ("T2-", "T3-", "T4-", "NUM-")
COLUMNS = (
    "natural_person", "commercial_enterprise", "research_institution", "social_welfare_org",
    "legal_service_org", "other_org", "total",
)  # fmt: skip


@dataclass
class Score:
    """How many scored fields matched, and each difference as (path, got, want)."""

    total: int = 0
    matched: int = 0
    diffs: list[tuple[str, Any, Any]] = field(default_factory=list)

    def add(self, path: str, got: Any, want: Any) -> None:
        self.total += 1
        if got == want and isinstance(got, bool) == isinstance(want, bool):
            self.matched += 1
        else:
            self.diffs.append((path, got, want))

    @property
    def value(self) -> float:
        return self.matched / self.total if self.total else 1.0


def failed_checks(record: dict[str, Any]) -> set[str]:
    """Return the record's error-severity failures of the scored rule families, as RULE:where."""
    return {
        f"{c['rule']}:{c['where']}"
        for c in record.get("checks", [])
        if c.get("severity") == "E" and c["rule"].startswith(SCORED_RULE_FAMILIES)
    }


def compare(record: dict[str, Any], gold: dict[str, Any]) -> Score:
    """Return the score of `record` against `gold`; ambiguous gold cells and unscored checks are skipped."""
    score = Score()
    ambiguous = set(gold.get("ambiguous") or [])
    columns = gold.get("columns") or COLUMNS
    for key in SCORED_TOP:
        if key in gold:
            score.add(key, record.get(key), gold[key])
    for table in TABLES:
        want, got = gold.get(table), record.get(table)
        if want is None or got is None:
            score.add(table, got is None, want is None)
            continue
        if table == "requests":
            for row, values in want.items():
                have = got.get(row) or [None] * len(values)
                for i, v in enumerate(values):
                    path = f"requests.{row}.{columns[i]}"
                    if path not in ambiguous:
                        score.add(path, have[i] if i < len(have) else None, v)
            for row in got:
                if row not in want:
                    score.add(f"requests.{row}", "extra row", None)
        else:
            for row, cols in want.items():
                have = got.get(row) or {}
                for col, v in cols.items():
                    path = f"{table}.{row}.{col}"
                    if path not in ambiguous:
                        score.add(path, have.get(col), v)
    unscored = set(gold.get("checks_unscored") or [])
    want_checks = set(gold.get("failed_checks") or []) - unscored
    got_checks = failed_checks(record) - unscored
    for check in sorted(want_checks | got_checks):
        score.add(f"checks.{check}", check in got_checks, check in want_checks)
    return score
