"""Characters a reader sees nothing of, taken out of a read document's text.

Editors and pages copied out of them leave zero-width spaces, joiners, soft hyphens and byte-order marks inside
numbers and labels ("1\u200b5", "本年\u200b新收"), and some sites sprinkle them against copying. A browser or a
word processor draws nothing for them; left in, they cut a number in two and hide a label from the table parser.
"""

from __future__ import annotations

import re

from .model import Document, Paragraph

INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]")
"""Format characters (Unicode category Cf) drawn as nothing in Chinese text: the soft hyphen, zero-width spaces,
(non-)joiners and word joiners, direction marks and embeddings, invisible operators, the BOM, annotation marks."""


def visible(text: str) -> str:
    """Return `text` without the characters `INVISIBLE` matches (`text` itself where it has none)."""
    return INVISIBLE.sub("", text) if INVISIBLE.search(text) else text


def drop_invisible(doc: Document) -> None:
    """Take `INVISIBLE`'s characters out of the document's paragraphs, table cells, title and metadata, in place."""
    if doc.title is not None:
        doc.title = visible(doc.title)
    if any(INVISIBLE.search(value) for value in doc.meta.values()):
        doc.meta = {key: visible(value) for key, value in doc.meta.items()}
    if INVISIBLE.search(doc.text()) is None:  # one search of the whole text: most documents have none
        return
    for block in doc.blocks:
        if isinstance(block, Paragraph):
            block.text = visible(block.text)
        else:
            block.rows = [[None if cell is None else visible(cell) for cell in row] for row in block.rows]
