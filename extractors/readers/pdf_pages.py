"""A PDF opened with PDFium, its pages given to pdfplumber as pages whose objects PDFium read (pdf_layer)."""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from itertools import islice
from typing import Any

import pypdfium2.raw as pdfium
from pdfplumber.page import Page, _invert_box, _normalize_box

from ..errors import Corrupt, Encrypted, ExtractionError, TooLarge
from .pdf_layer import Fonts, Frame, chars, covered_text, page_matrix, paths, picture, shapes, wide_pictures

LOCK = threading.RLock()
"""Held around every use of PDFium in this process: PDFium is not thread-safe and the crawler reads in threads.

Any other reader calling pypdfium2 (rendering pages for OCR) holds it too.
"""

_OPEN_ERRORS = {
    pdfium.FPDF_ERR_FILE: "file not found or could not be opened",
    pdfium.FPDF_ERR_FORMAT: "not a PDF or corrupted",
    pdfium.FPDF_ERR_SECURITY: "unsupported security scheme",
    pdfium.FPDF_ERR_PAGE: "page not found or content error",
}


class LayerPage(Page):
    """A pdfplumber page whose objects are given, not laid out by pdfminer (its find_tables, filter, words work)."""

    cached_properties = [p for p in Page.cached_properties if p not in ("_objects", "_layout")]  # noqa: RUF012

    def __init__(self, objects: dict[str, list[dict[str, Any]]], frame: Frame, mediabox: Any, rotation: int) -> None:
        self.pdf = None  # type: ignore[assignment]
        self.root_page = self
        self.page_obj = None  # type: ignore[assignment]
        self.page_number = frame.page_number
        self.initial_doctop = frame.doctop
        self.rotation = rotation
        self.mediabox = mediabox
        self.cropbox = mediabox
        self.bbox = mediabox
        self.get_textmap = lru_cache()(self._get_textmap)
        self._objects = objects
        self.pictures = 0
        """Pictures on the page wide enough to hold a table drawn as a picture (`pdf_layer.wide_pictures`)."""
        self.read_images: list[tuple[float, Any, float]] = []
        """Where asked, those pictures as (top on the page, grey image, points per pixel); a bomb's is left out."""


def _error() -> ExtractionError:
    """Return the ExtractionError for the document PDFium just failed to open."""
    code = pdfium.FPDF_GetLastError()
    if code == pdfium.FPDF_ERR_PASSWORD:
        return Encrypted("encrypted PDF (password required)")
    return Corrupt(f"unreadable PDF: PDFium: {_OPEN_ERRORS.get(code, 'unknown error')}")


@contextmanager
def opened(data: bytes) -> Iterator[Any]:
    """Yield PDFium's handle of the document in `data` (kept alive meanwhile), closing it after."""
    buffer = ctypes.create_string_buffer(data, len(data))
    doc = pdfium.FPDF_LoadMemDocument64(buffer, len(data), None)
    if not doc:
        raise _error()
    try:
        yield doc
    finally:
        pdfium.FPDF_CloseDocument(doc)


def page_count(doc: Any) -> int:
    """Return the document's page count."""
    return int(pdfium.FPDF_GetPageCount(doc))


def _boxes(page: Any) -> tuple[tuple[float, float, float, float], int]:
    """Return the page's MediaBox (as written, inherited or the default letter size) and its /Rotate in degrees."""
    left, bottom, right, top = ctypes.c_float(), ctypes.c_float(), ctypes.c_float(), ctypes.c_float()
    if pdfium.FPDFPage_GetMediaBox(page, left, bottom, right, top):
        box = (left.value, bottom.value, right.value, top.value)
    else:
        box = (0.0, 0.0, 612.0, 792.0)
    return box, (pdfium.FPDFPage_GetRotation(page) % 4) * 90


def pages(doc: Any, fonts: Fonts, limit: int, max_pixels: int = 0) -> Iterator[LayerPage]:
    """Yield every page of `doc` as a LayerPage, refusing a page that draws over `limit` characters and paths. With
    `max_pixels`, each page's wide pictures come with it (`LayerPage.read_images`), at most that many pixels in all
    (a picture past them is not decoded)."""
    doctop = 0.0
    for index in range(page_count(doc)):
        page = pdfium.FPDF_LoadPage(doc, index)
        if not page:
            raise Corrupt(f"unreadable PDF: PDFium could not load page {index + 1}")
        try:
            box, rotation = _boxes(page)
            raw = _normalize_box(box, rotation)
            mediabox = _invert_box(raw, raw[3] - raw[1])
            frame = Frame(raw[3] - raw[1], mediabox[0], mediabox[1], doctop, index + 1)
            device = page_matrix(box, rotation)
            drawn = list(islice(paths(page, device), limit + 1))
            wide = wide_pictures(page, abs(box[2] - box[0]))
            images = []
            room = max_pixels  # the page's pictures decoded at most this many pixels in all: memory stays bounded
            for obj in wide if max_pixels else []:
                if (got := picture(obj, device, frame, room)) is not None:
                    images.append(got)
                    room -= got[1].width * got[1].height
            textpage = pdfium.FPDFText_LoadPage(page)
            try:
                if pdfium.FPDFText_CountChars(textpage) + len(drawn) > limit:
                    raise TooLarge(f"PDF page {index + 1} draws over {limit} objects")
                found = chars(textpage, device, frame, fonts, covered_text(page) if wide else frozenset())
            finally:
                pdfium.FPDFText_ClosePage(textpage)
        finally:
            pdfium.FPDF_ClosePage(page)
        objects: dict[str, list[dict[str, Any]]] = {"char": found}
        for path in drawn:
            for shape in shapes(path, frame):
                objects.setdefault(shape["object_type"], []).append(shape)
        doctop += frame.height
        laid = LayerPage(objects, frame, mediabox, rotation)
        laid.pictures = len(wide)
        laid.read_images = images
        yield laid
