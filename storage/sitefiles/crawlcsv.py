"""The crawler's own registry format (`crawler/sites.csv`, `--sites FILE`): site_id, name, region_code,
region_name, level, start_urls, allowed_hosts, platform, overrides.

A row is keyed by its `site_id` where that is a 网站标识码, else by the host of its first start URL. Its
region is its `region_code` where that is a known GB/T 2260 code, else what `places.place` finds.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from extractors.regions import lookup

from ..registry import Refused, SiteImport
from . import places
from .text import csv_rows

REQUIRED = ("site_id", "start_urls")
"""The header names that mark a CSV as the crawler's format."""


def is_crawler_csv(header: list[str]) -> bool:
    """True where a CSV header is the crawler registry's (it has `site_id` and `start_urls`)."""
    return all(name in header for name in REQUIRED)


def _overrides(text: str) -> dict[str, Any] | str:
    """Return the overrides object, or the reason it is not one."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return f"overrides is not JSON: {exc.msg}"
    return value if isinstance(value, dict) else "overrides must be a JSON object"


def read_crawler_csv(text: str, where: str, origin: str) -> tuple[list[SiteImport], list[Refused]]:
    """Return the sites and refused rows of a crawler-format registry CSV's text; `origin` goes on every row."""
    _header, rows = csv_rows(text, where)
    sites: list[SiteImport] = []
    refused: list[Refused] = []
    for n, row in rows:
        sid = row.get("site_id", "")
        if not sid or sid.startswith("#"):
            continue
        code = sid if places.is_site_id_code(sid) else None
        given_urls = [u for u in row.get("start_urls", "").split() if urlsplit(u).scheme in ("http", "https")]
        _normal, hosts = places.urls_of(" ".join(given_urls))
        urls = tuple(given_urls) if hosts else ()
        given = tuple(h.lower() for h in row.get("allowed_hosts", "").split() if h)
        if not urls and code is None:
            refused.append(Refused(f"{where}:{n}", f"site {sid}: no 网站标识码 and no usable http(s) start URL"))
            continue
        overrides = _overrides(row.get("overrides", ""))
        if isinstance(overrides, str):
            refused.append(Refused(f"{where}:{n}", f"site {sid}: {overrides}"))
            continue
        known = lookup(row.get("region_code", ""))
        if known is not None:
            region_code, region_name = known.full_code, row.get("region_name") or places.region_name(known.full_code)
        else:
            region_code, region_name = places.place(code, row.get("name"))
        sites.append(SiteImport(
            site_key=code or hosts[0], name=row.get("name") or sid, site_code=code, organiser=None,
            region_code=region_code, region_name=region_name, level=row.get("level") or None, start_urls=urls,
            allowed_hosts=given or hosts, overrides=overrides, origin=origin))  # fmt: skip
    return sites, refused
