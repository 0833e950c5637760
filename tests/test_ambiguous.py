"""Each `ambiguous` entry names its cell, the text the cell came from and the readings considered, and why:
the record says what it could not settle instead of guessing. Entries are typed (extractors.Ambiguity), read
back exactly, described by the JSON Schema, and records stored before entries (bare paths) still read."""

from __future__ import annotations

import pytest

from extractors import Ambiguity, Record, ambiguous_cells, extract, record_schema
from extractors.model import Document, Paragraph
from extractors.record import build_record

from .derived_gold import DERIVED

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed: pip install -e '.[test]'")

GLUED = (
    "某某县人民政府2024年政府信息公开工作年度报告 二、主动公开政府信息情况 第二十条第（一）项信息内容本年制发件数"
    "本年废止件数现行有效件数规章000行政规范性文件7777166第二十条第（五）项信息内容本年处理决定数量行政许可12"
)


def _glued_record() -> dict:
    return build_record(Document([Paragraph(GLUED)], carrier="text")).to_dict()


def test_a_glued_row_lists_each_unsettled_cell_with_its_digits_and_cuts():
    record = _glued_record()
    entries = {a["cell"]: a for a in record["ambiguous"]}
    issued = entries["proactive.normative_documents.issued"]
    assert issued["reason"] == "glued"
    assert "7777166" in issued["source_text"] and issued["source_text"].startswith("行政规范性文件")
    assert len(issued["candidates"]) >= 2 and 7 in issued["candidates"] and 77 in issued["candidates"]
    # every candidate is a prefix of the glued digits: a reading of the text, not an invented number
    assert all("7777166".startswith(str(c)) for c in issued["candidates"])
    assert record["proactive"]["normative_documents"]["issued"] is None


def test_a_row_with_fewer_cells_than_columns_lists_where_each_value_could_sit():
    record = extract(DERIVED / "shanghai_municipal_gov_office_2025_pdfextract_md_2021fmt.md")
    entries = {a["cell"]: a for a in record["ambiguous"] if a["reason"] == "short_row"}
    assert record["proactive"]["regulations"] == {"issued": None, "repealed": None, "in_force": None}
    assert entries["proactive.regulations.issued"]["candidates"] == [22, None]
    assert entries["proactive.regulations.repealed"]["candidates"] == [22, 235, None]
    assert entries["proactive.regulations.in_force"]["candidates"] == [235, None]
    assert entries["proactive.regulations.issued"]["source_text"] == "规章 | 22 | 235"


def test_entries_read_back_exactly_and_validate():
    record = _glued_record()
    assert Record.from_dict(record).to_dict()["ambiguous"] == record["ambiguous"]
    validator = jsonschema.Draft202012Validator(record_schema())
    entry_schema = {"$defs": record_schema()["$defs"], **record_schema()["$defs"]["Ambiguity"]}
    check = jsonschema.Draft202012Validator(entry_schema)
    assert not list(check.iter_errors(record["ambiguous"][0]))
    assert list(check.iter_errors({**record["ambiguous"][0], "reason": "guessed"}))  # reasons are a closed list
    assert list(check.iter_errors({k: v for k, v in record["ambiguous"][0].items() if k != "cell"}))
    assert not [e.message for e in validator.iter_errors(extract(DERIVED / "shanghai_sci_tech_commission_2024_pdfextract_md_2021fmt.md"))]


def test_records_stored_before_entries_still_read():
    old = {"ambiguous": ["requests.granted.total", {"cell": "proactive.fees.amount_wan_yuan", "source_text": "x",
                                                     "candidates": [1, 2], "reason": "ocr"}]}  # fmt: skip
    assert ambiguous_cells(old) == ["requests.granted.total", "proactive.fees.amount_wan_yuan"]
    assert ambiguous_cells({}) == [] and ambiguous_cells({"ambiguous": None}) == []
    legacy = Ambiguity.from_dict("requests.granted.total")
    assert legacy.to_dict() == {"cell": "requests.granted.total", "source_text": None, "candidates": [],
                                "reason": "legacy"}  # fmt: skip


def test_the_ocr_reading_is_an_entry_like_any_other():
    entry = Ambiguity("requests.granted.total", "予以公开 1O", [10, 0], "ocr")
    assert Ambiguity.from_dict(entry.to_dict()) == entry


def test_a_long_source_text_is_cut_to_a_bound():
    from extractors.typed_ambiguity import SOURCE_TEXT_MAX, clip

    assert clip("行政许可 " * 500).endswith("…") and len(clip("行政许可 " * 500)) == SOURCE_TEXT_MAX
    assert clip("  a \n b ") == "a b" and clip("") is None
