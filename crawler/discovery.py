"""Generic discovery: which links lead to annual reports, which pages are reports (site-patterns §2.2, §2.3)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urljoin, urlsplit, urlunsplit

from lxml import etree
from parsel import Selector

from extractors.invisible import visible
from extractors.readers.html import meta_content, page_metas

from .page_meta import marked_nodes

# Words that make a title a report, and words that make it something else published beside reports.
REPORT_TITLE = re.compile(r"(?:政府)?信息公开(?:工作)?(?:年度)?(?:工作)?(?:报告|年报)|政务公开.{0,4}年度报告")
NOT_REPORT = re.compile(
    r"解读|图解|一图读懂|读懂|公布情况|发布情况|报送情况|说明|通知|格式|制度|指南|目录|函$|的函|意见|办法|规定|"
    r"工作要点|考核|评议|通报|征集|答复|提案|建议"
)
COLUMN_WORDS = re.compile(r"年报|年度报告|信息公开年|政府信息公开$|信息公开专栏|法定主动公开|政务公开$")
COLUMN_SLUGS = re.compile(
    r"(?:zfxxgknb|xxgknb|zfxxgkndbg|zfxxgkgzndbg|bmxxgkndbg|ndxxgkbg|ndbg|gknb|xxgknbgs|qzfxxgknb|bmxxgknb|bmnb|"
    r"nw12344|annualreport|opennessannualreport|xxgkannualreport|xxgkannual)",
    re.I,
)
# The entry of a site's 信息公开 platform, as home pages name it in their navigation.
PORTAL_WORDS = re.compile(r"^(?:政府)?信息公开(?:目录|专栏|平台|专题)?$|^政务公开(?:专栏|目录)?$|^公开目录$")
# A unit's name (its 信息公开 page on a 集约化 platform's unit tree): an organ, a government, a township, and the
# other bodies that publish reports there (档案馆, 供销合作社联合社, 残疾人联合会, 科学技术协会, 总工会, a 所 or 站).
ORGAN_NAME = re.compile(
    r"^[\u4e00-\u9fff（）()]{2,30}(?:人民政府|政府|局|委员会|委|办公室|办事处|街道|镇|乡|管委会|管理委员会|中心|院|署|厅|"
    r"馆|会|社|所|站|队)$"
)
PORTAL_SLUGS = re.compile(r"(?:zfxxgk|xxgk|zwgk|gkml|gongkai|openness|public/column)", re.I)
DOC_EXT = re.compile(r"\.(?:pdf|docx?|wps|xlsx?|et|ofd)(?:$|[?#])", re.I)
DOWNLOAD_URL = re.compile(r"downfile|download|attach|getfile|fileid=|file\.jsp", re.I)
SKIP_EXT = re.compile(r"\.(?:jpe?g|png|gif|bmp|svg|ico|css|js|zip|rar|7z|mp4|mp3|avi|flv|swf|exe|apk)(?:$|[?#])", re.I)
TWIN_BIG5 = re.compile(r"/gate/big5/", re.I)
TWIN_WAP = re.compile(r"_wap(?=\.s?html?$)", re.I)
YEAR = re.compile(r"(20\d{2}|19\d{2})\s*年")
MARKS = re.compile(
    r"总体情况|主动公开政府信息情况|收到和处理政府信息公开申请情况|行政复议、?行政诉讼|存在的主要问题|其他需要报告的事项|"
    r"第二十条第|勾稽关系|本年新收"
)
DATE = re.compile(r"(20\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})")
# XPaths the spider runs on every page, compiled once and run on the lxml tree (strings back, no Selectors).
_TITLE_METAS = ("ArticleTitle", "articletitle")
_H1_TEXT = etree.XPath("//h1//text()", smart_strings=False)
_TITLE_CLASS = re.compile("title")
_TEXTS = etree.XPath(".//text()", smart_strings=False)
_ALTS = etree.XPath(".//img/@alt", smart_strings=False)
_TITLE_TEXT = etree.XPath("//title/text()", smart_strings=False)
_CRUMB_CLASS = re.compile("crumb|position|location")
_LINKS = etree.XPath("//a[@href] | //area[@href]")
lower_html = lru_cache(maxsize=2)(str.lower)
"""`html.lower()`, kept for the last pages: the checks of one page (its links, its family) look for literals in it."""
_CLICK_WORDS = ("onclick", "data-href", "data-url")
_CLICK_ATTRS = etree.XPath("//@onclick | //@data-href | //@data-url")
"""The attributes that make an element other than a link one a click takes somewhere: a list row sending the browser
on by script, or naming its target in a data attribute a site script reads (an attribute search is a third of the
cost of a search for the elements holding one)."""
_HOLDS_LINK = etree.XPath("boolean(.//a[@href] | .//area[@href])")
_ROW_TEXT_MAX = 300
"""The longest text read as a clickable row's title: a longer block is a page's part, not one entry of a list."""
_EMBEDDED = etree.XPath("//iframe/@src | //embed/@src | //object/@data", smart_strings=False)
_SCRIPT_TEXT = etree.XPath("//script/text() | //body/@onload", smart_strings=False)
_BASE = etree.XPath("//base[@href][1]/@href", smart_strings=False)
_ROW = etree.XPath("ancestor::*[self::li or self::tr or self::dd or self::p][1]")
# Inline script targets that real sites use for attachments and pages.
SCRIPT_URL = re.compile(
    r"""(?:window\.open|location\.href\s*=(?!=)|location\.(?:replace|assign)|location\s*=(?!=)|openFile|downLoad\w*)"""
    r"""\s*\(?\s*['"]([^'"]+)['"]""",
    re.I,
)
"""An address a script opens or sends the browser to (`window.open(…)`, `location.href = …`, `location.replace(…)`,
`top.location = …`), or a download helper's."""


@dataclass(slots=True)
class Link:
    """A link found on a page, with the text and list context that came with it."""

    url: str
    text: str
    date: str | None
    kind: str  # "document", "page"


_BIG5_GATE = re.compile(r"^/gate/big5/([A-Za-z0-9.-]+(?::\d+)?)(/.*)?$", re.I)


def canonical(url: str) -> str | None:
    """Return the URL without fragment; a big5 gateway's page (`/gate/big5/{host}/{path}`, the site's page in
    traditional characters) as the page it converts; None for a gateway URL naming no host."""
    parts = urlsplit(url)
    if TWIN_BIG5.search(parts.path):
        gate = _BIG5_GATE.match(parts.path)
        if gate is None:
            return None
        return urlunsplit((parts.scheme, gate.group(1).lower(), gate.group(2) or "/", parts.query, ""))
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", parts.query, ""))


def _unspaced(text: str) -> str:
    """Return `text` without its whitespace: what `re.sub(r"\\s+", "", text)` gives (the same chars count as
    whitespace), without the regex's cost on a page's whole text, nor the chars drawn as nothing (zero-width spaces)."""
    return visible("".join(text.split()))


def _joined(texts: Iterable[str]) -> str:
    """Return the non-blank `texts`, each stripped, joined by spaces, without the chars drawn as nothing."""
    return visible(" ".join(t.strip() for t in texts if t.strip()))


_BESIDE_FIRST = re.compile(r"解读|图解|读懂")
"""Words that make a title something published beside a report where they come before the report's name."""


def is_report_title(title: str | None) -> bool:
    """True where a title names an annual report and nothing published beside one: no word of NOT_REPORT after the
    report's name (`…年度报告》解读`, `…年度报告公布情况`, `…年度报告的通知`), no 解读/图解/读懂 before it. Words before
    the name are the body's (`人民建议征集办公室`, `目标考核办公室`) unless they are those."""
    if not title:
        return False
    t = _unspaced(title)
    named = REPORT_TITLE.search(t)
    return named is not None and not NOT_REPORT.search(t, named.end()) and not _BESIDE_FIRST.search(t, 0, named.start())


_CUT_END = re.compile(r"(?:\.{2,}|…+|⋯+|。{2,})$")
_CUT_HEAD = re.compile(r"(?:政府)?信息公开|政务公开|(?:政府信息?|政府信息公|信息公|政务公)$")  # cut inside the words


def is_cut_report_title(title: str | None) -> bool:
    """True where a list shows a title cut short (`…2023年政府信息公开工作年...`) whose visible part reads as the start
    of a report's title: a year and 信息公开 or 政务公开, and nothing published beside reports. Such a link is worth
    fetching; the page it leads to says whether it is a report."""
    if not title:
        return False
    t = _unspaced(title)
    cut = _CUT_END.search(t)
    if cut is None:
        return False
    head = t[: cut.start()]
    return bool(YEAR.search(head) and _CUT_HEAD.search(head)) and not NOT_REPORT.search(head)


REPORT_BODY_CHARS = 1500


def looks_like_report_page(title: str | None, text: str) -> bool:
    """True where a page is a report itself: a report title, and three parts or table labels or a long body.

    A page with a report title and little text is a wrapper around an attachment, not the report.
    """
    if not is_report_title(title):
        return False
    body = _unspaced(text)
    marks = {m.group(0) for m in MARKS.finditer(body)}
    return len(marks) >= 3 or len(re.findall(r"[\u4e00-\u9fff]", body)) >= REPORT_BODY_CHARS


def has_report_parts(text: str) -> bool:
    """True where a text carries at least three of a report's part headings or table labels."""
    body = _unspaced(text)
    return len({m.group(0) for m in MARKS.finditer(body)}) >= 3


def page_title(sel: Selector) -> str:
    """Return the article title of a page: ArticleTitle meta, h1, else <title> before its separators."""
    metas = page_metas(sel.root)
    for name in _TITLE_METAS:
        if got := _joined(m.content for m in metas if m.name == name):
            return got
    if got := _joined(_H1_TEXT(sel.root)):
        return got
    # Templates whose <title> is the site's name put the article's in a heading marked as the title.
    for node in [n for n in marked_nodes(sel, _TITLE_CLASS) if n.tag in ("h2", "h3", "div", "p")][:10]:
        got = _joined(_TEXTS(node))
        if is_report_title(got):
            return got
    title = next(iter(_TITLE_TEXT(sel.root)), "").strip()
    return re.split(r"\s*[-_|–—]\s*", title)[0] if title else ""


def beside_report(text: str) -> bool:
    """True where a link names something published beside a report (解读, 公布情况): worth a look, never a report."""
    t = _unspaced(text)
    return bool(t and NOT_REPORT.search(t) and REPORT_TITLE.search(t))


def score_link(url: str, text: str) -> int:
    """Return how strongly a link points toward annual reports (0 = not worth following)."""
    t = _unspaced(text)
    score = 0
    if is_report_title(t) or is_cut_report_title(t):
        score += 10
    elif t and NOT_REPORT.search(t) and REPORT_TITLE.search(t):
        return 0
    if COLUMN_WORDS.search(t):
        score += 6
    elif PORTAL_WORDS.search(t):
        score += 5
    path = urlsplit(url).path + "?" + urlsplit(url).query
    if COLUMN_SLUGS.search(path):
        score += 5
    elif PORTAL_SLUGS.search(path) and re.search(r"公开", t):
        score += 2
    elif PORTAL_SLUGS.search(path) and ORGAN_NAME.search(t):
        score += 5  # a unit's own 信息公开 pages on a platform hosting many bodies
    if YEAR.search(t) and ("报告" in t or "年报" in t):
        score += 2
    return score


def page_base(sel: Selector, url: str) -> str:
    """Return the address the page's relative links resolve against, as a browser does: its first `<base href>`
    (itself resolved against `url`) where that is a web address, else the page's `url`."""
    found = _BASE(sel.root)
    if not found:
        return url
    base = urljoin(url, str(found[0]).strip())
    return base if urlsplit(base).scheme in ("http", "https") else url


def list_links(sel: Selector, base: str, html: str | None = None) -> list[Link]:
    """Return the page's links with anchor text and, where the list shows one, the date beside them. `html`: the
    page's text where the caller has it (a page whose text names no click attribute is not searched for them)."""
    out: list[Link] = []
    seen: set[str] = set()
    for a in _LINKS(sel.root):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "tel:", "#")):
            onclick = a.get("onclick") or href
            m = SCRIPT_URL.search(onclick)
            if not m:
                continue
            href = m.group(1)
        title = visible(a.get("title") or "").strip()
        text = _joined(_TEXTS(a)) or title or _joined(_ALTS(a))  # a link shown as a picture: the picture's words
        if len(title) > len(text):
            text = title
        add_link(out, seen, base, href, text, _row_date(a))
    clicks = html is None or any(word in lower_html(html) for word in _CLICK_WORDS)
    for row in _clickable(sel.root) if clicks else ():
        target = row.get("data-href") or row.get("data-url")
        if not target:
            m = SCRIPT_URL.search(row.get("onclick") or "")
            if not m:
                continue
            target = m.group(1)
        title = visible(row.get("title") or "").strip()
        text = _joined(_TEXTS(row))
        text = text if len(text) <= _ROW_TEXT_MAX else ""
        add_link(out, seen, base, target, title if len(title) > len(text) else text, _date_in(row))
    for src in _EMBEDDED(sel.root):
        add_link(out, seen, base, src, "", None)
    scripts = " ".join(_SCRIPT_TEXT(sel.root))
    for m in SCRIPT_URL.finditer(scripts):
        if _BUILT.match(scripts, m.end()):
            continue  # the start of an address built around a value ("list.jsp?pageNo=" + p): no address itself
        if re.search(r"[/.]", m.group(1)) and not re.search(r"\s", m.group(1)):  # an address, not `location = "北京"`
            add_link(out, seen, base, m.group(1), "", None)
    return out


_BUILT = re.compile(r"\s*\+")


def _clickable(root: etree._Element) -> list[etree._Element]:
    """Return the elements of the page's body, other than links and holding none, that a click takes somewhere (an
    `onclick`, a `data-href` or `data-url`), each once, in page order."""
    rows: dict[etree._Element, None] = {}
    for attr in _CLICK_ATTRS(root):
        element = attr.getparent()
        if element is not None and element.tag not in ("a", "area", "body", "html") and element not in rows:
            rows[element] = None
    return [row for row in rows if not _HOLDS_LINK(row)]


def add_link(out: list[Link], seen: set[str], base: str, href: str, text: str, date: str | None) -> None:
    """Append to `out` the link `href` (relative to `base`) with its anchor `text` and list `date`, unless it is no
    web address, a file never read (images, scripts, archives) or its canonical URL is in `seen` (then added)."""
    href = href.strip()
    m = re.search(r"[?&]file=([^&]+\.(?:pdf|ofd))", href, re.I)  # pdf.js and OFD web viewers name the real file
    if m:
        href = m.group(1)
    url = urljoin(base, href)
    if urlsplit(url).scheme not in ("http", "https") or SKIP_EXT.search(url):
        return
    canon = canonical(url)
    if canon is None or canon in seen:
        return
    seen.add(canon)
    kind = "document" if DOC_EXT.search(canon) or DOWNLOAD_URL.search(canon) else "page"
    out.append(Link(canon, re.sub(r"\s+", " ", text).strip(), date, kind))


def _row_date(a: etree._Element) -> str | None:
    """Return the date printed in the same list row as a link (`<li><a>…</a><span>2024-01-16</span></li>`)."""
    row = _ROW(a)
    return _date_in(row[0]) if row else None


def _date_in(row: etree._Element) -> str | None:
    """Return the date a list row (or a clickable row) prints, as YYYY-MM-DD, or None."""
    m = DATE.search(" ".join(_TEXTS(row)))
    if not m:
        return None
    y, mo, d = m.groups()
    return f"{y}-{int(mo):02d}-{int(d):02d}"


def published_at(sel: Selector, text: str) -> str | None:
    """Return the page's publication date: PubDate meta, else a 发布日期/发布时间/撰写时间 label in the text."""
    meta = meta_content(sel.root, "PubDate", "pubdate")
    if meta:
        m = DATE.search(meta)
        if m:
            return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    m = re.search(
        r"(?:发布日期|发布时间|发文日期|成文日期|撰写时间|日期)[:：\s]*(20\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})", text
    )
    if m:
        return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    return None


def column_name(sel: Selector) -> str | None:
    """Return the column a page belongs to: ColumnName meta, else the last breadcrumb step before the article."""
    meta = meta_content(sel.root, "ColumnName")
    if meta and meta.strip():
        return meta.strip()
    found = marked_nodes(sel, _CRUMB_CLASS)
    inside = set(found)
    # `//*[…]//text()`: each text once, a marked node inside another read with it.
    crumbs = " ".join(t for n in found if not any(a in inside for a in n.iterancestors()) for t in _TEXTS(n))
    parts = [p.strip() for p in re.split(r"[>»›/]|&gt;", crumbs) if p.strip()]
    named = [p for p in parts if COLUMN_WORDS.search(p)]
    return named[-1] if named else None
