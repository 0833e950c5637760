"""What a PDF's streams hold before PDFium reads them: each one inflated against the budget, and the font descents.

PDFium inflates streams in C with no limit of ours, so every stream is first decoded once here,
through the same budgeted filters pdfminer uses (pdf.py), and refused past the budget before PDFium
sees the file. Streams are found in the file's bytes (each lies between `stream` and `endstream`);
a file whose stream dictionaries cannot be read this way (encrypted, filters given by reference) is
walked object by object with pdfminer instead, which decrypts and resolves.

The same pass reads the font descriptors' /Descent by /FontName: pdfminer takes a character's box
from it, PDFium makes one up from the glyphs where the descriptor says 0.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from typing import Any

from ..errors import ExtractionError

_FILTER = re.compile(rb"/Filter\s*(\[[^\]]*\]|/[^\s/\[\]<>()]+|\d+\s+\d+\s+R)")
_NAME = re.compile(rb"/([^\s/\[\]<>()%{}]+)")
_FONT_NAME = re.compile(rb"/FontName\s*/([^\s/\[\]<>()%{}]+)")
_DESCENT = re.compile(rb"/Descent\s*(-?\d*\.?\d+)")
_DICT_MARK = re.compile(rb"<<|>>")
_SUBSET = re.compile(r"^[A-Z]{6}\+")
_HEX = re.compile(rb"#([0-9A-Fa-f]{2})")
_DICT_REACH = 4096  # bytes searched back from `stream` for the start of its dictionary


class Unreadable(Exception):
    """The file's streams cannot be told from its bytes: walk it with pdfminer."""


def _dict_before(data: bytes, at: int) -> bytes:
    """Return the dictionary that ends just before `at` (a stream keyword), or raise Unreadable."""
    start = max(0, at - _DICT_REACH)
    depth, end, opened = 0, None, None
    marks = list(_DICT_MARK.finditer(data, start, at))
    for mark in reversed(marks):
        if mark.group() == b">>":
            depth += 1
            end = mark.end() if end is None else end
        else:
            depth -= 1
            if depth == 0:
                opened = mark.start()
                break
    if opened is None or end is None:
        raise Unreadable("stream dictionary not found")
    return data[opened:end]


def _filters(head: bytes) -> list[str]:
    """Return a stream's filter names, in order, or raise Unreadable for filters given by reference."""
    found = _FILTER.search(head)
    if found is None:
        return []
    value = found.group(1)
    if value.endswith(b"R"):
        raise Unreadable("stream filter given by reference")
    return [n.decode("latin-1") for n in _NAME.findall(value)]


def raw_streams(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """Yield (dictionary, raw data) of every stream in the file's bytes (plain searches: regexes crawl binary data)."""
    pos = 0
    while (at := data.find(b"stream", pos)) >= 0:
        pos = at + 6
        if data[at - 3 : at] == b"end" or (at and data[at - 1 : at].isalnum()):
            continue
        eol = 2 if data[pos : pos + 2] == b"\r\n" else 1 if data[pos : pos + 1] in (b"\n", b"\r") else 0
        if not eol:
            continue
        start = pos + eol
        end = data.find(b"endstream", start)
        stop = end if end >= 0 else len(data)
        if data[stop - 1 : stop] == b"\n":
            stop -= 1
        if data[stop - 1 : stop] == b"\r":
            stop -= 1
        yield _dict_before(data, at), data[start:stop]
        pos = end + 9 if end >= 0 else len(data)


def decode(head: bytes, raw: bytes, filters: dict[str, Callable[..., bytes]]) -> bytes | None:
    """Return a stream's data decoded through its filter chain, or None at a filter that leaves it as it is.

    Image codecs (DCT, JPX, JBIG2) stop the chain: PDFium decodes no image to read text.
    A damaged stream gives up quietly: PDFium judges the file.
    """
    out = raw
    for name in _filters(head):
        decoder = filters.get(name)
        if decoder is None:
            return None
        try:
            out = decoder(out, head)
        except ExtractionError:
            raise  # the budget's refusal
        except Exception:
            return None
    return out


def descents(chunks: list[bytes]) -> dict[str, float | None]:
    """Return each /FontName's /Descent (negative, 0 where absent) read in `chunks`; None where two disagree."""
    found: dict[str, float | None] = {}
    for chunk in chunks:
        for name in _FONT_NAME.finditer(chunk):
            body = _enclosing(chunk, name.start())
            if body is None or b"FontDescriptor" not in body:
                continue
            value = _DESCENT.search(body)
            descent = float(value.group(1)) if value else 0.0
            _note(found, _HEX.sub(lambda h: bytes([int(h.group(1), 16)]), name.group(1)).decode("latin-1"), descent)
    return found


def _note(found: dict[str, float | None], name: str, descent: float) -> None:
    """Record a descriptor's descent under its /FontName and the name without a subset tag (PDFium's name).

    A name seen with two descents is None: the font cannot be told by its name.
    """
    descent = -abs(descent) / 1000  # pdfminer: a descent is negative, in thousandths of the font size
    for key in {name, _SUBSET.sub("", name)}:
        found[key] = descent if found.get(key, descent) == descent else None


def _enclosing(chunk: bytes, at: int) -> bytes | None:
    """Return the innermost dictionary of `chunk` around offset `at`, or None."""
    depth, start = 0, None
    for mark in reversed(list(_DICT_MARK.finditer(chunk, max(0, at - _DICT_REACH), at))):
        depth += 1 if mark.group() == b">>" else -1
        if depth < 0:
            start = mark.start()
            break
    if start is None:
        return None
    depth = 0
    for mark in _DICT_MARK.finditer(chunk, start, start + 2 * _DICT_REACH):
        depth += 1 if mark.group() == b"<<" else -1
        if depth == 0:
            return chunk[start : mark.end()]
    return None


def scan(data: bytes, filters: dict[str, Callable[..., bytes]]) -> dict[str, float | None]:
    """Decode every stream of the file against the budget; return the font descents by /FontName.

    Raises the budget's ExtractionError for a stream past it, Unreadable where the bytes do not tell the streams.
    """
    if b"/Encrypt" in data:
        raise Unreadable("encrypted")
    chunks = [data]
    for head, raw in raw_streams(data):
        out = decode(head, raw, filters)
        if out is not None and b"/ObjStm" in head:
            chunks.append(out)  # compressed objects: font descriptors may be among them
    return descents(chunks)


def walk(data: bytes) -> dict[str, float | None]:
    """Decode every stream with pdfminer, object by object (decrypting, resolving); return the font descents.

    Slower than `scan` (pdfminer parses every object in Python): for files `scan` cannot read.
    """
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfparser import PDFParser
    from pdfminer.pdftypes import PDFStream, resolve1

    doc = PDFDocument(PDFParser(io.BytesIO(data)))
    found: dict[str, float | None] = {}
    seen: set[int] = set()
    for xref in doc.xrefs:
        for objid in xref.get_objids():
            if objid in seen:
                continue
            seen.add(objid)
            try:
                obj = doc.getobj(objid)
            except ExtractionError:
                raise
            except Exception:
                continue  # pdfminer skips a broken object too
            if isinstance(obj, PDFStream):
                obj.get_data()
                obj.data = obj.rawdata = None  # decoded to be measured, not kept
            elif isinstance(obj, dict) and getattr(resolve1(obj.get("Type")), "name", None) == "FontDescriptor":
                name = getattr(resolve1(obj.get("FontName")), "name", None)
                if isinstance(name, str | bytes):
                    raw = name.encode("utf-8") if isinstance(name, str) else name
                    _note(found, raw.decode("latin-1"), float(resolve1(obj.get("Descent", 0)) or 0))
    return found


def filters_of(pdftypes: Any, budgeted: dict[str, Callable[[bytes], bytes]]) -> dict[str, Callable[..., bytes]]:
    """Return the stream filters by PDF name (long and short), each decoding (data, dictionary) against the budget."""

    def plain(fn: Callable[[bytes], bytes]) -> Callable[..., bytes]:
        return lambda data, head: fn(data)

    table = {
        "FlateDecode": plain(budgeted["flate"]),
        "Fl": plain(budgeted["flate"]),
        "LZWDecode": plain(budgeted["lzw"]),
        "LZW": plain(budgeted["lzw"]),
        "RunLengthDecode": plain(pdftypes.rldecode),
        "RL": plain(pdftypes.rldecode),
        "ASCII85Decode": plain(pdftypes.ascii85decode),
        "A85": plain(pdftypes.ascii85decode),
        "ASCIIHexDecode": plain(pdftypes.asciihexdecode),
        "AHx": plain(pdftypes.asciihexdecode),
    }
    return table
