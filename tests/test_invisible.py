"""Characters drawn as nothing (zero-width spaces, BOMs, soft hyphens) are taken out of a read document's text."""

from __future__ import annotations

import sys
import unicodedata

from extractors.invisible import INVISIBLE, drop_invisible, visible
from extractors.model import Document, Paragraph, Table


def test_only_format_characters_are_taken_out():
    taken = [c for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF and INVISIBLE.match(chr(c))]
    assert taken and all(unicodedata.category(chr(c)) == "Cf" for c in taken)
    assert {0x200B, 0x200D, 0x2060, 0xFEFF, 0x00AD} <= set(taken)


def test_a_text_without_them_is_kept_as_it_is():
    text = "本年新收政府信息公开申请数量 15"
    assert visible(text) is text
    assert visible("1\u200b5\ufeff") == "15"


def test_a_document_loses_them_in_its_paragraphs_cells_title_and_metadata():
    doc = Document([Paragraph("一、总体\u200b情况"), Table([["本年\u2060新收", "1\u00ad5", None], ["\ufeff", "", "3"]])],
                   "html", title="某局2023年\u200b政府信息公开工作年度报告", meta={"ArticleTitle": "某局\ufeff年报"})  # fmt: skip
    drop_invisible(doc)
    assert doc.blocks == [Paragraph("一、总体情况"), Table([["本年新收", "15", None], ["", "", "3"]])]
    assert doc.title == "某局2023年政府信息公开工作年度报告" and doc.meta == {"ArticleTitle": "某局年报"}
