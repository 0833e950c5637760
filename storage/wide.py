"""The wide table: one row per report (who, when, on time or not, checks failed, every cell as a column),
and the long tables beside it (failed checks, sources, ambiguous cells, the column key, the rules).

Every sheet is a list of `Column`s and rows of plain values (str, int, float, None), so the XLSX and the CSV
writers (`workbook.py`) and any reader see the same thing. Cell columns come from the shared layout
(`extractors.layout.wide_cells`): headers such as `表三 一、本年新收 自然人`, machine names such as
`requests.new_received.natural_person`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from extractors import RULES, check_cells, wide_cells

from .timeliness import timeliness


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a sheet."""

    name: str
    """The machine name (the key sheet's and a program's)."""
    header: str
    """The header a person reads (Chinese for the cells and the report's facts)."""
    meaning: str
    """What the column holds, one line."""
    width: int = 12
    """The column's width in an XLSX sheet, in characters."""


REPORT_COLUMNS: tuple[Column, ...] = (
    Column("seq", "序号", "the report's number in the store (order of first discovery); NNN of the text export", 6),
    Column("export_file", "导出文件", "the text export's NNN_<hash16>.txt (its .json says what was hashed)", 24),
    Column("title", "标题", "the report's title as published", 40),
    Column("body", "发布机关", "the issuing body's canonical name", 24),
    Column("agency", "报告自称机关", "the body as the report names itself", 24),
    Column("body_key", "机关键", "REGION|NAME: one key per body across years and namings", 28),
    Column("region_code", "行政区划代码", "GB/T 2260 code of the body's region", 10),
    Column("region_name", "行政区划", "the region's name", 20),
    Column("level", "层级", "government, department, township or other (decides the deadline)", 10),
    Column("year", "年度", "the report year (the year the figures cover)", 6),
    Column("format", "格式", "table format: 2019 (国办公开办函〔2019〕60号), 2021 (〔2021〕30号) or mixed", 6),
    Column("carrier", "文件类型", "what was read: html, pdf, docx, doc, wps, xlsx, text …", 8),
    Column("published_at", "发布日期", "when the report went online (page metadata, list date), YYYY-MM-DD", 11),
    Column("deadline", "截止日期", "the last day it could go online (条例 第四十九条), YYYY-MM-DD", 11),
    Column("status", "是否按时", "on_time, late, or undated (no date known); on_time where no deadline applies", 9),
    Column("days_late", "逾期天数", "days after the deadline, when late", 6),
    Column("source_url", "来源网址", "the first URL the report was found at (all of them: the sources sheet)", 40),
    Column("sources", "来源数", "how many URLs carry the report", 6),
    Column("errors", "错误数", "failed checks at severity E (the checks sheet lists them)", 6),
    Column("warnings", "警告数", "failed checks at severity W", 6),
    Column("failed_rules", "未通过规则", "the rule ids failed at E or W, sorted (the rules sheet explains them)", 20),
    Column("ambiguous", "存疑单元格数", "cells the document does not settle (the ambiguous sheet)", 6),
    Column("text_sha256", "文本哈希", "SHA-256 of the document's normalized text (the report's identity)", 20),
)
"""The report's facts, before its cells."""

CHECK_COLUMNS: tuple[Column, ...] = (
    Column("seq", "序号", "the report's seq", 6),
    Column("body", "发布机关", "the issuing body", 24),
    Column("year", "年度", "the report year", 6),
    Column("rule", "规则", "the rule id", 8),
    Column("severity", "级别", "E error, W warning, I information", 5),
    Column("where", "位置", "the row, column, group, part or table the rule failed at", 16),
    Column("cells", "涉及单元格", "the cells the rule reads, as column headers of the reports sheet", 40),
    Column("expected", "应为", "what the rule expected (a number, a list of 7, a text)", 14),
    Column("found", "实为", "what the report has", 14),
    Column("message", "说明", "a short explanation", 30),
    Column("meaning", "规则含义", "what a failure of the rule means (nianbao rules)", 60),
)
SOURCE_COLUMNS: tuple[Column, ...] = (
    Column("seq", "序号", "the report's seq", 6),
    Column("url", "网址", "a URL the report was found at", 50),
    Column("raw_sha256", "文件哈希", "SHA-256 of the document fetched there", 20),
    Column("fetched_at", "抓取时间", "when it was last fetched", 18),
    Column("http_status", "HTTP状态", "the HTTP status", 6),
    Column("site", "站点", "the registry's site id", 12),
    Column("list_title", "列表标题", "the title of the link followed", 30),
    Column("list_date", "列表日期", "the date the list showed", 11),
    Column("column", "栏目", "the site's column the link was in", 16),
    Column("published_at", "页面发布日期", "the page's own publication date", 16),
)
AMBIGUOUS_COLUMNS: tuple[Column, ...] = (
    Column("seq", "序号", "the report's seq", 6),
    Column("cell", "单元格", "the cell's machine name", 36),
    Column("header", "列名", "the cell's column header in the reports sheet", 30),
    Column("source_text", "原文", "the document's text the value was to be read from", 40),
    Column("candidates", "可能取值", "the values the text could mean", 20),
    Column("reason", "原因", "why it is not settled", 10),
)
FINDING_COLUMNS: tuple[Column, ...] = (
    Column("seqs", "序号", "the seqs of the reports compared (the year before, then the year)", 10),
    Column("body", "发布机关", "the body (its reports across years are one entity)", 24),
    Column("region_code", "行政区划代码", "the body's region code", 10),
    Column("years", "年度", "the years compared", 10),
    Column("rule", "规则", "the rule id (XY: across years; TIME: timeliness)", 8),
    Column("severity", "级别", "E error, W warning, I information", 5),
    Column("where", "位置", "the column, row or part compared", 16),
    Column("expected", "应为", "what the rule expected", 14),
    Column("found", "实为", "what the report has", 14),
    Column("meaning", "规则含义", "what a failure of the rule means", 60),
)
"""The `cross_year` sheet: what `nianbao validate` finds over the exported region."""
KEY_COLUMNS: tuple[Column, ...] = (
    Column("header", "列名", "the column header of the reports sheet", 36),
    Column("name", "字段名", "its machine name", 44),
    Column("meaning", "含义", "what it holds: the official label, or the fact", 60),
    Column("kind", "类型", "count, signed (may be negative), money (万元), or text", 8),
    Column("formats", "适用格式", "the table formats that have the cell", 10),
)
RULE_COLUMNS: tuple[Column, ...] = (
    Column("rule", "规则", "the rule id", 8),
    Column("severity", "级别", "the severities it can have", 6),
    Column("checked", "检查方", "record (each report) or store (across years)", 12),
    Column("meaning", "含义", "what a failure means", 100),
    Column("reports", "未通过报告数", "exported reports failing it (XY rules: see nianbao validate)", 8),
)


def cell_columns() -> tuple[Column, ...]:
    """Return one column per table cell of either format, headed in Chinese, in the official order."""
    return tuple(Column(c.name, c.header, c.label, 8) for c in wide_cells())


def report_columns() -> tuple[Column, ...]:
    """Return every column of the reports sheet: the facts, then the cells."""
    return REPORT_COLUMNS + cell_columns()


def _counted(report: Mapping[str, Any], severity: str) -> int:
    return sum(1 for c in report.get("checks") or () if isinstance(c, Mapping) and c.get("severity") == severity)


def _number(value: Any) -> int | float | None:
    """Return a cell's value as a number, None for anything else (a stray text stays in the record)."""
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def report_row(report: Mapping[str, Any]) -> list[Any]:
    """Return a stored report (as `Store.reports` yields it) as one row of `report_columns()`."""
    when = timeliness(report)
    checks = [c for c in report.get("checks") or () if isinstance(c, Mapping)]
    failed = sorted({str(c.get("rule")) for c in checks if c.get("severity") in ("E", "W")})
    sha = str(report.get("text_sha256") or "")
    seq = report.get("seq")
    facts = {
        "seq": seq,
        "export_file": f"{int(seq):03d}_{sha[:16]}.txt" if isinstance(seq, int) and sha else None,
        "title": report.get("title"),
        "body": report.get("body"),
        "agency": report.get("agency"),
        "body_key": report.get("body_key"),
        "region_code": report.get("region_code"),
        "region_name": report.get("region_name"),
        "level": when.level,
        "year": report.get("year"),
        "format": report.get("format"),
        "carrier": report.get("carrier"),
        "published_at": when.published_at,
        "deadline": when.deadline,
        "status": when.status,
        "days_late": when.days_late,
        "source_url": report.get("source_url") or next(iter(report.get("sources") or ()), None),
        "sources": len(report.get("sources") or ()),
        "errors": _counted(report, "E"),
        "warnings": _counted(report, "W"),
        "failed_rules": " ".join(failed),
        "ambiguous": len(report.get("ambiguous") or ()),
        "text_sha256": sha or None,
    }
    return [facts[c.name] for c in REPORT_COLUMNS] + [_number(c.value(report)) for c in wide_cells()]


def _text(value: Any) -> Any:
    """Return a value fit for one spreadsheet cell: lists and objects as JSON text."""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def check_rows(report: Mapping[str, Any]) -> Iterator[list[Any]]:
    """Yield one row of `CHECK_COLUMNS` per failed check of a report."""
    headers = {c.name: c.header for c in wide_cells()}
    for check in report.get("checks") or ():
        if not isinstance(check, Mapping):
            continue
        rule = RULES.get(str(check.get("rule")))
        where = check.get("where")
        if check.get("column"):
            where = f"{where}.{check['column']}"
        cells = "; ".join(headers[n] for n in check_cells(check))
        yield [report.get("seq"), report.get("body") or report.get("agency"), report.get("year"), check.get("rule"),
               check.get("severity"), where, cells, _text(check.get("expected")), _text(check.get("found")),
               check.get("message"), rule.meaning if rule else None]  # fmt: skip


def source_rows(report: Mapping[str, Any]) -> Iterator[list[Any]]:
    """Yield one row of `SOURCE_COLUMNS` per URL a report was found at."""
    for s in report.get("source_details") or ():
        yield [report.get("seq"), *(s.get(c.name) for c in SOURCE_COLUMNS[1:])]


def ambiguous_rows(report: Mapping[str, Any]) -> Iterator[list[Any]]:
    """Yield one row of `AMBIGUOUS_COLUMNS` per cell a report leaves ambiguous."""
    headers = {c.name: c.header for c in wide_cells()}
    for entry in report.get("ambiguous") or ():
        if isinstance(entry, Mapping):
            cell = str(entry.get("cell") or "")
            yield [report.get("seq"), cell, headers.get(cell), entry.get("source_text"),
                   _text(entry.get("candidates")), entry.get("reason")]  # fmt: skip
        elif isinstance(entry, str):
            yield [report.get("seq"), entry, headers.get(entry), None, None, None]


def finding_rows(findings: Iterable[Any], seqs: Mapping[int, Any]) -> Iterator[list[Any]]:
    """Yield one row of `FINDING_COLUMNS` per `storage.validate.Finding`; `seqs` maps report ids to seqs."""
    for f in findings:
        rule = RULES.get(f.rule)
        yield [" ".join(str(seqs.get(i, f"id {i}")) for i in f.report_ids), f.agency, f.region_code,
               " ".join(str(y) for y in f.years), f.rule, f.severity, f.where, _text(f.expected), _text(f.found),
               rule.meaning if rule else None]  # fmt: skip


def key_rows() -> Iterator[list[Any]]:
    """Yield one row of `KEY_COLUMNS` per column of the reports sheet."""
    for c in REPORT_COLUMNS:
        yield [c.header, c.name, c.meaning, "text", None]
    for cell in wide_cells():
        label = f"{cell.header.split()[0]} {cell.label}"  # 表二/表三/表四, then the official label
        yield [cell.header, cell.name, label, cell.kind, " ".join(cell.formats)]


def rule_rows() -> Iterator[list[Any]]:
    """Yield one row of `RULE_COLUMNS` per rule id a check or `nianbao validate` can name."""
    for rule in RULES.values():
        yield [rule.id, "/".join(rule.severities) or "-", rule.scope, rule.meaning]
