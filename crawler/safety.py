"""The crawler's own safety: only allowed hosts, never the network it runs in, safe file names.

A page or a redirect must not steer the crawl into loopback, private, link-local or multicast
addresses, unless that very host was named by the user (a start URL or a registry row). Hosts are
checked by name in a downloader middleware (after every redirect, since redirects come back through
it) and by address in the DNS resolver (after resolution).
"""

from __future__ import annotations

import ipaddress
import re
import threading
import unicodedata
from typing import Any

from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer
from twisted.internet.error import DNSLookupError

from .registry import Site, host_of

_NAMED: set[str] = set()
_LOCK = threading.Lock()


def name_hosts(sites: list[Site]) -> None:
    """Record the hosts the user named: only these may resolve to internal addresses."""
    with _LOCK:
        for site in sites:
            # A `*.domain` pattern names no host: its subdomains get the address check.
            for h in site.allowed_hosts:
                if not h.startswith("*."):
                    _NAMED.add(h.split(":")[0].strip("[]"))


def named(host: str) -> bool:
    """True where the user named this host (without port)."""
    return host.split(":")[0].strip("[]").lower() in _NAMED


def internal(address: str) -> bool:
    """True for loopback, private, link-local, multicast, reserved or unspecified addresses."""
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return False
    return ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified


class SafeResolver(CachingThreadedResolver):
    """Resolves as Scrapy does, then refuses internal addresses for hosts the user did not name."""

    def getHostByName(self, name: str, timeout: Any = ()) -> defer.Deferred[str]:
        return super().getHostByName(name, timeout).addCallback(lambda address: check_address(name, address))


def check_address(name: str, address: str) -> str:
    """Return `address` where `name` may connect to it; raise DNSLookupError for an unnamed internal one."""
    if internal(address) and not named(name):
        raise DNSLookupError(f"{name} resolves to internal address {address}: refused")
    return address


class SafetyMiddleware:
    """Downloader middleware: drops requests outside their site's allowed hosts or to unnamed internal IPs."""

    def __init__(self, crawler: Any) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> SafetyMiddleware:
        return cls(crawler)

    def process_request(self, request: Any) -> None:
        site: Site | None = request.meta.get("site")
        url = request.url
        host = host_of(url)
        if site is not None and not site.allows(url) and not request.meta.get("robots_for"):
            self.stats.inc_value(f"site/{site.site_id}/offsite_refused")
            raise IgnoreRequest(f"off-site: {host} is not an allowed host of {site.site_id}")
        if internal(host.rsplit(":", 1)[0] if host.count(":") == 1 else host) and not named(host):
            raise IgnoreRequest(f"internal address {host} was not named by the user")
        return None


_UNSAFE = re.compile(r"[^\w.\-()（）\u4e00-\u9fff]+")


def safe_filename(name: str | None, default: str = "document") -> str:
    """Return a file name safe to join to a folder: no directories, no control chars, no dots-only, ≤ 120 chars."""
    if not name:
        return default
    name = unicodedata.normalize("NFKC", name).replace("\\", "/").split("/")[-1]
    name = _UNSAFE.sub("_", name).strip("._ ")
    return name[:120] or default
