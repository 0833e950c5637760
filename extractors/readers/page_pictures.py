"""The pictures an HTML page or a Word file shows, read by local OCR where its text lacks a table (a 图片版 report).

The page's blocks are kept as they are; each picture's OCR blocks (readers/image.py: rows rebuilt as for a scan) go
where the picture stands, so the tables drawn as pictures fall between the parts of the text that introduce them.
The numbers keep their OCR words, for ocr_confirm to doubt what the tables' arithmetic does not confirm.
"""

from __future__ import annotations

from ..errors import ExtractionError, NoText
from ..model import Document
from ..pictures import MAX_PICTURES, picture_bytes
from .image import MAX_OCR_PAGES, OcrDocument, for_ocr, image_pages, page_blocks
from .ocr import choose


def with_pictures(doc: Document, found: dict[str, bytes], max_bytes: int) -> OcrDocument | None:
    """Return `doc` with the pictures it shows read by OCR and put where they stand, or None where none could be
    read (no picture's bytes at hand, no OCR engine installed, none readable).

    A picture's bytes are those `found` holds for its address, else those its `data:` address carries (at most
    `max_bytes`); the first MAX_PICTURES pictures and MAX_OCR_PAGES images in all (a GIF or TIFF may hold several)
    are read. The document's `pictures` counts those left unread, `read_pictures` those read.
    """
    wanted = [(index, data) for index, src in doc.shown[:MAX_PICTURES]
              if (data := found.get(src) or doc.attached.get(src) or picture_bytes(src, max_bytes))]  # fmt: skip
    if not wanted:
        return None
    try:
        ocr = choose()
    except NoText:
        return None
    out = OcrDocument([], carrier=doc.carrier, title=doc.title, meta=doc.meta, shown=doc.shown, attached=doc.attached,
                      engine=ocr.name)  # fmt: skip
    at = read = images = 0
    for index, data in wanted:
        out.blocks.extend(doc.blocks[at:index])
        at = index
        try:
            for image, scale in map(for_ocr, image_pages(data)):
                images += 1
                if images > MAX_OCR_PAGES:
                    break
                blocks, cells = page_blocks(ocr.words(image, scale))
                for block, words in zip(blocks, cells, strict=True):
                    if words is not None:
                        out.readings[len(out.blocks)] = words
                    out.blocks.append(block)
        except ExtractionError:  # a broken picture is one not read; the others still are
            continue
        if images > MAX_OCR_PAGES:
            break
        read += 1
    out.blocks.extend(doc.blocks[at:])
    out.read_pictures = read
    out.pictures = max(doc.pictures - read, 0)
    return out if read else None

