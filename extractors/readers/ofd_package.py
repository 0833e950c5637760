"""An OFD package (GB/T 33190) read down to what the page layout needs: characters and ruling lines.

OFD is a zip of XML parts: OFD.xml names each document's Document.xml (DocBody/DocRoot), whose
CommonData holds the page area, template pages and resource files and whose Pages list each page's
Content.xml. A page draws Layers of TextObjects, PathObjects, PageBlocks and CompositeObjects; each
object's Boundary places its own coordinate space on the page and its CTM maps into that space.
Units are millimetres from the top left. Characters and edges come out in PDF points, shaped like
pdfplumber's objects, so the PDF reader's table finder and row rebuilder apply unchanged.
"""

from __future__ import annotations

import math
import posixpath
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from ..errors import Corrupt, TooLarge
from ..limits import MAX_TEXT_CHARS, PDF_PAGE_OBJECTS
from .docx import check_zip
from .ofd_xml import (
    IDENTITY,
    Affine,
    apply,
    child_text,
    children,
    deltas,
    local,
    numbers,
    object_space,
)

PT = 72 / 25.4  # PDF points in a millimetre
MAX_PAGES = 300
MAX_DEPTH = 16  # PageBlocks and CompositeObjects inside one another
COVERING = 0.5
"""The least share of a page's area an opaque picture drawn over text must fill to hide it: a scan of the page, not a
seal or a logo stamped over a signature."""
MAX_COVERS = 8
"""Covering pictures applied a page at most (each is a pass over the page's characters)."""
NARROW = 0.6  # em width of a lone Latin glyph or digit (Times 0.5, Arial 0.56, DejaVu 0.64, with CJK autospace)
ASCENT, DESCENT = 0.86, 0.14  # share of the font size above and below the baseline (no font metrics are read)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True)



@dataclass
class OfdPage:
    """One page laid out: its size, characters and ruling-line edges, in points from the top left."""

    number: int
    """Page number, from 1."""
    width: float
    """Width of the page's PhysicalBox."""
    height: float
    """Height of the page's PhysicalBox."""
    chars: list[dict[str, Any]] = field(default_factory=list)
    """One pdfplumber-shaped dict a character: text, x0, x1, top, bottom, size, upright."""
    edges: list[dict[str, Any]] = field(default_factory=list)
    """One pdfplumber-shaped dict a straight horizontal or vertical path segment (orientation "h" or "v")."""
    images: list[tuple[str, tuple[float, float, float, float]]] = field(default_factory=list)
    """One (package member of the picture, its box as x0, top, x1, bottom) an ImageObject drawn: a scan's page."""


@dataclass
class OfdDocument:
    """What was read of an OFD package: its pages in order and its DocInfo strings."""

    pages: Iterator[OfdPage]
    """Pages of the first document body in the order Document.xml lists them, each laid out only when reached
    (one page's characters in memory at a time); a page part missing or broken raises then."""
    meta: dict[str, str]
    """DocInfo fields with text (Title, Author, CreationDate, …), by element name."""
    member: Callable[[str], bytes] = bytes
    """Returns the bytes of a package member (a picture OfdPage.images names)."""


class Package:
    """The parts of one OFD zip, found by the locations the XML writes (absolute, relative, any case)."""

    def __init__(self, data: bytes) -> None:
        self.zip: zipfile.ZipFile = check_zip(data, "OFD")  # bounded inflation: bombs and lying headers refused
        self.names: dict[str, str] = {}
        for info in self.zip.infolist():
            self.names.setdefault(_clean_name(info.filename).casefold(), info.filename)

    def find(self, base: str, location: str | None) -> str | None:
        """Return the member that `location`, written inside part `base`, names; None where there is none."""
        where = (location or "").strip().replace("\\", "/")
        if not where:
            return None
        tries = [where] if where.startswith("/") else [posixpath.join(posixpath.dirname(base), where), where]
        for candidate in tries:
            path = posixpath.normpath(_clean_name(candidate))
            if not path.startswith(".."):
                found = self.names.get(path.casefold())
                if found is not None:
                    return found
        return None

    def xml(self, name: str) -> Any:
        """Return the root element of the XML part `name`. Raises Corrupt for broken XML or a DTD."""
        try:
            root = etree.fromstring(self.zip.read(name), _PARSER)
        except etree.XMLSyntaxError as exc:
            raise Corrupt(f"broken XML in OFD part {name}: {' '.join(str(exc).split())[:100]}") from None
        except ValueError as exc:  # lxml refuses some inputs (e.g. text declared in an unknown encoding)
            raise Corrupt(f"unreadable OFD part {name}: {' '.join(str(exc).split())[:100]}") from None
        if root.getroottree().docinfo.internalDTD is not None:
            raise Corrupt(f"OFD part {name} declares a DTD (entities are not read)")
        return root

    def required(self, base: str, location: str | None, what: str) -> tuple[str, Any]:
        """Return (member name, root element) of the part `location` names inside `base`; Corrupt where missing."""
        found = self.find(base, location)
        if found is None:
            raise Corrupt(f"OFD {what} {location or '(no location)'} named in {base} is missing")
        return found, self.xml(found)


def _clean_name(name: str) -> str:
    """Return a zip member name without a leading slash or ./ (producers write both)."""
    name = name.replace("\\", "/")
    while name.startswith(("/", "./")):
        name = name[1:] if name.startswith("/") else name[2:]
    return name


def _alpha(node: Any) -> int:
    """Return a graphic unit's or colour's Alpha (0 wholly transparent to 255 opaque, the default)."""
    try:
        return int(float((node.get("Alpha") or "255").strip()))
    except ValueError:
        return 255


def _painted_text(obj: Any) -> bool:
    """True where a TextObject paints its glyphs: filled (Fill, true by default) or stroked (Stroke), in a colour that
    is not wholly transparent. A 双层OFD's OCR words are drawn neither way, or at Alpha 0, over the page's picture."""
    alphas = {local(c): _alpha(c) for c in obj if local(c) in ("FillColor", "StrokeColor")}
    fill = (obj.get("Fill") or "true").strip().lower() != "false"
    stroke = (obj.get("Stroke") or "false").strip().lower() == "true"
    return (fill and alphas.get("FillColor", 255) > 0) or (stroke and alphas.get("StrokeColor", 255) > 0)


def _wide(char: str) -> bool:
    """True for a character drawn a full em wide: CJK, fullwidth forms and, in the CJK fonts OFDs use, the
    ambiguous ones (“ ” ‘ ’ … ① ×)."""
    return unicodedata.east_asian_width(char) in ("W", "F", "A")


class PageReader:
    """Lays out the objects of one page (and its templates) into characters and edges, within the budget."""

    def __init__(self, package: Package, resources: list[str], page: OfdPage) -> None:
        self.package = package
        self.resources = resources
        self.page = page
        self.units: dict[str, Any] | None = None
        self.media: dict[str, str] | None = None
        self.seen: set[tuple[str, int, int]] = set()
        self.covers = 0

    def _count(self) -> None:
        """Refuse the page once it has laid out more than PDF_PAGE_OBJECTS characters, edges and pictures."""
        if len(self.page.chars) + len(self.page.edges) + len(self.page.images) > PDF_PAGE_OBJECTS:
            raise TooLarge(f"OFD page {self.page.number} draws over {PDF_PAGE_OBJECTS} objects")

    def layers(self, root: Any) -> None:
        """Lay out every Layer of a page's (or template's) Content."""
        for content in children(root, "Content"):
            for layer in children(content, "Layer"):
                self.walk(layer, IDENTITY, 0)

    def walk(self, node: Any, outer: Affine, depth: int) -> None:
        """Lay out the graphic objects under `node`, `outer` mapping their parent's space to the page."""
        if depth > MAX_DEPTH:
            raise TooLarge(f"OFD page {self.page.number} nests objects over {MAX_DEPTH} deep")
        for obj in node:
            name = local(obj)
            if obj.get("Visible", "true").strip().lower() == "false" or _alpha(obj) == 0:
                continue
            if name == "TextObject":
                if _painted_text(obj):
                    self.text(obj, object_space(obj, outer))
            elif name == "PathObject":
                self.path(obj, object_space(obj, outer))
            elif name == "ImageObject":
                self.image(obj, object_space(obj, outer))
            elif name == "PageBlock":
                self.walk(obj, outer, depth + 1)
            elif name == "CompositeObject":
                unit = self.unit(obj.get("ResourceID"))
                for content in children(unit, "Content") if unit is not None else ():
                    self.walk(content, object_space(obj, outer), depth + 1)

    def unit(self, ref: str | None) -> Any:
        """Return the CompositeGraphicUnit with ID `ref` from the resource files, or None."""
        if self.units is None:
            self.units = {}
            for part in self.resources:
                for units in children(self.package.xml(part), "CompositeGraphicUnits"):
                    for unit in children(units, "CompositeGraphicUnit"):
                        self.units.setdefault((unit.get("ID") or "").strip(), unit)
        return self.units.get((ref or "").strip())

    def picture(self, ref: str | None) -> str | None:
        """Return the package member of the MultiMedia with ID `ref` (its MediaFile under the Res BaseLoc), or None."""
        if self.media is None:
            self.media = {}
            for part in self.resources:
                root = self.package.xml(part)
                base = (root.get("BaseLoc") or "").strip()
                for media in (m for group in children(root, "MultiMedias") for m in children(group, "MultiMedia")):
                    file = child_text(media, "MediaFile")
                    found = self.package.find(part, posixpath.join(base, file)) or self.package.find(part, file)
                    if found:
                        self.media.setdefault((media.get("ID") or "").strip(), found)
        return self.media.get((ref or "").strip())

    def image(self, obj: Any, space: Affine) -> None:
        """Note an ImageObject's picture and the box its unit square fills (OCR reads it where no page has text); an
        opaque one filling COVERING of the page or more hides the characters drawn before it inside its box."""
        member = self.picture(obj.get("ResourceID"))
        if member is None:
            return
        corners = [apply(space, x, y) for x in (0.0, 1.0) for y in (0.0, 1.0)]
        xs, ys = [p[0] * PT for p in corners], [p[1] * PT for p in corners]
        if math.isfinite(sum(xs) + sum(ys)) and max(xs) - min(xs) > 1 and max(ys) - min(ys) > 1:
            box = (min(xs), min(ys), max(xs), max(ys))
            self.page.images.append((member, box))
            big = (box[2] - box[0]) * (box[3] - box[1]) >= COVERING * self.page.width * self.page.height
            if big and self.covers < MAX_COVERS and _alpha(obj) == 255 and self._opaque(member):
                self._cover(box)
        self._count()

    def _opaque(self, member: str) -> bool:
        """True where the picture has no transparency: not a PNG with an alpha channel or a transparent colour, not a
        GIF (which may have one). Its first bytes are read (check_zip has proven every member readable)."""
        with self.package.zip.open(member) as f:
            head = f.read(4096)
        if head.startswith(b"GIF8"):
            return False
        if head.startswith(b"\x89PNG"):
            end = head.find(b"IDAT")
            return len(head) > 25 and head[25] not in (4, 6) and b"tRNS" not in head[: end if end >= 0 else None]
        return True

    def _cover(self, box: tuple[float, float, float, float]) -> None:
        """Drop the characters drawn so far that lie inside `box`: a picture drawn over them (a 双层OFD's OCR words
        laid under the page's scan) hides them. A page's first MAX_COVERS such pictures are applied (a scan has one a
        page): a hostile page of thousands costs no more than those, their pictures' heads not read either."""
        self.covers += 1
        x0, top, x1, bottom = box[0] - 1, box[1] - 1, box[2] + 1, box[3] + 1
        kept = []
        for c in self.page.chars:
            if x0 <= c["x0"] and c["x1"] <= x1 and top <= c["top"] and c["bottom"] <= bottom:
                self.seen.discard((c["text"], round(c["x0"]), round(c["top"])))
            else:
                kept.append(c)
        self.page.chars = kept

    def text(self, obj: Any, space: Affine) -> None:
        """Add the characters of a TextObject: one per glyph, placed by TextCode X/Y and DeltaX/DeltaY."""
        sizes = numbers(obj.get("Size"), 1)
        size = sizes[0] if sizes and sizes[0] > 0 else 3.5
        scale = math.sqrt(abs(space[0] * space[3] - space[1] * space[2])) or 1.0
        x = y = 0.0
        for code in children(obj, "TextCode"):
            text = "".join(c for c in (code.text or "") if unicodedata.category(c) not in ("Cc", "Cf"))
            x = (numbers(code.get("X"), 1) or [x])[0]
            y = (numbers(code.get("Y"), 1) or [y])[0]
            dx = deltas(code.get("DeltaX"), len(text) - 1)
            dy = deltas(code.get("DeltaY"), len(text) - 1)
            cx, cy = x, y
            # No font metrics: a glyph without a step after it (the last) is as wide as the steps of its kind here.
            narrow = sorted(d for c, d in zip(text, dx, strict=False) if 0 < d <= size and not _wide(c))
            half = narrow[len(narrow) // 2] if narrow else NARROW * size
            for i, char in enumerate(text):
                natural = size if _wide(char) else half
                step = dx[i] if i < len(dx) else natural
                # No font metrics: a glyph fills its advance up to one em, so only wider steps leave a gap.
                width = min(step, size) if step > 0 else natural
                self._char(char, space, cx, cy, width, size, size * scale)  # spaces too: words break at them
                cx += step
                cy += dy[i] if i < len(dy) else 0.0
            x, y = cx, cy  # a TextCode without X or Y goes on where the last one ended
            self._count()

    def _char(self, char: str, space: Affine, x: float, y: float, width: float, size: float, shown: float) -> None:
        a, b, c, d, e, f = space
        if b == c == 0:  # upright, as nearly every page is: two corners tell the box
            xs, ys = (a * x + e, a * (x + width) + e), (d * (y - ASCENT * size) + f, d * (y + DESCENT * size) + f)
        else:
            corners = [apply(space, px, py) for px in (x, x + width) for py in (y - ASCENT * size, y + DESCENT * size)]
            xs, ys = tuple(p[0] for p in corners), tuple(p[1] for p in corners)
        left, right, top, bottom = min(xs) * PT, max(xs) * PT, min(ys) * PT, max(ys) * PT
        if not math.isfinite(left + right + top + bottom):
            return  # numbers that overflow place the glyph nowhere on the page
        # Bold faked by drawing a glyph twice, a point apart: keep the first (pdfplumber's dedupe_chars, in O(1)).
        rx, ry = round(left), round(top)
        seen = self.seen
        for i in (-1, 0, 1):
            if (char, rx + i, ry - 1) in seen or (char, rx + i, ry) in seen or (char, rx + i, ry + 1) in seen:
                return
        seen.add((char, rx, ry))
        self.page.chars.append({
            "object_type": "char", "text": char, "x0": left, "x1": right, "top": top, "bottom": bottom,
            "doctop": top, "width": right - left, "height": bottom - top, "size": shown * PT, "upright": True,
        })  # fmt: skip

    def path(self, obj: Any, space: Affine) -> None:
        """Add an edge for each straight horizontal or vertical segment of a drawn PathObject."""
        if obj.get("Stroke", "true").strip().lower() == "false" and obj.get("Fill", "false").strip().lower() != "true":
            return  # drawn neither way: an invisible path
        start = here = None
        tokens = (child_text(obj, "AbbreviatedData") or "").split()
        i = 0
        while i < len(tokens):
            op, i = tokens[i], i + 1
            want = {"M": 2, "S": 2, "L": 2, "Q": 4, "B": 6, "A": 7, "C": 0}.get(op)
            if want is None:
                continue  # a number past its operator's operands, or an unknown operator: skip it
            args = numbers(" ".join(tokens[i : i + want]), want)
            i += want
            if len(args) < want:
                break
            if op in ("M", "S"):
                start = here = apply(space, args[0], args[1])
            elif op == "C":
                if here is not None and start is not None:
                    self._edge(here, start)
                here = start
            else:
                point = apply(space, args[-2], args[-1])
                if op == "L" and here is not None:
                    self._edge(here, point)
                here = point
        self._count()

    def _edge(self, p: tuple[float, float], q: tuple[float, float]) -> None:
        x0, x1 = sorted((p[0] * PT, q[0] * PT))
        top, bottom = sorted((p[1] * PT, q[1] * PT))
        if not math.isfinite(x0 + x1 + top + bottom):
            return
        if bottom - top < 0.5 <= x1 - x0:
            top = bottom = (top + bottom) / 2
            orientation = "h"
        elif x1 - x0 < 0.5 <= bottom - top:
            x0 = x1 = (x0 + x1) / 2
            orientation = "v"
        else:
            return  # a slanted stroke or a dot: no ruling line
        self.page.edges.append({
            "object_type": "line", "x0": x0, "x1": x1, "top": top, "bottom": bottom, "doctop": top,
            "width": x1 - x0, "height": bottom - top, "orientation": orientation,
        })  # fmt: skip


def _common(package: Package, doc_name: str, document: Any) -> tuple[list[float], dict[str, str | None], list[str]]:
    """Return a document's default page box, its template pages (ID → part) and its resource parts."""
    area: list[float] = []
    templates: dict[str, str | None] = {}
    resources: list[str] = []
    for common in children(document, "CommonData"):
        for node in common:
            if local(node) == "PageArea":
                area = numbers(child_text(node, "PhysicalBox"), 4)
            elif local(node) == "TemplatePage":
                templates[(node.get("ID") or "").strip()] = package.find(doc_name, node.get("BaseLoc"))
            elif local(node) in ("PublicRes", "DocumentRes"):
                found = package.find(doc_name, node.text)
                resources += [found] if found else []
    return area, templates, resources


def read_package(data: bytes) -> OfdDocument:
    """Return the first document of an OFD package: its DocInfo now, its pages laid out one by one as iterated.

    Raises Corrupt (bad zip, broken XML, a part named but missing), Bomb or TooLarge (zip, pages, objects).
    """
    package = Package(data)
    entry = package.find("", "OFD.xml")
    if entry is None:
        raise Corrupt("not an OFD package (no OFD.xml)")
    ofd = package.xml(entry)
    body = next(children(ofd, "DocBody"), None)
    if local(ofd) != "OFD" or body is None:
        raise Corrupt("OFD.xml names no document (no OFD/DocBody)")
    doc_name, document = package.required(entry, child_text(body, "DocRoot"), "document")
    meta = {local(c): (c.text or "").strip() for info in children(body, "DocInfo") for c in info}
    area, templates, resources = _common(package, doc_name, document)
    listed = [p for pages in children(document, "Pages") for p in children(pages, "Page")]
    if len(listed) > MAX_PAGES:
        raise TooLarge(f"OFD has {len(listed)} pages (limit {MAX_PAGES})")

    parsed: dict[str, Any] = {}  # template parts, each parsed once however many pages draw it

    def pages() -> Iterator[OfdPage]:
        drawn = 0
        for number, listing in enumerate(listed, start=1):
            name, root = package.required(doc_name, listing.get("BaseLoc"), f"page {number}")
            box = [n for a in children(root, "Area") for n in numbers(child_text(a, "PhysicalBox"), 4)]
            w, h = (box or area or [0, 0, 210, 297])[2:4]
            page = OfdPage(number, w * PT, h * PT)
            own = [package.find(name, r.text) for r in children(root, "PageRes")]
            reader = PageReader(package, resources + [r for r in own if r], page)
            for ref in children(root, "Template"):
                template = templates.get((ref.get("TemplateID") or "").strip())
                if template:
                    if template not in parsed:
                        parsed[template] = package.xml(template)
                    reader.layers(parsed[template])
            reader.layers(root)
            drawn += len(page.chars)
            # Pages may all draw one busy part: the text budget admit() would apply, applied before the time is spent.
            if drawn > MAX_TEXT_CHARS:
                raise TooLarge(f"OFD pages draw over {MAX_TEXT_CHARS} characters")
            yield page

    return OfdDocument(pages(), {k: v for k, v in meta.items() if k and v}, package.zip.read)
