"""The spider's part in reports published over several pages (crawler/article_parts.py): the first page's parts are
fetched, read for the parts they name in turn, and assembled into one page that is read as the report."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from scrapy.http import Response, TextResponse

from ..article_parts import MAX_PARTS, assemble, part_of
from ..extract_pool import PageJob, PageRead
from ..items import FetchErrorItem
from ..page_facts import PageFacts
from ..registry import Site

PART_BATCH = 8
"""Parts asked for at once: the pages of a long flipbook are not all held before the size limit is checked."""


class ReportParts:
    """Mixin of the annual-reports spider: assembles a report from the pages it was cut into."""

    async def _assemble(
        self, response: Response, site: Site, job: PageJob, facts: PageFacts
    ) -> tuple[tuple[PageJob, PageRead] | None, list[FetchErrorItem]]:
        """Return the job and read of the report whose first page is `response` (its parts fetched and appended;
        None where none could be had), and an error item for each part that could not be had."""
        pages: dict[int, tuple[str, str]] = {0: (response.url, response.text)}
        errors: list[FetchErrorItem] = []
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
            return None, errors
        body, unread = made
        errors += [self._part_error(url, response, site, "part is no readable HTML") for url in unread]
        draft = replace(job.draft, body=body, charset="utf-8", content_type="text/html; charset=utf-8")
        whole = replace(job, draft=draft)
        return (whole, await self._read_page(whole)), errors  # type: ignore[attr-defined]

    async def _fetch_part(self, site: Site, url: str, first: Response) -> TextResponse | str:
        """Return a part's page, or why it could not be had (one line)."""
        request = self._request(site, url, role="part", depth=first.meta["depth"],  # type: ignore[attr-defined]
                                context=first.meta["context"], dont_filter=True)  # fmt: skip
        if request is None:
            return "not fetched: off the site or over its page budget"
        request.meta["recalled"] = request.url  # asked whole: a part's 304 would leave nothing to assemble
        request.meta["remembered"] = None
        try:
            answer = await self.crawler.engine.download_async(request)  # type: ignore[attr-defined]
        except Exception as exc:  # any failure of one part is that part's error line
            return next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
        self.crawler.stats.inc_value(f"site/{site.site_id}/pages")  # type: ignore[attr-defined]
        if answer.status != 200 or not isinstance(answer, TextResponse):
            return f"part answered HTTP {answer.status}" if answer.status != 200 else "part is not a page"
        return answer

    def _part_error(self, url: str, first: Response, site: Site, reason: str, lost: int = 1) -> FetchErrorItem:
        """Return the error item of a part (and `lost` - 1 after it) that could not be had: its report is stored
        without it."""
        self.crawler.stats.inc_value(f"site/{site.site_id}/errors")  # type: ignore[attr-defined]
        self.crawler.stats.inc_value(f"site/{site.site_id}/parts_lost", lost)  # type: ignore[attr-defined]
        self.logger.warning("report part not fetched %s (of %s): %s", url, first.url, reason)  # type: ignore[attr-defined]
        context = first.meta.get("context") or {}
        return FetchErrorItem(site=site.site_id, source_url=url, error=f"part of {first.url}: {reason}"[:300],
                              list_title=context.get("list_title"), list_date=context.get("list_date"))  # fmt: skip
