"""PDF pages: a table row broken across a page is read as one row; tables drawn as pictures are said so.

Word and LibreOffice let a table row break across a page by default: a label wrapped over several lines ends one
page ("3.补正后申", with the row's numbers) and goes on at the top of the next in a row of its own ("请内容仍不明确",
no numbers). fixtures/pagebreak/ holds such a PDF printed from a bundled HTML report; it must read to the same tables
as that page.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extractors import extract
from extractors.model import Table
from extractors.readers.pdf_tables import join_broken_row
from tests.variants import kept

ROOT = Path(__file__).resolve().parents[1]
PAGEBREAK = ROOT / "fixtures" / "pagebreak"
DOCUMENTS = ROOT / "fixtures" / "documents"


def test_a_row_broken_across_pages_reads_as_the_page_it_was_printed_from() -> None:
    pdf, page = PAGEBREAK / "seed001_row_across_pages.pdf", DOCUMENTS / "seed001_html" / "input.html"
    record = extract(pdf.read_bytes(), name=pdf.name)
    assert kept(record) == kept(extract(page.read_bytes(), name=page.name))
    assert record["requests"]["unavailable_unclear"] == [0, 0, 0, 0, 0, 0, 0]
    assert not [c for c in record["checks"] if c["rule"] == "STR-04"]  # no stray "3.补正后申" row


def test_a_row_broken_across_pages_under_repeated_heading_rows_is_joined() -> None:
    # The table's heading rows repeat at the top of each page: the rest of the broken row comes after them.
    pdf = PAGEBREAK / "seed002_row_across_pages_under_repeated_heads.pdf"
    page = DOCUMENTS / "seed002_html" / "input.html"
    record = extract(pdf.read_bytes(), name=pdf.name)
    assert kept(record) == kept(extract(page.read_bytes(), name=page.name))
    assert record["requests"]["withheld_prohibited_by_law"] == [0, 0, 0, 0, 0, 0, 0]


def test_a_row_with_blank_numbers_atop_a_page_stays_a_row_of_its_own() -> None:
    pdf, page = PAGEBREAK / "seed002_blank_row_atop_a_page.pdf", DOCUMENTS / "seed002_html" / "input.html"
    record = extract(pdf.read_bytes(), name=pdf.name)
    assert kept(record) == kept(extract(page.read_bytes(), name=page.name))
    assert record["proactive"]["regulations"] == {"newly_made": 0, "newly_published": 0, "total_published": 0}


@pytest.mark.parametrize(
    ("last", "first", "joined"),
    [
        # The label's rest on the new page, the numbers on the old one.
        ([None, "3.补正后申", "0", "1"], ["", "请内容仍不\n明确", "", ""], [None, "3.补正后申\n请内容仍不\n明确", "0", "1"]),
        # The numbers on the new page (centred in the row), the label's start on the old one.
        (["", "2.没有现成信", "", ""], ["", "息需要另行制作", "2", "3"], ["", "2.没有现成信\n息需要另行制作", "2", "3"]),
    ],
)
def test_the_two_parts_of_a_broken_row_are_joined(last: list, first: list, joined: list) -> None:
    before, after = Table([["a", "b", "c", "d"], list(last)]), Table([list(first), ["x", "y", "5", "6"]])
    assert join_broken_row(before, after)
    assert before.rows[-1] == joined and after.rows == [["x", "y", "5", "6"]]


@pytest.mark.parametrize(
    "first",
    [
        ["", "4.其他", "", ""],  # a new row whose numbers are blank: its label starts with an enumerator
        ["", "（四）不予处理", "", ""],
        ["", "申请人情况", "自然人", "总计"],  # a header row repeated on the new page
        ["", "请内容仍不明确", "7", "8"],  # numbers where the old row has numbers: a row of its own
    ],
)
def test_a_row_of_its_own_on_the_new_page_is_left_alone(first: list) -> None:
    before, after = Table([["a", "b", "c", "d"], ["", "3.补正后申", "0", "1"]]), Table([list(first)])
    assert not join_broken_row(before, after)
    assert after.rows == [first] and before.rows[-1] == ["", "3.补正后申", "0", "1"]


def test_a_whole_row_above_a_row_with_blank_numbers_is_left_alone() -> None:
    # "规章 0 0 0" ends a page and "规范性文件" with blank numbers opens the next: two rows, as printed.
    before, after = Table([["规章", "0", "0", "0"]]), Table([["规范性文\n件", "", "", ""]])
    assert not join_broken_row(before, after)
    assert before.rows == [["规章", "0", "0", "0"]] and after.rows == [["规范性文\n件", "", "", ""]]


def test_tables_of_other_widths_are_not_joined() -> None:
    assert not join_broken_row(Table([["3.补正后申", "0"]]), Table([["请内容仍不明确", "", ""]]))


def test_an_ofd_written_from_the_pdf_joins_the_broken_row_too() -> None:
    from fixtures.build_ofd import pdf_to_ofd

    pdf, page = PAGEBREAK / "seed001_row_across_pages.pdf", DOCUMENTS / "seed001_html" / "input.html"
    record = extract(pdf_to_ofd(pdf.read_bytes()), name="report.ofd")
    assert record["carrier"] == "ofd"
    assert kept(record) == kept(extract(page.read_bytes(), name=page.name))


def test_a_pdf_with_its_tables_as_pictures_says_so_and_blames_no_one() -> None:
    # fixtures/pictures/: a bundled page printed with its three tables as blank 15 cm pictures and a 3 cm seal. OCR
    # (where installed) reads nothing in them; either way the misses name the three pictures and are marked ours.
    pdf = ROOT / "fixtures" / "pictures" / "seed000_tables_as_pictures.pdf"
    record = extract(pdf.read_bytes(), name=pdf.name)
    misses = [c for c in record["checks"] if c["rule"] == "STR-05"]
    assert len(misses) == 3 and all(c.get("cause") == "parse" and "3 picture(s)" in c["message"] for c in misses)
    assert any(record["sections"].values())  # the text is read as text
