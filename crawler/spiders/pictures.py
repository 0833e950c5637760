"""The spider's part in 图片版 reports: a report page whose text lacks a table and that shows pictures has them
fetched and carried in the page as `data:` addresses (extractors/pictures.py), so that the page read again has its
pictures read by OCR and is stored as one document with them."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from scrapy.http import Response

from extractors.errors import BlankTemplate, NotAReport
from extractors.pictures import MAX_PICTURES, embed, media_type
from storage.memory import Remembered

from ..extract_pool import PageJob, PageRead
from ..items import FetchErrorItem
from ..page_facts import PageFacts
from ..registry import Site
from .parts import PART_BATCH

TABLES = ("proactive", "requests", "review_litigation")


def lacks_a_table(read: PageRead) -> bool:
    """True where a report page's record lacks one of the three tables, or its text alone was refused as no report
    (a report shown as the pictures of its pages: a title and pictures), but not as a blank template."""
    if isinstance(read.outcome, NotAReport):
        return not isinstance(read.outcome, BlankTemplate)
    return isinstance(read.outcome, dict) and any(read.outcome.get(t) is None for t in TABLES)


def pictured_row(url: str, page_sha256: str, stored_sha256: str) -> dict[str, Any]:
    """Return what the crawl memory keeps of a report page read with its pictures carried (a child of the page's
    row, role `pictured`, never replayed as a request): the SHA-256 of the page's own bytes and of those stored."""
    return {"url": url, "role": "pictured", "context": {"sha256": page_sha256, "stored": stored_sha256},
            "cb": "parse_page", "method": "GET", "form": None}  # fmt: skip


def pictured_before(known: Remembered | None, page_sha256: str) -> dict[str, Any] | None:
    """Return the crawl memory's `pictured_row` of a report page whose bytes are `page_sha256` still and whose URL's
    latest stored fetch is what was stored of them with their pictures; None where the page is to be read (a
    report cut into pages too: one of its other parts may have changed)."""
    if known is None or not known.document or known.sha256 is None:
        return None
    if any(row.get("role") == "part" for row in known.children):
        return None
    for row in known.children:
        kept = row.get("context") or {}
        if row.get("role") == "pictured" and kept.get("sha256") == page_sha256 and kept.get("stored") == known.sha256:
            return row
    return None


class ReportPictures:
    """Mixin of the annual-reports spider: fetches the pictures of a report page whose tables may be pictures."""

    async def _with_pictures(
        self, response: Response, site: Site, job: PageJob, facts: PageFacts
    ) -> tuple[tuple[PageJob, PageRead] | None, list[FetchErrorItem]]:
        """Return the job and read of the report page `job` with the pictures `facts` lists carried in it (None
        where none could be had), and an error item for each picture that could not be had. The first MAX_PICTURES
        pictures are asked, PART_BATCH at a time, while their bytes stay within the job's size limit."""
        found: dict[str, bytes] = {}
        errors: list[FetchErrorItem] = []
        size = len(job.draft.body)
        wanted = facts.pictures[:MAX_PICTURES]
        if len(facts.pictures) > MAX_PICTURES:
            errors.append(self._picture_error(facts.pictures[MAX_PICTURES], response, site, f"over {MAX_PICTURES} "
                          f"pictures: this and {len(facts.pictures) - MAX_PICTURES - 1} more not fetched",
                          lost=len(facts.pictures) - MAX_PICTURES))  # fmt: skip
        for start in range(0, len(wanted), PART_BATCH):
            batch = wanted[start : start + PART_BATCH]
            got = await asyncio.gather(*(self._fetch_picture(site, url, response) for url in batch))
            for url, answer in zip(batch, got, strict=True):
                if isinstance(answer, str):
                    errors.append(self._picture_error(url, response, site, answer))
                elif size + len(answer) > job.max_bytes:
                    errors.append(self._picture_error(url, response, site, f"the page and its pictures exceed "
                                                      f"{job.max_bytes} bytes"))  # fmt: skip
                else:
                    size += len(answer)
                    found[url] = answer
        self.crawler.stats.inc_value(f"site/{site.site_id}/report_pictures", len(found))  # type: ignore[attr-defined]
        page, placed = embed(job.html, job.draft.url, found) if found else ("", set())
        # a picture fetched that the page does not show where the crawl read it (a reader would not see it either)
        errors += [self._picture_error(url, response, site, "fetched, but not found in the page to place")
                   for url in found if url not in placed]  # fmt: skip
        if not placed:
            return None, errors
        body = page.encode("utf-8")
        draft = replace(job.draft, body=body, charset="utf-8", content_type="text/html; charset=utf-8")
        whole = replace(job, draft=draft)
        return (whole, await self._read_page(whole)), errors  # type: ignore[attr-defined]

    async def _fetch_picture(self, site: Site, url: str, page: Response) -> bytes | str:
        """Return a picture's bytes, or why they could not be had (one line)."""
        request = self._request(site, url, role="picture", depth=page.meta["depth"],  # type: ignore[attr-defined]
                                context=page.meta["context"], dont_filter=True)  # fmt: skip
        answer = await self._download_whole(request, page_of=site.site_id, text=False)  # type: ignore[attr-defined]
        if isinstance(answer, str):
            return answer
        if media_type(answer.body) is None:  # an error page answered 200 where the picture should be
            kind = answer.headers.get(b"Content-Type", b"").decode("latin-1").split(";")[0].strip() or "no type"
            return f"not a picture ({kind}, {len(answer.body)} bytes)"
        return bytes(answer.body)

    def _picture_error(self, url: str, page: Response, site: Site, reason: str, lost: int = 1) -> FetchErrorItem:
        """Return the error item of a report page's picture (and `lost` - 1 after it) that could not be had: the
        report is read without it."""
        return self._lost("picture", url, page, site, reason, lost)  # type: ignore[attr-defined]


__all__ = ["ReportPictures", "lacks_a_table", "pictured_before", "pictured_row"]
