"""Real published documents without gold records, checked against what their sources say (SOURCES.md)."""

from __future__ import annotations

import pytest

from extractors import ExtractionError, extract

from .conftest import CORPUS, need_shared


def _real(name):
    need_shared()
    return extract(CORPUS / "real" / name)


def test_shanghai_2019_html_blank_cells_and_key_row_totals():
    r = _real("shanghai_gov_office_2019_html_2019fmt.html")
    req = r["requests"]
    assert (r["format"], r["year"], r["agency"]) == ("2019", 2019, "上海市人民政府办公厅")
    assert req["new_received"][0] + req["carried_over"][0] == req["total_processed"][0] + req["carried_forward"][0]
    assert (req["new_received"][6], req["carried_over"][6], req["total_processed"][6], req["carried_forward"][6]) == (
        859, 18, 805, 72)  # fmt: skip
    assert req["granted"][6] is None  # 总计 filled on key rows only: blank stays null
    assert r["proactive"]["procurement"]["amount_wan_yuan"] == 25.1
    assert not [c for c in r["checks"] if c["severity"] == "E"]


def test_suqian_markdown_conversion_with_split_mini_tables():
    r = _real("suqian_shuyang_county_gov_2025_md_converted_2021fmt.md")
    req = r["requests"]
    assert req["new_received"][6] + req["carried_over"][6] == 749
    assert (req["total_processed"][6], req["carried_forward"][6]) == (718, 31)
    assert r["review_litigation"]["review"]["total"] == 61
    assert not [c for c in r["checks"] if c["severity"] == "E"]


def test_hongze_2024_hybrid_has_the_2019_single_row():
    r = _real("huaian_hongze_district_gov_2024_pdf_hybrid_2021t2_2019t3.pdf")
    assert r["format"] == "mixed"
    assert "other_overdue_correction" not in r["requests"] and len(r["requests"]) == 23


def test_huaian_table_split_across_pages():
    r = _real("huaian_city_gov_2024_pdf_2021fmt.pdf")
    assert len(r["requests"]) == 26
    assert r["requests"]["unavailable_needs_creation"] == [11, 0, 0, 0, 0, 0, 11]
    assert r["review_litigation"]["review"]["total"] == 351


def test_legacy_2018_report_is_no_official_format():
    r = _real("pingtan_zone_2018_txt_legacy_pre2019fmt.txt")
    assert r["year"] == 2018 and r["format"] is None
    assert r["proactive"] is None and r["requests"] is None


def test_letter_filed_in_the_report_column_is_refused():
    need_shared()
    with pytest.raises(ExtractionError, match="not an annual report"):
        extract(CORPUS / "real" / "NEGATIVE_pingtan_zone_2014_letter_in_nianbao_column_not_a_report.txt")


@pytest.mark.parametrize(
    "name",
    ["pingtan_zone_2024_txt_2021fmt.txt", "shanghai_sci_tech_commission_2024_pdfextract_md_2021fmt.md",
     "shanghai_municipal_gov_office_2025_pdfextract_md_2021fmt.md"],
)  # fmt: skip
def test_other_real_documents_give_records(name):
    r = _real(name)
    assert r["format"] == "2021" and r["year"] in (2024, 2025)
    assert r["requests"] and r["proactive"]


@pytest.mark.parametrize(
    "name", ["huaian_city_gov_2024_pdf_2021fmt", "huaian_hongze_district_gov_2024_pdf_hybrid_2021t2_2019t3"]
)
def test_real_pdf_read_without_its_ruling_lines_still_matches_the_gold(name, monkeypatch):
    """The real PDFs with every line and rectangle dropped: only the words and their positions are left.

    No unruled copy of these reports exists, so the page is filtered to its characters before reading:
    the same words at the same places, as a PDF drawn without borders would hold them.
    """
    import json

    from extractors.readers import pdf

    from .goldcmp import compare

    need_shared()
    ruled = pdf._page_blocks
    monkeypatch.setattr(pdf, "_page_blocks", lambda page, *more: ruled(page.filter(lambda o: o["object_type"] == "char"), *more))
    record = extract(CORPUS / "real" / f"{name}.pdf")
    score = compare(record, json.loads((CORPUS / "gold" / f"{name}.json").read_text(encoding="utf-8")))
    print(f"\n{name} without ruling lines: {score.matched}/{score.total}")
    assert not score.diffs, "\n".join(f"{p}: got {g!r}, want {w!r}" for p, g, w in score.diffs[:20])
