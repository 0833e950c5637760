"""The source dict a crawler passes to `Store.add`, read into typed column values."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .keys import utc_datetime


def url_sha256(url: str) -> str:
    """Return the SHA-256 of a URL's UTF-8 (the indexed stand-in for URLs of any length)."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SourceFields:
    """A source dict (as the crawler hands it over) read into the typed values of a `sources` row."""

    url: str
    url_sha256: str
    fetched_at: datetime
    http_status: int | None
    etag: str | None
    last_modified: str | None
    site: str | None
    region_code: str | None
    region_name: str | None
    list_title: str | None
    list_date: str | None
    column: str | None
    published_at: str | None
    run_id: int | None

    CONTEXT = ("site", "region_code", "region_name", "list_title", "list_date", "column", "published_at", "run_id")

    @classmethod
    def read(cls, source: dict[str, Any]) -> SourceFields:
        """Return the fields of `source`; `url` (or `source_url`) is required, every other key optional."""
        url = source.get("url") or source.get("source_url")
        if not url:
            raise ValueError("source needs a 'url' (or 'source_url')")
        status = source.get("http_status", source.get("status"))

        def text(key: str, limit: int | None = None) -> str | None:
            value = source.get(key)
            if value is None or value == "":
                return None
            return str(value)[:limit] if limit else str(value)

        return cls(
            url=str(url),
            url_sha256=url_sha256(str(url)),
            fetched_at=utc_datetime(source.get("fetched_at")),
            http_status=int(status) if status not in (None, "") else None,
            etag=text("etag"),
            last_modified=text("last_modified"),
            site=text("site", 100),
            region_code=text("region_code", 12),
            region_name=text("region_name"),
            list_title=text("list_title"),
            list_date=text("list_date", 40),
            column=text("column"),
            published_at=text("published_at", 40),
            run_id=source.get("run_id"),
        )
