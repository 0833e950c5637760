"""The six parts of a report (format-spec §2): headings found in order, text between them."""

from __future__ import annotations

import re

from .normalize import compact_with_map
from .typed_record import SECTION_KEYS

# Compact-text patterns; a numeral and its comma are required so that prose mentioning a part is
# not a heading, and table 三's "四、结转下年度继续办理" never matches part 四.
_HEADINGS = (
    re.compile(r"[一1][、.](?:总体情况|工作基本情况|总体工作情况|基本情况|概述|工作概述|总体概况)"),
    re.compile(r"[二2][、.]主动公开政府信息的?情况"),
    re.compile(r"[三3][、.]收到和处理政府信息公开申请的?情况"),
    re.compile(r"[四4][、.]因?政府信息公开(?:申请)?(?:行政法?复议|行政复|复议)"),
    re.compile(r"[五5][、.](?:政府信息公开工作)?存在的?主要问题(?:及|和|与)?(?:改进|整改)"),
    re.compile(r"[六6][、.]其他需要报告的?事项"),
)
_LOOSE_ONE = re.compile(r"(?:^|\n)\s*[一1][、.．]")


def find_sections(text: str, folded: str | None = None) -> dict[str, str | None]:
    """Return the text of each of the six parts (heading included), None where a part is missing.

    `folded` is `nfkc(text)` where the caller has it."""
    comp, cmap = compact_with_map(text, folded)
    starts: list[int | None] = []
    cursor = 0
    for pattern in _HEADINGS:
        m = pattern.search(comp, cursor)
        if m is None:
            starts.append(None)
            continue
        starts.append(cmap[m.start()])
        cursor = m.end()
    if starts[0] is None:
        # Part 一 under an unlisted heading: the first "一、" line before part 二.
        limit = next((s for s in starts[1:] if s is not None), len(text))
        m1 = _LOOSE_ONE.search(text, 0, limit)
        if m1:
            starts[0] = m1.start() + (1 if text[m1.start()] == "\n" else 0)
    out: dict[str, str | None] = {}
    for i, key in enumerate(SECTION_KEYS):
        start = starts[i]
        if start is None:
            out[key] = None
            continue
        end = next((s for s in starts[i + 1 :] if s is not None and s > start), len(text))
        out[key] = text[start:end].strip()
    return out
