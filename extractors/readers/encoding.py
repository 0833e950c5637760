"""Decoding bytes whose charset is unknown or mislabelled."""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

from ..errors import Unreadable

# gb2312 and gbk labels are decoded as gb18030, their superset, so rare characters survive.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030", "ascii": "utf-8"}


def canonical(charset: str | None) -> str | None:
    """Return the codec to use for a declared charset, or None if Python does not know it."""
    if not charset:
        return None
    name = charset.strip().strip("\"'").lower()
    name = _SUPERSETS.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode(data: bytes, declared: str | None = None) -> str:
    """Return `data` decoded: BOM, then the declared charset if it decodes strictly, then UTF-8,
    then GB18030, then charset-normalizer's guess. Raises Unreadable where nothing fits.
    """
    boms = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
    for bom, codec in boms:
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    tried: list[str] = []
    for codec in (canonical(declared), "utf-8", "gb18030"):
        if not codec or codec in tried:
            continue
        tried.append(codec)
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        # A Latin-1 label over high bytes is the classic lie of Chinese sites.
        if codec in ("latin-1", "iso8859-1", "cp1252") and any(b > 0x7F for b in data):
            continue
        return text
    # A few bad bytes in otherwise valid UTF-8 (a damaged download) should not cost the whole document.
    lossy = data.decode("utf-8", errors="replace")
    if lossy.count("\ufffd") <= max(3, len(lossy) // 1000):
        return lossy
    best = from_bytes(data[:200_000]).best()
    if best is None or best.encoding is None:
        raise Unreadable("cannot determine the text encoding")
    return data.decode(best.encoding, errors="replace")
