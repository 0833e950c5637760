"""Pictures shown in a report page: which may hold a table drawn as a picture (图片版), and their bytes carried in
the page itself as `data:` addresses, so that a page and its pictures are one document a reader can OCR.

The crawler fetches a report page's pictures where its text lacks a table and embeds them (`embed`); a page saved
with its pictures beside it is read with them (`local_pictures`); the HTML reader finds them in the page
(`picture_bytes`).
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes, urljoin, urlsplit

MAX_PICTURES = 60
"""Pictures of one page read by OCR, at a few seconds each (a scan's pages: image.MAX_OCR_PAGES)."""
MIN_WIDTH_PX = 200
"""A picture given a smaller width than this is page furniture (an icon, a badge), not a table or a page."""
MIN_HEIGHT_PX = 60
"""A picture given a smaller height than this is furniture (a rule, a button); table 四 drawn is ~150 px high."""

_CHROME = re.compile(
    r"logo|icon|\bico\b|ewm|erweima|qr|share|banner|btn|button|arrow|spacer|blank|nav|menu|search|weixin|wechat|"
    r"weibo|print|close|jiucuo|zfwzbs|dzjg|govicon|\.gif(?:$|\?)",
    re.I,
)
"""A picture's address naming page furniture (logos, QR codes, share and print buttons, site badges)."""
_PIXELS = re.compile(r"\s*(\d+)\s*(?:px)?\s*$", re.I)
LAZY = ("data-original", "data-src", "data-lazy-src", "data-original-src", "lazy-src")
"""Attributes in which a page loading its pictures by script keeps a picture's address (its src a placeholder)."""
_PICTURE_FILE = re.compile(r"\.(?:jpe?g|png|gif|bmp|tiff?|webp)(?:[?#]|$)", re.I)
_DATA = re.compile(r"data:(image/[\w.+-]+)?((?:;[\w-]+=[\w.-]+)*)(;base64)?,", re.I)
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)


def is_content_picture(src: str | None, width: str | None, height: str | None) -> bool:
    """True where an `<img>` (its src, width and height attributes as written) may be part of the text, a table or a
    page drawn as a picture: not page furniture by its address, not given a size under MIN_WIDTH_PX × MIN_HEIGHT_PX
    in pixels (a percentage says nothing of its size)."""
    if not src or (not src.startswith("data:") and _CHROME.search(src)):
        return False
    for given, least in ((width, MIN_WIDTH_PX), (height, MIN_HEIGHT_PX)):
        m = _PIXELS.match(given or "")
        if m and int(m.group(1)) < least:
            return False
    return True


def shown_picture(img: Any) -> tuple[str, str] | None:
    """Return, for an lxml `<img>` element that may hold text, (the address it shows as written, the address of the
    picture to read: a link around it to a picture file, a thumbnail's full picture, else the same), or None where
    it is page furniture. A picture loaded by script is at the address its LAZY attribute holds."""
    src = next((v for name in LAZY if (v := (img.get(name) or "").strip())), None) or (img.get("src") or "").strip()
    if not src:
        return None
    link = img.getparent()
    href = (link.get("href") or "").strip() if link is not None and link.tag == "a" else ""
    if href and _PICTURE_FILE.search(href) and not _CHROME.search(href):
        return src, href  # the thumbnail's size says nothing of the picture's
    return (src, src) if is_content_picture(src, img.get("width"), img.get("height")) else None


def media_type(data: bytes) -> str | None:
    """Return the media type of a picture's bytes by their first bytes (PNG, JPEG, GIF, BMP, TIFF, WebP), or None
    where they are none of these (an error page answered for a picture)."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def data_address(data: bytes) -> str | None:
    """Return the `data:` address carrying a picture's bytes, or None where they are no picture."""
    kind = media_type(data)
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}" if kind else None


def picture_bytes(src: str, max_bytes: int) -> bytes | None:
    """Return the bytes a `data:` address `src` carries where they are a picture of at most `max_bytes`, else None
    (another address, a broken encoding, something else)."""
    m = _DATA.match(src)
    if m is None:
        return None
    payload = src[m.end() :]
    if len(payload) > 2 * max_bytes:
        return None
    try:
        data = base64.b64decode(re.sub(r"\s+", "", payload), validate=True) if m.group(3) else unquote_to_bytes(payload)
    except (binascii.Error, ValueError):
        return None
    return data if len(data) <= max_bytes and media_type(data) else None


def natural_size(data: bytes) -> tuple[int, int] | None:
    """Return a picture's width and height in pixels as its header states them (nothing decoded), or None where
    they cannot be read."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


def embed(page: str, url: str, found: dict[str, bytes]) -> tuple[str, set[str]]:
    """Return the page (its text, at `url`) with each `<img>` whose picture (`shown_picture`'s second address,
    resolved against the page's base) is a key of `found` showing those bytes as its `data:` src (its script-loading
    attributes dropped), and the addresses of `found` so placed; the page is written out again by lxml. A picture
    smaller than MIN_WIDTH_PX × MIN_HEIGHT_PX (an unnamed bullet or badge) is placed as its size instead (its width
    and height set to its own), which makes it furniture. Bytes that are no picture are left out (the
    `<img>` keeps its address)."""
    from lxml import etree
    from lxml import html as lxml_html

    addresses = {where: got for where, data in found.items() if (got := data_address(data))}
    if not addresses:
        return page, set()
    root = lxml_html.document_fromstring(page, parser=lxml_html.HTMLParser(huge_tree=True))
    base = next((urljoin(url, b.get("href", "").strip()) for b in root.iter("base") if b.get("href")), url)
    placed: set[str] = set()
    for img in root.iter("img"):
        picture = shown_picture(img)
        where = urljoin(base, picture[1]) if picture is not None else ""
        got = addresses.get(where)
        if got is None:
            continue
        size = natural_size(found[where])
        if size is not None and (size[0] < MIN_WIDTH_PX or size[1] < MIN_HEIGHT_PX):
            img.set("width", str(size[0]))  # its own size, whatever the page stretches it to: no table fits in it
            img.set("height", str(size[1]))
            placed.add(where)
            continue
        for name in LAZY:
            img.attrib.pop(name, None)
        img.set("src", got)
        placed.add(where)
    doctype = root.getroottree().docinfo.doctype
    return etree.tostring(root, encoding="unicode", method="html", doctype=doctype or None), placed


def local_pictures(page: Path, sources: list[str], max_bytes: int) -> dict[str, bytes]:
    """Return, for each of `sources` (picture addresses as a saved page writes them) that names a picture file in
    the page's folder or below it, that file's bytes (each at most `max_bytes`, all at most 4 × `max_bytes`)."""
    folder = page.resolve().parent
    out: dict[str, bytes] = {}
    total = 0
    for src in sources:
        parts = urlsplit(src)
        if parts.scheme or parts.netloc or not parts.path or parts.path.startswith("/") or src in out:
            continue  # a site's address, not a file saved beside the page
        path = (folder / unquote_to_bytes(parts.path).decode("utf-8", "replace")).resolve()
        if not path.is_relative_to(folder) or not path.is_file():
            continue
        size = path.stat().st_size
        if size > max_bytes or total + size > 4 * max_bytes:
            continue
        data = path.read_bytes()
        if media_type(data):
            out[src] = data
            total += size
    return out
