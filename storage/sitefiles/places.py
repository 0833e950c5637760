"""Where a registry row's site lives: its URLs and hosts, its 网站标识码, and its GB/T 2260 region.

The region is the 网站标识码's first six characters where they are digits and a known code (the 标识码 is the
region code plus a 4-digit serial; ministries' codes start `bm`); else the organiser's name (or the
province/city/county names a file gives) read by `extractors.attribute` against the shipped region table
(`extractors/data/regions/`), most specific unique match; else None.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from extractors import Evidence, attribute
from extractors.regions import lookup

_CODE = re.compile(r"[0-9A-Za-z]{4,32}")
_SITE_ID_CODE = re.compile(r"\d{10}|bm\d{8}", re.IGNORECASE)
_SPLIT = re.compile(r"[;；,，、|\s]+")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"(?:{_LABEL}\.)+{_LABEL}|\d{{1,3}}(?:\.\d{{1,3}}){{3}}|localhost")
_GROUPINGS = frozenset({"市辖区", "县"})
_LOOKS_LIKE_URL = re.compile(r"^(?:https?://)?[\w\u4e00-\u9fff-]+(?:\.[\w\u4e00-\u9fff-]+)+(?::\d+)?(?:/|$)", re.I)


def site_code(text: str | None) -> str | None:
    """Return a 网站标识码 cell as the code (`3208000001`, `bm17000009`), or None for a blank or a placeholder."""
    text = (text or "").strip()
    return text if _CODE.fullmatch(text) else None


def is_site_id_code(text: str) -> bool:
    """True where a crawler registry's `site_id` is itself a 网站标识码 (10 digits, or `bm` and 8 digits)."""
    return bool(_SITE_ID_CODE.fullmatch(text.strip()))


def looks_like_url(text: str) -> bool:
    """True where a cell looks like a URL or a bare domain (to find the address column of a header-less file)."""
    return bool(_LOOKS_LIKE_URL.match(text.strip()))


def _host(netloc_host: str) -> str | None:
    try:
        host = netloc_host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    return host if _HOST.fullmatch(host) else None


def urls_of(cell: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return the start URLs and hosts of an address cell (`www.a.gov.cn`, `http://a.gov.cn/;https://b.gov.cn`):
    each part split on `;`, `,`, `、` or spaces, `http://` put before a bare domain, a URL without a usable host
    left out. Hosts are lower-case (`host` or `host:port`), IDN in punycode, in order, each once."""
    urls: list[str] = []
    hosts: list[str] = []
    for part in _SPLIT.split(cell or ""):
        part = part.strip().rstrip("。.")
        if not part:
            continue
        url = part if re.match(r"https?://", part, re.I) else f"http://{part}"
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            continue
        host = _host(parts.hostname or "")
        if host is None:
            continue
        netloc = f"{host}:{port}" if port else host
        url = f"{parts.scheme.lower()}://{netloc}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")
        if url not in urls:
            urls.append(url)
        if netloc not in hosts:
            hosts.append(netloc)
    return tuple(urls), tuple(hosts)


def region_name(code: str) -> str:
    """Return the names of a code and its parents joined (`320813` → 江苏省淮安市洪泽区; groupings such as
    市辖区 left out)."""
    names: list[str] = []
    for cut in (2, 4, 6):
        region = lookup(code[:cut]) if len(code) >= cut else None
        if region is None or region.name in _GROUPINGS or region.name.endswith("行政区划"):
            continue
        if not names or names[-1] != region.name:
            names.append(region.name)
    return "".join(names)


def from_site_code(code: str | None) -> tuple[str, str] | None:
    """Return (6-digit code, name) of a 网站标识码's first six characters where digits and a known code, else None."""
    head = (code or "").strip()[:6]
    if not re.fullmatch(r"\d{6}", head):
        return None
    region = lookup(head)
    return (region.full_code, region_name(region.full_code)) if region is not None else None


def from_names(*names: str | None) -> tuple[str, str] | None:
    """Return (code, name) of the first name that places a region (most specific unique match), else None."""
    for name in names:
        if not name:
            continue
        found = attribute(Evidence(agency=name))
        if found.region_code:
            return found.region_code, found.region_name or region_name(found.region_code)
    return None


def place(code: str | None, *names: str | None) -> tuple[str | None, str | None]:
    """Return (region code, region name) of a site: from its 网站标识码, else from the names; (None, None) where
    neither places it."""
    found = from_site_code(code) or from_names(*names)
    return found if found is not None else (None, None)
