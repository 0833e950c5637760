"""Whether a text layer spells its text.

A PDF or OFD draws its glyphs through fonts, and its text layer is what each font's map says those glyphs are. Many
published files map them wrongly (乱码): into the Private Use Area, onto other Chinese characters, or not at all (the
glyph codes read as Latin-1 letters), while the page shows the report as it should. Such a layer is told by its
letters: a Chinese report's are nearly all Chinese characters in common use (GB2312's 6,763, which cover everyday
written Chinese), a wrong map's mostly are not.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

MIN_LETTERS = 100
"""Letters a layer must have before it is judged: a short one says too little."""
MIN_SHARE = 0.6
"""The least share of common Chinese characters among a layer's letters for it to spell its text (a report's layer
reads over 0.99; wrong maps read 0 to 0.4)."""


@lru_cache(maxsize=1)
def common_chinese() -> frozenset[str]:
    """Return GB2312's Chinese characters (levels 1 and 2), read from Python's own codec."""
    found = set()
    for row in range(0xB0, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                found.add(bytes((row, cell)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return frozenset(found)


def illegible(text: str) -> str | None:
    """Return why `text` does not spell Chinese (the share of common Chinese characters among its letters, private,
    control and unassigned characters counted as letters), or None where it does or has under MIN_LETTERS letters."""
    common = common_chinese()
    letters = hanzi = 0
    for ch in unicodedata.normalize("NFKC", text):
        kind = unicodedata.category(ch)
        if kind[0] == "L" or (kind[0] == "C" and not ch.isspace()):
            letters += 1
            hanzi += ch in common
    if letters < MIN_LETTERS or hanzi >= MIN_SHARE * letters:
        return None
    return f"{round(100 * hanzi / letters)}% of its {letters} letters are Chinese characters in common use"


__all__ = ["MIN_LETTERS", "MIN_SHARE", "common_chinese", "illegible"]
