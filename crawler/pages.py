"""Reading a fetched HTML page whole, or refusing it: never a tree the parser cut short.

libxml2 stops building the tree at 256 levels of nesting (2048 with `huge_tree`, which parsel turns on)
and at other resource limits, and hands back what it had: a page read that way would look like a list
with no report links. Such a page is refused with a reason the crawl writes to its feed.
"""

from __future__ import annotations

from lxml import etree
from parsel import Selector


class UnreadablePage(ValueError):
    """A page the HTML parser could not read whole; the message says why."""


def read_page(text: str) -> Selector:
    """Return a Selector over the whole page `text` (libxml2's HTML parser, as parsel uses it, with huge_tree).

    Raises UnreadablePage where the parser stopped early, e.g. nesting deeper than its 2048 levels.
    """
    # lxml's own element classes: lxml.html's look each element's class up in Python, a call per node touched.
    parser = etree.HTMLParser(recover=True, encoding="utf-8", huge_tree=True)
    body = text.strip().replace("\x00", "").encode("utf-8") or b"<html/>"
    root = etree.fromstring(body, parser=parser)
    for error in parser.error_log:
        if error.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT:
            # "Excessive depth in document: 2048, use XML_PARSE_HUGE option": the option is on already.
            limit = error.message.split(",")[0].strip()
            raise UnreadablePage(f"page not read whole: the HTML parser stopped at its limit ({limit})")
    if root is None:
        root = etree.fromstring(b"<html/>", parser=parser)
    return Selector(root=root, type="html")
