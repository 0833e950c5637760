"""Paged lists: how to ask a site for page n of a list, whatever carries the page number.

A `ListCall` describes one list a site serves page by page — a static `index_N.html` series, a query
parameter (`?page=N`, `pageIndex`, `currpage`), a record window (`startrecord`/`endrecord`), or a page
number inside a JSON parameter (`paramJson={"pageNo":N}`) — sent by GET, form POST or JSON POST. The
spider asks for the next page only while the last one yielded links it had not seen (site-patterns §4):
a count the site prints is an upper bound, never the reason to stop early or the only reason to go on.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

MAX_PAGES = 2000
"""No list is paged beyond this many pages that showed no new report link, whatever it claims (the site's request
budget still applies); a page that showed one does not count, so a 年报 column is read to its end however long.

A list of units is all such pages: a 信息公开 platform of a few thousand units lists them 10–20 a page (3,000 units
at 15 a page: 200 pages); a general 信息公开 list holding a few 年报 among its other documents too. A list stopped
here is counted (`site/<id>/budget_list_cap`), never cut silently. A site's `max_list_pages` override replaces it."""


@dataclass(slots=True)
class ListRequest:
    """A request for one page of a list: URL, method, form or JSON body, and what the answer is (html, xml, json)."""

    url: str
    method: str = "GET"
    form: dict[str, str] | None = None
    kind: str = "html"
    json_body: str | None = None
    """The body of a JSON POST (sent with Content-Type application/json); None for GET and form POSTs."""


@dataclass(slots=True)
class ListCall:
    """One list a site serves page by page, and how to ask for any page of it."""

    url: str
    """The list's address: the endpoint for a parameter pager, the first page (`index.html`) for a path pager."""
    method: str = "GET"
    """GET (parameters in the query) or POST (parameters in the body)."""
    params: dict[str, str] = field(default_factory=dict)
    """What every page is asked with, beside the page number (query for GET, body for POST)."""
    body: str = "form"
    """How a POST sends its parameters: "form" (urlencoded) or "json"."""
    page_key: str | None = None
    """The parameter that numbers pages, spelled as the site spells it (`page`, `pageIndex`, `currpage`)."""
    in_query: tuple[str, ...] = ()
    """Paging parameters a POST still sends in its query string (Hanweb's dataproxy takes both)."""
    window: tuple[str, str] | None = None
    """Names of a record window (`startrecord`, `endrecord`) sent beside or instead of the page number."""
    per_page: int = 0
    """Records per page where the site says (needed for a record window)."""
    size_key: str | None = None
    """The parameter that carries `per_page`, where the site wants it sent with every page."""
    nested: str | None = None
    """A parameter whose value is JSON holding the page number (jpaas `paramJson`)."""
    path_stem: str | None = None
    """For a static series: the file stem and extension of later pages (`index`, `html` → `index_N.html`)."""
    first: int = 1
    """The number of the list's first page (0 for a static `index.html` series whose next is `index_1`)."""
    last: int | None = None
    """The last page where the site says so: an upper bound, never a promise."""
    kind: str = "html"
    """What an answer is: "html" (a page or fragment), "xml" (Hanweb datastore) or "json" (JSON or JSONP)."""
    guessed: bool = False
    """True where the script computes its first page number: pages 0 and 1 are both asked for first."""

    def page(self, n: int) -> ListRequest:
        """Return the request for page `n` of this list."""
        if self.path_stem is not None:
            stem, ext = self.path_stem.split(".", 1)
            url = self.url if n == self.first else urljoin(urljoin(self.url, "./"), f"{stem}_{n}.{ext}")
            return ListRequest(url, kind=self.kind)
        paging: dict[str, str] = {}
        if self.page_key:
            paging[self.page_key] = str(n)
        if self.size_key and self.per_page:
            paging[self.size_key] = str(self.per_page)
        if self.window and self.per_page:
            start = (n - self.first) * self.per_page + 1
            paging[self.window[0]] = str(start)
            paging[self.window[1]] = str(start + self.per_page - 1)
        params = dict(self.params)
        if self.nested and self.nested in params:
            params[self.nested] = _nested(params[self.nested], n)
        query = {k: v for k, v in paging.items() if k in self.in_query}
        if self.method == "GET":
            return ListRequest(_with_query(self.url, {**params, **paging}), kind=self.kind)
        body = {**params, **{k: v for k, v in paging.items() if k not in self.in_query}}
        url = _with_query(self.url, query)
        if self.body == "json":
            return ListRequest(url, "POST", None, self.kind, json.dumps(_typed(body), ensure_ascii=False))
        return ListRequest(url, "POST", body, self.kind)

    def has_page(self, n: int, barren: int = 0, cap: int | None = None) -> bool:
        """True where page `n` may exist (under the site's stated last page) and may be asked for after `barren`
        pages of the list that showed no new report (fewer than `cap`, by default `MAX_PAGES`)."""
        return barren < (MAX_PAGES if cap is None else cap) and (self.last is None or n <= self.last)

    def capped(self, n: int, barren: int, cap: int | None = None) -> bool:
        """True where page `n` is refused by the cap alone (`barren` pages without a new report reached `cap`, by
        default `MAX_PAGES`): the list may go on."""
        return barren >= (MAX_PAGES if cap is None else cap) and (self.last is None or n <= self.last)

    def to_dict(self) -> dict[str, Any]:
        """Return the call as JSON-able data (kept in a request's context and in the crawl memory)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ListCall:
        """Return the call described by `to_dict`'s data."""
        data = dict(data)
        data["in_query"] = tuple(data.get("in_query") or ())
        if data.get("window"):
            data["window"] = tuple(data["window"])
        return cls(**data)


def _with_query(url: str, extra: dict[str, str]) -> str:
    """Return `url` with `extra` set in its query (replacing parameters of the same name)."""
    if not extra:
        return url
    parts = urlsplit(url)
    lowered = {k.lower() for k in extra}
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() not in lowered]
    return urlunsplit(parts._replace(query=urlencode(kept + list(extra.items()))))


def set_page_in_json(value: str, n: int) -> str:
    """Return the JSON parameter `value` with its page number set to `n` (see `ListCall.nested`)."""
    return _nested(value, n)


def _nested(value: str, n: int) -> str:
    """Return the JSON parameter `value` with its page-number key set to `n` (other keys untouched)."""
    try:
        data = json.loads(value)
    except (ValueError, RecursionError):
        return value
    if not isinstance(data, dict):
        return value
    key = next((k for k in data if k.lower() in PAGE_KEYS), "pageNo")
    data[key] = n
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _typed(body: dict[str, str]) -> dict[str, Any]:
    """Return a JSON body with plain integers as numbers, as the page's script sent them (`"001"` stays a code)."""
    return {k: int(v) if v.isdigit() and len(v) < 10 and (v == "0" or v[0] != "0") else v for k, v in body.items()}


PAGE_KEYS = frozenset(
    k.lower()
    for k in ("page", "pageNo", "pageNum", "pageIndex", "pageindex", "currpage", "curPage", "currentPage", "cpage", "p",
              "pn", "page_no", "pageNumber", "nowPage")
)
"""Parameter names (lower case) that number the pages of a list."""
SIZE_KEYS = frozenset(k.lower() for k in ("perpage", "pageSize", "page_size", "rows", "limit", "size", "pagesize"))
"""Parameter names (lower case) that say how many records a page holds."""
WINDOW_KEYS = (("startrecord", "endrecord"), ("start", "end"), ("startRecord", "endRecord"))
"""Pairs of names of a record window, as sites spell them."""


def page_key_of(params: dict[str, Any]) -> str | None:
    """Return the name of the page-number parameter among `params` (any case), or None."""
    return next((k for k in params if k.lower() in PAGE_KEYS), None)


def size_of(params: dict[str, Any]) -> int:
    """Return the page size among `params` (any spelling), or 0 where none is given."""
    for k, v in params.items():
        if k.lower() in SIZE_KEYS and str(v).isdigit():
            return int(v)
    return 0


def window_of(params: dict[str, Any]) -> tuple[str, str] | None:
    """Return the names of the record window among `params` (any case), or None."""
    lowered = {k.lower(): k for k in params}
    for a, b in WINDOW_KEYS:
        if a.lower() in lowered and b.lower() in lowered:
            return lowered[a.lower()], lowered[b.lower()]
    return None
