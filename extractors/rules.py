"""Every check id nianbao can report: its family, severities, scope and meaning (format-spec §8, as implemented).

`RULES` is the one place a rule id is defined. `extractors.checks` (per document) and `storage.validate`
(across stored reports) refuse an id that is not here, `nianbao rules` prints it, and `docs/rules.md` is
generated from it:

    python -m extractors.rules --markdown > docs/rules.md

Rules of format-spec §8 that no code checks are listed too, with `implemented=False`, no severities and
scope "none", so that a reader of the spec learns that nianbao does not report them.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

FAMILIES = {
    "STR": "Parsing and structure",
    "NUM": "Cell values",
    "T2": "Table 二 (主动公开政府信息情况)",
    "T3": "Table 三 (收到和处理政府信息公开申请情况)",
    "T4": "Table 四 (政府信息公开行政复议、行政诉讼情况)",
    "TXT": "Text of the parts",
    "TIME": "Timeliness and reporting period",
    "SCOPE": "Scope (department vs 汇总)",
    "XY": "Cross-year (the same reporting entity, consecutive years)",
}
SEVERITIES = {
    "E": "error: an official identity fails, or an official part, row or value is missing or impossible",
    "W": "warning: an inferred or soft rule fails; the report may still be right",
    "I": "info: a notable but legitimate way of filling the form",
}
SCOPES = {
    "record": "checked per document by `extract` (extractors.checks); listed in the record's `checks`",
    "store": "checked across stored reports by `nianbao validate` (storage.validate)",
    "record+store": "checked per document and again across stored reports",
    "none": "not checked: a rule of format-spec §8 that nianbao does not implement",
}


@dataclass(frozen=True, slots=True)
class Rule:
    """One validation rule: what it checks, how bad a failure is and which part of nianbao checks it."""

    id: str
    """The rule id, family plus a two-digit number, e.g. "T3-01" (the ids of format-spec §8)."""
    family: str
    """The id's prefix, one of `FAMILIES`: STR, NUM, T2, T3, T4, TXT, TIME, SCOPE, XY."""
    severities: tuple[str, ...]
    """The severities the code can emit for it, from "E", "W", "I"; empty for a rule not implemented."""
    scope: str
    """Who checks it, one of `SCOPES`: "record", "store", "record+store" or "none" (not implemented)."""
    meaning: str
    """One line: what a failure of this rule means, as the code checks it."""
    where: str
    """What a failure's `where` names (a column key, a row key, a table, …); "" for a rule not implemented."""
    implemented: bool = True
    """False for a rule of format-spec §8 that no code checks (then `severities` is empty, `scope` "none")."""

    def __post_init__(self) -> None:
        if self.family not in FAMILIES or not self.id.startswith(f"{self.family}-"):
            raise ValueError(f"rule {self.id}: family {self.family!r} is not its prefix or not in FAMILIES")
        if self.scope not in SCOPES or not set(self.severities) <= set(SEVERITIES):
            raise ValueError(f"rule {self.id}: unknown scope {self.scope!r} or severities {self.severities!r}")
        if self.implemented != (self.scope != "none") or self.implemented != bool(self.severities):
            raise ValueError(f"rule {self.id}: an implemented rule has severities and a scope, others neither")

    @property
    def in_record(self) -> bool:
        """Return True where `extract` checks the rule per document (scope "record" or "record+store")."""
        return "record" in self.scope.split("+")

    @property
    def in_store(self) -> bool:
        """Return True where `storage.validate` checks the rule across reports (scope "store" or "record+store")."""
        return "store" in self.scope.split("+")


def _rule(rule_id: str, severities: str, scope: str, meaning: str, where: str = "", implemented: bool = True) -> Rule:
    """Return the Rule of `rule_id`; `severities` is written as letters ("EW")."""
    return Rule(rule_id, rule_id.split("-")[0], tuple(severities), scope, meaning, where, implemented)


_ALL = (
    # -- STR: parsing and structure ----------------------------------------------------------------
    _rule("STR-01", "E", "record",
          "A part 一…六 was not found by its heading (checked only where the document has at least one table; in a "
          "document a report page links, the page may hold it: said, the cause `parse`, severity W)",
          "the part's key: overview, proactive, requests, review_litigation, problems, other"),
    _rule("STR-02", "W", "record",
          "Table format does not fit the report year: 2019–2020 want the 2019 format, 2021 on the 2021 format; "
          "tables in a report before 2019, and a 'mixed' record, are always flagged",
          "format"),
    _rule("STR-03", "E", "record",
          "An official row of table 二 or 三 was not found (optional rows such as 2019 其他对外管理服务事项 aside)",
          "TABLE.ROW, e.g. requests.other_handling"),
    _rule("STR-04", "I", "record",
          "A row or column beyond the official layout of table 二 or 三 (e.g. 其他主动公开文件, a 法人或其他组织 "
          "subtotal); `found` holds the row as printed or the column's header. Read in grids only; rows are looked "
          "for only where no official row is missing (else an unread official row would pass for an addition)",
          "the table: proactive or requests"),
    _rule("STR-05", "W", "record",
          "Table 二, 三 or 四 was not found in the document (a text-only report; a table drawn as a picture OCR could "
          "not read: the message says how many pictures were not read, or read for nothing, and the cause is "
          "`parse`; a report page linking documents, its 附表 perhaps among them: the message says how many, and "
          "the cause is `parse`)",
          "the table: proactive, requests or review_litigation"),
    # -- NUM: cell values ---------------------------------------------------------------------------
    _rule("NUM-01", "E", "record",
          "2019 format: a table 二 value other than 本年增/减 (items_change) is negative "
          "(in the 2021 format the same failure is T2-01)",
          "the row of table 二 (the column is in `column`)"),
    _rule("NUM-02", "I", "record",
          "2019 format: a 本年增/减 (items_change) cell is not a plain number (\"+21\", \"增52\", \"减1237\"); "
          "the value is the signed int, the text is kept in items_change_raw",
          "the row of table 二 (the column is in `column`)"),
    _rule("NUM-03", "W", "record",
          "Table 二, 三 or 四 is entirely blank (unfilled): its values are null and its arithmetic is not checked",
          "the table: proactive, requests or review_litigation"),
    _rule("NUM-04", "WI", "record",
          "A table 二 cell carries a 元 unit (\"251000元\", \"3.27万元\"): converted to 万元, the text kept in "
          "COLUMN_raw; W for a 2021-format value in 元 (the header's 万元 ignored), else I",
          "the row of table 二 (the column is in `column`)"),
    # -- T2: table 二 ---------------------------------------------------------------------------------
    _rule("T2-01", "EW", "record",
          "2021 format: a table 二 value is negative (E), or a 乡镇/街道 reports a 行政事业性收费 over 10,000 万元, "
          "which suggests 元 were entered (W)",
          "the row of table 二 (the column is in `column`); fees for the 10,000 万元 warning"),
    _rule("T2-02", "W", "record",
          "A 乡镇/街道 (agency ending in 镇, 乡, 街道 or 办事处) reports a non-zero 规章 count, "
          "though it cannot make 规章",
          "regulations"),
    _rule("T2-03", "W", "record",
          "2019 format: 对外公开总数量 (total_published) is below 本年新公开数量 (newly_published)",
          "regulations or normative_documents"),
    _rule("T2-04", "W", "record",
          "2019 format: 上一年项目数量 + 本年增/减 (prior_year_items + items_change) is negative",
          "the row: licensing, other_services, punishment, coercion or fees"),
    _rule("T2-05", "I", "record",
          "2019 format: 上一年项目数量 + 本年增/减 equals 处理决定数量 (non-zero), "
          "a sign the item columns were filled with counts of decisions",
          "the row: licensing, other_services, punishment or coercion"),
    # -- T3: table 三 ---------------------------------------------------------------------------------
    _rule("T3-01", "E", "record",
          "Per column: 本年新收 + 上年结转 differs from （七）总计 + 结转下年度 "
          "(new_received + carried_over vs total_processed + carried_forward; the table's own 勾稽关系)",
          "the column of table 三, e.g. natural_person or total"),
    _rule("T3-02", "E", "record",
          "Per row: the six applicant columns do not add up to the 总计 column "
          "(outcome rows whose 总计 is blank are skipped)",
          "the row of table 三, e.g. granted"),
    _rule("T3-03", "E", "record",
          "Per column: the outcome rows （一）…（六） do not add up to （七）总计 "
          "(the 总计 column is skipped where it is blank on every outcome row)",
          "the column of table 三"),
    _rule("T3-04", "E", "record",
          "2021 format: a separate （六）其他处理 row differs from the sum of its three sub-rows",
          "other_handling"),
    _rule("T3-05", "E", "record",
          "Per column: 结转下年度 (carried_forward) exceeds 本年新收 + 上年结转",
          "the column of table 三"),
    _rule("T3-06", "W", "record",
          "An application count quoted in the text (新收/受理, 上年结转, 办结/答复, 结转下年度) differs from the "
          "table's 总计 column (expected: the table, found: the text)",
          "the row: new_received, carried_over, total_processed or carried_forward"),
    # -- T4: table 四 ---------------------------------------------------------------------------------
    _rule("T4-01", "E", "record",
          "行政复议: 结果维持 + 结果纠正 + 其他结果 + 尚未审结 differs from 总计",
          "review"),
    _rule("T4-02", "E", "record",
          "行政诉讼, 未经复议直接起诉: 结果维持 + 结果纠正 + 其他结果 + 尚未审结 differs from 总计",
          "litigation_direct"),
    _rule("T4-03", "E", "record",
          "行政诉讼, 复议后起诉: 结果维持 + 结果纠正 + 其他结果 + 尚未审结 differs from 总计",
          "litigation_after_review"),
    _rule("T4-04", "E", "record",
          "A table 四 value is not a non-negative integer",
          "GROUP.COLUMN, e.g. review.upheld"),
    _rule("T4-05", "W", "record",
          "A 行政复议 or 行政诉讼 count quoted in the text differs from table 四 "
          "(复议 总计; 直接起诉 总计 + 复议后起诉 总计)",
          "review or litigation"),
    # -- TXT: text of the parts ----------------------------------------------------------------------
    _rule("TXT-01", "W", "record",
          "Part 一 does not mention one of the five aspects 主动公开, 依申请公开, 政府信息管理, 平台建设, 监督保障 "
          "(a keyword search)",
          "the aspect, e.g. 政府信息管理"),
    _rule("TXT-02", "W", "record",
          "2021 format: part 六 (or its absence) does not state the 信息处理费 (no 处理费 in it)",
          "other"),
    _rule("TXT-03", "W", "record",
          "Part 五 is empty: under 10 characters after its heading, or just 无/暂无",
          "problems"),
    # -- TIME: timeliness and reporting period -----------------------------------------------------
    _rule("TIME-01", "W", "record+store",
          "A departmental report (year ≥ 2019) was published after 1月31日 of the next year (条例 Art. 49); "
          "per document also an unreadable publication date",
          "published_at"),
    _rule("TIME-02", "W", "record+store",
          "A 本级政府 report (year ≥ 2019; a 人民政府, its 办公室/办公厅, or a bare region) was published after "
          "3月31日 of the next year",
          "published_at"),
    _rule("TIME-03", "W", "record+store",
          "A report of year ≤ 2018 was published after 3月31日 of the next year (the old 条例 Art. 31)",
          "published_at"),
    _rule("TIME-04", "W", "record",
          "The stated 统计期限 is not 1月1日 … 12月31日 of the report year (e.g. the typo 202020年)",
          "period"),
    # -- SCOPE: department vs 汇总 -------------------------------------------------------------------
    _rule("SCOPE-01", "W", "record",
          "A 市/区/县 government's report (or its 办公室's): part 一 counts the office's own requests "
          "(政府办…受理…N件) where table 三's 本年新收 total is another figure (where: new_received), or says neither "
          "that its figures "
          "are the whole region's (全区, 汇总, 各部门…) nor that they are the office's own (where: scope)",
          "new_received or scope"),
    # -- XY: cross-year --------------------------------------------------------------------------------
    _rule("XY-01", "EW", "store",
          "This year's 上年结转 (carried_over) differs from last year's 结转下年度 (carried_forward): "
          "E in the 总计 column, W in another column",
          "carried_over.COLUMN, e.g. carried_over.total"),
    _rule("XY-02", "W", "store",
          "2021 format: 现行有效件数 (in_force) differs from last year's + 本年制发件数 - 本年废止件数",
          "proactive.ROW.in_force (regulations or normative_documents)"),
    _rule("XY-03", "W", "store",
          "2019 format: 上一年项目数量 (prior_year_items) differs from last year's 上一年项目数量 + 本年增/减",
          "proactive.ROW.prior_year_items"),
    _rule("XY-04", "W", "store",
          "Part 五 is a near-copy of last year's (difflib similarity above 0.5)",
          "sections.problems"),
    _rule("XY-05", "W", "store",
          "The agency, or the issuer named in the title, differs from the year before",
          "agency or title"),
)  # fmt: skip
RULES: dict[str, Rule] = {r.id: r for r in _ALL}


def lookup(rule_id: str, scope: str | None = None) -> Rule:
    """Return the Rule of `rule_id`; raise ValueError for an id not in `RULES` or not checked in `scope`.

    `scope` is "record" (a check of `extractors.checks`) or "store" (a finding of `storage.validate`).
    """
    found = RULES.get(rule_id)
    if found is None:
        raise ValueError(f"unknown rule id {rule_id!r}: define it in extractors/rules.py")
    if (scope == "record" and not found.in_record) or (scope == "store" and not found.in_store):
        raise ValueError(f"rule {rule_id} is not a {scope} rule (its scope is {found.scope!r})")
    return found


def _cell(text: str) -> str:
    """Return `text` safe inside a Markdown table cell."""
    return text.replace("|", "\\|")


def markdown() -> str:
    """Return docs/rules.md: every rule of `RULES` by family, with severities, scope, where and meaning."""
    lines = [
        "# Validation rules",
        "",
        "<!-- Generated from extractors/rules.py by `python -m extractors.rules --markdown`; do not edit. -->",
        "",
        "Every check id nianbao reports. A failed rule is an entry of a record's `checks` list",
        '(`{"rule", "where", "severity", "expected"?, "found"?, "message"?, "column"?, "cause"?}`, see',
        "[record-schema.md](record-schema.md)) or a finding of `nianbao validate`",
        "(`rule, severity, agency, region_code, years, where, expected, found, report_ids`).",
        "A report passes a rule that is not listed in its `checks`.",
        "",
        "Severity:",
        "",
        *[f"- **{s}**: {text}" for s, text in SEVERITIES.items()],
        "",
        "Scope:",
        "",
        *[f"- `{s}`: {text}" for s, text in SCOPES.items()],
        "",
        "Blank cells in an otherwise filled table count as 0 in arithmetic; a wholly blank table is not",
        "checked (NUM-03). A rule that would read a cell listed in the record's `ambiguous` is not run.",
        "A rule that fails on values the parser placed — a table 三 row whose values were printed away from its",
        "label and were placed by the official row order, a table 二 row placed under its labels printed apart",
        'from the values, table 四\'s fifteen values cut from split rows — carries `"cause": "parse"` and is lowered',
        "to severity W: the error may be the extraction's, and the publisher is not blamed for it.",
    ]
    for family, title in FAMILIES.items():
        rules = [r for r in RULES.values() if r.family == family]
        lines += [
            "",
            f"## {family}: {title}",
            "",
            "| id | severity | scope | where | meaning |",
            "|---|---|---|---|---|",
        ]
        for r in rules:
            severity = "/".join(r.severities) or "—"
            lines.append(f"| {r.id} | {severity} | {r.scope} | {_cell(r.where) or '—'} | {_cell(r.meaning)} |")
    missing = [r.id for r in RULES.values() if not r.implemented]
    lines += [
        "",
        f"{len(RULES)} rules; {len(RULES) - len(missing)} implemented."
        + (f" Not implemented: {', '.join(missing)}." if missing else ""),
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print docs/rules.md (`--markdown`, the default); return the exit status."""
    args = sys.argv[1:] if argv is None else argv
    if args not in ([], ["--markdown"]):
        print("usage: python -m extractors.rules [--markdown]", file=sys.stderr)
        return 2
    sys.stdout.write(markdown())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
