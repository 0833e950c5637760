"""Reports published over several pages: which pages belong together, and the one page they make.

Two shapes are known (docs/site-patterns: TRS "long articles split as `t…_1.htm`"; flipbooks "one URL per page:
files/basic-html/page{N}.html"): a TRS article `…/t{yyyymmdd}_{id}.html` continued in `…/t{yyyymmdd}_{id}_1.html`,
`_2.html` …, named by the article's pager (`createPageHTML(count, current, "t…", "html")`, the call TRS lists use) or
by links to them; and the text version of a page-flip book, `…/basic-html/page1.html` … `pageN.html`, each page
linking the next. Each part is a whole page of the site's template; `assemble` keeps the first part whole and puts
the other parts' article text after its own, so the extractor reads one report.

Pure: no Scrapy, no crawl state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urljoin, urlsplit, urlunsplit

from lxml import etree, html

from .families import ARTICLE_STEM, trs_pagers

MAX_PARTS = 200
"""Pages one report may be assembled from (a flipbook of a long report has tens); the parts past it are named, not
fetched, and counted as lost."""
MAX_NAMED = 1000
"""Parts a page names at most: a part's number has at most three digits (a pager may claim any count)."""
_ARTICLE = re.compile(rf"^(?P<stem>{ARTICLE_STEM.pattern})(?:_(?P<k>\d{{1,3}}))?\.(?P<ext>s?html?)$", re.I)
_BOOK_PAGE = re.compile(r"^page(?P<n>\d{1,4})\.html?$", re.I)
_BOOK_FOLDER = "basic-html"
_SKIP = frozenset({"script", "style", "noscript", "template", "head", "title"})
_PAGER_TEXT = re.compile(
    r"[\s\d第页共首尾末上下前后一张篇条翻跳转到|/<>«»…:：.,，、()（）\[\]-]*"
    r"|(?:[\s\d]|Page|Prev\w*|Next|First|Last)*",
    re.I,
)
"""The whole text of a pager: page numbers, 第2页, 上一页/下一页, 首页/尾页 (and their English)."""
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True, slots=True)
class Part:
    """Where a page stands in a report published over several pages."""

    key: str
    """What the parts of one report share: the article's URL without its part number, or the book's folder."""
    index: int
    """The page's place among them, from 0 (the page a report is known by)."""


@lru_cache(maxsize=1024)  # asked of a page's URL by its facts and by part_urls
def part_of(url: str) -> Part | None:
    """Return where the page at `url` stands among the pages of a report cut into several, or None where its URL is
    not of a shape such pages have."""
    parts = urlsplit(url)
    folder, _, name = parts.path.rpartition("/")
    m = _ARTICLE.match(name)
    if m:
        stem = urlunsplit(parts._replace(path=f"{folder}/{m['stem']}.{m['ext'].lower()}", query="", fragment=""))
        return Part(stem, int(m["k"]) if m["k"] else 0)
    m = _BOOK_PAGE.match(name)
    if m and folder.rsplit("/", 1)[-1].lower() == _BOOK_FOLDER and int(m["n"]) >= 1:
        return Part(urlunsplit(parts._replace(path=folder + "/", query="", fragment="")), int(m["n"]) - 1)
    return None


def is_book_page(url: str) -> bool:
    """Return True where `url` is a page of a flipbook's text version (`…/basic-html/pageN.html`)."""
    return bool(_BOOK_PAGE.match(urlsplit(url).path.rpartition("/")[2])) and part_of(url) is not None


def part_urls(url: str, html_text: str, links: list[str]) -> list[str]:
    """Return the other pages of the report the page at `url` is part of, in their order: those its article pager
    counts (`createPageHTML` naming the page's own article) and those among `links` (absolute URLs) of the same
    report. Empty where the page is no part of such a report."""
    here = part_of(url)
    if here is None:
        return []
    found: dict[int, str] = {}
    for pager in trs_pagers(html_text):
        first = urljoin(url, f"{pager.stem}.{pager.ext}")
        if part_of(first) != Part(here.key, 0) or (pager.count or 0) < 2:  # another article's pager, or a list's
            continue
        for k in range(min(pager.count or 0, MAX_NAMED)):
            found.setdefault(k, first if k == 0 else urljoin(url, f"{pager.stem}_{k}.{pager.ext}"))
    for link in links:
        there = part_of(link)
        if there is not None and there.key == here.key and there.index < MAX_NAMED:
            found.setdefault(there.index, link)
    found.pop(here.index, None)
    return [found[k] for k in sorted(found)]


def _texts(root: etree._Element) -> list[tuple[etree._Element, str]]:
    """Return the page's text pieces in order, each with the element it belongs to (a tail belongs to the parent).
    Walked with a stack, not recursion: real pages nest deeper than Python's recursion limit allows."""
    out: list[tuple[etree._Element, str]] = []
    body = root.find("body")
    stack: list[tuple[etree._Element, bool]] = [(body if body is not None else root, False)]
    while stack:
        node, done = stack.pop()
        if done:  # the node's subtree is walked: its tail follows, and belongs to its parent
            parent = node.getparent()
            if parent is not None and node.tail and node.tail.strip():
                out.append((parent, node.tail.strip()))
            continue
        if not isinstance(node.tag, str) or node.tag in _SKIP:
            if node.tail and node.tail.strip() and node.getparent() is not None:
                out.append((node.getparent(), node.tail.strip()))
            continue
        if node.text and node.text.strip():
            out.append((node, node.text.strip()))
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node))
    return out


def _differing(mine: list[tuple[etree._Element, str]], other: list[tuple[etree._Element, str]]) -> list:
    """Return the pieces of `mine` outside the text it shares with `other` at its start and at its end."""
    start = 0
    while start < min(len(mine), len(other)) and mine[start][1] == other[start][1]:
        start += 1
    end = 0
    while end < min(len(mine), len(other)) - start and mine[-1 - end][1] == other[-1 - end][1]:
        end += 1
    return mine[start : len(mine) - end]


def _pagerish(el: etree._Element) -> bool:
    """Return True where an element is a pager beside an article: page numbers, 上一页, 第2页 … as links or with
    the word 页 (a table or an image is never one), or a script's place."""
    if el.tag in _SKIP:
        return True
    if el.tag in ("table", "img") or next(el.iter("table", "img"), None) is not None:
        return False
    text = "".join(el.itertext())
    if not text.strip():
        return True
    linked = next(el.iter("a"), None) is not None
    return len(text) <= 60 and bool(_PAGER_TEXT.fullmatch(text)) and (linked or "页" in text or "page" in text.lower())


def _article(root: etree._Element, pieces: list[tuple[etree._Element, str]]) -> tuple[etree._Element, list] | None:
    """Return where the article text `pieces` (a part's text not shared with another part) is: an element and the
    run of its children that hold it (empty: the element's whole content). Found from the pieces' nearest common
    ancestor down, past a pager beside the article, never into a table."""
    if not pieces:
        return None
    chains = [[*reversed(list(el.iterancestors())), el] for el, _ in pieces]
    common = None
    for level in zip(*chains, strict=False):
        if any(el is not level[0] for el in level):
            break
        common = level[0]
    if common is None:
        return None
    while True:
        below: list[etree._Element] = []
        direct = False
        for chain in chains:
            at = next((i for i, el in enumerate(chain) if el is common), None)
            if at is None:
                continue
            if at + 1 == len(chain):
                direct = True
            elif not any(chain[at + 1] is el for el in below):
                below.append(chain[at + 1])
        if not below:
            return common, []
        kids = list(common)
        where = sorted(next(i for i, k in enumerate(kids) if k is el) for el in below)
        run = kids[where[0] : where[-1] + 1]
        while len(run) > 1 and _pagerish(run[0]):
            run.pop(0)
        while len(run) > 1 and _pagerish(run[-1]):
            run.pop()
        if direct or len(run) > 1 or run[0].tag in ("table", "tbody", "thead", "tr"):
            return common, run
        common = run[0]


def _shared_title(titles: list[str]) -> str | None:
    """Return what differing part titles share at their end ("Page 2 - X", "Page 3 - X" → "X"), or None."""
    if len(set(titles)) < 2:
        return None
    end = 0
    shortest = min(len(t) for t in titles)
    while end < shortest and len({t[-1 - end] for t in titles}) == 1:
        end += 1
    shared = titles[0][len(titles[0]) - end :].lstrip(" -–—_|:：")
    return shared if len(shared) >= 4 else None


def _parse(text: str) -> etree._Element | None:
    """Return the parsed page, or None where it is no HTML lxml can read (empty, NUL bytes)."""
    try:
        return html.document_fromstring(text, parser=html.HTMLParser(huge_tree=True))
    except (etree.ParserError, ValueError):
        return None


def assemble(pages: list[tuple[str, str]]) -> tuple[bytes, list[str]] | None:
    """Return one HTML page (UTF-8) of a report published over `pages` ([(url, text)], in order, the first the page
    the report is known by) and the URLs of the parts that could not be read: the first page whole, each other
    page's article text appended after its own in a `<div data-part="URL">`. A part whose article cannot be told
    from its template is appended whole. None where the first page cannot be read, or no other page can."""
    parsed = [(url, _parse(text)) for url, text in pages]
    unread = [url for url, root in parsed[1:] if root is None]
    kept = [(url, root) for url, root in parsed if root is not None]
    if parsed[0][1] is None or len(kept) < 2:
        return None
    roots = [root for _, root in kept]
    head = roots[0]
    texts = [_texts(root) for root in roots]
    place = _article(head, _differing(texts[0], texts[1]))
    body = head.find("body")
    container, run = place if place is not None else (body if body is not None else head, [])
    anchor = run[-1] if run else None
    for (url, _), root, mine in zip(kept[1:], roots[1:], texts[1:], strict=True):
        found = _article(root, _differing(mine, texts[0]))
        if found is None:
            part_body = root.find("body")
            found = (part_body if part_body is not None else root, [])
        source, taken = found
        box = etree.Element("div")
        box.set("data-part", url)
        if not taken:
            box.text = _CONTROL.sub("", source.text or "")  # lxml reads such chars in but refuses to be given them
            taken = list(source)
        for child in taken:
            box.append(child)
        if anchor is None:
            container.append(box)
        else:
            anchor.addnext(box)
        anchor = box
    title = _shared_title([(r.findtext(".//title") or "").strip() for r in roots])
    title_el = head.find(".//title")
    if title and title_el is not None:
        title_el.text = _CONTROL.sub("", title)
    for meta in list(head.iter("meta")):  # the bytes are UTF-8 now, whatever the page declared
        if meta.get("charset") or (meta.get("http-equiv") or "").lower() == "content-type":
            meta.getparent().remove(meta)
    head_el = head.find("head")
    if head_el is not None:
        head_el.insert(0, etree.Element("meta", charset="utf-8"))
    return etree.tostring(head, method="html", encoding="utf-8", doctype="<!DOCTYPE html>"), unread
