"""Single-report validation rules of format-spec §8, each failure with its id, severity and where.

Blank cells in an otherwise filled table count as 0 (NUM-03); a wholly blank table is unfilled and
not checked; a rule that would read a cell the extraction left ambiguous is not run.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from .deadlines import publication_deadline
from .prose import appeal_mentions, request_mentions
from .rules import lookup
from .typed_record import TABLES, Check, Record, Sections
from .typed_tables import (
    OUTCOME_ROWS,
    REQUEST_COLUMNS,
    REQUEST_ROWS_2021,
    REVIEW_COLUMNS,
    REVIEW_GROUPS,
    Proactive2019,
    Proactive2021,
    Requests,
    ReviewLitigation,
)

_ASPECTS = {
    "主动公开": r"主动公开",
    "依申请公开": r"依申请",
    "政府信息管理": r"信息管理",
    "平台建设": r"平台",
    "监督保障": r"监督|考核|保障",
}
_PERIOD = re.compile(
    r"统计期限[^。]{0,6}?自?\s*(\d{4,6})\s*年\s*1\s*月\s*1\s*日[^。]{0,8}?(\d{4,6})\s*年\s*12\s*月\s*31\s*日"
)
_TOWNSHIP = re.compile(r"(?:镇|乡|街道|办事处)(?:人民政府)?$")
# SCOPE-01: a 市/区/县 government's own report (or its office's), and how part 一 says whose figures they are.
_LOCAL_GOVERNMENT = re.compile(r"[市区县旗州盟](?:人民)?政府(?:办公室|办公厅)?$")
_WHOLE_REGION = re.compile(r"全[市区县旗州盟]|[我本][市区县旗州盟]|本行政区域|本地区|汇总|各(?:部门|单位|乡镇|镇|街道)")
_OFFICE_OWN = re.compile(r"政府办(?:公室|公厅)?|本机关|本级机关|本单位")
_RECEIVED = re.compile(r"受理[^。；;]{0,40}?申请\D{0,8}?(\d+)\s*件")
_REVIEW_RULES = ("T4-01", "T4-02", "T4-03")  # one identity per group of REVIEW_GROUPS, in that order


def _fail(
    rule: str, where: str, severity: Any, expected: Any = None, found: Any = None, *,
    message: str | None = None, column: str | None = None,
) -> Check:  # fmt: skip
    """Return the `checks` entry of a failed rule; raise ValueError for an id `extractors.rules` does not define."""
    lookup(rule, "record")
    return Check(rule, where, severity, expected, found, message, column)


def _z(v: Any) -> int | float:
    return 0 if v is None else v


def _blank(values: Any) -> bool:
    """True where every value (of a row list, or of the rows of a table) is None."""
    return all(v is None for row in values for v in row)


def _doubtful_cells(ambiguous: set[str], prefix: str, columns: tuple[str, ...]) -> set[tuple[str, int]]:
    """Return the (row, column index) of each ambiguous cell key `prefix` + row + "." + column (no column has a dot:
    the pairs are exactly the keys)."""
    index = {col: i for i, col in enumerate(columns)}
    out = set()
    for key in ambiguous:
        if key.startswith(prefix):
            row, dot, col = key[len(prefix) :].rpartition(".")
            if dot and col in index:
                out.add((row, index[col]))
    return out


def _told_apart(req: dict[str, list[Any]], key: str, quoted: int) -> str | None:
    """Return what the text's figure for 本年新收 is where it is 本年新收 plus 上年结转 (requests received counted
    with those carried over), else None."""
    over = (req.get("carried_over") or [None] * 7)[6]
    if key == "new_received" and over and quoted == req[key][6] + over:
        return f"the text's figure is 本年新收 plus 上年结转 ({req[key][6]} + {over}): it counts those carried over"
    return None


def check_requests(table: Requests, ambiguous: set[str], text: str | None) -> list[Check]:
    """Return the failures of T3-01…T3-06 on table 三."""
    out: list[Check] = []
    req = table.values()
    if _blank(req.values()):
        return [_fail("NUM-03", "requests", "W", message="table 三 is entirely blank")]

    doubtful = _doubtful_cells(ambiguous, "requests.", REQUEST_COLUMNS)

    def amb(row: str, col: int) -> bool:
        return (row, col) in doubtful

    def cell(row: str, col: int) -> int | float:
        return _z(req.get(row, [None] * 7)[col])

    outcome = [r for r in OUTCOME_ROWS if r in req]
    for c, col in enumerate(REQUEST_COLUMNS):
        rows_used = ["new_received", "carried_over", "total_processed", "carried_forward"]
        if not any(amb(r, c) for r in rows_used):
            lhs = cell("new_received", c) + cell("carried_over", c)
            rhs = cell("total_processed", c) + cell("carried_forward", c)
            if lhs != rhs:
                out.append(_fail("T3-01", col, "E", lhs, rhs))
            if cell("carried_forward", c) > lhs:
                out.append(_fail("T3-05", col, "E", f"<= {lhs}", cell("carried_forward", c)))
        total_blank = col == "total" and all(req[r][6] is None for r in outcome)
        if not total_blank and not any(amb(r, c) for r in [*outcome, "total_processed"]):
            s = sum(cell(r, c) for r in outcome)
            if s != cell("total_processed", c):
                out.append(_fail("T3-03", col, "E", s, cell("total_processed", c)))
    for row, vals in req.items():
        if vals[6] is None and row not in ("new_received", "carried_over", "total_processed", "carried_forward"):
            continue
        if any(amb(row, c) for c in range(7)) or all(v is None for v in vals):
            continue
        s = sum(_z(v) for v in vals[:6])
        if s != _z(vals[6]):
            out.append(_fail("T3-02", row, "E", s, _z(vals[6])))
    if table.format == "2021" and all(r in req for r in REQUEST_ROWS_2021):
        derived = [sum(_z(req[r][c]) for r in REQUEST_ROWS_2021) for c in range(7)]
        if "other_handling" in req and [_z(v) for v in req["other_handling"]] != derived:
            out.append(_fail("T3-04", "other_handling", "E", derived, req["other_handling"]))
    # A text stating a row twice (the whole region's figure and the office's own) agrees where either is the table's.
    for key, quoted in request_mentions(text).items():
        if key in req and req[key][6] is not None and not amb(key, 6) and req[key][6] not in quoted:
            out.append(_fail("T3-06", key, "W", req[key][6], quoted[0], message=_told_apart(req, key, quoted[0])))
    return out


ROWS_READ = {
    "T3-01": ("new_received", "carried_over", "total_processed", "carried_forward"),
    "T3-05": ("new_received", "carried_over", "carried_forward"),
    "T3-03": (*OUTCOME_ROWS, *REQUEST_ROWS_2021, "total_processed"),
    "T3-04": ("other_handling", *REQUEST_ROWS_2021),
}
"""The rows each table 三 rule reads where its `where` is a column; the per-row rules read their own row."""


def mark_parse(check: Check) -> None:
    """Say a failure may be the parser's error, not the report's: `cause="parse"`, an E lowered to W."""
    check.cause = "parse"
    if check.severity == "E":
        check.severity = "W"


def blame_parse(checks: list[Check], inferred: set[str]) -> list[Check]:
    """Return `checks` with each table 三 failure that reads a row in `inferred` (rows the parser placed by
    the official row order) marked `cause="parse"` and lowered from E to W: the error may be ours."""
    if not inferred:
        return checks
    if inferred & set(REQUEST_ROWS_2021):
        inferred = inferred | {"other_handling"}  # the （六） row is the sum of its sub-rows
    for check in checks:
        if not check.rule.startswith("T3-"):
            continue
        rows = ROWS_READ.get(check.rule, (check.where,))
        if inferred & set(rows):
            mark_parse(check)
    return checks


def blame_placed(checks: list[Check], placed: set[str]) -> list[Check]:
    """Return table 二's `checks` with each failure on a row the parser placed under labels printed away from
    its values (`placed`: row keys) marked `cause="parse"` and lowered from E to W: the placement may be ours."""
    for check in checks:
        if check.where.split(".", 1)[0] in placed:
            mark_parse(check)
    return checks


def check_tables_three_four(
    requests: Requests | None, review: ReviewLitigation | None, ambiguous: set[str], text: str | None,
    inferred: set[str], split: bool,
) -> list[Check]:  # fmt: skip
    """Return the failures of the table 三 and 四 rules; those that read a row the parser placed (`inferred`:
    table 三's rows placed by the official row order; `split`: table 四's values cut from split rows) say
    cause parse, at W."""
    out: list[Check] = []
    if requests is not None:
        out += blame_parse(check_requests(requests, ambiguous, text), inferred)
    if review is not None:
        found = check_review(review, ambiguous, text)
        for check in found if split else ():
            mark_parse(check)
        out += found
    return out


def check_review(table: ReviewLitigation, ambiguous: set[str], text: str | None) -> list[Check]:
    """Return the failures of T4-01…T4-05 on table 四."""
    out: list[Check] = []
    rl = {name: {c: cell.value for c, cell in group.cells()} for name, group in table.groups()}
    if _blank(g.values() for g in rl.values()):
        return [_fail("NUM-03", "review_litigation", "W", message="table 四 is entirely blank")]
    for n, group in enumerate(REVIEW_GROUPS):
        g = rl[group]
        if any(f"review_litigation.{group}.{c}" in ambiguous for c in REVIEW_COLUMNS):
            continue
        s = sum(_z(g[c]) for c in REVIEW_COLUMNS[:4])
        if s != _z(g["total"]):
            out.append(_fail(_REVIEW_RULES[n], group, "E", s, _z(g["total"])))
        for c in REVIEW_COLUMNS:
            if g[c] is not None and (g[c] < 0 or not isinstance(g[c], int)):
                out.append(_fail("T4-04", f"{group}.{c}", "E", found=g[c]))
    quoted = appeal_mentions(text)
    if "review" in quoted and _z(rl["review"]["total"]) not in quoted["review"]:
        out.append(_fail("T4-05", "review", "W", _z(rl["review"]["total"]), quoted["review"][0]))
    lit = _z(rl["litigation_direct"]["total"]) + _z(rl["litigation_after_review"]["total"])
    if "litigation" in quoted and lit not in quoted["litigation"]:
        out.append(_fail("T4-05", "litigation", "W", lit, quoted["litigation"][0]))
    return out


def _get(row: Any, column: str) -> Any:
    """Return the value of a row's column, or None where the row was not found or has no such column."""
    cell = getattr(row, column, None)
    return None if cell is None else cell.value


def check_proactive(table: Proactive2019 | Proactive2021, agency: str | None) -> list[Check]:
    """Return the failures of NUM-01 and T2-01…T2-05 on table 二."""
    out: list[Check] = []
    fmt = table.FORMAT
    if _blank([cell.value for _, cell in row.cells()] for _, row in table.rows()):
        return [_fail("NUM-03", "proactive", "W", message="table 二 is entirely blank")]
    for name, row in table.rows():
        for col, cell in row.cells():
            v, raw = cell.value, cell.raw
            if v is None:
                continue
            if col != "items_change" and v < 0:
                out.append(_fail("T2-01" if fmt == "2021" else "NUM-01", name, "E", found=v, column=col))
            if raw and col == "items_change":
                out.append(_fail("NUM-02", name, "I", found=raw, column=col))
            elif raw and re.search(r"元", raw):
                sev = "W" if fmt == "2021" and "万" not in raw else "I"
                out.append(_fail("NUM-04", name, sev, found=raw, column=col))
    if fmt == "2021":
        fee = _get(table.fees, "amount_wan_yuan")
        if fee is not None and agency and _TOWNSHIP.search(agency) and fee > 10000:
            out.append(_fail("T2-01", "fees", "W", found=fee, message="fee over 10,000 万元 for a 乡镇/街道"))
    regs = table.regulations
    if agency and _TOWNSHIP.search(agency) and regs is not None and any(_z(c.value) for _, c in regs.cells()):
        out.append(_fail("T2-02", "regulations", "W", found=regs.to_dict()))
    if fmt == "2019":
        for name in ("regulations", "normative_documents"):
            row = getattr(table, name)
            made, total = _get(row, "newly_published"), _get(row, "total_published")
            if made is not None and total is not None and total < made:
                out.append(_fail("T2-03", name, "W", f">= {made}", total))
        for name in ("licensing", "other_services", "punishment", "coercion", "fees"):
            row = getattr(table, name)
            prior, change, decisions = (_get(row, c) for c in ("prior_year_items", "items_change", "decisions"))
            if prior is None or change is None:
                continue
            after = prior + change
            if after < 0:
                out.append(_fail("T2-04", name, "W", ">= 0", after))
            if decisions and after == decisions:
                out.append(_fail("T2-05", name, "I", message="上一年项目数量 + 本年增/减 equals 处理决定数量"))
    return out


def check_structure(record: Record, missing_rows: dict[str, list[str]],
                    extra: dict[str, tuple[list[str], list[str]]] | None = None,
                    pictures: int = 0, read_pictures: int = 0, attachments: int = 0,
                    from_report_page: bool = False) -> list[Check]:  # fmt: skip
    """Return the failures of STR-01…STR-05 (parts present, format fits the year, rows present, rows and columns
    beyond the official layout: `extra` maps a table to its added rows' texts and added columns' headers). A table
    not found in a document showing `pictures` not read may be one of them: said, and the cause ours; one not found
    in `read_pictures` read by OCR either may be one OCR could not make out: said, and the cause ours too; one not
    found on a page linking `attachments` documents may be in one of them (a 附表): said, and the cause ours. A part
    not found in a document a report page links (`from_report_page`) may be on that page: said, and the cause ours."""
    out: list[Check] = []
    has_tables = any(getattr(record, t) is not None for t in TABLES)
    for key, text in record.sections.items():
        if text is None and has_tables:
            where = " in the document; the report page that links it may hold it" if from_report_page else ""
            check = _fail("STR-01", key, "E", message=f"part {key} not found{where}")
            if from_report_page:
                mark_parse(check)
            out.append(check)
    year, fmt = record.year, record.format
    if year and fmt:
        want = "2021" if year >= 2021 else "2019" if year >= 2019 else None
        if want is None or fmt != want:
            out.append(_fail("STR-02", "format", "W", want, fmt))
    for table, rows in missing_rows.items():
        for row in rows:
            out.append(_fail("STR-03", f"{table}.{row}", "E", message="official row not found"))
    for table, (rows, columns) in (extra or {}).items():
        out += [_fail("STR-04", table, "I", found=text, message="row not in the official table (kept here as "
                      "printed)") for text in rows]  # fmt: skip
        out += [_fail("STR-04", table, "I", found=text, message="column not in the official table (its cells are "
                      "no row's values)") for text in columns]  # fmt: skip
    for table in TABLES:
        if getattr(record, table) is None:
            if not pictures and not read_pictures and not attachments:
                out.append(_fail("STR-05", table, "W", message="table not found"))
                continue
            if pictures:
                why = (f"table not found; the document shows {pictures} picture(s) not read, which may hold it drawn "
                       "as a picture")  # fmt: skip
            elif read_pictures:
                why = f"table not found in the text nor in the {read_pictures} picture(s) read by OCR"
            else:
                why = f"table not found on the page; it links {attachments} document(s), which may hold it"
            check = _fail("STR-05", table, "W", message=why)
            mark_parse(check)
            out.append(check)
    return out


def check_text(sections: Sections, fmt: str | None) -> list[Check]:
    """Return the failures of TXT-01…TXT-03 (five aspects, fee statement, part 五 content) of a record's parts."""
    out: list[Check] = []
    overview = sections.overview
    if overview:
        for aspect, pattern in _ASPECTS.items():
            if not re.search(pattern, overview):
                out.append(_fail("TXT-01", aspect, "W", message=f"part 一 does not cover {aspect}"))
    if fmt == "2021":
        other = sections.other or ""
        if not re.search(r"信息处理费|处理费", other):
            out.append(_fail("TXT-02", "other", "W", message="part 六 does not state the 信息处理费"))
    problems = sections.problems
    if problems is not None:
        body = re.sub(r"^\S{0,3}[、.]?\S*?(?:改进情况|改进措施)", "", problems).strip(" ：:。\n")
        if len(body) < 10 or body in ("无", "暂无"):
            out.append(_fail("TXT-03", "problems", "W", message="part 五 is empty"))
    return out


def check_scope(agency: str | None, overview: str | None, new_received: int | float | None) -> list[Check]:
    """Return the failures of SCOPE-01 for a 市/区/县 government's report (or its office's): part 一 does not say
    whether its figures are the whole region's (汇总) or the office's own, or it counts the office's own requests
    where table 三's 本年新收 total (`new_received`, None where unread) is another figure."""
    if not agency or not overview or not _LOCAL_GOVERNMENT.search("".join(agency.split())):
        return []
    text = "".join(overview.split())
    for sentence in re.split(r"[。；;]", text):
        m = _RECEIVED.search(sentence)
        if (m and new_received is not None and int(m.group(1)) != new_received
                and _OFFICE_OWN.search(sentence[: m.start()]) and not _WHOLE_REGION.search(sentence)):  # fmt: skip
            return [_fail("SCOPE-01", "new_received", "W", new_received, int(m.group(1)),
                          message="part 一 counts the office's own requests; table 三 holds another figure "
                          "(the whole region's?)")]  # fmt: skip
    if not _WHOLE_REGION.search(text) and not _OFFICE_OWN.search(text):
        return [_fail("SCOPE-01", "scope", "W", message="part 一 does not say whether the figures are the whole "
                      "region's (汇总) or the government office's own")]  # fmt: skip
    return []


def check_time(year: int | None, published_at: str | None, agency: str | None, text: str | None) -> list[Check]:
    """Return the failures of TIME-01…TIME-04, given the publication date (ISO) where known."""
    out: list[Check] = []
    if year and text:
        m = _PERIOD.search(text)
        if m and (int(m.group(1)) != year or int(m.group(2)) != year):
            out.append(_fail("TIME-04", "period", "W", f"{year}-01-01…{year}-12-31", f"{m.group(1)}…{m.group(2)}"))
    if not (year and published_at):
        return out
    try:
        published = dt.date.fromisoformat(published_at[:10])
    except ValueError:
        return [*out, _fail("TIME-01", "published_at", "W", message=f"unreadable date {published_at!r}")]
    due = publication_deadline(year, agency)
    if due is None:
        return out
    rule, deadline = due
    if published > deadline:
        out.append(_fail(rule, "published_at", "W", f"<= {deadline.isoformat()}", published.isoformat()))
    return out
