"""`extract`: any report document → a checked record. Knows nothing of Scrapy or databases."""

from __future__ import annotations

import os
import re
from functools import partial
from pathlib import Path
from typing import Any

from .errors import BlankTemplate, ExtractionError, NotAReport, TooLarge, Unreadable
from .invisible import drop_invisible
from .legible import MIN_SHARE, PART_SHARE
from .limits import DEFAULT_MAX_BYTES, admit
from .model import Document
from .ocr_confirm import confirm
from .pictures import local_pictures
from .readers.docx import read_docx
from .readers.html import read_html, read_html_tree
from .readers.image import is_ocr, read_image
from .readers.ofd import read_ofd, read_ofd_pictures
from .readers.office import to_docx
from .readers.page_pictures import with_pictures
from .readers.pdf import read_pdf, read_pdf_pages, read_pdf_pictures
from .readers.sheet import read_xls, read_xlsx
from .readers.text import read_text
from .record import build_record, is_blank_template
from .sniff import IMAGE_CARRIERS, sniff
from .typed_record import CONTEXT_KEYS, Record


def read(data: bytes, *, name: str | None = None, media_type: str | None = None, charset: str | None = None,
         converted: bytes | None = None) -> Document:  # fmt: skip
    """Return the Document read from `data` by the reader its bytes call for.

    `converted` is the DOCX LibreOffice made of a DOC/WPS file, where the caller converted in a batch.
    """
    carrier = sniff(data, name, media_type)
    if carrier == "pdf":
        return read_pdf(data)
    if carrier == "docx":
        return read_docx(data)
    if carrier == "xlsx":
        return read_xlsx(data)
    if carrier == "xls":
        return read_xls(data)
    if carrier == "ofd":
        return read_ofd(data)
    if carrier in ("doc", "wps", "rtf"):
        if converted is None:
            got = to_docx({"doc": data})["doc"]
            if isinstance(got, ExtractionError):
                raise got
            converted = got
        doc = read_docx(converted, carrier=carrier)
        doc.carrier = carrier
        return doc
    if carrier in IMAGE_CARRIERS:
        return read_image(data, carrier)  # a scan: local OCR
    if carrier == "html":
        return read_html(data, charset)
    return read_text(data, carrier=carrier)


# Titles of what is published beside reports: an interpretation (解读, 图解, 一图读懂), a notice about reports
# (关于做好…年度报告…工作的通知, …公布情况), never a report however much of one it quotes.
_BESIDE = re.compile(r"解读|图解|一图|看懂|读懂|(?:公布|发布|报送)情况")
_NOTICE = re.compile(r"^关于(?:做好|印发|开展|报送|进一步|组织|编制|加强)|(?:的)?通知$|的函$")


def not_a_report_title(title: str | None) -> str | None:
    """Return why a document titled `title` is something published beside a report (its reason), or None."""
    t = re.sub(r"\s+", "", title or "")
    if not t:
        return None
    m = _BESIDE.search(t)
    if m:
        return f"not an annual report: its title names a {m.group(0)} ({t[:60]})"
    if _NOTICE.search(t):
        return f"not an annual report: its title is a notice's ({t[:60]})"
    return None


def _read_pictures(doc: Document, data: bytes, source: Any, max_bytes: int) -> Document | None:
    """Return the document `data` read again with its pictures read by OCR where they stand, or None where it has
    none that could be read: an HTML page's pictures it carries or (a saved page) beside it; a Word file's wide
    drawings; a PDF's or an OFD's wide pictures."""
    if doc.carrier == "html" and doc.shown:
        saved = None if isinstance(source, bytes | bytearray) else Path(source)
        found = local_pictures(saved, [src for _, src in doc.shown], max_bytes) if saved else {}
        return with_pictures(doc, found, max_bytes)
    if doc.attached:  # a Word file's (DOC and WPS through LibreOffice's DOCX)
        return with_pictures(doc, {}, max_bytes)
    if doc.carrier == "pdf":
        return read_pdf_pictures(data)
    if doc.carrier == "ofd":
        return read_ofd_pictures(data)
    return None


def _tables_found(record: Record) -> int:
    """Return how many of the three tables the record holds."""
    return sum(1 for table in (record.proactive, record.requests, record.review_litigation) if table is not None)


FULL = (3, 0)
"""The `_fullness` of a record holding its three tables and every official row."""


def _fullness(record: Record) -> tuple[int, int]:
    """Return how full a record's tables are: the tables found, and minus the official rows missing (STR-03)."""
    return _tables_found(record), -sum(1 for check in record.checks if check.rule == "STR-03")


def _read_pages_again(data: bytes) -> Document | ExtractionError:
    """Return a PDF's pages read by OCR, or the error that says why they cannot be (no OCR engine, none found by it,
    over the OCR limits): the text's record then stands."""
    try:
        return read_pdf_pages(data)
    except ExtractionError as exc:
        return exc


def _count(value: Any) -> int:
    """Return `value` as a count (0 where it is none, or not a whole number of at least 0)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _is_report(record: Record, doc: Document) -> bool:
    """True where the document shows the marks of an annual report: a report title, tables or parts."""
    if record.proactive or record.requests or record.review_litigation:
        return True
    found = sum(1 for _, v in record.sections.items() if v)
    title = record.title or ""
    return found >= 3 or ("年度报告" in title and found >= 2)


def extract(
    source: bytes | str | os.PathLike[str],
    *,
    name: str | None = None,
    media_type: str | None = None,
    charset: str | None = None,
    context: dict[str, Any] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    converted: bytes | None = None,
    tree: Any = None,
) -> dict[str, Any]:
    """Return the record (docs/record-schema.md) of one report document as its JSON object.

    The same as `extract_record(...).to_dict()`; the arguments and errors are `extract_record`'s.
    """
    return extract_record(
        source, name=name, media_type=media_type, charset=charset, context=context, max_bytes=max_bytes,
        converted=converted, tree=tree,
    ).to_dict()  # fmt: skip


def extract_record(
    source: bytes | str | os.PathLike[str],
    *,
    name: str | None = None,
    media_type: str | None = None,
    charset: str | None = None,
    context: dict[str, Any] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    converted: bytes | None = None,
    tree: Any = None,
) -> Record:
    """Return the typed record (`Record`, docs/record-schema.md) of one report document.

    `source` is the bytes or a path. `context` carries what the crawler knew (source_url,
    published_at, site, region_code, region_name, …); it is copied onto the record and
    `published_at` feeds the timeliness checks. `tree` is the lxml tree of an HTML page `source` that the caller
    parsed whole already (a crawler reading the page for its links): the page is read from it, not parsed again.
    Raises an ExtractionError, with a one-line reason,
    whose class says what failed: TooLarge, NotAReport, Unreadable (Corrupt, Encrypted, …), … (errors.py).
    """
    if isinstance(source, bytes | bytearray):
        data = bytes(source)
    else:
        path = Path(source)
        name = name or path.name
        try:
            size = path.stat().st_size
            if size > max_bytes:
                raise TooLarge(f"file is {size} bytes, over the {max_bytes}-byte limit", source=str(path))
            data = path.read_bytes()  # a folder, a permission refused, a file gone since the stat: one line
        except OSError as exc:
            raise Unreadable(f"cannot read: {exc.strerror}", source=str(path)) from None
    if len(data) > max_bytes:
        raise TooLarge(f"document is {len(data)} bytes, over the {max_bytes}-byte limit", source=name)
    try:
        if tree is not None:
            doc = read_html_tree(data, tree)
        else:
            doc = read(data, name=name, media_type=media_type, charset=charset, converted=converted)
        drop_invisible(doc)
        admit(doc)  # the record builder's memory grows with the text: refuse or make room before it starts
        context = dict(context or {})
        published = context.get("published_at") or doc.meta.get("PubDate")
        # every reading of the document (again by OCR, its pictures read) is built knowing what the crawl knew
        build = partial(build_record, published_at=published, attachments=_count(context.get("attachments")),
                        from_report_page=context.get("from_report_page") is True)  # fmt: skip
        record = build(doc)
        if doc.spelt is not None and doc.spelt < PART_SHARE and _fullness(record) < FULL:
            # a PDF whose text layer may be wrong in part: its pages read by OCR, kept where they give more
            paged = _read_pages_again(data)
            if isinstance(paged, Document):
                drop_invisible(paged)
                admit(paged)
                again = build(paged)
                if _fullness(again) > _fullness(record):
                    doc, record = paged, again
            elif doc.spelt < MIN_SHARE and not _is_report(record, doc):  # Latin letters only (legible.latin_share)
                share = round(100 * doc.spelt)
                raise type(paged)(f"its text layer does not spell Chinese ({share}% of its letters are Chinese "
                                  f"characters in common use); {paged}")  # fmt: skip
        if (doc.shown or doc.pictures) and not is_ocr(doc) and _tables_found(record) < 3:
            # a 图片版 report: its tables may be pictures, read by OCR
            pictured = _read_pictures(doc, data, source, max_bytes)
            if pictured is not None:
                drop_invisible(pictured)
                admit(pictured)
                again = build(pictured)
                if _tables_found(again) > _tables_found(record):
                    doc, record = pictured, again
                else:  # read for nothing: the text's record stands, saying its pictures were read
                    doc.pictures, doc.read_pictures = pictured.pictures, pictured.read_pictures
                    record = build(doc)
        if is_ocr(doc):
            confirm(record, doc)  # OCR numbers the tables' arithmetic does not confirm become ambiguous
        beside = not_a_report_title(record.title)
        if beside:
            raise NotAReport(beside)
        if is_blank_template(record):
            raise BlankTemplate("not an annual report: a blank template (no agency, no year, every table cell empty)")
        if not _is_report(record, doc):
            raise NotAReport("not an annual report (no report title, parts or tables found)")
    except ExtractionError as exc:
        exc.source = exc.source or name
        raise
    except RecursionError:
        raise TooLarge("document nested too deeply", source=name) from None
    for key in CONTEXT_KEYS:
        if context.get(key) is not None:
            setattr(record, key, context[key])
    if record.published_at is None and doc.meta.get("PubDate"):
        record.published_at = doc.meta["PubDate"]
    return record
