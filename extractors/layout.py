"""The official layout of the three tables (format-spec §3–§5), one definition for every reader and writer.

A table is drawn as blocks (table 二 has one per 第二十条 item, tables 三 and 四 one each); a block has
header rows of spanned cells and data rows; a data row has its official label, the group labels it sits
under and its cells. Each cell names where the record keeps its value (`CellSpec.value`) and has two
names: a machine name (`requests.new_received.natural_person`) and a Chinese header
(`表三 一、本年新收 自然人`), both unique across the tables.

    from extractors.layout import layout, wide_cells
    for block in layout("requests", "2021").blocks: ...   # draw table 三 as published
    for cell in wide_cells(): ...                          # one column per cell, both formats

`failing_cells(record)` maps each cell to the record's failed checks on it (to mark them when drawing).
The keys come from the typed tables (`typed_tables`), so a key cannot drift from the record.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from .typed_record import TABLES
from .typed_tables import (
    OUTCOME_ROWS,
    PROACTIVE_CLASSES,
    REQUEST_COLUMNS,
    REQUEST_ROWS,
    REQUEST_ROWS_2021,
    REVIEW_COLUMNS,
    REVIEW_GROUPS,
    ReviewGroup,
    column_kind,
)

Format = Literal["2019", "2021"]
FORMATS: tuple[Format, ...] = ("2019", "2021")
TABLE_NUMERALS = {"proactive": "二", "requests": "三", "review_litigation": "四"}
"""The record's table key → the numeral of its part (表二, 表三, 表四)."""
TABLE_TITLES = {
    "proactive": "主动公开政府信息情况",
    "requests": "收到和处理政府信息公开申请情况",
    "review_litigation": "政府信息公开行政复议、行政诉讼情况",
}
"""The record's table key → the official title of its part."""


@dataclass(frozen=True, slots=True)
class CellSpec:
    """One cell of a table: where the record keeps it and what to call it."""

    table: str
    """The record's table key: `proactive`, `requests` or `review_litigation`."""
    row: str
    """The row key (table 四: the group key)."""
    column: str
    """The column key."""
    kind: str
    """What the cell holds: `count`, `signed` (2019 本年增/减) or `money` (万元)."""
    name: str
    """The machine name, `table.row.column`; unique across tables and formats."""
    header: str
    """The Chinese column header of a wide table, e.g. `表三 一、本年新收 自然人`; unique like `name`."""
    label: str
    """The cell's full official label, row and column, e.g. `一、本年新收政府信息公开申请数量 › 自然人`."""
    formats: tuple[Format, ...]
    """The formats that have this cell."""

    def value(self, record: Mapping[str, Any]) -> Any:
        """Return the cell's value in a record dict, None where the table, row or cell is absent."""
        rows = record.get(self.table)
        if not isinstance(rows, Mapping):
            return None
        row = rows.get(self.row)
        if isinstance(row, list):
            index = REQUEST_COLUMNS.index(self.column)
            return row[index] if index < len(row) else None
        return row.get(self.column) if isinstance(row, Mapping) else None

    def raw(self, record: Mapping[str, Any]) -> str | None:
        """Return the cell's text where the record keeps it (`<column>_raw`, `requests_raw`), else None."""
        if self.table == "requests":
            raws = (record.get("requests_raw") or {}).get(self.row)
            index = REQUEST_COLUMNS.index(self.column)
            return raws[index] if isinstance(raws, list) and index < len(raws) else None
        row = (record.get(self.table) or {}).get(self.row)
        return row.get(self.column + "_raw") if isinstance(row, Mapping) else None


@dataclass(frozen=True, slots=True)
class HeaderCell:
    """One cell of a header row as printed in the official form."""

    text: str
    """The label, verbatim."""
    colspan: int = 1
    """Columns the cell spans."""
    rowspan: int = 1
    """Header rows the cell spans."""


@dataclass(frozen=True, slots=True)
class LayoutRow:
    """One data row of a block."""

    key: str
    """The row key (table 四: `all`, its one row holds the three groups)."""
    label: str
    """The official label, verbatim (empty for table 四, whose row has no label)."""
    short: str
    """A short label, unique in its table, used in wide-table headers (`一、本年新收`, `（三）1.国家秘密`)."""
    groups: tuple[str, ...]
    """The group labels the row sits under, outermost first (`三、本年度办理结果`, `（三）不予公开`)."""
    cells: tuple[CellSpec, ...]
    """The row's cells in column order."""
    derived: bool = False
    """True for a row the form shows only as a group label (2021 （六）其他处理): the record sums its sub-rows."""


@dataclass(frozen=True, slots=True)
class Block:
    """A run of rows under one header: table 二's items (第二十条第（一）项 …), tables 三 and 四 whole."""

    title: str
    """The block's heading (`第二十条第（一）项`), empty where the block is the whole table."""
    header: tuple[tuple[HeaderCell, ...], ...]
    """The header rows as printed, spans included; the first `label_columns` columns are row labels."""
    label_columns: int
    """How many columns on the left hold row and group labels (0 for table 四)."""
    rows: tuple[LayoutRow, ...]
    """The data rows, in table order."""


@dataclass(frozen=True, slots=True)
class TableLayout:
    """One table in one format, as published."""

    table: str
    """The record's table key."""
    format: Format
    """The format this layout draws."""
    numeral: str
    """二, 三 or 四."""
    title: str
    """The part's official title."""
    blocks: tuple[Block, ...]
    """The table's blocks, in order."""

    def cells(self) -> Iterator[CellSpec]:
        """Yield every cell of the table, in reading order."""
        for block in self.blocks:
            for row in block.rows:
                yield from row.cells


# -- table 二 ------------------------------------------------------------------------------------------
_PRO_COLUMN_LABELS = {
    "newly_made": "本年新制作数量",
    "newly_published": "本年新公开数量",
    "total_published": "对外公开总数量",
    "prior_year_items": "上一年项目数量",
    "items_change": "本年增/减",
    "decisions": "处理决定数量",
    "items": "采购项目数量",
    "issued": "本年制发件数",
    "repealed": "本年废止件数",
    "in_force": "现行有效件数",
}
_PRO_2021_LABELS = {"decisions": "本年处理决定数量", "amount_wan_yuan": "本年收费金额（单位：万元）"}
_PRO_2019_LABELS = {"amount_wan_yuan": "采购总金额"}
_PRO_ROW_LABELS = {
    "regulations": "规章",
    "normative_documents": "规范性文件",
    "licensing": "行政许可",
    "other_services": "其他对外管理服务事项",
    "punishment": "行政处罚",
    "coercion": "行政强制",
    "fees": "行政事业性收费",
    "procurement": "政府集中采购",
}
_PRO_ITEMS = (
    ("第二十条第（一）项", ("regulations", "normative_documents")),
    ("第二十条第（五）项", ("licensing", "other_services")),
    ("第二十条第（六）项", ("punishment", "coercion")),
    ("第二十条第（八）项", ("fees",)),
    ("第二十条第（九）项", ("procurement",)),
)


def _pro_column_label(fmt: Format, column: str) -> str:
    """Return the official label of a table 二 column in a format."""
    own = _PRO_2021_LABELS if fmt == "2021" else _PRO_2019_LABELS
    return own.get(column) or _PRO_COLUMN_LABELS[column]


def _pro_row_label(fmt: Format, row: str) -> str:
    """Return the official label of a table 二 row in a format (2021 renamed 规范性文件)."""
    return "行政规范性文件" if fmt == "2021" and row == "normative_documents" else _PRO_ROW_LABELS[row]


def _pro_formats(row: str, column: str) -> tuple[Format, ...]:
    """Return the formats whose table 二 has this cell."""
    return tuple(f for f in FORMATS if column in getattr(PROACTIVE_CLASSES[f].ROWS.get(row), "COLUMNS", ()))


def _pro_cell(fmt: Format, row: str, column: str) -> CellSpec:
    """Return a table 二 cell; a cell both formats have is named as the 2021 form names it."""
    formats = _pro_formats(row, column)
    named = "2021" if "2021" in formats else fmt
    row_label, col_label = _pro_row_label(named, row), _pro_column_label(named, column)
    kind = column_kind(PROACTIVE_CLASSES[fmt].ROWS[row], column)
    return CellSpec("proactive", row, column, str(kind), f"proactive.{row}.{column}",
                    f"表二 {row_label} {col_label}", f"{row_label} › {col_label}", formats)  # fmt: skip


def _proactive(fmt: Format) -> TableLayout:
    """Return table 二's layout in a format."""
    rows_of = PROACTIVE_CLASSES[fmt].ROWS
    blocks = []
    for title, keys in _PRO_ITEMS:
        keys = tuple(k for k in keys if k in rows_of)
        if not keys:
            continue
        columns = rows_of[keys[0]].COLUMNS
        header = ((HeaderCell("信息内容"), *(HeaderCell(_pro_column_label(fmt, c)) for c in columns)),)
        rows = tuple(LayoutRow(k, _pro_row_label(fmt, k), _pro_row_label(fmt, k), (),
                               tuple(_pro_cell(fmt, k, c) for c in columns)) for k in keys)  # fmt: skip
        blocks.append(Block(title, header, 1, rows))
    return TableLayout("proactive", fmt, "二", TABLE_TITLES["proactive"], tuple(blocks))


# -- table 三 ------------------------------------------------------------------------------------------
_REQ_COLUMN_LABELS = {
    "natural_person": ("自然人", "自然人"),
    "commercial_enterprise": ("法人或其他组织 › 商业企业", "商业企业"),
    "research_institution": ("法人或其他组织 › 科研机构", "科研机构"),
    "social_welfare_org": ("法人或其他组织 › 社会公益组织", "社会公益组织"),
    "legal_service_org": ("法人或其他组织 › 法律服务机构", "法律服务机构"),
    "other_org": ("法人或其他组织 › 其他", "法人或其他组织其他"),
    "total": ("总计", "总计"),
}
"""Column key → (full label, short label for headers)."""
_RESULTS = "三、本年度办理结果"
_WITHHELD, _UNAVAILABLE, _REJECTED, _OTHER = "（三）不予公开", "（四）无法提供", "（五）不予处理", "（六）其他处理"
_REQ_ROWS = {
    "new_received": ("一、本年新收政府信息公开申请数量", "一、本年新收", ()),
    "carried_over": ("二、上年结转政府信息公开申请数量", "二、上年结转", ()),
    "granted": ("（一）予以公开", "（一）予以公开", (_RESULTS,)),
    "partially_granted": ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "（二）部分公开", (_RESULTS,)),
    "withheld_state_secret": ("1.属于国家秘密", "（三）1.国家秘密", (_RESULTS, _WITHHELD)),
    "withheld_prohibited_by_law": ("2.其他法律行政法规禁止公开", "（三）2.法律法规禁止", (_RESULTS, _WITHHELD)),
    "withheld_security_stability": ("3.危及“三安全一稳定”", "（三）3.三安全一稳定", (_RESULTS, _WITHHELD)),
    "withheld_third_party_rights": ("4.保护第三方合法权益", "（三）4.第三方权益", (_RESULTS, _WITHHELD)),
    "withheld_internal_affairs": ("5.属于三类内部事务信息", "（三）5.内部事务", (_RESULTS, _WITHHELD)),
    "withheld_process_info": ("6.属于四类过程性信息", "（三）6.过程性信息", (_RESULTS, _WITHHELD)),
    "withheld_enforcement_file": ("7.属于行政执法案卷", "（三）7.行政执法案卷", (_RESULTS, _WITHHELD)),
    "withheld_administrative_query": ("8.属于行政查询事项", "（三）8.行政查询事项", (_RESULTS, _WITHHELD)),
    "unavailable_not_held": ("1.本机关不掌握相关政府信息", "（四）1.不掌握", (_RESULTS, _UNAVAILABLE)),
    "unavailable_needs_creation": ("2.没有现成信息需要另行制作", "（四）2.需另行制作", (_RESULTS, _UNAVAILABLE)),
    "unavailable_unclear": ("3.补正后申请内容仍不明确", "（四）3.补正后仍不明确", (_RESULTS, _UNAVAILABLE)),
    "rejected_petition": ("1.信访举报投诉类申请", "（五）1.信访举报投诉", (_RESULTS, _REJECTED)),
    "rejected_duplicate": ("2.重复申请", "（五）2.重复申请", (_RESULTS, _REJECTED)),
    "rejected_publication": ("3.要求提供公开出版物", "（五）3.公开出版物", (_RESULTS, _REJECTED)),
    "rejected_excessive": ("4.无正当理由大量反复申请", "（五）4.大量反复申请", (_RESULTS, _REJECTED)),
    "rejected_reconfirm": ("5.要求行政机关确认或重新出具已获取信息", "（五）5.确认或重新出具", (_RESULTS, _REJECTED)),
    "other_handling": (_OTHER, _OTHER, (_RESULTS,)),
    "other_overdue_correction": ("1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
                                 "（六）1.逾期不补正", (_RESULTS, _OTHER)),
    "other_overdue_fee": ("2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
                          "（六）2.逾期未缴费", (_RESULTS, _OTHER)),
    "other_misc": ("3.其他", "（六）3.其他", (_RESULTS, _OTHER)),
    "total_processed": ("（七）总计", "（七）总计", (_RESULTS,)),
    "carried_forward": ("四、结转下年度继续办理", "四、结转下年度", ()),
}  # fmt: skip
"""Row key → (official label, short label, group labels outermost first)."""
_REQ_CORNER = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"


def _req_cell(row: str, column: str) -> CellSpec:
    """Return a table 三 cell."""
    label, short, _ = _REQ_ROWS[row]
    formats: tuple[Format, ...] = ("2021",) if row in REQUEST_ROWS_2021 else FORMATS
    col_label, col_short = _REQ_COLUMN_LABELS[column]
    return CellSpec("requests", row, column, "count", f"requests.{row}.{column}",
                    f"表三 {short} {col_short}", f"{label} › {col_label}", formats)  # fmt: skip


def _requests(fmt: Format) -> TableLayout:
    """Return table 三's layout in a format (2021: （六） is a group of three rows)."""
    header = (
        (HeaderCell(_REQ_CORNER, colspan=3, rowspan=3), HeaderCell("申请人情况", colspan=7)),
        (HeaderCell("自然人", rowspan=2), HeaderCell("法人或其他组织", colspan=5), HeaderCell("总计", rowspan=2)),
        tuple(HeaderCell(_REQ_COLUMN_LABELS[c][0].split(" › ")[-1]) for c in REQUEST_COLUMNS[1:-1]),
    )
    rows = []
    for key in REQUEST_ROWS:
        if fmt == "2019" and key in REQUEST_ROWS_2021:
            continue
        label, short, groups = _REQ_ROWS[key]
        cells = tuple(_req_cell(key, c) for c in REQUEST_COLUMNS)
        rows.append(LayoutRow(key, label, short, groups, cells, derived=fmt == "2021" and key == "other_handling"))
    block = Block("", header, 3, tuple(rows))
    return TableLayout("requests", fmt, "三", TABLE_TITLES["requests"], (block,))


# -- table 四 ------------------------------------------------------------------------------------------
_REVIEW_COLUMN_LABELS = {"upheld": "结果维持", "corrected": "结果纠正", "other": "其他结果", "pending": "尚未审结",
                         "total": "总计"}  # fmt: skip
_REVIEW_GROUP_LABELS = {
    "review": ("行政复议", "行政复议"),
    "litigation_direct": ("行政诉讼 › 未经复议直接起诉", "行政诉讼未经复议直接起诉"),
    "litigation_after_review": ("行政诉讼 › 复议后起诉", "行政诉讼复议后起诉"),
}


def _review(fmt: Format) -> TableLayout:
    """Return table 四's layout: one unlabelled row of 15 cells under a three-row header (both formats)."""
    cells = []
    for group in REVIEW_GROUPS:
        label, short = _REVIEW_GROUP_LABELS[group]
        for column in REVIEW_COLUMNS:
            col = _REVIEW_COLUMN_LABELS[column]
            kind = str(column_kind(ReviewGroup, column))
            cells.append(CellSpec("review_litigation", group, column, kind, f"review_litigation.{group}.{column}",
                                  f"表四 {short} {col}", f"{label} › {col}", FORMATS))  # fmt: skip
    outcomes = tuple(HeaderCell(_REVIEW_COLUMN_LABELS[c]) for c in REVIEW_COLUMNS)
    header = (
        (HeaderCell("行政复议", colspan=5), HeaderCell("行政诉讼", colspan=10)),
        (*(HeaderCell(h.text, rowspan=2) for h in outcomes), HeaderCell("未经复议直接起诉", colspan=5),
         HeaderCell("复议后起诉", colspan=5)),
        outcomes + outcomes,
    )  # fmt: skip
    block = Block("", header, 0, (LayoutRow("all", "", "", (), tuple(cells)),))
    return TableLayout("review_litigation", fmt, "四", TABLE_TITLES["review_litigation"], (block,))


_BUILDERS = {"proactive": _proactive, "requests": _requests, "review_litigation": _review}


@cache
def layout(table: str, fmt: str | None) -> TableLayout:
    """Return the layout of a table (`proactive`, `requests`, `review_litigation`) in a format.

    A format other than "2019" (null, "mixed") gives the 2021 layout: the current form.
    """
    return _BUILDERS[table]("2019" if fmt == "2019" else "2021")


table_layout = layout
"""`layout` under the name the package exports (`extractors.layout` is this module)."""


def record_layouts(record: Mapping[str, Any]) -> tuple[TableLayout, ...]:
    """Return the three layouts a record is drawn in: each table in the format the record found it in."""
    formats = record.get("table_formats") or {}
    fallback = record.get("format")
    return tuple(layout(t, formats.get(t) or fallback) for t in TABLES)


@cache
def wide_cells() -> tuple[CellSpec, ...]:
    """Return every cell of both formats once, in reading order (2021 first where a cell is in both)."""
    seen: dict[str, CellSpec] = {}
    for table in TABLES:
        for fmt in ("2021", "2019"):
            for cell in layout(table, fmt).cells():
                seen.setdefault(cell.name, cell)
    return tuple(seen.values())


# -- failed checks on cells ------------------------------------------------------------------------------
_T3_COLUMN_ROWS = {
    "T3-01": ("new_received", "carried_over", "total_processed", "carried_forward"),
    "T3-03": (*OUTCOME_ROWS, "total_processed"),
    "T3-05": ("new_received", "carried_over", "carried_forward"),
    "T3-04": ("other_handling", *REQUEST_ROWS_2021),
}
"""Table 三 rules checked per column: the rows whose cells in that column the rule adds up."""


def check_cells(check: Mapping[str, Any]) -> tuple[str, ...]:
    """Return the machine names of the cells a failed check (a record's `checks` entry) is about; () for none."""
    where, rule, column = str(check.get("where") or ""), str(check.get("rule") or ""), check.get("column")
    head, _, tail = where.partition(".")
    if head in TABLE_NUMERALS and tail:
        return tuple(c.name for c in wide_cells() if c.table == head and c.row == tail)
    if tail:
        return tuple(c.name for c in wide_cells() if c.row == head and c.column == tail)
    if rule.startswith("T3") and where in REQUEST_COLUMNS:
        rows = _T3_COLUMN_ROWS.get(rule, REQUEST_ROWS)
        return tuple(f"requests.{r}.{where}" for r in rows)
    if rule in ("T3-06", "SCOPE-01") and where in REQUEST_ROWS:  # the text's figure against the row's 总计
        return (f"requests.{where}.total",)
    if where == "litigation":
        return ("review_litigation.litigation_direct.total", "review_litigation.litigation_after_review.total")
    table = {"T2": "proactive", "NU": "proactive", "T3": "requests", "T4": "review_litigation"}.get(rule[:2])
    return tuple(c.name for c in wide_cells()
                 if c.row == where and (table is None or c.table == table) and column in (None, c.column))  # fmt: skip


def failing_cells(record: Mapping[str, Any]) -> dict[str, list[Mapping[str, Any]]]:
    """Return cell machine name → the record's failed checks on that cell, in the record's order."""
    out: dict[str, list[Mapping[str, Any]]] = {}
    for check in record.get("checks") or ():
        if isinstance(check, Mapping):
            for name in check_cells(check):
                out.setdefault(name, []).append(check)
    return out
