"""The crawler's own safety: only allowed hosts, never the network it runs in, safe file names.

A page or a redirect must not steer the crawl into loopback, private, link-local or multicast
addresses, unless that very host was named by the user (a start URL or a registry row). Hosts are
checked by name in a downloader middleware (after every redirect, since redirects come back through
it) and by address in the DNS resolver (after resolution).
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer
from twisted.internet.error import DNSLookupError

from .registry import Site, host_of


def named_hosts(sites: Iterable[Site]) -> frozenset[str]:
    """Return the hosts (without port) the user named in `sites`: only these may resolve to internal addresses."""
    # A `*.domain` pattern names no host: its subdomains get the address check.
    return frozenset(bare_host(h) for site in sites for h in site.allowed_hosts if not h.startswith("*."))


def bare_host(host: str) -> str:
    """Return `host` without its port and IPv6 brackets, lower-cased."""
    return host.split(":")[0].strip("[]").lower()


@lru_cache(maxsize=4096)  # asked for every request, of the crawl's few hosts
def internal(address: str) -> bool:
    """True for loopback, private, link-local, multicast, reserved or unspecified addresses."""
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return False
    return ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified


def check_address(name: str, address: str, named: bool) -> str:
    """Return `address` where `name` may connect to it (`named`: the user named that host); raise DNSLookupError
    for an unnamed host resolving to an internal address."""
    if internal(address) and not named:
        raise DNSLookupError(f"{name} resolves to internal address {address}: refused")
    return address


class SafetyMiddleware:
    """Downloader middleware: drops requests outside their site's allowed hosts or to unnamed internal IPs.

    The hosts the user named are those of the spider's sites, taken when the spider opens.
    """

    def __init__(self, crawler: Any) -> None:
        self.stats = crawler.stats
        self.guard = crawler.settings.get("PLAYWRIGHT_ABORT_REQUEST")
        """With `--browser`, Chromium's guard (crawler.browser.BrowserGuard), told the named hosts too."""
        self.named: frozenset[str] = frozenset(bare_host(h) for h in crawler.settings.getlist("NIANBAO_NAMED_HOSTS"))
        """The hosts (without port) the user named (the sites' hosts and NIANBAO_NAMED_HOSTS): the only ones that may
        be internal addresses."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> SafetyMiddleware:
        mw = cls(crawler)
        crawler.signals.connect(mw.opened, signal=signals.spider_opened)
        return mw

    def opened(self, spider: Any) -> None:
        self.name_hosts(getattr(spider, "sites", ()))

    def name_hosts(self, sites: Iterable[Site]) -> None:
        """Record the hosts of `sites` as named by the user."""
        self.named = self.named | named_hosts(sites)
        if hasattr(self.guard, "name"):
            self.guard.name(self.named)

    def is_named(self, host: str) -> bool:
        """True where the user named this host (a port, if any, is ignored)."""
        return bare_host(host) in self.named

    def process_request(self, request: Any) -> None:
        site: Site | None = request.meta.get("site")
        url = request.url
        host = host_of(url)
        lent = request.meta.get("lent_host")
        if site is not None and not site.allows(url) and not request.meta.get("robots_for") and lent != host:
            self.stats.inc_value(f"site/{site.site_id}/offsite_refused")
            raise IgnoreRequest(f"off-site: {host} is not an allowed host of {site.site_id}")
        if internal(host.rsplit(":", 1)[0] if host.count(":") == 1 else host) and not self.is_named(host):
            raise IgnoreRequest(f"internal address {host} was not named by the user")
        return None


class SafeResolver(CachingThreadedResolver):
    """Resolves as Scrapy does, then refuses internal addresses for hosts the user did not name.

    Scrapy builds the resolver once per process, before any crawl: which hosts are named is asked, at each
    lookup, of the SafetyMiddleware of each crawl of the process.
    """

    process: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> SafeResolver:
        resolver = super().from_crawler(crawler, reactor)
        resolver.process = crawler  # Scrapy hands the resolver its CrawlerProcess here, not a Crawler
        return resolver

    def named(self, name: str) -> bool:
        """True where a running crawl of this process has a SafetyMiddleware that knows `name` as named."""
        for crawler in getattr(self.process, "crawlers", ()):
            try:
                mw = crawler.get_downloader_middleware(SafetyMiddleware)
            except RuntimeError:  # that crawl has no engine yet: it names nothing so far
                continue
            if mw is not None and mw.is_named(name):
                return True
        return False

    def getHostByName(self, name: str, timeout: Any = ()) -> defer.Deferred[str]:
        return super().getHostByName(name, timeout).addCallback(
            lambda address: check_address(name, address, self.named(name))
        )


_UNSAFE = re.compile(r"[^\w.\-()（）\u4e00-\u9fff]+")


def safe_filename(name: str | None, default: str = "document") -> str:
    """Return a file name safe to join to a folder: no directories, no control chars, no dots-only, ≤ 120 chars."""
    if not name:
        return default
    name = unicodedata.normalize("NFKC", name).replace("\\", "/").split("/")[-1]
    name = _UNSAFE.sub("_", name).strip("._ ")
    return name[:120] or default
