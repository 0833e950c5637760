"""What one HTML page says, read from a single parse of it: its title, marks, date, column, whether it is a report
page, and everything it links to (links, list calls, script files, frames, year forms, pager, a notice's units).

Pure: no Scrapy, no crawl state, everything in `PageFacts` pickles. An extraction worker reads a page's facts and,
where the page is a report, its record from the same tree (crawler/extract_pool.py), so each page is parsed once;
the spider then decides what to request from the facts alone (budgets, seen links, the crawl memory).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urljoin, urlsplit

from parsel import Selector

from extractors.readers.html import shown_pictures

from . import article_parts as AP
from . import bodies as B
from . import calls as C
from . import discovery as D
from . import families as F
from .page_meta import body_text, page_marks
from .paging import ListCall
from .scripts import missing_names


@dataclass(slots=True)
class PageFacts:
    """What a page says and links to, as the spider acts on it."""

    title: str
    """The page's title; the list's link text where the page's own title is the site's name on a report page."""
    is_report: bool
    """True where the page is itself an annual report (its title and parts, or the list named it one)."""
    marks: dict[str, Any]
    """The page's marks (crawler/page_meta.py), over those the page that linked it carried."""
    published_at: str | None
    """The publication date the page states (PubDate meta, 发布日期 label)."""
    column: str | None
    """The column (栏目) the page names, else the one its request carried."""
    wrapper: bool
    """True where the page's title is a report's: its links are the report's attachments."""
    listing: bool
    """True where the page lists reports (a link titled as one, or a Hanweb record list)."""
    links: list[D.Link]
    """The page's links, in page order."""
    records: list[D.Link]
    """The entries of a Hanweb record list embedded in the page."""
    calls: list[tuple[ListCall, int]]
    """The paged lists the page asks for by its CMS's list APIs and its forms, each with its first page's number."""
    script_lists: list[tuple[ListCall, int]]
    """The paged lists the page's scripts ask for, those naming a 年报 column first (crawler.calls.script_calls);
    a call naming settings a script file of the site defines (`crawler.scripts.missing_names`) waits for them."""
    script_lists_beyond: int
    """Script lists past the MAX_FOUND the page names (counted as cut, never read)."""
    script_files: list[str]
    """The page's own script files, where a script list names settings they may define."""
    extra_lists: list[str]
    """Lonsun 年报 views among the links."""
    frames: list[str]
    """Same-host frames that are not documents (a column drawn inside a shell), unless the page is a report's."""
    year_forms: list[str]
    """One GET a year a list form offers, where the page is in a 年报 column."""
    pager: list[str]
    """The list's pager links, where the page is in a 年报 column."""
    notice_units: list[B.Unit]
    """The units a notice about reports names (empty unless the title is a notice's)."""
    searches: list[C.SearchForm]
    """The site's search boxes on the page (asked for the reports where the site's links lead to none)."""
    parts: list[str]
    """The other pages of the report this page is a part of (an article cut into pages, a flipbook), in order."""
    part_index: int | None
    """The page's place among those parts from 0 (the page the report is known by); None where it is no part."""
    pictures: list[str]
    """The URLs of a report page's pictures that may hold its text (a 图片版 report's tables), in page order, each
    once; pictures carried in the page (`data:`) are not listed."""


def page_facts(url: str, html: str, sel: Selector, context: dict[str, Any]) -> PageFacts:
    """Return the facts of the page at `url` (its text `html`, parsed as `sel`) reached with request `context`."""
    title = D.page_title(sel)
    text = body_text(sel)
    marks = {**(context.get("page_marks") or {}), **page_marks(sel, text).to_dict()}  # this page's first
    column = D.column_name(sel) or context.get("column")
    is_report = D.looks_like_report_page(title, text)
    listed = context.get("list_title")
    if not is_report and not D.is_report_title(title) and D.has_report_parts(text) and D.is_report_title(listed):
        title = listed  # a template titling every page with the site's name: the list named the report
        is_report = True
    base = D.page_base(sel, url)  # what the page's relative links resolve against
    links = D.list_links(sel, base, html)
    part = AP.part_of(url)
    parts = AP.part_urls(url, html, [lk.url for lk in links]) if part is not None else []
    if part is not None and parts:
        if part.index:
            is_report = False  # a later page of a report cut into pages: read with its first page
        else:
            fetched = set(parts)  # as the report's parts, not as links
            links = [lk for lk in links if lk.url not in fetched]
    wrapper = D.is_report_title(title)
    records = F.hanweb_records(url, html)
    listing = bool(records) or any(D.is_report_title(lk.text) for lk in links)
    shown = content_pictures(sel, base) if is_report or (wrapper and not listing) else []
    if not is_report and shown and part is None and not any(D.DOC_EXT.search(lk.url) for lk in links):
        is_report = True  # a report title over pictures and no attachment: a report shown as its pages' pictures
    found = [F.trs_call(url, html), F.hanweb_call(url, html)]
    if found[0] is None:  # a TRS pager is drawn by script too, and read as TRS's
        found.append(F.script_pager_call(url, html))
    fragments = re.findall(r"annualreport#(\d+)", html) + re.findall(r"#(\d+)$", url)
    calls = [c for c in found if c is not None] + F.gkmlpt_calls(url, html, fragments)
    taken = {c.url for c, _ in calls}
    calls += [c for c in C.form_calls(url, sel, base) if c[0].url not in taken]
    scripted, beyond = C.script_calls(url, html, sel)
    scripted = [c for c in scripted if c[0].url not in taken]
    waits = any(missing_names(c[0].url, c[0].params) for c in scripted)  # a setting of a script file is needed
    in_column = listing or bool(column and D.COLUMN_WORDS.search(column)) or bool(
        D.COLUMN_SLUGS.search(urlsplit(url).path))
    return PageFacts(
        title=title,
        is_report=is_report,
        marks=marks,
        published_at=D.published_at(sel, text),
        column=column,
        wrapper=wrapper,
        listing=listing,
        links=links,
        records=records,
        calls=calls,
        script_lists=scripted,
        script_lists_beyond=beyond,
        script_files=C.script_files(base, sel) if waits else [],
        extra_lists=[lk.url for lk in F.lonsun_links(links)] if F.is_lonsun(html) else [],
        frames=[] if wrapper else [u for u in C.frame_lists(base, sel) if not D.DOC_EXT.search(u)],
        year_forms=(C.year_forms(url, sel, base) if in_column else [])
        + F.unit_year_reports([url, *(lk.url for lk in links)], date.today().year),
        pager=[lk.url for lk in F.pager_links(links, url)] if in_column else [],
        notice_units=B.notice_units(sel, url) if B.is_notice(title) else [],
        searches=C.search_forms(url, sel, base),
        parts=parts,
        part_index=part.index if part is not None and parts else None,
        pictures=list(dict.fromkeys(url for url in shown if not url.startswith("data:"))) if is_report else [],
    )


def content_pictures(sel: Selector, base: str) -> list[str]:
    """Return the addresses of the pictures of the page `sel` (its links resolving against `base`) the extractor's
    page walk reads as pictures that may hold text (`extractors.readers.html.shown_pictures`), in page order:
    absolute http(s) URLs, a picture the page carries as its `data:` address."""
    out: list[str] = []
    for _, address in shown_pictures(sel.root):
        if address.startswith("data:"):
            out.append(address)
        elif urlsplit(url := urljoin(base, address)).scheme in ("http", "https"):
            out.append(url)
    return out


def report_context(context: dict[str, Any], facts: PageFacts) -> dict[str, Any]:
    """Return the context a report page's document item is made with: the request's, with what the page says."""
    return {**context, "column": facts.column, "page_title": facts.title,
            "published_at": facts.published_at or context.get("list_date"), "page_marks": facts.marks}  # fmt: skip
