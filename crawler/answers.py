"""The links in a list API's answer, whatever its shape: JSON, JSONP, Hanweb's XML datastore or an HTML fragment.

JSON lists name their fields differently on every platform (`title`/`name`/`wzbt`, `url`/`link`/`infourl`,
`created_at`/`pubDate`/`fbrq`); the reader walks the answer and takes every object that has a title-like and
an address-like field, and every string that holds HTML links.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from parsel import Selector

from .discovery import DATE, SCRIPT_URL, Link, add_link, list_links

_JSONP = re.compile(r"^\s*[\w$.]+\s*\(\s*(.*?)\s*\)\s*;?\s*$", re.S)
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)
_TITLE_KEYS = ("title", "name", "doctitle", "infotitle", "wzbt", "subject", "bt", "showtitle", "filename", "text")
_URL_KEYS = ("url", "link", "href", "post_url", "infourl", "docurl", "linkurl", "fileurl", "path", "pageurl", "weburl",
             "detailurl", "art_url", "src")  # fmt: skip
_DATE_KEYS = ("created_at", "create_time", "pubdate", "publishdate", "publish_time", "fbrq", "fbsj", "date", "time",
              "releasetime", "docreltime", "infodate", "writetime", "inputdate", "scrq")  # fmt: skip
_ADDRESS = re.compile(r"^(?:https?://|/|\./|\.\./)|\.(?:s?html?|jsp|pdf|docx?|wps|xlsx?|ofd)(?:$|[?#])", re.I)
MAX_NODES = 2_000_000
"""A JSON answer is walked up to this many values, so a hostile answer cannot make the walk unbounded; an answer
cut here says so (`Answer.cut`). An answer is at most `DOWNLOAD_MAXSIZE` (50 MB) parsed already; a list of 100,000
articles of ten fields each is 1.1 million values."""


@dataclass(slots=True)
class Answer:
    """What a list API's answer holds."""

    links: list[Link] = field(default_factory=list)
    """The article links, in the answer's order, each once, with titles and dates where it gives them."""
    cut: bool = False
    """True where the answer was walked only to `MAX_NODES` values: links after those were not read."""


def unwrap_jsonp(body: str) -> str:
    """Return the JSON inside a JSONP answer (`cb({...});`), or the body itself."""
    m = _JSONP.match(body)
    if m and m.group(1)[:1] in "{[":
        return m.group(1)
    return body


def answer_links(base: str, body: str) -> list[Link]:
    """Return the article links an answer holds, with titles and dates where it gives them (`read_answer`)."""
    return read_answer(base, body).links


def read_answer(base: str, body: str) -> Answer:
    """Return what an answer holds: its article links, and whether a JSON answer was too large to read whole."""
    text = body.strip()
    if not text:
        return Answer()
    if text[:1] in "{[" or _JSONP.match(text):
        try:
            data = json.loads(unwrap_jsonp(text))
        except ValueError:
            data = None
        if data is not None:
            return json_links(base, data)
    records = _CDATA.findall(text)
    if records:
        return Answer(list_links(Selector(text="<ul>" + "".join(records) + "</ul>"), base))
    return Answer(list_links(Selector(text=text), base))


def json_links(base: str, data: Any) -> Answer:
    """Return the links of a JSON list: objects with a title and an address, and HTML held in strings."""
    out: list[Link] = []
    seen: set[str] = set()
    stack = [data]
    nodes = 0
    while stack and nodes < MAX_NODES:
        cur = stack.pop()
        nodes += 1
        if isinstance(cur, dict):
            _object_link(out, seen, base, cur)
            stack.extend(reversed(list(cur.values())))
        elif isinstance(cur, list):
            stack.extend(reversed(cur))
        elif isinstance(cur, str) and "<a" in cur and "href" in cur:
            for lk in list_links(Selector(text=cur), base):
                if lk.url not in seen:
                    seen.add(lk.url)
                    out.append(lk)
    return Answer(out, cut=bool(stack))


def _object_link(out: list[Link], seen: set[str], base: str, obj: dict[str, Any]) -> None:
    """Append to `out` the link an object of a JSON list describes, where it has a title and an address whose URL is
    not in `seen` (`discovery.add_link`)."""
    if len(obj) < 2:  # a title and an address are two fields
        return
    lowered = {str(k).lower(): v for k, v in obj.items() if isinstance(v, (str, int))}
    title = _first(lowered, _TITLE_KEYS, _TITLE_LIKE, lambda v: bool(v.strip()))
    address = _first(lowered, _URL_KEYS, _URL_LIKE, lambda v: bool(_ADDRESS.search(v)))
    if not title or not address:
        return
    date = None
    for k in [*_DATE_KEYS, *(k for k in lowered if _DATE_LIKE.search(k))]:
        m = DATE.search(str(lowered.get(k) or ""))
        if m:
            date = f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
            break
    title = re.sub(r"<[^>]+>", "", title)  # search APIs mark the query words up
    href = address.strip()
    if href.startswith(("javascript:", "mailto:", "tel:", "#")):
        m = SCRIPT_URL.search(href)
        if not m:
            return
        href = m.group(1)
    add_link(out, seen, base, href, title.strip(), date)


# Field names vary by platform (`_doctitle`, `docpuburl`, `docreltime`): matched by what they contain.
_TITLE_LIKE = re.compile(r"title|^_?(?:name|bt|wzbt)$", re.I)
_URL_LIKE = re.compile(r"url|link|href", re.I)
_DATE_LIKE = re.compile(r"date|time|rq$|sj$", re.I)


def _first(fields: dict[str, object], names: tuple[str, ...], like: re.Pattern[str], good: object) -> str:
    """Return the first text value under a known name, else under a name like `like`, that `good` accepts."""
    for key in [*names, *(k for k in fields if like.search(k) and k not in names)]:
        value = fields.get(key)
        if isinstance(value, str) and good(value):  # type: ignore[operator]
            return value
    return ""

