"""The official tables' row labels, column layouts and format signatures (format-spec §3–§6).

Patterns match the compact form of a label (`normalize.compact`): NFKC, no whitespace, no quotes,
"1、" folded to "1.". Each pattern keys on the part of the label that survives real corruption
("2.其他法律行政止公开" still holds "其他法律行政").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The key lists and columns are the typed tables' (typed_tables); the lists stay importable from here.
from .typed_tables import (  # noqa: F401
    REQUEST_COLUMNS,
    REQUEST_ROWS_2021,
    REVIEW_COLUMNS,
    REVIEW_GROUPS,
    Proactive2019,
    Proactive2021,
    RequestRow,
    column_kind,
)
from .values import Kind


@dataclass(frozen=True, slots=True)
class RowSpec:
    """One data row: its record key, the compact-label pattern and its columns with their kinds."""

    key: str
    pattern: re.Pattern[str]
    columns: tuple[tuple[str, Kind], ...]
    optional: bool = False
    label: str = ""
    """The official label, compact and without its enumerator: the target of fuzzy matching."""


def _columns(row: type) -> tuple[tuple[str, Kind], ...]:
    """Return a row class's columns with their kinds, in table order."""
    return tuple((c, column_kind(row, c)) for c in row.COLUMNS)  # type: ignore[attr-defined]


_REQ = _columns(RequestRow)


# A row whose label is too short to match by likeness ("（七）总" for "（七）总计") is named by its own
# enumerator with the label's first words; longer labels are matched by likeness alone.
OFFICIAL_ENUMERATORS = {"total_processed": ("(七)", "总计")}
# A row some templates label bare, without its enumerator ("总计" for "（七）总计"): the bare label is taken only
# between the row's found neighbours (the table's header names a 总计 column too).
BARE_LABELS = {"total_processed": "总计"}


def _row(key: str, pattern: str, columns: tuple[tuple[str, Kind], ...] = _REQ, optional: bool = False) -> RowSpec:
    return RowSpec(key, re.compile(pattern), columns, optional, OFFICIAL_LABELS.get(key, ""))


def _pro(table: type[Proactive2019] | type[Proactive2021], key: str, pattern: str) -> RowSpec:
    """Return the spec of a table 二 row, its columns those of the table class's row."""
    return _row(key, pattern, _columns(table.ROWS[key]))


# The official wording (format-spec §3–§4) of every row long enough to be matched fuzzily ("a|b": either).
OFFICIAL_LABELS = {
    "new_received": "本年新收政府信息公开申请数量",
    "carried_over": "上年结转政府信息公开申请数量",
    "granted": "予以公开",
    "partially_granted": "部分公开",
    "withheld_state_secret": "属于国家秘密",
    "withheld_prohibited_by_law": "其他法律行政法规禁止公开",
    "withheld_security_stability": "危及三安全一稳定",
    "withheld_third_party_rights": "保护第三方合法权益",
    "withheld_internal_affairs": "属于三类内部事务信息",
    "withheld_process_info": "属于四类过程性信息",
    "withheld_enforcement_file": "属于行政执法案卷",
    "withheld_administrative_query": "属于行政查询事项",
    "unavailable_not_held": "本机关不掌握相关政府信息",
    "unavailable_needs_creation": "没有现成信息需要另行制作",
    "unavailable_unclear": "补正后申请内容仍不明确",
    "rejected_petition": "信访举报投诉类申请",
    "rejected_duplicate": "重复申请",
    "rejected_publication": "要求提供公开出版物",
    "rejected_excessive": "无正当理由大量反复申请",
    "rejected_reconfirm": "要求行政机关确认或重新出具已获取信息",
    "other_handling": "其他处理",
    "other_overdue_correction": "申请人无正当理由逾期不补正行政机关不再处理其政府信息公开申请",
    "other_overdue_fee": "申请人逾期未按收费通知要求缴纳费用行政机关不再处理其政府信息公开申请",
    "carried_forward": "结转下年度继续办理",
    "normative_documents": "规范性文件|行政规范性文件",
    "licensing": "行政许可",
    "other_services": "其他对外管理服务事项",
    "punishment": "行政处罚",
    "coercion": "行政强制",
    "fees": "行政事业性收费",
    "procurement": "政府集中采购",
}

# Table 三, in table order. `other_handling` is the 2019 single row or the 2021 group label.
REQUEST_ROWS: tuple[RowSpec, ...] = (
    _row("new_received", r"本年新收|年新收政府信息公开申请"),
    _row("carried_over", r"上年结转|年结转政府信息公开申请"),
    _row("granted", r"\(一\)予以公开|^予以公开$"),
    _row("partially_granted", r"\(二\)部分公开|^部分公开|^\(二\)部分|区分处理的"),
    _row("withheld_state_secret", r"属于国家秘密|国家秘密"),
    _row("withheld_prohibited_by_law", r"其他法律行政|法规禁止公开|禁止公开$"),
    _row("withheld_security_stability", r"危及三安全|三安全一稳定|安全一稳定"),
    _row("withheld_third_party_rights", r"保护第三方|第三方合法权益"),
    _row("withheld_internal_affairs", r"三类内部事务|内部事务信息"),
    _row("withheld_process_info", r"四类过程性|过程性信息"),
    _row("withheld_enforcement_file", r"行政执法案卷|执法案卷"),
    _row("withheld_administrative_query", r"行政查询事项|查询事项$"),
    _row("unavailable_not_held", r"本机关不掌握|不掌握相关政府信息"),
    _row("unavailable_needs_creation", r"没有现成信息|另行制作"),
    _row("unavailable_unclear", r"补正后申请内容|仍不明确"),
    _row("rejected_petition", r"信访举报投诉|举报投诉类申请"),
    _row("rejected_duplicate", r"重复申请"),
    _row("rejected_publication", r"公开出版物|提供公开出版"),
    _row("rejected_excessive", r"大量反复申请|无正当理由大量反复"),
    _row("rejected_reconfirm", r"确认或重新出具|重新出具已获取"),
    _row("other_handling", r"\(六\)其他处理"),
    _row("other_overdue_correction", r"逾期不补正|无正当理由逾期", optional=True),
    _row("other_overdue_fee", r"逾期未按收费|未按收费通知|收费通知要求", optional=True),
    _row("other_misc", r"^3\.其他|^\(?3\)?\.?其他$", optional=True),
    _row("total_processed", r"\(七\)总计"),
    _row("carried_forward", r"结转下年度|下年度继续办理"),
)

# Table 二: rows of both formats, in table order; the format decides the columns.
PROACTIVE_ROWS_2019: tuple[RowSpec, ...] = (
    _pro(Proactive2019, "regulations", r"^规章"),
    _pro(Proactive2019, "normative_documents", r"规范性文件"),
    _pro(Proactive2019, "licensing", r"^行政许可"),
    _pro(Proactive2019, "other_services", r"其他对外管理服务"),
    _pro(Proactive2019, "punishment", r"^行政处罚"),
    _pro(Proactive2019, "coercion", r"^行政强制"),
    _pro(Proactive2019, "fees", r"^行政事业性收费"),
    _pro(Proactive2019, "procurement", r"政府集中采购"),
)
PROACTIVE_ROWS_2021: tuple[RowSpec, ...] = (
    _pro(Proactive2021, "regulations", r"^规章"),
    _pro(Proactive2021, "normative_documents", r"规范性文件"),
    _pro(Proactive2021, "licensing", r"^行政许可"),
    _pro(Proactive2021, "punishment", r"^行政处罚"),
    _pro(Proactive2021, "coercion", r"^行政强制"),
    _pro(Proactive2021, "fees", r"^行政事业性收费"),
)
OPTIONAL_2019_PROACTIVE = ("other_services", "procurement")

SIGNATURES_2019 = re.compile(
    r"本年新制作|本年新公开|对外公开总数|上一年项目|本年增/?减|采购项目数|采购总金额|其他对外管理服务"
)
SIGNATURES_2021 = re.compile(r"本年制发|本年废止|现行有效|本年处理决定|本年收费金额")

# Anchors that open and close each table in compact text.
PROACTIVE_START = re.compile(r"第二十条第?\(一\)项|第二十条第\(")
REQUESTS_START = re.compile(r"勾稽关系|申请人情况|本年新收政府信息公开申请")
