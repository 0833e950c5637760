"""List calls a page makes without a family adapter: its scripts' requests, its frames and its year forms.

Many platforms fill a column from a script: truecms `getMessage.do` (JSONP), jpaas `front/page/build/unit`
(the page number inside `paramJson`), Epoint `getgovinfolist` (a JSON POST), Hanweb's 信息公开 `search.jsp`,
a site's own search API used as a column. They differ in names, not in kind: an address, a method, some
parameters and one that numbers pages. This module turns each such request into a `ListCall`; the answer is
read by `crawler.answers`. A column drawn in a same-host `<iframe>` is read as the list it is, and a form that
picks a year (`fbtime`, `timeFrame`, `year`) is asked once per year it offers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from lxml import etree
from parsel import Selector

from .discovery import COLUMN_SLUGS
from .paging import PAGE_KEYS, ListCall, page_key_of, set_page_in_json, size_of, window_of
from .scripts import ScriptCall, calls, variables

# A request worth reading as a list: its address or parameters speak of lists, columns, searches or pages.
_LISTISH = re.compile(
    r"list|search|query|getmessage|build/unit|govinfo|column|channel|catalog|article|info|xxgk|page|lanmu|data",
    re.I,
)
_NOT_LIST = re.compile(r"count|visit|stat|click|login|weather|captcha|verify|token|share|comment|vote|hits|track", re.I)
_YEAR_FIELD = re.compile(r"year|fbtime|nd$|niandu|timeframe|pubyear|date", re.I)
MAX_CALLS = 12
"""A page's script lists read by default: its first this many, those that name a 年报 column first (a page of many
widgets stays cheap); the rest are counted as a budget the site hit. A site's `max_list_calls` override replaces it."""
MAX_FOUND = 200
"""At most this many of a page's script lists are named to the spider; more are only counted."""
# A list call whose address or parameters name an annual-report column: in words, or by a column slug.
_REPORTISH = re.compile(rf"年报|年度报告|{COLUMN_SLUGS.pattern}", re.I)


def script_calls(url: str, html: str, sel: Selector) -> tuple[list[tuple[ListCall, int]], int]:
    """Return the list requests the page's scripts make, as paged list calls with the page to ask for first (those
    that name a 年报 column first, the rest in page order; at most MAX_FOUND), and how many more there were."""
    scripts = " ".join(sel.xpath("//script[not(@src)]/text()").getall())
    if not scripts.strip():
        return [], 0
    dom = {e.attrib["id"]: dict(e.attrib) for e in sel.xpath("//*[@id][@*[starts-with(name(), 'data-')]]")[:500]}
    names = variables(scripts, dom)
    out: list[tuple[ListCall, int]] = []
    seen: set[str] = set()
    for found in calls(scripts, names, dom):
        made = _list_call(url, found)
        if made is None:
            continue
        key = json.dumps(made[0].to_dict(), sort_keys=True)
        if key not in seen:
            seen.add(key)
            out.append(made)
    out.sort(key=lambda c: not _REPORTISH.search(" ".join([c[0].url, *c[0].params, *c[0].params.values()])))
    return out[:MAX_FOUND], max(0, len(out) - MAX_FOUND)


def _list_call(page_url: str, found: ScriptCall) -> tuple[ListCall, int] | None:
    """Return the list call of one script request and the first page to ask for, or None where it is no list."""
    pending_url = "${" in found.url  # built by names or helpers of the site's script files: filled later
    target = found.url if pending_url else urljoin(page_url, found.url)
    parts = urlsplit(target)
    if not pending_url and (parts.scheme not in ("http", "https")
                            or parts.netloc.lower() != urlsplit(page_url).netloc.lower()):  # fmt: skip
        return None  # another host is another site's business (and offsite for the crawl)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    params = {**query, **found.data} if found.method == "GET" else dict(found.data)
    in_query = tuple(query) if found.method == "POST" else ()
    endpoint = urlunsplit(parts._replace(query="")) if found.method == "GET" else target
    described = " ".join([parts.path, *params])
    if _NOT_LIST.search(parts.path) or not _LISTISH.search(described):
        return None
    page_key = page_key_of(params)
    window = window_of(params)
    nested = _nested_pager(params)
    if page_key is None and window is None and nested is None and not _LISTISH.search(parts.path):
        return None
    per_page = size_of(params) or (_window_size(params, window) if window else 0)
    size_key = next((k for k in params if k.lower() in ("perpage", "pagesize")), None) if window else None
    first = _first_page(params, page_key, window, nested)
    guessed = first < 0
    first = max(first, 0)
    if nested:
        params[nested] = set_page_in_json(params[nested], first)
    for k in [k for k in (page_key, *(window or ())) if k]:
        params.pop(k, None)
    if found.method == "POST" and page_key and page_key in query:
        params.pop(page_key, None)
    call = ListCall(endpoint, found.method, {k: str(v) for k, v in params.items()},
                    body="json" if found.json_body else "form", page_key=page_key, in_query=in_query, window=window,
                    per_page=per_page, size_key=size_key, nested=nested, first=first, kind="json",
                    guessed=guessed)  # fmt: skip
    if size_key:
        call.params.pop(size_key, None)
    return call, first


def _nested_pager(params: dict[str, str]) -> str | None:
    """Return the parameter whose value is JSON with a page number in it (jpaas `paramJson`), or None."""
    for key, value in params.items():
        if isinstance(value, str) and value.strip().startswith("{"):
            try:
                data = json.loads(value)
            except (ValueError, RecursionError):
                continue
            if isinstance(data, dict) and any(k.lower() in PAGE_KEYS for k in data):
                return key
    return None


def _window_size(params: dict[str, str], window: tuple[str, str]) -> int:
    """Return the size of a record window as first written (`startrecord=1&endrecord=15` → 15)."""
    try:
        return int(params[window[1]]) - int(params[window[0]]) + 1
    except (KeyError, ValueError):
        return 0


def _first_page(params: dict[str, str], page_key: str | None, window: tuple[str, str] | None,
                nested: str | None) -> int:  # fmt: skip
    """Return the number the script gives its first page: 1 where it names none, -1 where it names a value the
    page computes (the list may count from 0 or 1: both are tried)."""
    if page_key:
        value = str(params.get(page_key, ""))
        return int(value) if value.isdigit() else (-1 if "${" in value else 1)
    if nested:
        data = json.loads(params[nested])
        value = next((v for k, v in data.items() if k.lower() in PAGE_KEYS), 1)
        return int(value) if str(value).isdigit() else (-1 if "${" in str(value) else 1)
    return 1


_LIBRARY = re.compile(
    r"jquery|bootstrap|vue|react|angular|layer|echarts|swiper|polyfill|html5shiv|respond|"
    r"analytics|stat|baidu|share|jweixin|flexible|zepto|lodash|moment",
    re.I,
)
MAX_SCRIPT_FILES = 4
"""At most this many of a page's own script files are read for a name its list calls need; the rest are counted as
a budget the site hit. A site's `max_script_files` override replaces it."""


def script_files(url: str, sel: Selector) -> list[str]:
    """Return the page's own script files (same host, not a well-known library), where settings may live, in page
    order."""
    host = urlsplit(url).netloc.lower()
    out: dict[str, None] = {}
    for src in sel.xpath("//script/@src").getall():
        target = urljoin(url, src.strip())
        parts = urlsplit(target)
        name = parts.path.rsplit("/", 1)[-1]
        if parts.netloc.lower() == host and name.endswith(".js") and not _LIBRARY.search(name):
            out.setdefault(target)
    return list(out)


def frame_lists(url: str, sel: Selector) -> list[str]:
    """Return the same-host frames of a page (`<iframe src>`, `<frame src>`): a column drawn inside a shell."""
    host = urlsplit(url).netloc.lower()
    out = []
    for src in sel.xpath("//iframe/@src | //frame/@src").getall():
        target = urljoin(url, src.strip())
        parts = urlsplit(target)
        if parts.scheme in ("http", "https") and parts.netloc.lower() == host and target not in out:
            out.append(target)
    return out


def form_action(action: str | None, url: str, base: str | None = None) -> str:
    """Return where a form of the page at `url` sends: its `action` resolved against the page's `base` address (its
    `<base href>`), or the page's own address where it names none, as a browser does."""
    action = (action or "").strip()
    return urljoin(base or url, action) if action else url


def form_calls(url: str, sel: Selector, base: str | None = None) -> list[tuple[ListCall, int]]:
    """Return the paged lists behind a page's forms: a form with a page-number field (`currpage`, `pageNo`)
    whose action is a list (Hanweb's 信息公开 `search.jsp`, a column's pager form), GET or POST as it says; `base`:
    the page's base address."""
    out: list[tuple[ListCall, int]] = []
    host = urlsplit(url).netloc.lower()
    for form in sel.xpath("//form"):
        fields = {i.attrib["name"]: i.attrib.get("value") or ""
                  for i in form.xpath(".//input[@name][not(@type='submit') and not(@type='button')]")}  # fmt: skip
        page_key = page_key_of(fields)
        action = form_action(form.attrib.get("action"), url, base)
        parts = urlsplit(action)
        if page_key is None or parts.netloc.lower() != host or not _LISTISH.search(parts.path + " " + " ".join(fields)):
            continue
        first = int(fields[page_key]) if fields[page_key].isdigit() else 1
        method = "POST" if (form.attrib.get("method") or "get").lower() == "post" else "GET"
        params = {k: v for k, v in fields.items() if k != page_key}
        out.append((ListCall(action, method, params, page_key=page_key, first=first), first))
    return out


_FORMS = etree.XPath("//form")
_HIDDEN = etree.XPath(".//input[@type='hidden'][@name]")
_INPUTS = etree.XPath(".//input")
_BUTTONS = etree.XPath(".//input[@type='submit' or @type='button' or @type='image']")
_BUTTON_TAGS = etree.XPath(".//button")
_SELECTS = etree.XPath(".//select[@name]")
_OPTIONS = etree.XPath(".//option")
_STRING = etree.XPath("string()", smart_strings=False)


@dataclass(frozen=True, slots=True)
class SearchForm:
    """A site's search box: a same-host GET form with a field for the words searched for."""

    action: str
    """The form's address, without a query."""
    fields: tuple[tuple[str, str], ...]
    """The form's other fields as it sends them (hidden channel or site ids, selects at their first option)."""
    word: str
    """The name of the field the words go in."""

    def url(self, words: str, encoding: str = "utf-8") -> str:
        """Return the GET request of a search for `words`, its query encoded as the page was (an older CMS reads its
        search words as GBK)."""
        query = urlencode([*self.fields, (self.word, words)], encoding=encoding, errors="xmlcharrefreplace")
        return f"{self.action}?{query}"


# A field that takes the words searched for, by its name, or by what its form says of itself.
_WORD_FIELD = re.compile(
    r"^(?:search_?words?|searchkey|search_?text|search_?value|keywords?|key_?word|kw|wd|q|query|sw|key|word|s)$", re.I
)
_SEARCH_HINT = re.compile(r"搜\s*索|检\s*索|关键[字词]|search", re.I)
_TEXT_TYPES = frozenset({"", "text", "search"})
MAX_SEARCH_FORMS = 3
"""A page's site searches read: its first this many (a header's box, a column's own, an advanced search)."""


def search_forms(url: str, sel: Selector, base: str | None = None) -> list[SearchForm]:
    """Return the page's site searches: its same-host GET forms with a field for search words, one an address, in
    page order (at most MAX_SEARCH_FORMS); `base`: the page's base address."""
    host = urlsplit(url).netloc.lower()
    out: list[SearchForm] = []
    for form in _FORMS(sel.root):
        if (form.get("method") or "get").strip().lower() != "get":
            continue
        action = form_action(form.get("action"), url, base)
        parts = urlsplit(action)
        if parts.scheme not in ("http", "https") or parts.netloc.lower() != host:
            continue
        texts = [i for i in _INPUTS(form) if (i.get("type") or "").strip().lower() in _TEXT_TYPES and i.get("name")]
        word = next((i.get("name") for i in texts if _WORD_FIELD.match(i.get("name"))), None)
        if word is None and len(texts) == 1:
            said = " ".join([*(form.get(k) or "" for k in ("name", "id", "class", "action")),
                             *(texts[0].get(k) or "" for k in ("placeholder", "id", "class", "title")),
                             *(b.get("value") or "" for b in _BUTTONS(form)),
                             *(_STRING(b) for b in _BUTTON_TAGS(form))])  # fmt: skip
            word = texts[0].get("name") if _SEARCH_HINT.search(said) else None
        if word is None:
            continue
        fields = [*parse_qsl(parts.query, keep_blank_values=True)]
        fields += [(i.get("name"), i.get("value") or "") for i in _HIDDEN(form)]
        for select in _SELECTS(form):
            first = next(iter(_OPTIONS(select)), None)
            if first is not None:
                fields.append((select.get("name"), first.get("value") if first.get("value") is not None
                               else _STRING(first)))  # fmt: skip
        action = urlunsplit(parts._replace(query="", fragment=""))
        if all(f.action != action for f in out):
            out.append(SearchForm(action, tuple((k, v) for k, v in fields if k != word), word))
            if len(out) >= MAX_SEARCH_FORMS:
                break
    return out


def year_forms(url: str, sel: Selector, base: str | None = None, limit: int = 30) -> list[str]:
    """Return a GET request per year a list form offers (`<select name="fbtime">` of years), newest first; `base`:
    the page's base address."""
    out: list[str] = []
    for form in _FORMS(sel.root):  # on the lxml tree: a page may have many options, each a Selector otherwise
        method = (form.get("method") or "get").lower()
        if method != "get":
            continue
        action = form_action(form.get("action"), url, base)
        fixed = [(i.get("name"), i.get("value") or "") for i in _HIDDEN(form)]
        for select in _SELECTS(form):
            name = select.get("name")
            years = [v for v in (o.get("value") or _STRING(o) or "" for o in _OPTIONS(select))
                     if re.fullmatch(r"\s*(?:19|20)\d{2}\s*", v)]  # fmt: skip
            if not years or not _YEAR_FIELD.search(name):
                continue
            for year in sorted({y.strip() for y in years}, reverse=True)[:limit]:
                query = urlencode([*fixed, (name, year)])
                target = urlunsplit(urlsplit(action)._replace(query=query, fragment=""))
                if target not in out:
                    out.append(target)
    return out
