"""Every carrier on real bytes: each rendered fixture document gives the record of its gold."""

from __future__ import annotations

import json

import pytest

from extractors import extract
from extractors.readers.office import soffice

from .conftest import DOCUMENTS
from .goldcmp import compare

CASES = sorted(p for p in DOCUMENTS.glob("*") if (p / "expected.json").exists())


def _input(case):
    return next(case.glob("input.*"))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fixture_document_matches_expected(case):
    meta = json.loads((case / "meta.json").read_text(encoding="utf-8"))
    if meta["carrier"] in ("doc", "wps") and soffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed: DOC/WPS cannot be read here")
    path = _input(case)
    record = extract(path)
    assert record["carrier"] == meta["carrier"], "the reader was not chosen by content"
    score = compare(record, json.loads((case / "expected.json").read_text(encoding="utf-8")))
    print(f"\n{case.name}: {score.matched}/{score.total}")
    assert not score.diffs, "\n".join(f"{p}: got {g!r}, want {w!r}" for p, g, w in score.diffs[:30])


def test_every_carrier_is_covered():
    carriers = {json.loads((c / "meta.json").read_text(encoding="utf-8"))["carrier"] for c in CASES}
    assert {"html", "docx", "pdf", "doc", "wps"} <= carriers


@pytest.mark.parametrize("case", [c for c in CASES if c.name.endswith(("_pdf", "_docx"))][:2], ids=str)
def test_reader_chosen_by_content_not_name(case, tmp_path):
    """A document saved under a misleading name is still read by the reader its bytes call for."""
    disguised = tmp_path / "report.txt"
    disguised.write_bytes(_input(case).read_bytes())
    meta = json.loads((case / "meta.json").read_text(encoding="utf-8"))
    assert extract(disguised)["carrier"] == meta["carrier"]


def test_text_that_mentions_markup_is_still_text():
    """A text dump naming "<table>" or "<br>" in a sentence is not an HTML page; markup that opens a file is."""
    from extractors.sniff import sniff

    dump = "某某局2023年政府信息公开工作年度报告\n说明：表格原为 <table> 排版，<br> 已去掉。\n一、总体情况\n".encode()
    assert sniff(dump, "x.txt") == "text"
    assert sniff("<p>一、总体情况</p><p>二、主动公开</p>".encode(), "x.txt") == "html"
    assert sniff(("页面\n" + "<div><p>段落</p></div>" * 5).encode(), None) == "html"
    assert sniff(dump, "x.txt", media_type="text/html") == "html"  # the server says so


@pytest.mark.parametrize("case", sorted(DOCUMENTS.glob("*_pdf_unruled")), ids=lambda p: p.name)
def test_unruled_pdf_fails_exactly_the_checks_of_its_ruled_twin(case):
    """Structure too: every row found (no STR-03), the same parts, the same arithmetic, as with rulings."""
    ruled = DOCUMENTS / case.name.replace("_pdf_unruled", "_pdf")

    def checks(path):
        return sorted((c["rule"], str(c["where"])) for c in extract(path / "input.pdf")["checks"])

    assert checks(case) == checks(ruled)


@pytest.mark.parametrize("case", ["seed000", "seed004"])
def test_report_laid_out_inside_an_outer_table(case):
    """A layout table around the whole report (DOCX and HTML): its nested data tables are still the tables."""
    import io

    from docx import Document as Docx
    from docx.oxml.ns import qn

    gold = json.loads((DOCUMENTS / f"{case}_docx" / "expected.json").read_text(encoding="utf-8"))
    document = Docx(str(DOCUMENTS / f"{case}_docx" / "input.docx"))
    outer = document.add_table(rows=1, cols=1)
    cell = outer.cell(0, 0)._tc
    for child in list(document.element.body):
        if child is not outer._tbl and child.tag != qn("w:sectPr"):
            cell.append(child)
    buffer = io.BytesIO()
    document.save(buffer)
    score = compare(extract(buffer.getvalue(), name="wrapped.docx"), gold)
    assert not score.diffs, score.diffs[:10]
    page = (DOCUMENTS / f"{case}_html" / "input.html").read_text(encoding="utf-8")
    head, rest = page.split("<body>", 1)
    wrapped = f'{head}<body><table><tr><td>首页 &gt; 年报</td></tr><tr><td>{rest.split("</body>")[0]}</td></tr></table></body>'
    score = compare(extract(wrapped.encode("utf-8"), name="wrapped.html"), gold)
    assert not score.diffs, score.diffs[:10]
