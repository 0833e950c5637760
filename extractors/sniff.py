"""Which reader a document needs, decided by its bytes (magic numbers, then markup), not its name."""

from __future__ import annotations

import io
import re
import zipfile

from .errors import Corrupt, NoText, Unsupported

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HTML = re.compile(rb"<\s*(?:!doctype\s+html|html|head|body|table|meta|div|p|title|tr|td|span|br)[\s>/]", re.I)
_MD = re.compile(r"^\s*\|.*\|\s*$|^\s{0,3}#{1,6}\s", re.M)
MIN_TAGS_INSIDE_TEXT = 5
IMAGE_CARRIERS = ("jpg", "png", "tiff")
"""Scans, read by OCR (readers/image.py)."""
_IMAGE_MAGIC = ((b"\xff\xd8\xff", "jpg"), (b"\x89PNG\r\n\x1a\n", "png"), (b"II*\x00", "tiff"), (b"MM\x00*", "tiff"))
CARRIERS = ("pdf", "docx", "xlsx", "doc", "wps", "xls", "rtf", "html", "text", "markdown", "ofd", *IMAGE_CARRIERS)


def _ole_kind(data: bytes, name: str | None) -> str:
    # A real compound file has byte order FFFE and 512- or 4096-byte sectors; LibreOffice imports
    # anything else as plain text, so a damaged header is refused here.
    if len(data) < 512 or data[28:30] != b"\xfe\xff" or data[30:32] not in (b"\x09\x00", b"\x0c\x00"):
        raise Corrupt("corrupt OLE container (damaged DOC/WPS/XLS header)")
    # OLE directory entries are UTF-16LE names; they usually sit near the start of small files.
    head = data[: 1 << 20]
    if "WordDocument".encode("utf-16-le") in head:
        return "wps" if name and name.lower().endswith(".wps") else "doc"
    if "Workbook".encode("utf-16-le") in head or "Book".encode("utf-16-le") in head:
        return "xls"
    ext = (name or "").lower().rsplit(".", 1)[-1]
    if ext in ("doc", "wps", "xls", "et", "dot"):
        return {"et": "xls", "dot": "doc"}.get(ext, ext)
    return "doc"


def _zip_kind(data: bytes) -> str:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        raise Corrupt("corrupt zip container (not a readable DOCX/XLSX)") from None
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if any(n.lstrip("/").casefold() == "ofd.xml" for n in names):  # GB/T 33190: the package's entry part
        return "ofd"
    raise Unsupported("zip archive that is neither DOCX nor XLSX")


def _looks_binary(head: bytes) -> bool:
    if b"\x00" in head[:4096]:
        return True
    control = sum(1 for b in head[:4096] if b < 9 or 13 < b < 32)
    return control > len(head[:4096]) * 0.05


def sniff(data: bytes, name: str | None = None, media_type: str | None = None) -> str:
    """Return the carrier of `data` (one of CARRIERS).

    Raises NoText for empty bytes, Unsupported for unknown ones and Corrupt for a damaged OLE or zip container.
    """
    if not data or not data.strip():
        raise NoText("empty file")
    head = data[:8192]
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    if head.startswith(OLE_MAGIC):
        return _ole_kind(data, name)
    for magic, carrier in _IMAGE_MAGIC:
        if head.startswith(magic):
            return carrier
    if head.lstrip().startswith(b"{\\rtf"):
        return "rtf"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        # UTF-16 with its byte-order mark (Windows Notepad's "Unicode"): markup and control characters are judged on
        # its text; every other char's high or low byte is below 32.
        head = head[: len(head) & ~1].decode("utf-16", errors="replace").encode("utf-8")
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    tags = len(_HTML.findall(stripped[:4096]))
    # Markup that opens the file, or plenty of it; a text dump that merely mentions "<table>" stays text.
    if (tags and stripped.startswith(b"<")) or tags >= MIN_TAGS_INSIDE_TEXT:
        return "html"
    if (media_type or "").startswith(("text/html", "application/xhtml")):
        return "html"
    if _looks_binary(head):
        raise Unsupported("unrecognised binary format (not HTML, PDF, DOCX, DOC, WPS, XLS, JPG, PNG, TIFF or text)")
    lower = (name or "").lower()
    if lower.endswith((".md", ".markdown")):
        return "markdown"
    try:
        sample = head.decode("utf-8", errors="ignore")
    except Exception:
        sample = ""
    is_md = len(_MD.findall(sample)) >= 3 and "|" in sample and "---" in sample
    return "markdown" if is_md else "text"
