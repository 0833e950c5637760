"""The same plain-text report saved another way reads the same: metamorphic tests of the text reader.

Text reports reach us from many editors and converters: Windows line ends, a byte-order mark, cells indented
further (full-width spaces), full-width digits, trailing blanks, a legacy Chinese encoding or UTF-16. (Tabs turned
into spaces are not among them: in a tab-separated dump a blank cell is a line holding a tab, and once it holds
spaces the cell cannot be told from a row's end; the reader then leaves the row's cells null and lists them.) Each variant below
changes only that; the record's three tables, format and table-rule failures must equal those of the seed as
written (which tests/test_gold.py holds to the gold, field by field).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.test_html_variants import FULL_WIDTH
from tests.variants import differing, read_kept

from .conftest import CORPUS, need_shared

CELL_ENUMERATOR = re.compile(r"(?m)^(\t+)(?:（[一二三四五六七八九十]+）|[一二三四五六七八九十]+、|[1-9][.．、](?!\d))")

_BETWEEN = re.compile(r"(?<=\d)(?=\d)|(?<=\t\w)(?=\w)")


def _zero_width(text: str) -> str:
    """Return `text` with a zero-width space between the digits of every number and after every cell label's first
    char, and a BOM at the end of every line: chars a reader sees nothing of, as text copied out of some editors
    carries them."""
    return re.sub(r"(?m)$", "\ufeff", _BETWEEN.sub("\u200b", text))


VARIANTS: dict[str, Callable[[str], bytes]] = {
    "crlf": lambda t: t.replace("\n", "\r\n").encode("utf-8"),
    "bom": lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"),
    "cells_indented_further": lambda t: t.replace("\t", "\t\u3000 ").encode("utf-8"),
    "full_width_digits": lambda t: re.sub(r"(?m)^(\t)(\d+)$", lambda m: m[1] + m[2].translate(FULL_WIDTH), t).encode(),
    "trailing_blanks": lambda t: re.sub(r"(?m)$", " \t", t).encode("utf-8"),
    "gb18030": lambda t: t.encode("gb18030"),
    "utf16": lambda t: t.encode("utf-16"),
    # Row labels without their enumerators (（七）总计 as 总计, 1.属于国家秘密 as 属于国家秘密), as some templates have them.
    "no_enumerators": lambda t: CELL_ENUMERATOR.sub(r"\1", t).encode("utf-8"),
    "zero_width_chars": lambda t: _zero_width(t).encode("utf-8"),
}


@pytest.fixture(scope="module")
def seeds() -> dict[str, tuple[str, dict[str, Any]]]:
    need_shared()
    paths = sorted((CORPUS / "seeds").glob("*.txt"))
    if not paths:
        pytest.skip("no seed texts in the corpus")
    return {p.name: (text := p.read_text(encoding="utf-8"), read_kept(text.encode("utf-8"), "r.txt")) for p in paths}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_a_text_report_saved_another_way_reads_the_same(variant: str, seeds: dict[str, Any]) -> None:
    differ = differing(seeds, VARIANTS[variant], "r.txt")
    assert not differ, f"{variant}: {differ}"
