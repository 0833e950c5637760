"""All the text forms real dumps take parse to the gold: tab cells, pipes, Markdown, spaces, newlines."""

from __future__ import annotations

import json

import pytest

from extractors import extract

from .conftest import CORPUS, need_shared
from .goldcmp import compare
from .render_text import render

SEEDS_2019 = ["000_0582bdc917ce8ee9", "001_ff3c35068f44430d", "003_b1632cd7fd96cc49"]


@pytest.mark.parametrize("layout", ["markdown", "pipes", "spaces", "newlines"])
@pytest.mark.parametrize("seed", SEEDS_2019)
def test_layout_parses_to_gold(seed, layout):
    need_shared()
    gold = json.loads((CORPUS / "gold" / f"{seed}.json").read_text(encoding="utf-8"))
    text = render(gold, layout)
    record = extract(text.encode("utf-8"), name=f"{seed}.{'md' if layout == 'markdown' else 'txt'}")
    score = compare(record, gold)
    assert not score.diffs, "\n".join(f"{p}: got {g!r}, want {w!r}" for p, g, w in score.diffs[:20])


def test_header_labels_broken_across_lines_and_tab_cells():
    need_shared()
    text = (CORPUS / "seeds" / "000_0582bdc917ce8ee9.txt").read_text(encoding="utf-8")
    assert "本年新\n制作数量" in text
    record = extract(text.encode("utf-8"))
    assert record["format"] == "2019"
    assert record["proactive"]["regulations"] == {"newly_made": 0, "newly_published": 0, "total_published": 0}


def test_gbk_text_is_decoded():
    need_shared()
    text = (CORPUS / "seeds" / "003_b1632cd7fd96cc49.txt").read_text(encoding="utf-8")
    record = extract(text.encode("gb18030"))
    assert record["agency"] == "蒲纺工业园区"
    assert record["requests"]["new_received"] == [0, 0, 0, 0, 0, 0, 0]


def test_xlsx_workbook_with_merged_cells_parses_to_gold(tmp_path):
    """A report kept as a spreadsheet (tables as sheet rows, headings in merged cells) gives the gold."""
    import openpyxl

    from .render_text import rows_2019

    need_shared()
    gold = json.loads((CORPUS / "gold" / "001_ff3c35068f44430d.json").read_text(encoding="utf-8"))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([f"{gold['agency']}{gold['year']}年政府信息公开工作年度报告"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=9)
    for heading, rows in rows_2019(gold):
        ws.append([heading])
        ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=9)
        for row in rows:
            ws.append([int(c) if c.lstrip("-").isdigit() else c for c in row])
    path = tmp_path / "report.xlsx"
    wb.save(path)
    record = extract(path)
    assert record["carrier"] == "xlsx"
    score = compare(record, gold)
    assert not score.diffs, "\n".join(f"{p}: got {g!r}, want {w!r}" for p, g, w in score.diffs[:20])
