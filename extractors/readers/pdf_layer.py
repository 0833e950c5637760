"""A PDF page's characters and drawn paths read with PDFium (pypdfium2), in pdfplumber's object form.

pdfminer interprets a page in Python (some 90% of the PDF path's time); PDFium reads the same
characters and paths in C. The objects are built as pdfminer would lay them out (a character's box
from its origin, advance, the font size and the font descriptor's descent; a path split at each
`m` into lines, rectangles and curves) so that pdfplumber's table finder and word grouping work on
them unchanged.
"""

from __future__ import annotations

import ctypes
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pypdfium2.raw as pdfium

Matrix = tuple[float, float, float, float, float, float]
Point = tuple[float, float]

_SHAPES = {pdfium.FPDF_SEGMENT_MOVETO: "m", pdfium.FPDF_SEGMENT_LINETO: "l", pdfium.FPDF_SEGMENT_BEZIERTO: "c"}


def mult(m: Matrix, n: Matrix) -> Matrix:
    """Return the matrix m applied first, then n (PDF order: m × n)."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (
        a * a2 + b * c2,
        a * b2 + b * d2,
        c * a2 + d * c2,
        c * b2 + d * d2,
        e * a2 + f * c2 + e2,
        e * b2 + f * d2 + f2,
    )


def apply(m: Matrix, x: float, y: float) -> Point:
    """Return the point (x, y) transformed by m."""
    a, b, c, d, e, f = m
    return (a * x + c * y + e, b * x + d * y + f)


def page_matrix(mediabox: tuple[float, float, float, float], rotation: int) -> Matrix:
    """Return pdfminer's device matrix for a page: the MediaBox origin moved to (0, 0), then the page's /Rotate."""
    x0, y0, x1, y1 = mediabox
    if rotation == 90:
        return (0, -1, 1, 0, -y0, x1)
    if rotation == 180:
        return (-1, 0, 0, -1, x1, y1)
    if rotation == 270:
        return (0, 1, -1, 0, y1, -x0)
    return (1, 0, 0, 1, -x0, -y0)


@dataclass(slots=True)
class Frame:
    """Where pdfminer's page coordinates go in pdfplumber's: the page height, the MediaBox corner, the doc offset."""

    height: float
    """The page height (the rotated MediaBox's) in points: pdfplumber's top is measured down from it."""
    left: float
    """The MediaBox's x0, which pdfplumber adds back to every x."""
    top: float
    """The MediaBox's top in pdfplumber's inverted coordinates, added to every top."""
    doctop: float
    """The heights of the pages before this one: pdfplumber's doctop offset."""
    page_number: int
    """The page's number, from 1."""

    def box(self, kind: str, x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
        """Return pdfplumber's attributes of an object of `kind` whose pdfminer bounding box is given."""
        top = self.height - y1 + self.top
        return {
            "object_type": kind,
            "page_number": self.page_number,
            "x0": x0 + self.left,
            "y0": y0,
            "x1": x1 + self.left,
            "y1": y1,
            "width": x1 - x0,
            "height": y1 - y0,
            "top": top,
            "bottom": self.height - y0 + self.top,
            "doctop": self.doctop + top,
        }

    def point(self, p: Point) -> Point:
        """Return a pdfminer point in pdfplumber's page coordinates (pdfplumber's point2coord)."""
        return (self.left + p[0], self.top + self.height - p[1])


def _handle(ptr: Any) -> int:
    """Return the address behind a PDFium handle, to key caches by."""
    return ctypes.cast(ptr, ctypes.c_void_p).value or 0


class Fonts:
    """The font facts a character box needs, PDFium's font handle by handle, with pdfminer's descent."""

    def __init__(self, descents: Callable[[str], float | None]) -> None:
        self._descents = descents
        self._seen: dict[int, float] = {}
        self._buf = ctypes.create_string_buffer(256)
        self._out = ctypes.c_float()

    def name(self, font: Any) -> str:
        """Return the font's /BaseFont name ("" where PDFium gives none)."""
        n = pdfium.FPDFFont_GetBaseFontName(font, self._buf, len(self._buf))
        return self._buf.raw[: max(0, min(n, len(self._buf)) - 1)].decode("latin-1")

    def descent(self, font: Any) -> float:
        """Return the font's descent per unit of font size, as pdfminer reads it from the font descriptor.

        PDFium derives a descent from the glyphs where the descriptor says 0; pdfminer keeps 0, so the
        descriptor's own value wins where it is known.
        """
        key = _handle(font)
        if key not in self._seen:
            known = self._descents(self.name(font))
            if known is None:
                known = self._out.value if pdfium.FPDFFont_GetDescent(font, ctypes.c_float(1.0), self._out) else 0.0
            self._seen[key] = -abs(known)
        return self._seen[key]

    def advance(self, font: Any, char: int, size: float) -> float:
        """Return the advance of `char` (a code point) at `size`, from the font's width table."""
        if pdfium.FPDFFont_GetGlyphWidth(font, char, ctypes.c_float(size), self._out):
            return self._out.value
        return 0.0


def chars(textpage: Any, device: Matrix, frame: Frame, fonts: Fonts) -> list[dict[str, Any]]:
    """Return the page's characters as pdfplumber's char objects, in PDFium's reading order.

    Characters PDFium made up (spaces and line breaks between text objects) are left out, as pdfminer has none.
    """
    out: list[dict[str, Any]] = []
    x, y = ctypes.c_double(), ctypes.c_double()
    m = pdfium.FS_MATRIX()
    size = ctypes.c_float()
    objects: dict[int, tuple[Any, float]] = {}
    for i in range(pdfium.FPDFText_CountChars(textpage)):
        if pdfium.FPDFText_IsGenerated(textpage, i) == 1:
            continue
        code = pdfium.FPDFText_GetUnicode(textpage, i)
        obj = pdfium.FPDFText_GetTextObject(textpage, i)
        key = _handle(obj)
        if not key:
            continue
        if key not in objects:
            fs = size.value if pdfium.FPDFTextObj_GetFontSize(obj, size) else 0.0
            objects[key] = (pdfium.FPDFTextObj_GetFont(obj), fs)
        font, fs = objects[key]
        pdfium.FPDFText_GetCharOrigin(textpage, i, x, y)
        pdfium.FPDFText_GetMatrix(textpage, i, m)
        matrix = mult((m.a, m.b, m.c, m.d, x.value, y.value), device)
        a, b, c, d = matrix[:4]
        low = fonts.descent(font) * fs
        x0, y0 = apply(matrix, 0.0, low)
        x1, y1 = apply(matrix, fonts.advance(font, code, fs), low + fs)
        x0, x1 = min(x0, x1), max(x0, x1)
        y0, y1 = min(y0, y1), max(y0, y1)
        obj_attrs = frame.box("char", x0, y0, x1, y1)
        obj_attrs.update(text=chr(code) if code else "", upright=a * d > 0 and b * c <= 0, size=y1 - y0,
                         matrix=matrix)  # fmt: skip
        out.append(obj_attrs)
    return out


@dataclass(slots=True)
class Path:
    """One painted path of a page: its segments in device space and how it was painted."""

    segments: list[tuple[str, Point, bool]]
    """(m, l or c; the end point; True where the segment closes the subpath), control points left out."""
    stroke: bool
    """The path is stroked."""
    fill: bool
    """The path is filled."""
    evenodd: bool
    """The fill uses the even-odd rule."""
    linewidth: float
    """The stroke width, in the path's own units."""


def paths(page: Any, device: Matrix) -> Iterator[Path]:
    """Yield the page's painted paths, those inside form XObjects included, in drawing order."""
    yield from _paths_in(pdfium.FPDFPage_CountObjects(page), lambda i: pdfium.FPDFPage_GetObject(page, i), device)


def _matrix(obj: Any) -> Matrix:
    m = pdfium.FS_MATRIX()
    if not pdfium.FPDFPageObj_GetMatrix(obj, m):
        return (1, 0, 0, 1, 0, 0)
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def _paths_in(count: int, get: Callable[[int], Any], outer: Matrix) -> Iterator[Path]:
    """Yield the paths among `count` objects got by `get`, their points taken through `outer`."""
    fill_mode, stroke = ctypes.c_int(), ctypes.c_int()
    px, py = ctypes.c_float(), ctypes.c_float()
    width = ctypes.c_float()
    for i in range(count):
        obj = get(i)
        kind = pdfium.FPDFPageObj_GetType(obj)
        if kind == pdfium.FPDF_PAGEOBJ_FORM:
            inner = mult(_matrix(obj), outer)
            count = pdfium.FPDFFormObj_CountObjects(obj)
            yield from _paths_in(count, lambda j, o=obj: pdfium.FPDFFormObj_GetObject(o, j), inner)
            continue
        if kind != pdfium.FPDF_PAGEOBJ_PATH:
            continue
        matrix = mult(_matrix(obj), outer)
        segments: list[tuple[str, Point, bool]] = []
        bezier = 0
        for s in range(pdfium.FPDFPath_CountSegments(obj)):
            seg = pdfium.FPDFPath_GetPathSegment(obj, s)
            op = _SHAPES.get(pdfium.FPDFPathSegment_GetType(seg), "?")
            if op == "c":
                bezier += 1
                if bezier % 3:
                    continue  # a control point: pdfminer keeps a curve's end point only
            pdfium.FPDFPathSegment_GetPoint(seg, px, py)
            segments.append((op, apply(matrix, px.value, py.value), bool(pdfium.FPDFPathSegment_GetClose(seg))))
        pdfium.FPDFPath_GetDrawMode(obj, fill_mode, stroke)
        lw = width.value if pdfium.FPDFPageObj_GetStrokeWidth(obj, width) else 0.0
        yield Path(segments, bool(stroke.value), fill_mode.value != 0,
                   fill_mode.value == pdfium.FPDF_FILLMODE_ALTERNATE, lw)  # fmt: skip


def shapes(path: Path, frame: Frame) -> Iterator[dict[str, Any]]:
    """Yield pdfplumber's line, rect and curve objects for a path, split at each move as pdfminer splits it."""
    ops: list[tuple[str, Point]] = []
    for op, point, closes in path.segments:
        ops.append((op, point))
        if closes:
            ops.append(("h", ops[0][1] if ops else point))
    text = "".join(op for op, _ in ops)
    for sub in re.finditer(r"m[^m]*", text):
        part = ops[sub.start() : sub.end()]
        if len(part) > 1:
            yield _shape(part, path, frame)


def _shape(part: list[tuple[str, Point]], path: Path, frame: Frame) -> dict[str, Any]:
    """Return the pdfplumber object of one subpath, classified as pdfminer classifies it."""
    shape = "".join(op for op, _ in part)
    pts = [p if op != "h" else part[0][1] for op, p in part]
    if len(shape) > 3 and shape[-2:] == "lh" and pts[-2] == pts[0]:
        shape = shape[:-2] + "h"
        pts.pop()
    kind = "curve"
    if shape in {"mlh", "ml"}:
        kind = "line"
        pts = pts[:2]
    elif shape in {"mlllh", "mllll"}:
        (x0, y0), (x1, y1), (x2, y2), (x3, y3), _ = pts
        square = (x0 == x1 and y1 == y2 and x2 == x3 and y3 == y0) or (y0 == y1 and x1 == x2 and y2 == y3 and x3 == x0)
        if pts[0] == pts[4] and square:
            kind = "rect"
            pts = [pts[0], pts[2]]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    obj = frame.box(kind, min(xs), min(ys), max(xs), max(ys))
    obj.update(stroke=path.stroke, fill=path.fill, evenodd=path.evenodd, linewidth=path.linewidth)
    if kind == "curve":
        obj["pts"] = [frame.point(p) for p in pts]
    elif kind == "rect":
        lo, hi = (obj["x0"], obj["top"]), (obj["x1"], obj["bottom"])
        obj["pts"] = [lo, (hi[0], lo[1]), hi, (lo[0], hi[1])]
    else:
        obj["pts"] = [frame.point(p) for p in pts]
    return obj
