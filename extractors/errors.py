"""What extraction refuses, by kind: every failure is an `ExtractionError` whose class says which.

    ExtractionError            any document that could not be turned into a record
    ├── NotAReport             read, but it is not an annual report (a letter, a 解读 page, a list)
    │   └── BlankTemplate      the report form itself: no agency, no year, every table cell empty
    ├── TooLarge               over a size limit: bytes, text, pages, cells, members, nesting
    │   └── Bomb               compressed content that inflates far past its size (zip or PDF stream bomb)
    ├── Unreadable             the bytes cannot be read as a document (a file that cannot be opened,
    │   │                      text whose encoding cannot be told)
    │   ├── Corrupt            a damaged file of a format that is read (bad zip, bad OLE header, broken PDF)
    │   ├── Encrypted          a password-protected document
    │   ├── Unsupported        a format that is not read (an unknown binary, a zip that is not DOCX/XLSX)
    │   └── NoText             nothing to read: an empty file or page, a PDF without a text layer
    └── ConverterMissing       LibreOffice, needed for DOC/WPS, is not installed: the document may be fine

Callers tell them apart by class (`except NotAReport`), never by the text of `reason`.
"""

from __future__ import annotations


class ExtractionError(Exception):
    """A document could not be turned into a record; `reason` says why in one line."""

    def __init__(self, reason: str, *, source: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.source = source

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}" if self.source else self.reason


class NotAReport(ExtractionError):
    """The document was read but shows no marks of an annual report (no report title, parts or tables)."""


class BlankTemplate(NotAReport):
    """The blank report form (年报模板): no agency, no year and not one table cell filled."""


class TooLarge(ExtractionError):
    """The document is over one of the limits that bound the time and memory of extraction."""


class Bomb(TooLarge):
    """Compressed content that inflates far past its size: a zip member or a PDF stream (a decompression bomb)."""


class Unreadable(ExtractionError):
    """The bytes cannot be read as a document."""


class Corrupt(Unreadable):
    """A damaged file of a format nianbao reads: a bad zip or OLE container, a broken PDF, DOCX, XLSX or XLS."""


class Encrypted(Unreadable):
    """A password-protected document."""


class Unsupported(Unreadable):
    """A format nianbao does not read: an unknown binary, a zip that is neither DOCX nor XLSX."""


class NoText(Unreadable):
    """Nothing to read: an empty file or HTML page, or a PDF without a text layer (a scanned image)."""


class ConverterMissing(ExtractionError):
    """LibreOffice (soffice), which DOC and WPS files are read through, is not installed: the document may be fine."""


ERRORS: tuple[type[ExtractionError], ...] = (
    NotAReport,
    BlankTemplate,
    TooLarge,
    Bomb,
    Unreadable,
    Corrupt,
    Encrypted,
    Unsupported,
    NoText,
    ConverterMissing,
)
"""Every kind of refusal, most general first within each branch."""
