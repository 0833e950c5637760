"""The same Markdown dump of a report written another way reads the same: metamorphic tests of the pipe-table reader.

PDF-to-Markdown converters differ in how they write a table: numbers in bold (`**48**`, a bold total kept), inline
HTML (`<b>48</b>`, a label broken with `<br>`), aligned separator rows (`|:---:|`), Windows line ends, no spaces
around the pipes. Each variant of the derived dumps in fixtures/derived/ must read to the same tables, format and
table-rule failures as the dump as written (tests/test_detached_rows.py holds those to their hand-read gold).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.variants import differing, read_kept

DERIVED = Path(__file__).resolve().parents[1] / "fixtures" / "derived"
DUMPS = sorted(p for p in DERIVED.glob("*.md") if p.name != "SOURCES.md")
NUMBER_CELL = re.compile(r"(?m)(?<=\| )(\d+)(?= \|)")

ROW_ENUMERATOR = re.compile(r"(?m)(?<=^\| )(?:（[一二三四五六七八九十]+）|[一二三四五六七八九十]+、|[1-9][.．、](?!\d))")

VARIANTS: dict[str, Callable[[str], str]] = {
    "bold_numbers": lambda t: NUMBER_CELL.sub(r"**\1**", t),
    "html_bold_and_breaks": lambda t: NUMBER_CELL.sub(r"<b>\1</b>", t).replace("本年新收", "本年新收<br/>"),
    "aligned_separators": lambda t: re.sub(r"(?m)^\|(?:---\|)+$", lambda m: m[0].replace("---", ":---:"), t),
    "crlf": lambda t: t.replace("\n", "\r\n"),
    "tight_pipes": lambda t: re.sub(r"(?m)^\|.*\|$", lambda m: re.sub(r"\s*\|\s*", "|", m[0]), t),
    # Row labels without their enumerators (（七）总计 as 总计), as some templates have them.
    "no_enumerators": lambda t: ROW_ENUMERATOR.sub("", t),
}


@pytest.fixture(scope="module")
def dumps() -> dict[str, tuple[str, dict[str, Any]]]:
    if not DUMPS:
        pytest.skip("no derived Markdown dumps (fixtures/derived/*.md)")
    return {p.name: (text := p.read_text(encoding="utf-8"), read_kept(text.encode("utf-8"), "dump.md")) for p in DUMPS}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_a_markdown_dump_written_another_way_reads_the_same(variant: str, dumps: dict[str, Any]) -> None:
    differ = differing(dumps, lambda text: VARIANTS[variant](text).encode("utf-8"), "dump.md")
    assert not differ, f"{variant}: {differ}"
