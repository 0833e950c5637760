"""The site registry in the store (`sites`): typed import rows upserted by key, and reads by region.

A site is keyed by its 网站标识码 where known, else by the lower-case host of its first start URL. An import
row that has no row of its own key but names the host of a stored row (a bundled row keyed by host, then the
official registry's row of the same site keyed by its 标识码) merges into that row, under the 标识码 key. A field
the import leaves empty keeps the stored value; a row whose merged values equal the stored ones is unchanged.

The readers of the files (`storage.sitefiles`) make the rows; the crawler turns stored rows into its
`Site` (`crawler.registry.sites_from_store`): this module knows nothing of either.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from extractors.regions import canonical_code

from .models import SiteRow

__all__ = ["ImportResult", "Refused", "SiteImport", "StoredSite", "count_sites", "import_sites", "sites_in_region"]

_FIELDS = ("site_code", "name", "organiser", "region_code", "region_name", "level", "start_urls", "allowed_hosts",
           "overrides", "origin")  # fmt: skip


@dataclass(frozen=True, slots=True)
class SiteImport:
    """One site as a registry file gives it, ready to store."""

    site_key: str
    """The 网站标识码 where known, else the lower-case host (`host` or `host:port`) of the first start URL."""
    name: str
    """The site's name (网站名称)."""
    site_code: str | None = None
    """The 网站标识码 as the file prints it (`3208000001`, `bm17000009`), or None."""
    organiser: str | None = None
    """The body that runs the site (主办单位, else 主管单位), or None."""
    region_code: str | None = None
    """GB/T 2260 code (6 digits, `320800`), or None where nothing placed the site."""
    region_name: str | None = None
    """The region's name (province › city › county, or the file's own), or None."""
    level: str | None = None
    """The file's level or kind (省级门户, 区县级单位, county …), a note for people."""
    start_urls: tuple[str, ...] = ()
    """Where a crawl of the site starts (http(s) URLs); empty where the file gives only a 标识码."""
    allowed_hosts: tuple[str, ...] = ()
    """The hosts a crawl may request (`host`, `host:port`, `*.domain`)."""
    overrides: dict[str, Any] = field(default_factory=dict)
    """Per-site crawl settings (`max_pages`, `max_depth`, `follow`, `skip`)."""
    origin: str = "user"
    """`registry`, `bundled` or `user:<file name>`."""

    @property
    def host(self) -> str | None:
        """The site's main host (of the first allowed host, else None): what a host-keyed row is keyed by."""
        return self.allowed_hosts[0] if self.allowed_hosts else None


@dataclass(frozen=True, slots=True)
class Refused:
    """A registry row not imported, and why."""

    where: str
    """`file:row` (a zip member is written `zip!member:row`)."""
    reason: str
    """Why, in one line."""


@dataclass(slots=True)
class ImportResult:
    """What an import did."""

    added: int = 0
    """Rows new to the store."""
    updated: int = 0
    """Stored rows whose values changed."""
    unchanged: int = 0
    """Rows already stored with the same values."""
    duplicates: int = 0
    """Rows given twice in the same import (the first is kept): the download's files overlap."""
    no_region: int = 0
    """Imported rows that nothing placed in a region (neither 标识码 nor organiser's name)."""
    refused: list[Refused] = field(default_factory=list)
    """Rows not imported (no 网站标识码 and no usable host, …), with the reason."""


@dataclass(frozen=True, slots=True)
class StoredSite:
    """One row of `sites` as read back (plain values, no session attached)."""

    site_key: str
    """The 网站标识码, else the host."""
    site_code: str | None
    """The 网站标识码, or None."""
    name: str
    """The site's name."""
    organiser: str | None
    """The body that runs the site."""
    region_code: str | None
    """GB/T 2260 code (6 digits), or None."""
    region_name: str | None
    """The region's name."""
    level: str | None
    """The registry's level or kind."""
    start_urls: tuple[str, ...]
    """Where a crawl starts (may be empty)."""
    allowed_hosts: tuple[str, ...]
    """The hosts a crawl may request."""
    overrides: dict[str, Any]
    """Per-site crawl settings."""
    origin: str
    """`registry`, `bundled` or `user:<file>`."""


def _values(row: SiteImport) -> dict[str, Any]:
    return {"site_key": row.site_key, "site_code": row.site_code, "name": row.name, "organiser": row.organiser,
            "region_code": row.region_code, "region_name": row.region_name, "level": row.level,
            "start_urls": list(row.start_urls), "allowed_hosts": list(row.allowed_hosts),
            "overrides": dict(row.overrides), "origin": row.origin}  # fmt: skip


def _stored(row: SiteRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in ("site_key", *_FIELDS)}


def _merged(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Return the stored values with every non-empty imported value laid over them."""
    out = dict(old)
    for name, value in new.items():
        if value not in (None, "", [], {}):
            out[name] = value
    if old.get("site_code") and not new.get("site_code"):
        out["site_key"] = old["site_key"]  # a host-keyed row never demotes a 标识码-keyed one
    return out


def _host(values: dict[str, Any]) -> str | None:
    hosts = values.get("allowed_hosts") or []
    return str(hosts[0]) if hosts else None


def import_sites(s: Session, rows: Iterable[SiteImport], refused: Iterable[Refused] = ()) -> ImportResult:
    """Upsert `rows` into `sites` in the session's transaction; return the counts (the readers' `refused` are
    carried into the result). Works the same on SQLite and PostgreSQL: the rows are matched in Python."""
    result = ImportResult(refused=list(refused))
    by_key: dict[str, SiteRow] = {}
    by_host: dict[str, SiteRow] = {}
    for stored in s.scalars(select(SiteRow)):
        by_key[stored.site_key] = stored
        if (host := _host(_stored(stored))) is not None:
            by_host.setdefault(host, stored)
    seen: set[str] = set()
    now = datetime.now(UTC)
    for row in rows:
        if row.site_key in seen or (row.host is not None and f"host:{row.host}" in seen):
            result.duplicates += 1
            continue
        seen.add(row.site_key)
        if row.host is not None:
            seen.add(f"host:{row.host}")
        if row.region_code is None:
            result.no_region += 1
        new = _values(row)
        target = by_key.get(row.site_key) or (by_host.get(row.host) if row.host else None)
        if target is None:
            stored = SiteRow(**new, updated_at=now)
            s.add(stored)
            by_key[row.site_key] = stored
            if row.host is not None:
                by_host.setdefault(row.host, stored)
            result.added += 1
            continue
        old = _stored(target)
        merged = _merged(old, new)
        if merged == old:
            result.unchanged += 1
            continue
        if merged["site_key"] != old["site_key"]:
            by_key.pop(old["site_key"], None)
            by_key[merged["site_key"]] = target
        for name, value in merged.items():
            setattr(target, name, value)
        target.updated_at = now
        result.updated += 1
    return result


def _read(row: SiteRow) -> StoredSite:
    return StoredSite(row.site_key, row.site_code, row.name, row.organiser, row.region_code, row.region_name,
                      row.level, tuple(row.start_urls or ()), tuple(row.allowed_hosts or ()), dict(row.overrides or {}),
                      row.origin)  # fmt: skip


def sites_in_region(s: Session, region: str | None = None) -> list[StoredSite]:
    """Return the stored sites whose region code starts with `region` (a GB/T 2260 prefix: `32`, `3208`,
    `320800` and `320813` work; None for every site), ordered by region code then key."""
    query = select(SiteRow).order_by(SiteRow.region_code, SiteRow.site_key)
    if region:
        query = query.where(SiteRow.region_code.startswith(canonical_code(region), autoescape=True))
    return [_read(row) for row in s.scalars(query)]


def count_sites(s: Session) -> int:
    """Return how many sites the store's registry holds."""
    return int(s.scalar(select(func.count()).select_from(SiteRow)) or 0)
