"""Value rows printed away from their labels (text other tools converted from PDF) are placed by the official
row order and kept only where the table's arithmetic confirms it; otherwise their cells are null and listed in
`ambiguous` with the text they came from. Checked on the two derived documents of fixtures/derived/ (gold read
by hand) and on tables built here, where the right answer is known by construction."""

from __future__ import annotations

import pytest

from extractors import extract
from extractors.checks import blame_parse
from extractors.typed_record import Check

from .derived_gold import gold_paths, load, measure, record_cell
from .goldcmp import compare
from .quality_gate import doc_hash, load_gate

GOLD = gold_paths()


@pytest.fixture(scope="module", params=GOLD, ids=[p.name.split(".")[0] for p in GOLD])
def derived(request):
    gold, doc = load(request.param)
    return request.param, gold, doc, extract(doc)


def test_the_derived_documents_have_gold():
    assert len(GOLD) == 5  # two real derived documents, three built from seeds with tables 二 and 四 detached


def test_every_filled_cell_is_what_the_report_states(derived):
    _, gold, _, record = derived
    m = measure(record, gold)
    assert m.cells > 190
    assert not m.wrong, "\n".join(m.wrong)
    # the cells the text itself leaves blank or unsettled are the only misses
    assert m.right >= m.cells - 4 - len(gold.get("unsettled") or [])


def test_cells_the_text_does_not_settle_are_null_and_listed_as_detached(derived):
    _, gold, _, record = derived
    entries = {a["cell"]: a for a in record["ambiguous"]}
    for path in gold.get("unsettled") or []:
        assert record_cell(record, path) is None, path
        assert entries[path]["reason"] == "detached" and entries[path]["source_text"], entries.get(path)


def test_every_null_cell_is_listed_with_its_text(derived):
    _, gold, _, record = derived
    blank = set(gold.get("blank_in_text") or [])
    assert [p for p in measure(record, gold).unflagged if p not in blank] == []
    for entry in record["ambiguous"]:
        assert set(entry) == {"cell", "source_text", "candidates", "reason"}
        assert entry["source_text"] and entry["candidates"], entry
        assert entry["reason"] in ("glued", "detached", "short_row"), entry


def test_no_table_error_blames_the_publisher(derived):
    _, gold, _, record = derived
    assert measure(record, gold).blamed == []


def test_gate_floor_holds(derived):
    path, gold, doc, record = derived
    pin = load_gate()["derived"][doc.stem]
    assert doc_hash(path, doc) == pin["sha256"], "gold or document changed since pinned: python -m tests.quality_gate --pin"
    assert compare(record, gold).value >= pin["floor"]


# -- tables built here: a 2021 table 三 whose rows are known ------------------------------------------
ROWS = [  # (label, values): every outcome row of the 2021 form, then 总计 and 结转
    ("一、本年新收政府信息公开申请数量", [30, 2, 0, 0, 0, 0, 32]),
    ("二、上年结转政府信息公开申请数量", [3, 0, 0, 0, 0, 0, 3]),
    ("（一）予以公开", [10, 1, 0, 0, 0, 0, 11]),
    ("（二）部分公开", [2, 0, 0, 0, 0, 0, 2]),
    ("1.属于国家秘密", [0, 0, 0, 0, 0, 0, 0]),
    ("2.其他法律行政法规禁止公开", [1, 0, 0, 0, 0, 0, 1]),
    ("3.危及“三安全一稳定”", [0, 0, 0, 0, 0, 0, 0]),
    ("4.保护第三方合法权益", [0, 0, 0, 0, 0, 0, 0]),
    ("5.属于三类内部事务信息", [3, 0, 0, 0, 0, 0, 3]),
    ("6.属于四类过程性信息", [0, 0, 0, 0, 0, 0, 0]),
    ("7.属于行政执法案卷", [0, 0, 0, 0, 0, 0, 0]),
    ("8.属于行政查询事项", [0, 0, 0, 0, 0, 0, 0]),
    ("1.本机关不掌握相关政府信息", [5, 1, 0, 0, 0, 0, 6]),
    ("2.没有现成信息需要另行制作", [7, 0, 0, 0, 0, 0, 7]),
    ("3.补正后申请内容仍不明确", [0, 0, 0, 0, 0, 0, 0]),
    ("1.信访举报投诉类申请", [1, 0, 0, 0, 0, 0, 1]),
    ("2.重复申请", [0, 0, 0, 0, 0, 0, 0]),
    ("3.要求提供公开出版物", [0, 0, 0, 0, 0, 0, 0]),
    ("4.无正当理由大量反复申请", [0, 0, 0, 0, 0, 0, 0]),
    ("5.要求行政机关确认或重新出具已获取信息", [0, 0, 0, 0, 0, 0, 0]),
    ("1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", [2, 0, 0, 0, 0, 0, 2]),
    ("2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", [0, 0, 0, 0, 0, 0, 0]),
    ("3.其他", [1, 0, 0, 0, 0, 0, 1]),
    ("（七）总计", [32, 2, 0, 0, 0, 0, 34]),
    ("四、结转下年度继续办理", [1, 0, 0, 0, 0, 0, 1]),
]
KEYS = ["new_received", "carried_over", "granted", "partially_granted", "withheld_state_secret",
        "withheld_prohibited_by_law", "withheld_security_stability", "withheld_third_party_rights",
        "withheld_internal_affairs", "withheld_process_info", "withheld_enforcement_file",
        "withheld_administrative_query", "unavailable_not_held", "unavailable_needs_creation", "unavailable_unclear",
        "rejected_petition", "rejected_duplicate", "rejected_publication", "rejected_excessive", "rejected_reconfirm",
        "other_overdue_correction", "other_overdue_fee", "other_misc", "total_processed", "carried_forward"]  # fmt: skip


def _line(cells: list[object]) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _document(detached: set[int], rows: list[tuple[str, list[int]]] = ROWS, drop: set[int] = frozenset()) -> bytes:
    """Return a Markdown report whose table 三 prints the rows `detached` (indexes into ROWS) as value rows
    without labels, their labels gathered in a line of text before them, as PDF converters do; rows in
    `drop` print their label but no values."""
    out = ["某某县人民政府2024年政府信息公开工作年度报告", "一、总体情况", "本年度工作有序推进。",
           "三、收到和处理政府信息公开申请情况", "申请人情况"]  # fmt: skip
    i = 0
    while i < len(rows):
        if i not in detached:
            out += [_line([rows[i][0], *rows[i][1]]), "|---|---|---|---|---|---|---|---|", ""]
            i += 1
            continue
        run = []
        while i < len(rows) and i in detached:
            run.append(i)
            i += 1
        out.append("".join(rows[j][0] for j in run))
        kept = [j for j in run if j not in drop]
        for n, j in enumerate(kept):
            out.append(_line(rows[j][1]))
            if n == 0:
                out.append("|---|---|---|---|---|---|---|")
        out.append("")
    out += ["四、政府信息公开行政复议、行政诉讼情况", "五、政府信息公开工作存在的主要问题及改进情况", "无。",
            "六、其他需要报告的事项", "本机关未收取信息处理费。"]  # fmt: skip
    return "\n".join(out).encode("utf-8")


def _cells(record: dict, key: str) -> list:
    return record["requests"].get(key)


def _entries(record: dict, reason: str) -> dict[str, dict]:
    return {a["cell"]: a for a in record["ambiguous"] if a["reason"] == reason}


def test_the_built_table_reads_whole_when_every_row_keeps_its_label():
    record = extract(_document(set()), name="r.md")
    assert [_cells(record, k) for k in KEYS] == [v for _, v in ROWS]
    assert record["ambiguous"] == []


@pytest.mark.parametrize("detached", [{3}, {8, 12, 13}, {12, 13, 14}, {18, 19, 20, 21}, {3, 8, 12, 13, 20}])
def test_detached_rows_are_placed_where_the_arithmetic_confirms_them(detached):
    record = extract(_document(detached), name="r.md")
    assert [_cells(record, k) for k in KEYS] == [v for _, v in ROWS]
    assert record["ambiguous"] == []
    assert not [c for c in record["checks"] if c["rule"].startswith("T3-")]


def test_rows_that_do_not_add_up_are_left_null_and_listed_with_their_text():
    rows = list(ROWS)
    rows[12] = (rows[12][0], [9, 1, 0, 0, 0, 0, 10])  # 不掌握 now 10: 总计 no longer adds up in two columns
    record = extract(_document({12, 13, 14}, rows), name="r.md")
    for key in ("unavailable_not_held", "unavailable_needs_creation", "unavailable_unclear"):
        assert _cells(record, key) == [None] * 7
    entries = _entries(record, "detached")
    assert len(entries) == 21
    first = entries["requests.unavailable_not_held.natural_person"]
    assert first["candidates"] == [9] and "9 | 1 | 0" in first["source_text"] and "7 | 0" in first["source_text"]
    # the rows around are read as printed, and no check blames the publisher for cells it did not place
    assert _cells(record, "withheld_administrative_query") == [0] * 7 and _cells(record, "rejected_petition") == ROWS[15][1]
    assert not [c for c in record["checks"] if c["rule"] == "T3-03"]


def test_fewer_value_rows_than_rows_leave_the_placement_unsettled():
    # 不掌握, 没有现成信息 and 补正后 print their labels but only two value rows: which one printed none?
    record = extract(_document({12, 13, 14}, drop={14}), name="r.md")
    entries = _entries(record, "detached")
    cell = entries["requests.unavailable_needs_creation.natural_person"]
    assert _cells(record, "unavailable_needs_creation")[0] is None
    assert set(cell["candidates"]) == {5, 7, None}
    assert _cells(record, "granted") == ROWS[2][1]


def test_a_labelled_row_printed_out_of_order_bounds_no_gap():
    rows = list(ROWS)
    rows[15], rows[16] = rows[16], rows[15]  # 重复申请 printed before 信访举报投诉, each with its own values
    record = extract(_document({12, 13, 14}, rows), name="r.md")
    assert [_cells(record, k) for k in KEYS] == [v for _, v in ROWS]
    assert record["ambiguous"] == []


def test_a_label_right_above_its_values_needs_no_arithmetic_and_a_publisher_error_is_still_reported():
    rows = list(ROWS)
    rows[23] = (rows[23][0], [33, 2, 0, 0, 0, 0, 35])  # the publisher's 总计 is one too many
    record = extract(_document({3, 12}, rows), name="r.md")  # each label on its own line over its values
    assert _cells(record, "partially_granted") == ROWS[3][1] and _cells(record, "unavailable_not_held") == ROWS[12][1]
    assert record["ambiguous"] == []
    t303 = [c for c in record["checks"] if c["rule"] == "T3-03"]
    assert t303 and all(c["severity"] == "E" and "cause" not in c for c in t303)


def test_a_failure_on_a_placed_row_is_the_parsers_not_the_publishers():
    checks = [Check("T3-02", "unavailable_not_held", "E", 3, 4), Check("T3-02", "granted", "E", 1, 2),
              Check("T3-03", "natural_person", "E", 5, 6), Check("T3-01", "total", "E", 7, 8),
              Check("T4-01", "review", "E", 1, 2)]  # fmt: skip
    out = {(c.rule, c.where): (c.severity, c.cause) for c in blame_parse(checks, {"unavailable_not_held"})}
    assert out[("T3-02", "unavailable_not_held")] == ("W", "parse")
    assert out[("T3-03", "natural_person")] == ("W", "parse")  # 总计 sums the placed row
    assert out[("T3-02", "granted")] == ("E", None) and out[("T3-01", "total")] == ("E", None)
    assert out[("T4-01", "review")] == ("E", None)
    assert Check("T3-02", "x", "W", cause="parse").to_dict()["cause"] == "parse"


# -- tables 二 and 四 printed away from their labels -------------------------------------------------
def _rule(n: int) -> str:
    return "|" + "---|" * n


def _grid(*values: object) -> list[str]:
    return [_line(list(values)), _rule(len(values))]


def _report(table2: list[str], table4: list[str]) -> bytes:
    """Return a 2021-form report with the given table 二 and 四 lines and a whole table 三 (ROWS)."""
    out = ["某某县人民政府2024年政府信息公开工作年度报告", "一、总体情况", "本年度工作有序推进。",
           "二、主动公开政府信息情况", *table2, "", "三、收到和处理政府信息公开申请情况", "申请人情况"]  # fmt: skip
    for label, values in ROWS:
        out += _grid(label, *values)
    out += ["", "四、政府信息公开行政复议、行政诉讼情况", "行政复议行政诉讼", "未经复议直接起诉复议后起诉",
            "维持纠正结果审结维持纠正结果审结", *table4, "", "五、政府信息公开工作存在的主要问题及改进情况", "无。",
            "六、其他需要报告的事项", "本机关未收取信息处理费。"]  # fmt: skip
    return "\n".join(out).encode("utf-8")


T2_HEAD = ["第二十条第（一）项", "信息内容本年制发件数本年废止件数现行有效件数"]
T2_FEES = ["第二十条第（八）项", "信息内容本年收费金额（单位：万元）", *_grid("行政事业性收费", "12.5")]
T4_ROW = _grid(2, 1, 3, 1, 7, 0, 0, 0, 0, 0, 13, 2, 4, 0, 19)
REVIEW = {"review": {"upheld": 2, "corrected": 1, "other": 3, "pending": 1, "total": 7},
          "litigation_direct": {"upheld": 0, "corrected": 0, "other": 0, "pending": 0, "total": 0},
          "litigation_after_review": {"upheld": 13, "corrected": 2, "other": 4, "pending": 0, "total": 19}}  # fmt: skip


def test_table_two_rows_under_their_gathered_labels_are_placed_by_those_labels():
    table2 = [*T2_HEAD, "规章", "规范性文件", *_grid(1, 0, 4), *_grid(62, 33, 440), "第二十条第（五）项",
              "信息内容本年处理决定数量", "行政许可", "第二十条第（六）项", "信息内容本年处理决定数量", "行政处罚", "行政强制",
              *_grid(4529), *_grid(1100), *_grid(65), *T2_FEES]  # fmt: skip
    record = extract(_report(table2, T4_ROW), name="r.md")
    pro = record["proactive"]
    assert pro["regulations"] == {"issued": 1, "repealed": 0, "in_force": 4}
    assert pro["normative_documents"] == {"issued": 62, "repealed": 33, "in_force": 440}
    assert [pro[k]["decisions"] for k in ("licensing", "punishment", "coercion")] == [4529, 1100, 65]
    assert pro["fees"]["amount_wan_yuan"] == 12.5 and record["ambiguous"] == []


def test_a_table_two_value_row_no_label_names_is_null_with_its_readings():
    # 行政处罚's label is lost: three one-number rows under two labels, so no row is certain
    table2 = [*T2_HEAD, *_grid("规章", 0, 0, 0), *_grid("规范性文件", 5, 0, 9), "第二十条第（五）项",
              "信息内容本年处理决定数量", "行政许可", "第二十条第（六）项", "信息内容本年处理决定数量", "行政强制",
              *_grid(4529), *_grid(1100), *_grid(65), *T2_FEES]  # fmt: skip
    record = extract(_report(table2, T4_ROW), name="r.md")
    pro = record["proactive"]
    assert [pro[k]["decisions"] for k in ("licensing", "punishment", "coercion")] == [None, None, None]
    entries = _entries(record, "detached")
    assert set(entries) == {f"proactive.{k}.decisions" for k in ("licensing", "punishment", "coercion")}
    lic, pun = entries["proactive.licensing.decisions"], entries["proactive.punishment.decisions"]
    assert lic["candidates"] == [4529, None] and pun["candidates"] == [1100, None]  # the order's reading, or none
    assert "4529" in lic["source_text"] and "65" in lic["source_text"]
    assert pro["normative_documents"] == {"issued": 5, "repealed": 0, "in_force": 9}


def test_table_four_split_around_a_stray_row_is_read_where_its_arithmetic_confirms_it():
    t4 = [*_grid(2, 1, 3, 1, 7, 0, 0), *_grid(6), *_grid(0, 0, 0, 13, 2, 4, 0, 19)]  # the page number in the grid
    record = extract(_report([*T2_HEAD, *_grid("规章", 0, 0, 0), *T2_FEES], t4), name="r.md")
    assert record["review_litigation"] == REVIEW and record["ambiguous"] == []
    assert not [c for c in record["checks"] if c["rule"].startswith("T4-")]


def test_table_four_rows_no_single_reading_confirms_are_null_and_listed():
    t4 = [*_grid(1, 0, 0, 0, 1), *_grid(4), *_grid(0, 0, 0, 0, 0), *_grid(2, 0, 0, 0, 2), *_grid(0, 0, 0, 0, 0)]
    record = extract(_report([*T2_HEAD, *_grid("规章", 0, 0, 0), *T2_FEES], t4), name="r.md")
    assert all(v is None for g in record["review_litigation"].values() for v in g.values())
    entries = _entries(record, "detached")
    assert len(entries) == 15
    assert set(entries["review_litigation.review.upheld"]["candidates"]) == {1, 0}
    assert "2 | 0 | 0 | 0 | 2" in entries["review_litigation.review.upheld"]["source_text"]
    assert not [c for c in record["checks"] if c["rule"].startswith("T4-")]


def test_table_four_split_in_order_with_a_publisher_error_is_read_as_printed_and_reported():
    t4 = [*_grid(2, 1, 3, 1, 8), *_grid(0, 0, 0, 0, 0, 13, 2, 4, 0, 19)]  # 2 + 1 + 3 + 1 is 7, not 8
    record = extract(_report([*T2_HEAD, *_grid("规章", 0, 0, 0), *T2_FEES], t4), name="r.md")
    assert record["review_litigation"]["review"]["total"] == 8 and record["ambiguous"] == []
    t401 = [c for c in record["checks"] if c["rule"] == "T4-01"]
    assert t401 and t401[0]["severity"] == "E" and "cause" not in t401[0]


def test_table_four_in_one_row_ending_in_blank_cells_is_read_as_printed():
    t4 = _grid(2, 1, 3, 1, 7, *[""] * 10)
    record = extract(_report([*T2_HEAD, *_grid("规章", 0, 0, 0), *T2_FEES], t4), name="r.md")
    assert record["review_litigation"]["review"] == REVIEW["review"] and record["ambiguous"] == []
    assert record["review_litigation"]["litigation_direct"]["total"] is None


def _checks(record: dict, rule: str) -> list[dict]:
    return [c for c in record["checks"] if c["rule"] == rule]


def test_a_table_two_failure_on_a_row_placed_by_gathered_labels_is_the_parsers():
    # T2-02: a 镇 reports 规章; its values were printed away from the label, so the row may be misplaced by us
    gathered = [*T2_HEAD, "规章", "规范性文件", *_grid(1, 0, 4), *_grid(62, 33, 440), *T2_FEES]
    labelled = [*T2_HEAD, *_grid("规章", 1, 0, 4), *_grid("规范性文件", 62, 33, 440), *T2_FEES]
    township = {"某某县人民政府".encode(): "某某镇人民政府".encode()}
    placed, printed = (extract(_retitle(_report(t2, T4_ROW), township), name="r.md") for t2 in (gathered, labelled))
    assert placed["proactive"]["regulations"] == printed["proactive"]["regulations"] == {"issued": 1, "repealed": 0, "in_force": 4}
    assert [(c["severity"], c.get("cause")) for c in _checks(placed, "T2-02")] == [("W", "parse")]
    assert [(c["severity"], c.get("cause")) for c in _checks(printed, "T2-02")] == [("W", None)]


def test_a_table_four_failure_on_values_cut_from_split_rows_is_the_parsers():
    # The prose says 9 reviews, table 四 says 7: T4-05 blames the report only where table 四 was read as printed
    prose = {"本年度工作有序推进。".encode(): "本年度工作有序推进，全年行政复议案件9件。".encode()}
    split = [*_grid(2, 1, 3, 1, 7, 0, 0), *_grid(6), *_grid(0, 0, 0, 13, 2, 4, 0, 19)]
    cut, whole = (extract(_retitle(_report([*T2_HEAD, *_grid("规章", 0, 0, 0), *T2_FEES], t4), prose), name="r.md")
                  for t4 in (split, T4_ROW))  # fmt: skip
    assert cut["review_litigation"] == whole["review_litigation"] == REVIEW
    assert [(c["severity"], c.get("cause")) for c in _checks(cut, "T4-05")] == [("W", "parse")]
    assert [(c["severity"], c.get("cause")) for c in _checks(whole, "T4-05")] == [("W", None)]


def _retitle(data: bytes, changes: dict[bytes, bytes]) -> bytes:
    for old, new in changes.items():
        assert old in data
        data = data.replace(old, new)
    return data
