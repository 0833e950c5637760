"""What is published beside reports is never read as one, however much of a report it quotes: a 解读 or 图解
page, a notice about reports (格式通知 with the blank official tables, 公布情况). The reports themselves still are."""

from __future__ import annotations

import pytest

from extractors import NotAReport, extract_record
from fixtures.web2 import reports as R


def _page(doc: R.Doc) -> bytes:
    return f"<html><head><title>{doc.title}</title></head><body><h1>{doc.title}</h1>{R.render_html_body(doc)}" \
           "</body></html>".encode()  # fmt: skip


@pytest.mark.parametrize(("doc", "word"), [
    (R.negative_jiedu("某县人民政府", 2024, 1), "解读"),
    (R.negative_jiedu("某县教育局", 2023, 2, title="图文解读：某县教育局2023年政府信息公开工作年度报告"), "解读"),
    (R.negative_format_notice("某市人民政府办公室", 2024, 3), "notice"),
    (R.negative_gongbu("某县", 2024, [("某县教育局", "/nb/1.html")], 4), "公布情况"),
])  # fmt: skip
def test_pages_beside_reports_are_not_reports(doc: R.Doc, word: str) -> None:
    with pytest.raises(NotAReport) as raised:
        extract_record(_page(doc), name="page.html")
    assert raised.value.reason.startswith("not an annual report") and word in raised.value.reason


def test_the_report_those_pages_speak_of_is_still_a_report() -> None:
    doc = R.make_report("某县人民政府", 2024, seed=5)
    record = extract_record(_page(doc), name="report.html")
    assert record.year == 2024 and record.requests
