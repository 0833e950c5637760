"""Memory limits of extraction: the one peak-RSS ceiling, and the budgets that keep every reader under it.

RSS_CEILING_MB is the promise: `nianbao extract FILE` on any FILE under the size limit
(DEFAULT_MAX_BYTES, 50 MB) peaks below it, or the document is refused with a one-line reason
before it gets there. The budgets that keep it: here, the text of any document (MAX_TEXT_CHARS) and
what a PDF may inflate and draw (PDF_*); in the readers, what an Office archive may unpack
(docx.check_zip: per member and in all, declared and real, XML bytes and tags; sheet.MAX_TAGS) and the
tags of an HTML page (html.MAX_TAGS). tests/test_memory.py holds hostile files and the 30 MB HTML report
to the ceiling, measuring a real child process.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os

try:
    import resource
except ImportError:  # not a Unix
    resource = None  # type: ignore[assignment]

from .errors import TooLarge
from .model import Document, Paragraph

MB = 1024 * 1024

RSS_CEILING_MB = 1024
"""Peak resident memory of one `extract` run, interpreter and libraries included, in MiB.

Measured (peak RSS of `python -m nianbao.cli extract`, Python 3.11, Linux): a 30 MB HTML report with
10.6 million characters of text 700 MB; a 300-page 15 MB PDF 260 MB; a DOCX of 42 MB of document XML
640 MB. The worst files just inside the budgets: text at MAX_TEXT_CHARS 705 MB, an HTML page near
html.MAX_TAGS with that much text 720 MB, a DOCX near docx.MAX_XML_TAGS with it 690 MB, an XLSX near
sheet.MAX_TAGS 660 MB, a PDF page near PDF_PAGE_OBJECTS 270 MB. The ceiling leaves ~30% over the worst
for other allocators and library versions. Bombs are refused far below it (tests/test_memory.py).
"""
DEFAULT_MAX_BYTES = int(os.environ.get("NIANBAO_MAX_BYTES", 50 * MB))
"""Largest document `extract` reads; under it a run peaks below RSS_CEILING_MB of memory."""


MAX_TEXT_CHARS = 12_000_000
"""Size of the text a read document may hold, in characters, each line (a paragraph or a table row) counting
LINE_CHARS more: some 300 times the longest real report.

The record builder needs ~60 bytes per character and ~300 per line at its peak; a 50 MB file of ASCII text
would otherwise take 3 GB, one of 25 million one-letter lines far more.
"""

LINE_CHARS = 5  # a line costs the record builder what ~5 characters do (~300 bytes against ~60)

TRIM_ABOVE_MB = 256
"""Resident size past which freed memory is handed back to the system between reading and the record."""

PDF_STREAM_BYTES = 64 * MB
"""Bytes one PDF stream may inflate to: a few full embedded CJK fonts (10-20 MB; the corpus's largest is 430 KB)."""

PDF_TOTAL_BYTES = 256 * MB
"""Bytes all streams of one PDF may inflate to together (pdfminer keeps them all until the file closes)."""

PDF_PAGE_OBJECTS = 100_000
"""Objects (characters, lines, curves, images) one PDF page may lay out: a hundred times the busiest real page.

pdfplumber holds ~2.3 KB for each; 100,000 cost ~230 MB, freed page by page.
"""


def text_size(doc: Document) -> tuple[int, int]:
    """Return the characters of text in `doc` (its paragraphs and table cells) and its lines (paragraphs, rows)."""
    chars = lines = 0
    for block in doc.blocks:
        if isinstance(block, Paragraph):
            chars += len(block.text)
            lines += 1
        else:
            chars += sum(len(c) for row in block.rows for c in row if c)
            lines += len(block.rows)
    return chars, lines


def _rss_mb() -> int | None:
    """Return this process's resident memory in MiB, or None where /proc cannot tell."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // MB
    except (OSError, ValueError, IndexError):
        return None


def _peak_mb() -> float:
    """Return the most resident memory this process has held, in MiB (infinity where the system does not say)."""
    if resource is None:
        return float("inf")
    # Linux counts ru_maxrss in KiB; elsewhere (bytes on macOS) the figure only comes out larger: /proc is read.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


_trimmed_at = 0
"""Resident MiB right after the last trim (0: none yet)."""


def _release_freed_memory() -> None:
    """Collect garbage and hand freed heap pages back to the system, once this process holds over TRIM_ABOVE_MB.

    A reader's parse tree (lxml, python-docx, openpyxl) is freed when it returns, but glibc keeps the
    pages and the record builder's objects come from others: without this the two peaks add up.
    """
    global _trimmed_at
    # A long crawl sits above the threshold for good: collect only once this document has grown it again.
    threshold = max(TRIM_ABOVE_MB, _trimmed_at + TRIM_ABOVE_MB // 2)
    if _peak_mb() < threshold:  # never held that much: the resident size is below it too, without reading /proc
        return
    rss = _rss_mb()
    if rss is None or rss < threshold:
        return
    gc.collect()  # python-docx and openpyxl objects hold the trees in reference cycles
    with contextlib.suppress(OSError, AttributeError):  # not glibc: the pages stay with the process
        ctypes.CDLL(None).malloc_trim(0)
    _trimmed_at = _rss_mb() or rss


def admit(doc: Document) -> None:
    """Refuse `doc` when its text is over MAX_TEXT_CHARS (lines counted in); else free what reading it left behind.

    Called between reading and building the record, whose memory grows with the text.
    """
    chars, lines = text_size(doc)
    if chars + LINE_CHARS * lines > MAX_TEXT_CHARS:
        raise TooLarge(
            f"document text too long: {chars} characters in {lines} lines"
            f" (limit {MAX_TEXT_CHARS}, a line counting {LINE_CHARS})"
        )
    _release_freed_memory()
