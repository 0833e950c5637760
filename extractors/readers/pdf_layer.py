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


SNAP = 1000
"""Path points are kept to 1/SNAP of a point: a ruling drawn through a rotation (cos 90° computed as 6e-17) or
PDFium's single-precision arithmetic leaves a vertical line's ends a hair apart, and a line or a rectangle is one
only where its ends are exactly aligned (pdfminer's, pdfplumber's test)."""


def _snapped(point: Point) -> Point:
    """Return the point with each coordinate rounded to 1/SNAP of a point (0.0 for -0.0)."""
    return (round(point[0] * SNAP) / SNAP + 0.0, round(point[1] * SNAP) / SNAP + 0.0)


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
    """Return the address behind a PDFium handle, to pass to the plain prototypes below."""
    return ctypes.cast(ptr, ctypes.c_void_p).value or 0


def _plain(fn: Any, restype: Any, *argtypes: Any) -> Any:
    """Return PDFium's function `fn` called with plain addresses: no pointer conversion on each of many calls."""
    return ctypes.CFUNCTYPE(restype, *argtypes)(_handle(fn))


_V, _I, _F = ctypes.c_void_p, ctypes.c_int, ctypes.c_float
_unicode = _plain(pdfium.FPDFText_GetUnicode, ctypes.c_uint, _V, _I)
_generated = _plain(pdfium.FPDFText_IsGenerated, _I, _V, _I)
_text_object = _plain(pdfium.FPDFText_GetTextObject, _V, _V, _I)
_origin = _plain(pdfium.FPDFText_GetCharOrigin, _I, _V, _I, _V, _V)
_char_matrix = _plain(pdfium.FPDFText_GetMatrix, _I, _V, _I, _V)
_font_of = _plain(pdfium.FPDFTextObj_GetFont, _V, _V)
_render_mode = _plain(pdfium.FPDFTextObj_GetTextRenderMode, _I, _V)
_fill_color = _plain(pdfium.FPDFPageObj_GetFillColor, _I, _V, _V, _V, _V, _V)
_stroke_color = _plain(pdfium.FPDFPageObj_GetStrokeColor, _I, _V, _V, _V, _V, _V)
_FILLS = frozenset((0, 2, 4, 6))
_STROKES = frozenset((1, 2, 5, 6))
"""The text render modes that fill the glyphs, and those that stroke them (3 and 7 do neither: nothing is painted)."""
_font_size = _plain(pdfium.FPDFTextObj_GetFontSize, _I, _V, _V)
_glyph_width = _plain(pdfium.FPDFFont_GetGlyphWidth, _I, _V, ctypes.c_uint, _F, _V)
_font_descent = _plain(pdfium.FPDFFont_GetDescent, _I, _V, _F, _V)
_font_name = _plain(pdfium.FPDFFont_GetBaseFontName, ctypes.c_ulong, _V, _V, ctypes.c_ulong)
_MADE_UP = frozenset(" \r\n\u00a0-\u00ad")  # what PDFium inserts between text objects: spaces, breaks, hyphens


class Fonts:
    """The font facts a character box needs, by PDFium font handle, with pdfminer's descent."""

    def __init__(self, descents: Callable[[str], float | None]) -> None:
        self._descents = descents
        self._seen: dict[int, float] = {}
        self._widths: dict[tuple[int, int, float], float] = {}
        self._buf = ctypes.create_string_buffer(256)
        self._out = ctypes.c_float()
        self._at = ctypes.addressof(self._out)

    def name(self, font: int) -> str:
        """Return the font's /BaseFont name as PDFium gives it (no subset tag; "" where it gives none)."""
        n = _font_name(font, ctypes.addressof(self._buf), len(self._buf))
        return self._buf.raw[: max(0, min(n, len(self._buf)) - 1)].decode("latin-1")

    def descent(self, font: int) -> float:
        """Return the font's descent per unit of font size, as pdfminer reads it from the font descriptor.

        PDFium derives a descent from the glyphs where the descriptor says 0; pdfminer keeps 0, so the
        descriptor's own value wins where it is known.
        """
        if font not in self._seen:
            known = self._descents(self.name(font))
            if known is None:
                known = self._out.value if _font_descent(font, 1.0, self._at) else 0.0
            self._seen[font] = -abs(known)
        return self._seen[font]

    def advance(self, font: int, char: int, size: float) -> float:
        """Return the advance of `char` (a code point) at `size`, from the font's width table."""
        key = (font, char, size)
        width = self._widths.get(key)
        if width is None:
            width = self._widths[key] = self._out.value if _glyph_width(font, char, size, self._at) else 0.0
        return width


@dataclass(slots=True)
class _Run:
    """What the characters of one text object share."""

    font: int
    """PDFium's font handle."""
    size: float
    """The font size (Tf), in text space."""
    matrix: tuple[float, float, float, float]
    """The text matrix times the page's device matrix, its a, b, c, d (no translation)."""
    low: float
    """The descent times the font size: where a character's box starts below its baseline."""
    shown: bool
    """False where the object paints nothing: a render mode that neither fills nor strokes, or a wholly transparent
    colour (the page does not show its characters)."""


class _Runs:
    """The text objects of one text page, read once each."""

    def __init__(self, textpage: int, device: Matrix, fonts: Fonts) -> None:
        self._tp, self._device, self._fonts = textpage, device, fonts
        self._seen: dict[int, _Run] = {}
        self._m = pdfium.FS_MATRIX()
        self._size = ctypes.c_float()
        rgba = self._rgba = (ctypes.c_uint * 4)()
        self._at = tuple(ctypes.addressof(rgba) + k * ctypes.sizeof(ctypes.c_uint) for k in range(4))

    def of(self, obj: int, index: int) -> _Run:
        """Return the shared facts of text object `obj`, which draws character `index`."""
        run = self._seen.get(obj)
        if run is None:
            fs = self._size.value if _font_size(obj, ctypes.addressof(self._size)) else 0.0
            font = _font_of(obj) or 0
            m = self._m
            _char_matrix(self._tp, index, ctypes.addressof(m))
            matrix = mult((m.a, m.b, m.c, m.d, 0.0, 0.0), self._device)[:4]
            run = self._seen[obj] = _Run(font, fs, matrix, self._fonts.descent(font) * fs, self._painted(obj))
        return run

    def _painted(self, obj: int) -> bool:
        """True where text object `obj` paints its glyphs: a render mode that fills or strokes them, with a colour
        that is not wholly transparent (a scan's hidden OCR words are drawn in mode 3, or at opacity 0)."""
        mode = _render_mode(obj)
        return (mode in _FILLS and self._alpha(_fill_color, obj) > 0) or (
            mode in _STROKES and self._alpha(_stroke_color, obj) > 0)

    def _alpha(self, get: Any, obj: int) -> int:
        """Return the alpha (0-255) of the colour `get` reads of `obj`, 255 where PDFium gives none."""
        return self._rgba[3] if get(obj, *self._at) else 255


def _codes(textpage: Any, count: int) -> list[int]:
    """Return the code points of the text page's `count` characters, read in one call where they map one to one."""
    buf = (ctypes.c_ushort * (count + 1))()
    got = pdfium.FPDFText_GetText(textpage, 0, count, buf)
    units = list(buf[: max(0, got - 1)])
    if len(units) == count and not any(0xD800 <= u < 0xE000 for u in units):
        return units
    tp = _handle(textpage)
    return [_unicode(tp, i) for i in range(count)]  # surrogate pairs: one call a character


def chars(textpage: Any, device: Matrix, frame: Frame, fonts: Fonts,
          covered: frozenset[int] = frozenset()) -> list[dict[str, Any]]:  # fmt: skip
    """Return the page's characters as pdfplumber's char objects, in PDFium's reading order.

    Characters PDFium made up (spaces and line breaks between text objects) are left out, as pdfminer has none, and
    so are those drawn in a render mode that paints nothing or at opacity 0, and those of the text objects `covered`
    (`covered_text`): a scan's hidden OCR words, where the page shows its picture.
    """
    out: list[dict[str, Any]] = []
    x, y = ctypes.c_double(), ctypes.c_double()
    px, py = ctypes.addressof(x), ctypes.addressof(y)
    tp = _handle(textpage)
    runs = _Runs(tp, device, fonts)
    da, db, dc, dd, de, df = device
    height, left, shift, doctop, number = frame.height, frame.left, frame.top, frame.doctop, frame.page_number
    for i, code in enumerate(_codes(textpage, pdfium.FPDFText_CountChars(textpage))):
        text = chr(code) if code else ""
        if text in _MADE_UP and _generated(tp, i) == 1:
            continue
        obj = _text_object(tp, i)
        if not obj or obj in covered:
            continue
        run = runs.of(obj, i)
        if not run.shown:
            continue
        _origin(tp, i, px, py)
        ox, oy = x.value, y.value
        ox, oy = da * ox + dc * oy + de, db * ox + dd * oy + df
        a, b, c, d = run.matrix
        adv, low = fonts.advance(run.font, code, run.size), run.low
        high = low + run.size
        x0, x1 = ox + c * low, ox + a * adv + c * high
        y0, y1 = oy + d * low, oy + b * adv + d * high
        if x1 < x0:
            x0, x1 = x1, x0
        if y1 < y0:
            y0, y1 = y1, y0
        top = height - y1 + shift
        out.append({
            "object_type": "char",
            "page_number": number,
            "x0": x0 + left,
            "y0": y0,
            "x1": x1 + left,
            "y1": y1,
            "width": x1 - x0,
            "height": y1 - y0,
            "top": top,
            "bottom": height - y0 + shift,
            "doctop": doctop + top,
            "text": text,
            "upright": a * d > 0 and b * c <= 0,
            "size": y1 - y0,
            "matrix": (a, b, c, d, ox, oy),
        })  # fmt: skip
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


COVERING = 0.5
"""The least share of a page's area a picture drawn over text must fill for the text to count as hidden under it: a
scan of the page, not a seal or a logo stamped over a signature."""
MAX_COVERS = 8
"""Covering pictures a page is checked against at most (a scan has one a page): a hostile page of thousands of
big pictures costs no more than eight."""


def covered_text(page: Any) -> frozenset[int]:
    """Return the addresses of the page's text objects (top level) that an opaque picture drawn after them covers
    whole, the picture filling COVERING of the page or more: a 双层PDF's OCR words laid under the page's scan."""
    left, bottom, right, top = ctypes.c_float(), ctypes.c_float(), ctypes.c_float(), ctypes.c_float()
    x0, y0, x1, y1 = ctypes.c_float(), ctypes.c_float(), ctypes.c_float(), ctypes.c_float()
    area = pdfium.FPDF_GetPageWidthF(page) * pdfium.FPDF_GetPageHeightF(page)
    over: list[tuple[float, float, float, float]] = []  # the big pictures drawn after the object looked at
    out: set[int] = set()
    for i in reversed(range(pdfium.FPDFPage_CountObjects(page))):
        obj = pdfium.FPDFPage_GetObject(page, i)
        kind = pdfium.FPDFPageObj_GetType(obj)
        if kind == pdfium.FPDF_PAGEOBJ_IMAGE and pdfium.FPDFPageObj_GetBounds(obj, left, bottom, right, top):
            box = (left.value, bottom.value, right.value, top.value)
            if (len(over) < MAX_COVERS and (box[2] - box[0]) * (box[3] - box[1]) >= COVERING * area
                    and not pdfium.FPDFPageObj_HasTransparency(obj)):  # fmt: skip
                over.append(box)  # opaque: a see-through watermark over the page hides nothing
        elif kind == pdfium.FPDF_PAGEOBJ_TEXT and over and pdfium.FPDFPageObj_GetBounds(obj, x0, y0, x1, y1):
            text = (x0.value, y0.value, x1.value, y1.value)
            if any(_contains(box, text) for box in over):
                out.add(_handle(obj))
    return frozenset(out)


def _contains(outer: tuple[float, float, float, float], inner: tuple[float, float, float, float]) -> bool:
    """True where box `inner` lies within box `outer` (left, bottom, right, top), give or take a point."""
    a, b, c, d = outer
    return a - 1 <= inner[0] and b - 1 <= inner[1] and inner[2] <= c + 1 and inner[3] <= d + 1


def wide_pictures(page: Any, width: float, share: float = 0.4) -> list[Any]:
    """Return the page's pictures (top-level image objects) at least `share` of the page's `width` wide: what may
    hold a table drawn as a picture (a seal or a logo is narrower)."""
    left, bottom, right, top = ctypes.c_float(), ctypes.c_float(), ctypes.c_float(), ctypes.c_float()
    out = []
    for i in range(pdfium.FPDFPage_CountObjects(page)):
        obj = pdfium.FPDFPage_GetObject(page, i)
        if pdfium.FPDFPageObj_GetType(obj) != pdfium.FPDF_PAGEOBJ_IMAGE:
            continue
        if pdfium.FPDFPageObj_GetBounds(obj, left, bottom, right, top) and right.value - left.value >= share * width:
            out.append(obj)
    return out


def picture(obj: Any, device: Matrix, frame: Frame, max_pixels: int) -> tuple[float, Any, float] | None:
    """Return an image object's top on its page (pdfplumber's), its picture as a grey PIL image and its points per
    pixel across, or None where it holds more than `max_pixels` pixels (a bomb) or PDFium cannot decode it."""
    import pypdfium2 as pdfium_high

    wide, high = ctypes.c_uint(), ctypes.c_uint()
    if not pdfium.FPDFImageObj_GetImagePixelSize(obj, wide, high) or wide.value * high.value > max_pixels:
        return None
    left, bottom, right, top = ctypes.c_float(), ctypes.c_float(), ctypes.c_float(), ctypes.c_float()
    if not pdfium.FPDFPageObj_GetBounds(obj, left, bottom, right, top):
        return None
    corners = [apply(device, x, y) for x in (left.value, right.value) for y in (bottom.value, top.value)]
    xs, ys = [p[0] for p in corners], [p[1] for p in corners]
    raw = pdfium.FPDFImageObj_GetBitmap(obj)
    if not raw:
        return None
    # A copy: the bitmap's buffer is PDFium's, freed with the bitmap (pypdfium2's finaliser) once unused.
    image = pdfium_high.PdfBitmap.from_raw(raw).to_pil().convert("L")
    placed = frame.box("image", min(xs), min(ys), max(xs), max(ys))
    return placed["top"], image, (max(xs) - min(xs)) / max(image.width, 1)


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
            point = _snapped(apply(matrix, px.value, py.value))
            segments.append((op, point, bool(pdfium.FPDFPathSegment_GetClose(seg))))
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
