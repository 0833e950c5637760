"""Bodies obliged to publish, as a crawl meets them: the units a 信息公开 platform lists, and the units a
年报公布情况 notice names for a year (site-patterns §3). Each becomes a sighting the store keeps (`bodies`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from parsel import Selector

from .discovery import COLUMN_WORDS, ORGAN_NAME, PORTAL_SLUGS, Link

NOTICE_TITLE = re.compile(r"(?:公布|发布|报送|公开)情况|情况的?(?:公告|通报)")
"""A page about who published their reports (年报公布情况): the expected set for its year."""
_YEAR = re.compile(r"(20\d{2})\s*年")
_REPORT_LINK = re.compile(r"^(?:关于)?(.*?)(?:关于)?(20\d{2})\s*年度?(.*?)(?:政府)?信息公开")
_UNIT_HEADER = re.compile(r"单位|机构|部门|名称")
MIN_UNITS = 3
"""A page names a platform's units when at least this many unit links sit on it (one stray link is not a list)."""


@dataclass(frozen=True, slots=True)
class Unit:
    """A body a page names: its name as printed, its page or 年报 column there, and the report it links."""

    name: str
    url: str | None = None
    """The unit's own page on the platform (its 信息公开 page), where linked."""
    column_url: str | None = None
    """The unit's 年报 column, where this page links it."""
    report_url: str | None = None
    """For a notice: the report the notice links for this unit."""


def platform_units(page_url: str, links: list[Link]) -> list[Unit]:
    """Return the units a 信息公开 platform page lists: organ-named links into the platform, on its host."""
    host = urlsplit(page_url).netloc.lower()
    out: dict[str, Unit] = {}
    for lk in links:
        text = re.sub(r"\s+", "", lk.text)
        parts = urlsplit(lk.url)
        if parts.netloc.lower() == host and ORGAN_NAME.search(text) and PORTAL_SLUGS.search(parts.path + "?" +
                                                                                               parts.query):
            out.setdefault(text, Unit(text, url=lk.url))
    return list(out.values()) if len(out) >= MIN_UNITS else []


def unit_column(unit: str, links: list[Link]) -> Unit | None:
    """Return the unit with its 年报 column, where its own page links one (`政府信息公开年报`)."""
    for lk in links:
        if lk.kind == "page" and COLUMN_WORDS.search(re.sub(r"\s+", "", lk.text)) and "年" in lk.text:
            return Unit(unit, column_url=lk.url)
    return None


def is_notice(title: str | None) -> bool:
    """True where a page title announces who published their annual reports (年报公布情况)."""
    t = re.sub(r"\s+", "", title or "")
    return bool(NOTICE_TITLE.search(t) and re.search(r"年报|年度报告", t))


def notice_units(sel: Selector, base: str) -> list[Unit]:
    """Return the units a 公布情况 notice names: a table's unit column, and the bodies of the reports it links."""
    out: dict[str, Unit] = {}
    for table in sel.xpath("//table"):
        rows = table.xpath(".//tr")
        if not rows:
            continue
        head = [" ".join(c.xpath(".//text()").getall()).strip() for c in rows[0].xpath("./th|./td")]
        col = next((i for i, h in enumerate(head) if _UNIT_HEADER.search(h) and len(h) <= 8), None)
        for row in rows[1:] if col is not None else rows:
            cells = row.xpath("./th|./td")
            texts = [re.sub(r"\s+", "", "".join(c.xpath(".//text()").getall())) for c in cells]
            name = texts[col] if col is not None and col < len(texts) else next(
                (t for t in texts if ORGAN_NAME.search(t)), "")
            if not name or not re.search(r"[\u4e00-\u9fff]{2}", name) or name.isdigit():
                continue
            href = row.xpath(".//a/@href").get()
            out.setdefault(name, Unit(name, report_url=urljoin(base, href) if href else None))
    for a in sel.xpath("//a[@href]"):
        text = re.sub(r"\s+", "", "".join(a.xpath(".//text()").getall()))
        m = _REPORT_LINK.match(text)
        name = (m.group(1) or m.group(3)).strip("《》“”\"") if m else ""
        if name and ORGAN_NAME.search(name):
            out.setdefault(name, Unit(name, report_url=urljoin(base, a.attrib["href"])))
    return list(out.values())


def notice_year(title: str) -> int | None:
    """Return the report year a notice is about (the year in its title), or None."""
    m = _YEAR.search(title or "")
    return int(m.group(1)) if m else None
