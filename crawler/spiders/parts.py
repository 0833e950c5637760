"""The spider's part in reports published over several pages (crawler/article_parts.py): the first page's parts are
fetched, read for the parts they name in turn, and assembled into one page that is read as the report."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import replace
from typing import Any

from scrapy.http import Response, TextResponse

from ..article_parts import MAX_PARTS, assemble, part_of
from ..extract_pool import PageJob, PageRead
from ..items import FetchErrorItem
from ..page_facts import PageFacts
from ..registry import Site
from .memory import header_text

PART_BATCH = 8
"""Parts asked for at once: the pages of a long flipbook are not all held before the size limit is checked."""


class ReportParts:
    """Mixin of the annual-reports spider: assembles a report from the pages it was cut into."""

    async def _assemble(
        self, response: Response, site: Site, job: PageJob, facts: PageFacts
    ) -> tuple[tuple[PageJob, PageRead] | None, list[FetchErrorItem], list[dict[str, Any]]]:
        """Return the job and read of the report whose first page is `response` (its parts fetched and appended;
        None where none could be had), an error item for each part that could not be had, and what the crawl memory
        keeps of each part fetched (`part_row`), so that a revisit finding the first page unchanged asks its parts."""
        pages: dict[int, tuple[str, str]] = {0: (response.url, response.text)}
        errors: list[FetchErrorItem] = []
        rows: list[dict[str, Any]] = []
        seen = {response.url, *facts.parts}
        pending = list(facts.parts)
        size = len(response.body)
        while pending:
            room = min(MAX_PARTS - len(pages) - len(errors), PART_BATCH)
            if room <= 0 or size > job.max_bytes:
                limit = f"over {MAX_PARTS} parts" if room <= 0 else f"the parts exceed {job.max_bytes} bytes"
                errors.append(self._part_error(pending[0], response, site, f"{limit}: this and {len(pending) - 1} "
                                               "more part(s) not fetched", lost=len(pending)))  # fmt: skip
                break
            batch, pending = pending[:room], pending[room:]
            got = await asyncio.gather(*(self._fetch_part(site, url, response) for url in batch))
            failed: dict[str, list[str]] = {}  # reason → the parts of this batch it stopped, reported in one line
            for url, answer in zip(batch, got, strict=True):
                if isinstance(answer, str):
                    failed.setdefault(answer, []).append(url)
                    continue
                size += len(answer.body)
                rows.append(part_row(url, answer))  # type: ignore[arg-type]
                pages[part_of(url).index] = (url, answer.text)  # type: ignore[union-attr]  # parts are parts' URLs
                draft = self._document(answer, site, response.meta["context"])  # type: ignore[attr-defined]
                named = await self._read_page(PageJob(job.context, draft, job.max_bytes, extract=False))  # type: ignore[attr-defined]
                for more in named.facts.parts if named.facts else []:
                    if more not in seen:
                        seen.add(more)
                        pending.append(more)
            for reason, urls in failed.items():
                more = f" (and {len(urls) - 1} more part(s))" if len(urls) > 1 else ""
                errors.append(self._part_error(urls[0], response, site, reason + more, lost=len(urls)))
            if failed and pending:
                # a part is missing (a pager counting pages that are not there): the parts after it are not asked
                why = f"not asked, as a part before it could not be had (and {len(pending) - 1} more part(s))"
                errors.append(self._part_error(pending[0], response, site, why, lost=len(pending)))
                pending = []
        self.crawler.stats.inc_value(f"site/{site.site_id}/report_parts", len(pages) - 1)  # type: ignore[attr-defined]
        made = assemble([pages[k] for k in sorted(pages)]) if len(pages) > 1 else None
        if made is None:
            return None, errors, []
        body, unread = made
        errors += [self._part_error(url, response, site, "part is no readable HTML") for url in unread]
        draft = replace(job.draft, body=body, charset="utf-8", content_type="text/html; charset=utf-8")
        whole = replace(job, draft=draft)
        return (whole, await self._read_page(whole)), errors, rows  # type: ignore[attr-defined]

    async def _parts_changed(self, response: Response, site: Site, parts: list[dict[str, Any]]) -> bool:
        """Return True where a part of the report whose first page answered 304 (`response`) changed since the
        crawl memory's `parts` (`part_row`s) were kept: a part not answered 304 whose bytes are not those kept (or
        that could not be had). Each part is asked conditionally, PART_BATCH at a time, until one changed."""
        for start in range(0, len(parts), PART_BATCH):
            batch = parts[start : start + PART_BATCH]
            got = await asyncio.gather(*(self._fetch_part(site, row["url"], response, row) for row in batch))
            for row, answer in zip(batch, got, strict=True):
                if answer is UNCHANGED:
                    continue
                if isinstance(answer, str):
                    why = f"gone ({answer})"
                elif hashlib.sha256(answer.body).hexdigest() != row["context"]["sha256"]:
                    why = "changed"
                else:
                    continue  # answered whole (the server ignores validators) with the bytes kept
                self.logger.info("report part %s %s (of %s): the report is read again", row["url"], why,  # type: ignore[attr-defined]
                                 response.url)  # fmt: skip
                return True
        return False

    async def _fetch_again(self, response: Response, site: Site) -> TextResponse | None:
        """Return the page `response` answered 304 for, fetched whole (None, said, where it could not be had: the
        report stays known as it was, and is asked about again next time)."""
        request = self._request(site, response.url, role=response.meta.get("role"), depth=response.meta["depth"],  # type: ignore[attr-defined]
                                context=response.meta["context"], dont_filter=True)  # fmt: skip
        answer = await self._download_whole(request)
        if isinstance(answer, str):
            self.logger.warning("report page not fetched again %s: %s", response.url, answer)  # type: ignore[attr-defined]
            return None
        return answer

    async def _fetch_part(
        self, site: Site, url: str, first: Response, kept: dict[str, Any] | None = None
    ) -> TextResponse | object | str:
        """Return a part's page, or why it could not be had (one line). With `kept` (the part's `part_row`), it is
        asked conditionally, and a 304 answer is `UNCHANGED`."""
        request = self._request(site, url, role="part", depth=first.meta["depth"],  # type: ignore[attr-defined]
                                context=first.meta["context"], dont_filter=True)  # fmt: skip
        validators = (kept or {}).get("context") or {}
        if request is not None and validators.get("etag"):
            request.headers[b"If-None-Match"] = validators["etag"].encode("latin-1")
        elif request is not None and validators.get("last_modified"):
            request.headers[b"If-Modified-Since"] = validators["last_modified"].encode("latin-1")
        return await self._download_whole(request, conditional=kept is not None, page_of=site.site_id)

    async def _download_whole(
        self, request: Any, conditional: bool = False, page_of: str | None = None, text: bool = True
    ) -> Response | object | str:
        """Return the page `request` asks for, UNCHANGED where it answered 304 and `conditional`, or why it could
        not be had (one line); an answer is counted a page of site `page_of` where given (a page read again is
        counted by the callback it goes to). The crawl memory makes no request of it conditional: a 304 would leave
        nothing to read. Not `text`: any answer 200 is had (a picture), not only a text page."""
        if request is None:
            return "not fetched: off the site or over its page budget"
        request.meta["recalled"] = request.url
        request.meta["remembered"] = None
        try:
            answer = await self.crawler.engine.download_async(request)  # type: ignore[attr-defined]
        except Exception as exc:  # any failure of one page is that page's one line
            return next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
        if page_of is not None:
            self.crawler.stats.inc_value(f"site/{page_of}/pages")  # type: ignore[attr-defined]
        if answer.status == 304 and conditional:
            return UNCHANGED
        if answer.status != 200 or (text and not isinstance(answer, TextResponse)):
            return f"answered HTTP {answer.status}" if answer.status != 200 else "not a page"
        return answer

    def _part_error(self, url: str, first: Response, site: Site, reason: str, lost: int = 1) -> FetchErrorItem:
        """Return the error item of a part (and `lost` - 1 after it) that could not be had: its report is stored
        without it."""
        return self._lost("part", url, first, site, reason, lost)

    def _lost(self, what: str, url: str, page: Response, site: Site, reason: str, lost: int) -> FetchErrorItem:
        """Return the error item of a `what` ("part", "picture") of report page `page` that could not be had (and
        `lost` - 1 after it), counted in the site's errors and its `<what>s_lost`: the report is read without it."""
        self.crawler.stats.inc_value(f"site/{site.site_id}/errors")  # type: ignore[attr-defined]
        self.crawler.stats.inc_value(f"site/{site.site_id}/{what}s_lost", lost)  # type: ignore[attr-defined]
        self.logger.warning("report %s not fetched %s (of %s): %s", what, url, page.url, reason)  # type: ignore[attr-defined]
        context = page.meta.get("context") or {}
        return FetchErrorItem(site=site.site_id, source_url=url, error=f"{what} of {page.url}: {reason}"[:300],
                              list_title=context.get("list_title"), list_date=context.get("list_date"))  # fmt: skip


UNCHANGED = object()
"""A page asked conditionally that answered 304."""


def part_row(url: str, answer: Response) -> dict[str, Any]:
    """Return what the crawl memory keeps of the part at `url` (a child of its first page's row, role `part`): the
    validators of its `answer` and the SHA-256 of its bytes."""
    validators = {"etag": header_text(answer, b"ETag"), "last_modified": header_text(answer, b"Last-Modified"),
                  "sha256": hashlib.sha256(answer.body).hexdigest()}  # fmt: skip
    return {"url": url, "role": "part", "context": validators, "cb": "parse_page", "method": "GET", "form": None}
