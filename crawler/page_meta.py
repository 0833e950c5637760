"""Page evidence of who issued a report: the site's marks and the unit the page names (for the attribution).

`page_marks(sel)` reads a page's `<meta name="SiteIDCode">` / `SiteName`, the unit its breadcrumb names
(`首页 > 政府信息公开 > 淮安市洪泽区人民政府 > 政府信息公开年报` → 淮安市洪泽区人民政府) and its 索引号 with the
organ-code part (before the first `/`). `extractors.attribute_record` weighs them.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from lxml import etree
from parsel import Selector

from extractors import compact, unit_name
from extractors.readers.html import page_metas, per_tree

_HERE = re.compile(r"^.*?(?:当前位置|所在位置|您的位置|现在位置)\s*[:：]?")
_SEPARATOR = re.compile(r"\s*(?:>|›|»|＞|→|/)\s*")
_INDEX_NO = re.compile(r"索\s*引\s*号\s*[:：]?\s*([0-9A-Za-z][0-9A-Za-z\-/_.]{5,60})")
_SUO = re.compile("[索\uf96a]")  # 索 and the one character NFKC folds to it
_LABEL_SPAN = 70  # compact characters: more than the longest match of _INDEX_NO (3 + 1 + 61)
_WINDOW = 240  # characters of text compacted after each 索 (all of it where that leaves fewer than _LABEL_SPAN)
# Compiled once and run on the lxml tree: strings back, not a Selector wrapped around each text node.
# A predicate on every element costs libxml2 more than walking the attributes up to their elements (same nodes, in
# document order).
_WITH_CLASS_OR_ID = etree.XPath("//@class/.. | //@id/..")
_CRUMB_CLASS = re.compile("position|crumb|location|dqwz")
_CRUMB_ID = re.compile("position|crumb|location")
_CRUMB_TEXT = etree.XPath(".//text()[not(ancestor::script)]", smart_strings=False)
# libxml2's HTML parser keeps a script's or style's content as text directly under it (never elements), so testing
# the parent finds the same text nodes as testing every ancestor, 15% sooner.
_BODY_TEXT = etree.XPath(
    "/descendant::body/descendant::text()[not(parent::script or parent::style)]", smart_strings=False
)


@dataclass(frozen=True, slots=True)
class PageMarks:
    """What a page says of its site and unit; None where it does not say."""

    site_id_code: str | None = None
    """`<meta name="SiteIDCode">`: the 政府网站标识码 (6-digit region code + 4-digit serial, or bm… for ministries)."""
    site_name: str | None = None
    """`<meta name="SiteName">`: the site's name, usually its owner (淮安市人民政府)."""
    breadcrumb_unit: str | None = None
    """The last unit (organ) the breadcrumb names, compact (淮安市洪泽区人民政府)."""
    index_no: str | None = None
    """The page's 索引号 as written (11421281MB1C53279A/2021-00003)."""
    index_organ_code: str | None = None
    """The 索引号's organ code: its part before the first `/` (a unified social credit code or organ code)."""

    def to_dict(self) -> dict[str, Any]:
        """Return the marks as a dict of the keys that are set (what a request's context carries)."""
        return {k: v for k, v in asdict(self).items() if v is not None}


def _meta(sel: Selector, name: str) -> str | None:
    """Return the content of the first `<meta name=NAME>` (NAME's letters in any case), stripped, or None."""
    lower = name.lower()
    folded = str.maketrans(name.upper(), lower)
    value = next((m.content for m in page_metas(sel.root) if m.name is not None and m.name.translate(folded) == lower),
                 None)  # fmt: skip
    return value.strip() or None if value else None


def marked_nodes(sel: Selector, in_class: re.Pattern[str], in_id: re.Pattern[str] | None = None) -> list[Any]:
    """Return the page's elements, in document order, whose class (or id) attribute contains a match of
    `in_class` (or `in_id`): what `//*[contains(@class,…) or contains(@id,…)]` finds, without XPath's
    string calls on every element."""
    out = []
    for node, cls, ident in _class_or_id(sel.root):
        if (cls and in_class.search(cls)) or (ident and in_id is not None and in_id.search(ident)):
            out.append(node)
    return out


@per_tree
def _class_or_id(root: Any) -> list[tuple[Any, str | None, str | None]]:
    """Return (element, class, id) of each element of the tree at `root` that has a class or an id, in document
    order (the spider asks for the page it reads three times: breadcrumb, column, title)."""
    return [(n, n.get("class"), n.get("id")) for n in _WITH_CLASS_OR_ID(root)]


def breadcrumb_unit(sel: Selector) -> str | None:
    """Return the last unit the page's breadcrumb ("当前位置：首页 > … > UNIT > …") names, or None."""
    for node in marked_nodes(sel, _CRUMB_CLASS, _CRUMB_ID)[:5]:
        text = " ".join(t.strip() for t in _CRUMB_TEXT(node) if t.strip())
        if not text or len(text) > 300:
            continue
        parts = [p for p in _SEPARATOR.split(_HERE.sub("", text)) if p.strip()]
        units = [u for p in parts if (u := unit_name(p))]
        if units:
            return units[-1]
    return None


def body_text(sel: Selector) -> str:
    """Return the text of the page's body outside scripts and styles, its pieces joined by spaces."""
    return " ".join(_BODY_TEXT(sel.root))


def index_number(sel: Selector, text: str | None = None) -> tuple[str | None, str | None]:
    """Return the page's 索引号 and its organ-code part (before the first `/`), or (None, None).

    `text` is the page's `body_text` where the caller has it already.
    """
    text = body_text(sel) if text is None else text
    m = None
    for start in _SUO.finditer(text):  # the label starts at a 索 (or its compatibility form): read only from there
        window = compact(text[start.start() : start.start() + _WINDOW])
        if len(window) < _LABEL_SPAN and start.start() + _WINDOW < len(text):
            window = compact(text[start.start() :])  # mostly blanks: the label and value may run further
        if m := _INDEX_NO.match(window):
            break
    if not m:
        return None, None
    value = m.group(1)
    organ = value.split("/")[0] if "/" in value else value.split("-")[0]
    return value, organ or None


def page_marks(sel: Selector, text: str | None = None) -> PageMarks:
    """Return what a page says of its site and unit (see `PageMarks`); `text` is its `body_text` if known."""
    index_no, organ = index_number(sel, text)
    return PageMarks(
        site_id_code=_meta(sel, "SiteIDCode"),
        site_name=_meta(sel, "SiteName"),
        breadcrumb_unit=breadcrumb_unit(sel),
        index_no=index_no,
        index_organ_code=organ,
    )
