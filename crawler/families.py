"""List mechanisms of the CMS families (site-patterns §4), detected from the page itself.

Each adapter looks at a fetched page and returns the further list requests that family needs: TRS's
JavaScript pager, Hanweb's embedded `<datastore>` and `dataproxy.jsp`, gkmlpt's JSON API, Lonsun's
year selector. Adapters never execute JavaScript; they read the numbers the scripts are given.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from parsel import Selector

from .discovery import Link, list_links, lower_html
from .paging import ListCall, size_of
from .scripts import find_key, literal_at, variables

# --- TRS WCM -----------------------------------------------------------------------------------
_TRS_PAGER = re.compile(r"createPageHTML\(\s*([\w.]+)\s*,\s*([\w.]+)\s*,\s*['\"](\w+)['\"]\s*,\s*['\"](\w+)['\"]")
_NUMBERED = re.compile(r"_(\d+)\.\w+$")
ARTICLE_STEM = re.compile(r"t\d{8}_\d+")
"""A TRS article's file stem (`t{yyyymmdd}_{id}`): a pager naming one pages an article, not a list."""


@dataclass(frozen=True, slots=True)
class TrsPager:
    """One `createPageHTML(count, current, "stem", "ext")` call of a TRS page."""

    count: int | None
    """The page count: a literal, or the number a variable of the page holds; None where neither."""
    current: int | None
    """The page's own place from 0, read the same way."""
    stem: str
    """The pages' file stem: `index` for a list, `t…` for an article cut into pages."""
    ext: str
    """The pages' file extension."""


def trs_pagers(html: str) -> Iterator[TrsPager]:
    """Yield the TRS pagers a page calls, in page order, their arguments read as numbers (a variable the page's
    scripts assign is read once, where a call names one)."""
    if "createPageHTML" not in html:  # a substring test is far cheaper than the pattern's scan of every page
        return
    names: dict[str, Any] | None = None
    for m in _TRS_PAGER.finditer(html):
        count_s, current_s, stem, ext = m.groups()
        if names is None and not (count_s.isdigit() and current_s.isdigit()):
            names = variables(" ".join(re.findall(r"<script[^>]*>(.*?)</script>", html, re.S | re.I)))
        yield TrsPager(_number(count_s, names or {}), _number(current_s, names or {}), stem, ext)


def trs_call(url: str, html: str) -> tuple[ListCall, int] | None:
    """Return a TRS list's static page series (`index.html`, `index_1.html` …) and the next page to ask for.

    The page count (`createPageHTML(countPage, …)`, a literal or a variable) bounds the series where the page
    gives it; where it is missing or a name the page never defines, the series goes on until a page has
    nothing new. None where the page has no TRS pager, or is not the series' first page.
    """
    pager = next(trs_pagers(html), None)
    if pager is None or ARTICLE_STEM.fullmatch(pager.stem):
        return None  # none, or an article's own pager: its pages are parts of one report (crawler/article_parts.py)
    count, current = pager.count, pager.current
    numbered = _NUMBERED.search(urlsplit(url).path)
    if current is None:
        current = int(numbered.group(1)) if numbered else 0
    if current != 0 or numbered:
        return None  # later pages are asked for by the series itself
    call = ListCall(url, path_stem=f"{pager.stem}.{pager.ext}", first=0, last=count - 1 if count else None)
    return call, 1


def _number(token: str, names: dict[str, object]) -> int | None:
    """Return a script argument as a number: a literal, or a variable the page assigns a number."""
    if token.isdigit():
        return int(token)
    value = names.get(token)
    return int(value) if isinstance(value, str) and value.isdigit() else None


# --- Hanweb JCMS -------------------------------------------------------------------------------
_DATASTORE = re.compile(r"<datastore>(.*?)</datastore>", re.S | re.I)
_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S | re.I)
_TOTAL_PAGE = re.compile(r"<totalpage>\s*(\d+)\s*</totalpage>", re.I)
_TOTAL_RECORD = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>", re.I)
_NEXTGROUP = re.compile(r"<nextgroup>\s*<!\[CDATA\[.*?href=['\"]([^'\"]+)['\"]", re.S | re.I)
_JPAGE = re.compile(r"\.jpage\s*\(", re.I)
_PROXY = re.compile(r"""['"]([^'"\s]*dataproxy\.jsp)[^'"]*['"]""", re.I)
_JPAGE_KEYS = ("col", "appid", "webid", "path", "columnid", "sourceContentType", "unitid", "webname", "permissiontype")
_JPAGE_PARAM = re.compile(r"""['"]?(""" + "|".join(_JPAGE_KEYS) + r""")['"]?\s*[:=]\s*['"]?([^'",;}&\s<]*)""", re.I)
_PAGING = {"page", "startrecord", "endrecord", "perpage"}
_PERPAGE = re.compile(r"""perpage['"]?\s*[:=]\s*['"]?(\d+)""", re.I)


def hanweb_records(base: str, xml: str) -> list[Link]:
    """Return the article links held in a Hanweb `<datastore>` (embedded in a page or from dataproxy)."""
    html = "".join(_RECORD.findall(xml))
    return list_links(Selector(text=f"<ul>{html}</ul>"), base) if html else []


def hanweb_call(url: str, html: str) -> tuple[ListCall, int] | None:
    """Return the dataproxy.jsp list behind a Hanweb column page (jpage) and the first page not embedded in it.

    Parameters are read, in any case, from the jpage config (`proxyUrl`, `perPage`, `ajaxParam`, a request
    type), the datastore's `<nextgroup>` link and `name: value` pairs in the page's scripts; the proxy may be
    relative or absolute, asked by POST (the default) or GET where the config says so. `totalrecord` and
    `totalpage` bound the pages where present. None without a dataproxy list.
    """
    if "dataproxy.jsp" not in lower_html(html) or not _PROXY.search(html):  # the literal first: the pattern is slow
        return None
    scripts = " ".join(re.findall(r"<script[^>]*>(.*?)</script>", html, re.S | re.I))
    names = variables(scripts)
    config: dict[str, object] = {}
    for m in _JPAGE.finditer(scripts):
        found = literal_at(scripts, m.end(), names)
        if isinstance(found, dict):
            config = found
            break
    else:  # a config kept in a variable
        config = next((v for v in names.values() if isinstance(v, dict) and find_key(v, "proxyUrl")), {})
    store = _DATASTORE.search(html)
    embedded = store.group(1) if store else ""
    params: dict[str, str] = {}
    _merge(params, dict(_JPAGE_PARAM.findall(html)))
    nextgroup = _NEXTGROUP.search(embedded)
    if nextgroup:
        query = urlsplit(nextgroup.group(1).replace("&amp;", "&")).query
        _merge(params, dict(parse_qsl(query, keep_blank_values=True)))
    ajax = find_key(config, "ajaxParam", "ajaxParams", "param", "params")
    if isinstance(ajax, dict):
        _merge(params, {str(k): "" if v is None else str(v) for k, v in ajax.items()})
    lowered = {k.lower(): k for k in params}
    for key, default in (("col", "1"), ("appid", "1"), ("path", "/"), ("sourceContentType", "1"),
                         ("permissiontype", "0")):  # fmt: skip
        if key.lower() not in lowered:
            params[key] = default
    if "columnid" not in lowered:
        m = re.search(r"col(\d+)", urlsplit(url).path)
        if m:
            params["columnid"] = m.group(1)
    per = str(find_key(config, "perPage", "pageSize") or (_PERPAGE.search(scripts) or [0, ""])[1])
    records = len(_RECORD.findall(embedded))
    perpage = int(per) if per.isdigit() else size_of(params) or max(records, 1)
    for k in [k for k in params if k.lower() in _PAGING]:
        del params[k]
    proxy_url = find_key(config, "proxyUrl", "proxyURL", "url")
    if not (isinstance(proxy_url, str) and "dataproxy" in proxy_url.lower()):
        proxy_url = _PROXY.search(html).group(1)  # type: ignore[union-attr]
    method = str(find_key(config, "ajaxType", "requestType", "method", "type") or "POST").upper()
    last = _hanweb_last(embedded, perpage)
    call = ListCall(urljoin(url, proxy_url), "GET" if method == "GET" else "POST", params, page_key="page",
                    in_query=("page", "startrecord", "endrecord", "perpage"), window=("startrecord", "endrecord"),
                    per_page=perpage, size_key="perpage", last=last, kind="xml")  # fmt: skip
    first = 2 if records else 1
    return (call, first) if call.has_page(first) else None


def _merge(params: dict[str, str], new: dict[str, str]) -> None:
    """Set `new` in `params`, a name in another case replacing the old spelling (`columnId` over `columnid`)."""
    for key, value in new.items():
        for old in [k for k in params if k.lower() == key.lower()]:
            del params[old]
        params[key] = value


def _hanweb_last(store: str, perpage: int) -> int | None:
    """Return the last page a datastore states (`totalpage`, else `totalrecord` over the page size), or None."""
    pages = _TOTAL_PAGE.search(store)
    if pages:
        return int(pages.group(1))
    total = _TOTAL_RECORD.search(store)
    if total and perpage:
        return -(-int(total.group(1)) // perpage)
    return None


# --- Guangdong gkmlpt --------------------------------------------------------------------------
_SID = re.compile(r"""SID\s*[:=]\s*['"](\w+)['"]""")
_TREE = re.compile(r"var\s+TREE\s*=\s*(\[.*?\])\s*;?\s*(?:var|</script>|\n)", re.S)


def _tree_categories(tree: object) -> Iterator[tuple[str, str]]:
    """Yield (id, name) of every node of a gkmlpt `TREE`, in document order (walked with a stack: a tree may nest
    deeper than Python's recursion limit)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            cid, name = node.get("id"), str(node.get("name") or "")
            if cid is not None:
                yield str(cid), name
            stack.extend(reversed([node.get(key) for key in ("children", "child", "nodes")]))
        elif isinstance(node, list):
            stack.extend(reversed(node))


def gkmlpt_calls(url: str, html: str, fragment_ids: list[str]) -> list[tuple[ListCall, int]]:
    """Return the gkmlpt JSON lists (`/gkmlpt/api/all/{cat}?page=n&sid=…`) of the page's annual-report categories.

    Categories come from the page's `#id` fragments and from `var TREE` nodes named 年报/年度报告.
    """
    sid = _SID.search(html)
    if not sid or "gkmlpt" not in url + html:
        return []
    cats = list(fragment_ids)
    tree = _TREE.search(html)
    if tree:
        try:
            nodes = json.loads(tree.group(1))
        except (ValueError, RecursionError):  # a tree nested past the recursion limit names no category either
            nodes = []
        cats += [cid for cid, name in _tree_categories(nodes) if re.search(r"年报|年度报告", name)]
    root = url.split("/gkmlpt/")[0]
    seen: list[str] = []
    for c in cats:
        if c not in seen:
            seen.append(c)
    return [(ListCall(f"{root}/gkmlpt/api/all/{c}", params={"sid": sid.group(1)}, page_key="page", kind="json"), 1)
            for c in seen]  # fmt: skip


# --- Lonsun (Anhui) and year selectors ---------------------------------------------------------
_LONSUN = re.compile(r"(?:OpennessAnnualReport|XxgkAnnualReport|/public/column/)", re.I)
_LONSUN_WORDS = ("opennessannualreport", "xxgkannualreport", "/public/column/")


def lonsun_links(links: list[Link]) -> list[Link]:
    """Return the 年报 links of a Lonsun page: year selectors, organs' 年报 views (type=3), report pages."""
    pattern = r"timeFrame=\d{4}|AnnualReport/show/\d+|/public/column/\d+\?(?:[^#]*&)?type=3(?:&|$)"
    return [lk for lk in links if re.search(pattern, lk.url, re.I)]


def is_lonsun(html: str) -> bool:
    """True where a page belongs to the Lonsun openness platform."""
    lower = lower_html(html)  # literal checks first: a case-blind alternation scans slowly
    return any(word in lower for word in _LONSUN_WORDS) and bool(_LONSUN.search(html))


# --- pagers drawn by script --------------------------------------------------------------------
# A page function the pager's links call (`goPage(2)`, laypage's `jump`) sends the browser to an address built around
# the page number: "index_" + (n - 1) + ".html", 'list_' + obj.curr + '.shtml', "list.jsp?pageNo=" + p.
_JUMP = re.compile(
    r"""(?:location(?:\.href)?\s*=(?!=)|location\.(?:replace|assign)\s*\()\s*(["'])([^"'\s]*?)\1\s*\+\s*\(?\s*"""
    r"""[A-Za-z_$][\w$.]*\s*(?:([-+])\s*(\d))?\s*\)?\s*(?:\+\s*(["'])([^"'\s]*)\5)?"""
)
_PAGER_WORDS = ("下一页", "下页", "尾页", "末页", "laypage", "pagination")
_PAGING_WORDS = re.compile(r"page|jump|curr|pn\b|pageno|页", re.I)
"""Words of a page function, looked for just before the address it builds (`function goPage(n){`, laypage's
`jump: function(obj)`, `obj.curr`): an address built around an article's id (`"detail_" + id`) is no pager's."""
_PAGE_COUNT = re.compile(r"共\s*(\d{1,4})\s*页")
_EXTENSION = re.compile(r"\.[A-Za-z]{3,5}")


def script_pager_call(url: str, html: str) -> tuple[ListCall, int] | None:
    """Return the list a pager drawn by script pages through (the address its page function builds around the page
    number: a static `stem_N.ext` series or a query parameter) and the next page to ask for; None where the page
    shows no pager, builds no such address, or is not the list's first page. `共N页` bounds it where printed."""
    count = _PAGE_COUNT.search(html)
    lower = lower_html(html)  # literal checks: a case-blind alternation over a whole page cost a third of its facts
    if count is None and not any(word in lower for word in _PAGER_WORDS):
        return None  # no pager shown
    for m in _JUMP.finditer(html):
        if not _PAGING_WORDS.search(html, max(0, m.start() - 120), m.end()):
            continue
        prefix, sign, step, suffix = m.group(2), m.group(3), m.group(4), m.group(6) or ""
        offset = 0 if sign is None else (int(step) if sign == "+" else -int(step))
        if offset not in (0, -1):
            continue
        first = 1 + offset  # the number the list's first page would carry: the next page is first + 1
        last = int(count.group(1)) + offset if count else None
        if prefix.endswith("_") and "?" not in prefix and _EXTENSION.fullmatch(suffix):
            stem = prefix[:-1].removeprefix("./")
            target = urlsplit(urljoin(url, f"{stem}_2{suffix}"))
            if "." in stem or ARTICLE_STEM.fullmatch(stem.rsplit("/", 1)[-1]) or target.netloc != urlsplit(url).netloc:
                continue
            if _NUMBERED.search(urlsplit(url).path) and urlsplit(url).path.rsplit("/", 1)[-1].startswith(
                    stem.rsplit("/", 1)[-1] + "_"):  # fmt: skip
                return None  # a later page of the series: asked by the series itself
            return ListCall(url, path_stem=f"{stem}{suffix}", first=first, last=last), first + 1
        if prefix.endswith("=") and not suffix and ("?" in prefix or "&" in prefix):
            target = urlsplit(urljoin(url, prefix))
            params = parse_qsl(target.query, keep_blank_values=True)
            if not params or target.netloc != urlsplit(url).netloc:
                continue
            key = params[-1][0]
            if key in dict(parse_qsl(urlsplit(url).query)):
                return None  # a later page of the list
            endpoint = urlunsplit(target._replace(query="", fragment=""))
            call = ListCall(endpoint, "GET", dict(params[:-1]), page_key=key, first=first, last=last)
            return call, first + 1
    return None


# --- generic pagers ----------------------------------------------------------------------------
_PAGER_TEXT = re.compile(r"^(?:下一页|下页|尾页|末页|\d{1,3}|>|>>|»)$")


def pager_links(links: list[Link], page_url: str) -> list[Link]:
    """Return the links of a list's pager on the same host: 下一页/尾页/page numbers, index_N, /N.htm."""
    host = urlsplit(page_url).netloc
    out = []
    for lk in links:
        if urlsplit(lk.url).netloc != host:
            continue
        text = lk.text.replace(" ", "")
        if _PAGER_TEXT.match(text) or re.search(r"(?:index_\d+|/\d{1,3})\.s?html?$", urlsplit(lk.url).path):
            out.append(lk)
    return out


# -- Hanweb 信息公开 module: one report per (unit, year) ------------------------------------------------------------
_UNIT_YEAR = re.compile(r"/module/xxgk/xxgkAnnualReport\.jsp$", re.I)
YEARS_BACK = 8
"""Report years asked for a unit: the eight before this one (and back to the year a link names, if older)."""


def unit_year_reports(urls: list[str], this_year: int) -> list[str]:
    """Return, for each Hanweb `xxgkAnnualReport.jsp?area={unit}` URL among `urls` (the page's own and its links'),
    the same URL for each report year from `YEARS_BACK` years ago (or the year it names, if older) to last year,
    newest first: the module answers one report per unit and year (`fbtime`), and its year switcher is often
    written by a script the crawl does not run. A year without a report answers a page that is no report."""
    out: list[str] = []
    for url in urls:
        if "xxgkannualreport" not in url.lower():  # every link of every page comes here: the cheap test first
            continue
        parts = urlsplit(url)
        if not _UNIT_YEAR.search(parts.path):
            continue
        query = parse_qsl(parts.query, keep_blank_values=True)
        if not any(k == "area" and v for k, v in query):
            continue
        named = [int(v) for k, v in query if k == "fbtime" and re.fullmatch(r"(?:19|20)\d{2}", v)]
        first = min([this_year - YEARS_BACK, *named])
        rest = [(k, v) for k, v in query if k != "fbtime"]
        for year in range(this_year - 1, first - 1, -1):
            target = urlunsplit(parts._replace(query=urlencode([*rest, ("fbtime", str(year))]), fragment=""))
            if target not in out:
                out.append(target)
    return out
