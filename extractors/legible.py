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
PART_SHARE = 0.95
"""Under this share a layer may be wrong in part (one of its fonts): where its record then lacks a table or an
official row, the pages are read by OCR too (api.py)."""


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


def _counts(text: str) -> tuple[int, int, int]:
    """Return the letters of `text` (private, control and unassigned characters counted; ASCII letters not), how many
    of them are common Chinese characters, and its ASCII letters."""
    common = common_chinese()
    letters = hanzi = latin = 0
    for ch in unicodedata.normalize("NFKC", text):
        kind = unicodedata.category(ch)
        if (kind[0] == "L" and not ch.isascii()) or (kind[0] == "C" and not ch.isspace()):
            letters += 1
            hanzi += ch in common
        elif kind[0] == "L":
            latin += 1
    return letters, hanzi, latin


def shares(text: str) -> tuple[float | None, int, float | None]:
    """Return `spelt(text)` and `latin_share(text)` from one pass over the text: (share, letters, Latin share)."""
    letters, hanzi, latin = _counts(text)
    share = hanzi / letters if letters >= MIN_LETTERS else None
    return share, letters, (None if latin < MIN_LETTERS or latin <= letters else hanzi / (letters + latin))


def spelt(text: str) -> tuple[float | None, int]:
    """Return the share of common Chinese characters among the letters of `text` (private, control and unassigned
    characters counted as letters, ASCII letters not: an English text or a report's addresses say nothing of a map;
    None under MIN_LETTERS letters: too few to tell) and how many letters it has."""
    return shares(text)[:2]


def latin_share(text: str) -> float | None:
    """Return the share of common Chinese characters among all the letters of `text`, ASCII letters counted, where
    its ASCII letters are MIN_LETTERS or more and outnumber the others (a Chinese font whose glyph codes read as Latin
    letters, or an English text: nothing in the letters tells the two apart); None otherwise."""
    return shares(text)[2]


def illegible(text: str) -> str | None:
    """Return why `text` does not spell Chinese (its `spelt` share under MIN_SHARE), or None where it does or has
    too few letters to tell."""
    share, letters = spelt(text)
    if share is None or share >= MIN_SHARE:
        return None
    return unspelt(share, letters)


def unspelt(share: float, letters: int) -> str:
    """Return the one-line reason a layer of `letters` letters, `share` of them common Chinese characters, gives."""
    return f"{round(100 * share)}% of its {letters} letters are Chinese characters in common use"


__all__ = [
    "MIN_LETTERS", "MIN_SHARE", "PART_SHARE", "common_chinese", "illegible", "latin_share", "shares", "spelt",
    "unspelt",
]  # fmt: skip
