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
from urllib.parse import urlencode, urljoin, urlsplit

from parsel import Selector

from .discovery import Link, list_links


@dataclass(slots=True)
class ListRequest:
    """A list request an adapter wants: URL, method, form body, and what the response is (html, xml, json)."""

    url: str
    method: str = "GET"
    form: dict[str, str] | None = None
    kind: str = "html"


# --- TRS WCM -----------------------------------------------------------------------------------
_TRS_PAGER = re.compile(r"createPageHTML\(\s*([\w.]+)\s*,\s*([\w.]+)\s*,\s*['\"](\w+)['\"]\s*,\s*['\"](\w+)['\"]")
_TRS_COUNT = re.compile(r"var\s+countPage\s*=\s*(\d+)")
_TRS_CURRENT = re.compile(r"var\s+currentPage\s*=\s*(\d+)")


def trs_pages(url: str, html: str) -> list[ListRequest]:
    """Return the other pages of a TRS list: index_1.html … index_{countPage-1}.html."""
    m = _TRS_PAGER.search(html)
    if not m:
        return []
    count_s, current_s, stem, ext = m.groups()
    count = int(count_s) if count_s.isdigit() else int((_TRS_COUNT.search(html) or [0, "0"])[1])
    current = int(current_s) if current_s.isdigit() else int((_TRS_CURRENT.search(html) or [0, "0"])[1])
    if current != 0:
        return []
    count = min(count, 200)
    base = urljoin(url, "./")
    return [ListRequest(urljoin(base, f"{stem}_{k}.{ext}")) for k in range(1, count)]


# --- Hanweb JCMS -------------------------------------------------------------------------------
_DATASTORE = re.compile(r"<datastore>(.*?)</datastore>", re.S | re.I)
_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S | re.I)
_TOTAL_PAGE = re.compile(r"<totalpage>\s*(\d+)\s*</totalpage>", re.I)
_TOTAL_RECORD = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>", re.I)
_JPAGE_KEYS = ("col", "appid", "webid", "path", "columnid", "sourceContentType", "unitid", "webname", "permissiontype")
_JPAGE_PARAM = re.compile(r"""['"]?(""" + "|".join(_JPAGE_KEYS) + r""")['"]?\s*[:=]\s*['"]?([^'",;}&\s<]*)""")
_PERPAGE = re.compile(r"""perpage['"]?\s*[:=]\s*['"]?(\d+)""", re.I)
_PROXY = re.compile(r"""['"]([^'"]*dataproxy\.jsp)[^'"]*['"]""", re.I)


def hanweb_records(base: str, xml: str) -> list[Link]:
    """Return the article links held in a Hanweb `<datastore>` (embedded in a page or from dataproxy)."""
    html = "".join(_RECORD.findall(xml))
    return list_links(Selector(text=f"<ul>{html}</ul>"), base) if html else []


def hanweb_pages(url: str, html: str) -> list[ListRequest]:
    """Return dataproxy.jsp requests for the pages after the one embedded in a Hanweb column page."""
    store = _DATASTORE.search(html)
    if not store or "dataproxy" not in html:
        return []
    total_pages = int((_TOTAL_PAGE.search(store.group(1)) or [0, "1"])[1])
    total = int((_TOTAL_RECORD.search(store.group(1)) or [0, "0"])[1])
    perpage = int((_PERPAGE.search(html) or [0, "0"])[1]) or max(1, len(_RECORD.findall(store.group(1))))
    if total and not _TOTAL_PAGE.search(store.group(1)):
        total_pages = -(-total // perpage)
    params = {k: v for k, v in _JPAGE_PARAM.findall(html)}
    params.setdefault("col", "1")
    params.setdefault("appid", "1")
    params.setdefault("path", "/")
    params.setdefault("sourceContentType", "1")
    params.setdefault("permissiontype", "0")
    if "columnid" not in params:
        m = re.search(r"col(\d+)", urlsplit(url).path)
        if m:
            params["columnid"] = m.group(1)
    proxy = urljoin(url, (_PROXY.search(html) or [None, "/module/web/jpage/dataproxy.jsp"])[1])
    out = []
    for page in range(2, min(total_pages, 200) + 1):
        start = (page - 1) * perpage + 1
        query = urlencode({"page": page, "startrecord": start, "endrecord": start + perpage - 1, "perpage": perpage})
        out.append(ListRequest(f"{proxy}?{query}", "POST", dict(params), "xml"))
    return out


# --- Guangdong gkmlpt --------------------------------------------------------------------------
_SID = re.compile(r"""SID\s*[:=]\s*['"](\w+)['"]""")
_TREE = re.compile(r"var\s+TREE\s*=\s*(\[.*?\])\s*;?\s*(?:var|</script>|\n)", re.S)


def _tree_categories(tree: object) -> Iterator[tuple[str, str]]:
    if isinstance(tree, dict):
        cid, name = tree.get("id"), str(tree.get("name") or "")
        if cid is not None:
            yield str(cid), name
        for key in ("children", "child", "nodes"):
            yield from _tree_categories(tree.get(key))
    elif isinstance(tree, list):
        for node in tree:
            yield from _tree_categories(node)


def gkmlpt_api(url: str, html: str, fragment_ids: list[str]) -> list[ListRequest]:
    """Return the gkmlpt JSON list requests for the page's annual-report categories (page 1)."""
    sid = _SID.search(html)
    if not sid or "gkmlpt" not in url + html:
        return []
    cats = list(fragment_ids)
    tree = _TREE.search(html)
    if tree:
        try:
            nodes = json.loads(tree.group(1))
        except ValueError:
            nodes = []
        cats += [cid for cid, name in _tree_categories(nodes) if re.search(r"年报|年度报告", name)]
    root = url.split("/gkmlpt/")[0]
    seen: list[str] = []
    for c in cats:
        if c not in seen:
            seen.append(c)
    return [ListRequest(f"{root}/gkmlpt/api/all/{c}?page=1&sid={sid.group(1)}", kind="json") for c in seen]


def gkmlpt_articles(url: str, body: str) -> tuple[list[Link], ListRequest | None]:
    """Return the article links of a gkmlpt JSON page and the request for the next page, if any."""
    try:
        data = json.loads(body)
    except ValueError:
        return [], None
    articles = data.get("articles") if isinstance(data, dict) else None
    if not isinstance(articles, list) or not articles:
        return [], None
    links = []
    for a in articles:
        if not isinstance(a, dict):
            continue
        target = a.get("url") or a.get("post_url")
        if not target:
            continue
        date = str(a.get("created_at") or "")[:10] or None
        links.append(Link(urljoin(url, str(target)), str(a.get("title") or ""), date, "page"))
    m = re.search(r"[?&]page=(\d+)", url)
    page = int(m.group(1)) if m else 1
    total = (data.get("classify") or {}).get("post_count") if isinstance(data.get("classify"), dict) else None
    more = total is None or page * len(articles) < int(total)
    nxt = ListRequest(re.sub(r"([?&]page=)\d+", rf"\g<1>{page + 1}", url), kind="json") if more else None
    return links, nxt


# --- Lonsun (Anhui) and year selectors ---------------------------------------------------------
_LONSUN = re.compile(r"(?:OpennessAnnualReport|XxgkAnnualReport|/public/column/)", re.I)


def lonsun_links(links: list[Link]) -> list[Link]:
    """Return the 年报 links of a Lonsun page: year selectors, organs' 年报 views (type=3), report pages."""
    pattern = r"timeFrame=\d{4}|AnnualReport/show/\d+|/public/column/\d+\?(?:[^#]*&)?type=3(?:&|$)"
    return [lk for lk in links if re.search(pattern, lk.url, re.I)]


def is_lonsun(html: str) -> bool:
    """True where a page belongs to the Lonsun openness platform."""
    return bool(_LONSUN.search(html))


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
