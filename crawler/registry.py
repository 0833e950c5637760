"""The site registry: which government sites to harvest, with their region and start URLs."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from storage.registry import StoredSite


class RegistryError(ValueError):
    """A registry file that cannot be used, with the row and the reason."""


@dataclass(frozen=True, slots=True)
class Site:
    """One site to crawl. `allowed_hosts` are host or host:port names; nothing else is ever requested.

    A registry's `level` and `platform` columns are notes for people: the crawler detects the CMS family from
    the pages themselves.
    """

    site_id: str
    name: str
    start_urls: tuple[str, ...]
    allowed_hosts: frozenset[str]
    region_code: str = ""
    region_name: str = ""
    overrides: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def allows(self, url: str) -> bool:
        """True where `url`'s host is one of the site's allowed hosts.

        An allowed host is `host`, `host:port`, or `*.domain` for any subdomain of a domain. A government
        host (under .gov.cn) also allows its body's other hosts: `www.a.gov.cn` allows `a.gov.cn` and every
        `*.a.gov.cn` (the 信息公开 platform `xxgk.a.gov.cn`, a department's `jyj.a.gov.cn`, a file host), and
        `xxgk.a.gov.cn` its own subdomains (`gov_domain`).
        """
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if not host:
            return False
        with_port = f"{host}:{parts.port}" if parts.port else host
        if with_port in self.allowed_hosts or (host in self.allowed_hosts and parts.port in (None, 80, 443)):
            return True
        if any(h.startswith("*.") and host.endswith(h[1:]) for h in self.allowed_hosts):
            return True
        return parts.port in (None, 80, 443) and any(
            host == d or host.endswith("." + d) for d in self.gov_domains
        )  # fmt: skip

    @property
    def gov_domains(self) -> frozenset[str]:
        """Return the government domains the site's allowed hosts stand for (`gov_domain` of each)."""
        return _gov_domains(self.allowed_hosts)


@lru_cache(maxsize=1024)  # asked for every link a page shows, of a crawl's few sites
def _gov_domains(hosts: frozenset[str]) -> frozenset[str]:
    """Return `gov_domain` of each of `hosts` that has one."""
    return frozenset(d for h in hosts if (d := gov_domain(h)) is not None)


def gov_domain(host: str) -> str | None:
    """Return the domain a government site on `host` (no port) owns: the host under .gov.cn without a leading
    `www.`, where that still names one body (`a.gov.cn`, `b.a.gov.cn`; not `gov.cn`), else None.

    The 政府网站发展指引 puts a body's departments and platforms on subdomains of its portal's domain; hosts
    elsewhere (mirrors, other bodies' domains) stay off-site unless the registry names them."""
    if ":" in host or not host.endswith(".gov.cn"):
        return None
    base = host.removeprefix("www.")
    return base if base.count(".") >= 2 else None


def host_of(url: str) -> str:
    """Return `host` or `host:port` of a URL, lower-cased."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port else host


def _overrides(text: str, row: int) -> dict[str, Any]:
    text = (text or "").strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RegistryError(f"row {row}: overrides is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise RegistryError(f"row {row}: overrides must be a JSON object")
    for key in _COUNTS & value.keys():
        if isinstance(value[key], bool) or not isinstance(value[key], int) or value[key] < 0:
            raise RegistryError(f"row {row}: overrides {key} must be a whole number ≥ 0, not {value[key]!r}")
    for key in _PATTERNS & value.keys():
        try:
            re.compile(value[key])
        except (re.error, TypeError) as exc:
            raise RegistryError(f"row {row}: overrides {key} is not a regular expression: {exc}") from None
    return value


_COUNTS = frozenset(
    {"max_pages", "max_depth", "pages_per_report", "max_list_pages", "max_list_calls", "max_script_files"}
)
"""Overrides read as counts (crawler.spiders.annual_reports: the site's budgets and its caps on a page's script lists
and script files; crawler.paging: its pager cap)."""
_PATTERNS = frozenset({"follow", "skip"})
"""Overrides read as regular expressions over URLs."""


def load_sites(path: str | Path, region: str | None = None) -> list[Site]:
    """Return the sites of a CSV registry, only those whose region code starts with `region` if given."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RegistryError(f"{p}: {exc.strerror}") from None
    reader = csv.DictReader(text.splitlines())
    missing = {"site_id", "start_urls"} - set(reader.fieldnames or ())
    if missing:
        raise RegistryError(f"{p}: missing columns {', '.join(sorted(missing))}")
    sites: list[Site] = []
    seen: set[str] = set()
    for n, row in enumerate(reader, start=2):
        sid = (row.get("site_id") or "").strip()
        if not sid or sid.startswith("#"):
            continue
        if sid in seen:
            raise RegistryError(f"{p}: row {n}: duplicate site_id {sid!r}")
        seen.add(sid)
        urls = tuple(u for u in (row.get("start_urls") or "").split() if u)
        if not urls or not all(urlsplit(u).scheme in ("http", "https") for u in urls):
            raise RegistryError(f"{p}: row {n}: start_urls must be http(s) URLs")
        hosts = frozenset(h.lower() for h in (row.get("allowed_hosts") or "").split() if h) or frozenset(
            host_of(u) for u in urls
        )
        code = (row.get("region_code") or "").strip()
        if region and not code.startswith(region):
            continue
        sites.append(
            Site(
                site_id=sid,
                name=(row.get("name") or sid).strip(),
                start_urls=urls,
                allowed_hosts=hosts,
                region_code=code,
                region_name=(row.get("region_name") or "").strip(),
                overrides=_overrides(row.get("overrides") or "", n),
            )
        )
    return sites


def sites_from_urls(urls: list[str]) -> list[Site]:
    """Return one site per distinct host of the given URLs (no registry): the host is the site."""
    by_host: dict[str, list[str]] = {}
    for u in urls:
        if urlsplit(u).scheme not in ("http", "https"):
            raise RegistryError(f"not an http(s) URL: {u}")
        by_host.setdefault(host_of(u), []).append(u)
    return [Site(site_id=h, name=h, start_urls=tuple(us), allowed_hosts=frozenset({h})) for h, us in by_host.items()]


def sites_from_store(rows: Iterable[StoredSite]) -> tuple[list[Site], int]:
    """Return the crawlable sites of the store's registry rows (`storage.registry.sites_in_region`) and how many
    rows were left out for having no start URL (a 网站标识码 the registry gave without an address).

    A stored site's `site_id` is its key (the 网站标识码, else its host); its allowed hosts are the stored ones,
    else the hosts of its start URLs."""
    sites: list[Site] = []
    skipped = 0
    for row in rows:
        urls = tuple(u for u in row.start_urls if urlsplit(u).scheme in ("http", "https"))
        if not urls:
            skipped += 1
            continue
        hosts = frozenset(h.lower() for h in row.allowed_hosts) or frozenset(host_of(u) for u in urls)
        sites.append(Site(site_id=row.site_key, name=row.name or row.site_key, start_urls=urls, allowed_hosts=hosts,
                          region_code=row.region_code or "", region_name=row.region_name or "",
                          overrides=dict(row.overrides)))  # fmt: skip
    return sites, skipped
