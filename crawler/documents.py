"""Whether fetched bytes are a document (PDF, DOCX/XLSX, DOC/WPS/XLS, RTF) rather than a page, by their magic."""

from __future__ import annotations

from extractors import OLE_MAGIC

DOC_MAGIC = (b"%PDF", b"PK\x03\x04", OLE_MAGIC, b"{\\rtf")


def is_document(body: bytes) -> bool:
    """Return True where `body` opens with a document's magic (a PDF's may follow some junk), whatever its
    Content-Type said."""
    head = body[:1024].lstrip()
    return head.startswith(DOC_MAGIC) or b"%PDF-" in head
