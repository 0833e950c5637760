"""The three tables of a report record as typed classes: cells, rows, tables 二, 三 and 四, and their key lists.

A table's JSON is written and read here: a row that was not found is an absent key; a cell's raw
text is the sibling key `<column>_raw` in tables 二 and 四 (`_Row.to_dict`), and for table 三, whose
rows are lists, the record's `requests_raw` (`Requests.raws`). What a column holds (count, signed,
money) is its field's `kind` metadata.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any, ClassVar, Literal, get_args, get_type_hints

from .typed_cells import (  # noqa: F401 (re-exported: the tables' cells and rows live there)
    MONEY,
    RAW_SUFFIX,
    SIGNED,
    SINCE_2021,
    Cell,
    Number,
    T,
    _Row,
    _row,
    column_kind,
    field_names,
    is_raw_key,
    raw_key,
)


# -- table 二 (主动公开政府信息情况) -------------------------------------------------------------------
@_row
@dataclass(slots=True)
class DocumentCounts2019(_Row):
    """规章 or 规范性文件 in the 2019 format."""

    newly_made: Cell
    """本年新制作数量."""
    newly_published: Cell
    """本年新公开数量."""
    total_published: Cell
    """对外公开总数量."""


@_row
@dataclass(slots=True)
class Matters2019(_Row):
    """行政许可, 其他对外管理服务事项, 行政处罚 or 行政强制 in the 2019 format."""

    prior_year_items: Cell
    """上一年项目数量."""
    items_change: Cell = field(metadata=SIGNED)
    """本年增/减: may be negative (`减1237` → -1237)."""
    decisions: Cell
    """处理决定数量."""


@_row
@dataclass(slots=True)
class Fees2019(_Row):
    """行政事业性收费 in the 2019 format."""

    prior_year_items: Cell
    """上一年项目数量."""
    items_change: Cell = field(metadata=SIGNED)
    """本年增/减: may be negative."""


@_row
@dataclass(slots=True)
class Procurement2019(_Row):
    """政府集中采购 (2019 format only)."""

    items: Cell
    """采购项目数量."""
    amount_wan_yuan: Cell = field(metadata=MONEY)
    """采购总金额 in 万元 (a value written in 元 is converted)."""


@_row
@dataclass(slots=True)
class DocumentCounts2021(_Row):
    """规章 or 行政规范性文件 in the 2021 format."""

    issued: Cell
    """本年制发件数."""
    repealed: Cell
    """本年废止件数."""
    in_force: Cell
    """现行有效件数."""


@_row
@dataclass(slots=True)
class Decisions2021(_Row):
    """行政许可, 行政处罚 or 行政强制 in the 2021 format."""

    decisions: Cell
    """本年处理决定数量."""


@_row
@dataclass(slots=True)
class Fees2021(_Row):
    """行政事业性收费 in the 2021 format."""

    amount_wan_yuan: Cell = field(metadata=MONEY)
    """本年收费金额 in 万元."""


def _row_type(hint: Any) -> type:
    """Return the class of an `X | None` annotation."""
    return next(a for a in get_args(hint) if a is not type(None))


class _Proactive:
    """Table 二: row key → row, a row that was not found being None (an absent key in the JSON)."""

    __slots__ = ()
    FORMAT: ClassVar[str]
    ROWS: ClassVar[dict[str, type[_Row]]] = {}

    def rows(self) -> Iterator[tuple[str, _Row]]:
        """Yield (row key, row) for the rows found, in table order."""
        for name in self.ROWS:
            row = getattr(self, name)
            if row is not None:
                yield name, row

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Return the table as JSON: row key → column key → value (and `<column>_raw`)."""
        return {name: row.to_dict() for name, row in self.rows()}

    @classmethod
    def from_dict(cls: type[T], data: Mapping[str, Any]) -> T:
        """Return the table read from its JSON; row keys this format does not have are left out."""
        rows = cls.ROWS  # type: ignore[attr-defined]
        return cls(**{k: rows[k].from_dict(v) for k, v in data.items() if k in rows and isinstance(v, Mapping)})


def _table(fmt: str) -> Any:
    """Record a table 二 class's format and row classes (from its annotations)."""

    def done(cls: type[T]) -> type[T]:
        cls.FORMAT = fmt  # type: ignore[attr-defined]
        cls.ROWS = {name: _row_type(hint) for name, hint in get_type_hints(cls).items() if name in field_names(cls)}  # type: ignore[attr-defined]
        return cls

    return done


@_table("2019")
@dataclass(slots=True)
class Proactive2019(_Proactive):
    """Table 二 (主动公开政府信息情况) in the 2019 format (国办公开办函〔2019〕60号)."""

    regulations: DocumentCounts2019 | None = None
    """规章 (第二十条第（一）项)."""
    normative_documents: DocumentCounts2019 | None = None
    """规范性文件 (第（一）项)."""
    licensing: Matters2019 | None = None
    """行政许可 (第（五）项)."""
    other_services: Matters2019 | None = None
    """其他对外管理服务事项 (第（五）项; optional)."""
    punishment: Matters2019 | None = None
    """行政处罚 (第（六）项)."""
    coercion: Matters2019 | None = None
    """行政强制 (第（六）项)."""
    fees: Fees2019 | None = None
    """行政事业性收费 (第（八）项)."""
    procurement: Procurement2019 | None = None
    """政府集中采购 (第（九）项; optional)."""


@_table("2021")
@dataclass(slots=True)
class Proactive2021(_Proactive):
    """Table 二 (主动公开政府信息情况) in the 2021 format (国办公开办函〔2021〕30号)."""

    regulations: DocumentCounts2021 | None = None
    """规章 (第二十条第（一）项)."""
    normative_documents: DocumentCounts2021 | None = None
    """行政规范性文件 (第（一）项)."""
    licensing: Decisions2021 | None = None
    """行政许可 (第（五）项)."""
    punishment: Decisions2021 | None = None
    """行政处罚 (第（六）项)."""
    coercion: Decisions2021 | None = None
    """行政强制 (第（六）项)."""
    fees: Fees2021 | None = None
    """行政事业性收费 (第（八）项)."""


Proactive = Proactive2019 | Proactive2021
PROACTIVE_CLASSES: dict[str, type[Proactive2019] | type[Proactive2021]] = {"2019": Proactive2019, "2021": Proactive2021}


# -- table 三 (收到和处理政府信息公开申请情况) -------------------------------------------------------------
@_row
@dataclass(slots=True)
class RequestRow(_Row):
    """One row of table 三: one cell per applicant column, written as a list of 7 values in this order."""

    natural_person: Cell
    """自然人."""
    commercial_enterprise: Cell
    """法人或其他组织 › 商业企业."""
    research_institution: Cell
    """法人或其他组织 › 科研机构."""
    social_welfare_org: Cell
    """法人或其他组织 › 社会公益组织."""
    legal_service_org: Cell
    """法人或其他组织 › 法律服务机构."""
    other_org: Cell
    """法人或其他组织 › 其他."""
    total: Cell
    """总计."""

    def values(self) -> list[Number | None]:
        """Return the 7 values in column order (the row's JSON)."""
        return [c.value for c in _request_cells(self)]

    def raws(self) -> list[str | None]:
        """Return the 7 raw texts in column order (None for a clean cell)."""
        return [c.raw for c in _request_cells(self)]

    @classmethod
    def from_lists(cls, values: list[Any], raws: list[Any] | None = None) -> RequestRow:
        """Return the row read from its JSON list and, where given, its `requests_raw` list."""
        raws = raws or []
        return cls(*(Cell(values[i] if i < len(values) else None, raws[i] if i < len(raws) else None)
                     for i in range(len(cls.COLUMNS))))  # fmt: skip


# The cells of a row of table 三 in column order, at C speed (a record has up to 26 × 7 of them).
_request_cells = attrgetter(*RequestRow.COLUMNS)


@dataclass(slots=True)
class Requests:
    """Table 三 (收到和处理政府信息公开申请情况): row key → row, a row that was not found being None."""

    format: Literal["2019", "2021"]
    """The table's format: "2021" where one of the three （六） sub-rows was found, else "2019"."""
    new_received: RequestRow | None = None
    """一、本年新收政府信息公开申请数量."""
    carried_over: RequestRow | None = None
    """二、上年结转政府信息公开申请数量."""
    granted: RequestRow | None = None
    """三、本年度办理结果 › （一）予以公开."""
    partially_granted: RequestRow | None = None
    """（二）部分公开（区分处理的，只计这一情形，不计其他情形）."""
    withheld_state_secret: RequestRow | None = None
    """（三）不予公开 › 1.属于国家秘密."""
    withheld_prohibited_by_law: RequestRow | None = None
    """（三）不予公开 › 2.其他法律行政法规禁止公开."""
    withheld_security_stability: RequestRow | None = None
    """（三）不予公开 › 3.危及“三安全一稳定”."""
    withheld_third_party_rights: RequestRow | None = None
    """（三）不予公开 › 4.保护第三方合法权益."""
    withheld_internal_affairs: RequestRow | None = None
    """（三）不予公开 › 5.属于三类内部事务信息."""
    withheld_process_info: RequestRow | None = None
    """（三）不予公开 › 6.属于四类过程性信息."""
    withheld_enforcement_file: RequestRow | None = None
    """（三）不予公开 › 7.属于行政执法案卷."""
    withheld_administrative_query: RequestRow | None = None
    """（三）不予公开 › 8.属于行政查询事项."""
    unavailable_not_held: RequestRow | None = None
    """（四）无法提供 › 1.本机关不掌握相关政府信息."""
    unavailable_needs_creation: RequestRow | None = None
    """（四）无法提供 › 2.没有现成信息需要另行制作."""
    unavailable_unclear: RequestRow | None = None
    """（四）无法提供 › 3.补正后申请内容仍不明确."""
    rejected_petition: RequestRow | None = None
    """（五）不予处理 › 1.信访举报投诉类申请."""
    rejected_duplicate: RequestRow | None = None
    """（五）不予处理 › 2.重复申请."""
    rejected_publication: RequestRow | None = None
    """（五）不予处理 › 3.要求提供公开出版物."""
    rejected_excessive: RequestRow | None = None
    """（五）不予处理 › 4.无正当理由大量反复申请."""
    rejected_reconfirm: RequestRow | None = None
    """（五）不予处理 › 5.要求行政机关确认或重新出具已获取信息."""
    other_handling: RequestRow | None = None
    """（六）其他处理: the 2019 row; in 2021 the table's own （六） row, else the column-wise sum of its sub-rows."""
    other_overdue_correction: RequestRow | None = field(default=None, metadata=SINCE_2021)
    """2021 only: （六）1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请."""
    other_overdue_fee: RequestRow | None = field(default=None, metadata=SINCE_2021)
    """2021 only: （六）2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请."""
    other_misc: RequestRow | None = field(default=None, metadata=SINCE_2021)
    """2021 only: （六）3.其他."""
    total_processed: RequestRow | None = None
    """（七）总计: the total of 三、本年度办理结果."""
    carried_forward: RequestRow | None = None
    """四、结转下年度继续办理."""

    ROWS: ClassVar[tuple[str, ...]] = ()

    def rows(self) -> Iterator[tuple[str, RequestRow]]:
        """Yield (row key, row) for the rows found, in table order."""
        for name in self.ROWS:
            row = getattr(self, name)
            if row is not None:
                yield name, row

    def values(self) -> dict[str, list[Number | None]]:
        """Return the table as JSON: row key → the 7 values."""
        return {name: row.values() for name, row in self.rows()}

    def raws(self) -> dict[str, list[str | None]]:
        """Return `requests_raw`: row key → the 7 raw texts, for the rows where a cell kept its text."""
        out = {}
        for name, row in self.rows():
            raws = row.raws()
            if raws.count(None) < len(raws):
                out[name] = raws
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], fmt: str | None, raws: Mapping[str, Any] | None = None) -> Requests:
        """Return the table read from its JSON, its format and `requests_raw`; unknown row keys are left out."""
        raws = raws or {}
        rows = {k: RequestRow.from_lists(v, raws.get(k))
                for k, v in data.items() if k in cls.ROWS and isinstance(v, list)}  # fmt: skip
        if fmt not in ("2019", "2021"):
            fmt = "2021" if any(k in rows for k in REQUEST_ROWS_2021) else "2019"
        return cls(fmt, **rows)  # type: ignore[arg-type]


Requests.ROWS = tuple(f.name for f in fields(Requests) if f.name != "format")


# -- table 四 (行政复议、行政诉讼情况) -------------------------------------------------------------------
@_row
@dataclass(slots=True)
class ReviewGroup(_Row):
    """One group of table 四: the outcomes of the cases and their total."""

    upheld: Cell
    """结果维持."""
    corrected: Cell
    """结果纠正."""
    other: Cell
    """其他结果."""
    pending: Cell
    """尚未审结."""
    total: Cell
    """总计."""


@dataclass(slots=True)
class ReviewLitigation:
    """Table 四 (政府信息公开行政复议、行政诉讼情况): the same in both formats, always all three groups."""

    review: ReviewGroup
    """行政复议."""
    litigation_direct: ReviewGroup
    """行政诉讼 › 未经复议直接起诉."""
    litigation_after_review: ReviewGroup
    """行政诉讼 › 复议后起诉."""

    def groups(self) -> Iterator[tuple[str, ReviewGroup]]:
        """Yield (group key, group) in table order."""
        for name in REVIEW_GROUPS:
            yield name, getattr(self, name)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Return the table as JSON: group key → column key → value (and `<column>_raw`)."""
        return {name: group.to_dict() for name, group in self.groups()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReviewLitigation:
        """Return the table read from its JSON (a missing group is read as blank cells)."""
        return cls(*(ReviewGroup.from_dict(data.get(g) or {}) for g in field_names(cls)))


# -- the tables' key lists, one definition each (the classes above) -------------------------------------
REQUEST_COLUMNS = RequestRow.COLUMNS
"""Table 三's columns, in the order of each row's list of 7."""
REQUEST_ROWS = Requests.ROWS
"""Table 三's row keys, in table order."""
REQUEST_ROWS_2021 = tuple(f.name for f in fields(Requests) if f.metadata.get("since") == "2021")
"""The three （六） sub-rows only the 2021 format has."""
# 三、本年度办理结果's own rows: （一）…（六）, whose sum is （七）总计 (the 2021 sub-rows are part of （六）).
OUTCOME_ROWS = tuple(r for r in REQUEST_ROWS[REQUEST_ROWS.index("granted") : REQUEST_ROWS.index("total_processed")]
                     if r not in REQUEST_ROWS_2021)  # fmt: skip
REVIEW_GROUPS = field_names(ReviewLitigation)
"""Table 四's groups, in table order."""
REVIEW_COLUMNS = ReviewGroup.COLUMNS
"""Table 四's columns, in table order."""
PROACTIVE_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    fmt: {row: row_cls.COLUMNS for row, row_cls in cls.ROWS.items()} for fmt, cls in PROACTIVE_CLASSES.items()
}
"""Table 二 per format: row key → its column keys, in table order."""
