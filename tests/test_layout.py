"""The shared table layout (extractors/layout.py): its keys are the record's, its labels the official ones."""

from __future__ import annotations

import re

from extractors import extract
from extractors.labels import OFFICIAL_LABELS
from extractors.layout import FORMATS, check_cells, failing_cells, layout, record_layouts, wide_cells
from extractors.typed_tables import (
    PROACTIVE_COLUMNS,
    REQUEST_COLUMNS,
    REQUEST_ROWS,
    REQUEST_ROWS_2021,
    REVIEW_COLUMNS,
    REVIEW_GROUPS,
)

from .conftest import ROOT


def _letters(text: str) -> str:
    return re.sub(r"\W", "", text)


def test_every_record_cell_is_in_the_layout_of_its_format_once():
    for fmt in FORMATS:
        cells = [(c.row, c.column) for c in layout("proactive", fmt).cells()]
        expected = [(r, c) for r, cols in PROACTIVE_COLUMNS[fmt].items() for c in cols]
        assert sorted(cells) == sorted(expected)
        rows = [r.key for r in layout("requests", fmt).blocks[0].rows]
        assert rows == [r for r in REQUEST_ROWS if fmt == "2021" or r not in REQUEST_ROWS_2021]
        assert {c.row for c in layout("review_litigation", fmt).cells()} == set(REVIEW_GROUPS)


def test_wide_names_and_headers_are_unique_and_cover_both_formats():
    cells = wide_cells()
    assert len({c.name for c in cells}) == len(cells) == len({c.header for c in cells})
    assert sum(c.table == "requests" for c in cells) == len(REQUEST_ROWS) * len(REQUEST_COLUMNS)
    assert next(c for c in cells if c.name == "requests.new_received.natural_person").header == "表三 一、本年新收 自然人"


def test_row_labels_are_the_official_wording():
    for fmt in FORMATS:
        for row in layout("requests", fmt).blocks[0].rows:
            official = OFFICIAL_LABELS.get(row.key)
            if official:
                assert any(_letters(alt) in _letters(row.label) for alt in official.split("|")), row.label


def test_header_spans_fill_the_grid():
    for table in ("proactive", "requests", "review_litigation"):
        for fmt in FORMATS:
            for block in layout(table, fmt).blocks:
                width = block.label_columns + len(block.rows[0].cells)
                taken = [0] * len(block.header)
                for i, cells in enumerate(block.header):
                    for cell in cells:
                        for j in range(i, i + cell.rowspan):
                            taken[j] += cell.colspan
                assert taken == [width] * len(block.header), (table, fmt, block.title)


def test_cells_read_a_real_record():
    record = extract(ROOT / "nianbao/demo/corpus/real/pingtan_zone_2022_txt_2021fmt.txt")
    pro, req, rev = record_layouts(record)
    assert req.format == "2021" and pro.format == record["table_formats"]["proactive"]
    first = next(req.cells())
    assert first.value(record) == record["requests"]["new_received"][0]
    total = next(c for c in rev.cells() if c.row == "review" and c.column == "total")
    assert total.value(record) == record["review_litigation"]["review"]["total"]


def test_failed_checks_land_on_the_cells_they_add_up():
    assert check_cells({"rule": "T3-02", "where": "granted"}) == tuple(f"requests.granted.{c}" for c in REQUEST_COLUMNS)
    per_column = check_cells({"rule": "T3-01", "where": "total"})
    assert set(per_column) == {f"requests.{r}.total" for r in ("new_received", "carried_over", "total_processed",
                                                               "carried_forward")}
    assert check_cells({"rule": "NUM-04", "where": "procurement", "column": "amount_wan_yuan"}) == (
        "proactive.procurement.amount_wan_yuan",)
    assert len(check_cells({"rule": "T4-01", "where": "review"})) == len(REVIEW_COLUMNS)
    assert check_cells({"rule": "TXT-01", "where": "主动公开"}) == ()
    record = {"checks": [{"rule": "T3-06", "where": "new_received", "severity": "W"}]}
    assert list(failing_cells(record)) == ["requests.new_received.total"]
    # The text's figure against the table's: SCOPE-01 is about the row's 总计 too; its "scope" and STR-04's table are
    # about no one cell.
    assert check_cells({"rule": "SCOPE-01", "where": "new_received"}) == ("requests.new_received.total",)
    assert check_cells({"rule": "SCOPE-01", "where": "scope"}) == ()
    assert check_cells({"rule": "STR-04", "where": "proactive", "found": "其他主动公开文件 | 12 | 12 | 88"}) == ()
