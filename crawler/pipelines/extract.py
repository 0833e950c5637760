"""The extract step: each new document is read with `extractors.extract`, then attributed, in worker processes.

The attribution (`extractors.attribute_record`) names the issuing body and its region from the record's
agency and title, the site's registry region (the record's context) and the page's marks the document
item carries (SiteIDCode, SiteName, breadcrumb unit, 索引号 organ code; for an attachment, those of the
page that linked it): a district's report on its city's site gets the district's code.

Documents are read in a pool of worker processes (crawler/extract_pool.py; NIANBAO_EXTRACT_WORKERS, default
as many as the machine's cores) so the crawl's reactor keeps fetching meanwhile; 0 reads
them in a thread of the crawl's process. An HTML page is read once, in a worker: the spider sends it there
(`read_page`) and gets back its links and marks (crawler/page_facts.py) and, for a report page, its record read from
the same parse, which the document item carries here (`DocumentItem.extracted`).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from scrapy import signals

from extractors import ExtractionError, NotAReport

from ..extract_pool import (
    ExtractJob,
    ExtractPool,
    PageJob,
    PageRead,
    extract_workers,
    read_job,
    read_page_job,
    record_of,
)
from ..items import DocumentItem, NotReportItem, ReportItem, UnreadableItem


class ExtractPipeline:
    """Reads a `DocumentItem` into a `ReportItem` (its record attributed), a `NotReportItem` (no annual report)
    or an `UnreadableItem` (any other `ExtractionError`: corrupt, too large, encrypted, no text, LibreOffice
    missing, a worker killed by the document …)."""

    def __init__(self, max_bytes: int, workers: int, queue: int, stats: Any = None, timeout: float = 0) -> None:
        self.max_bytes = max_bytes
        self.stats = stats
        self.pool = ExtractPool(workers, queue, timeout=timeout) if workers > 0 else None
        """The worker processes, or None: documents are read in a thread of this process."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> ExtractPipeline:
        settings = crawler.settings
        workers = extract_workers(settings.get("NIANBAO_EXTRACT_WORKERS"))
        queue = settings.getint("NIANBAO_EXTRACT_QUEUE") or 2 * max(workers, 1)
        pipe = cls(settings.getint("DOWNLOAD_MAXSIZE"), workers, queue, crawler.stats,
                   settings.getfloat("NIANBAO_EXTRACT_TIMEOUT"))  # fmt: skip
        crawler.signals.connect(pipe.open, signal=signals.spider_opened)
        crawler.signals.connect(pipe.close, signal=signals.spider_closed)
        return pipe

    async def process_item(self, item: Any) -> Any:
        """Return what the document was read as; other items pass unchanged."""
        if not isinstance(item, DocumentItem):
            return item
        job = ExtractJob.of(item, self.max_bytes)
        try:
            if item.extracted is not None:  # read with its links, in a worker
                record = record_of(item.extracted)
            elif self.pool is None:
                record = record_of(await asyncio.to_thread(read_job, job))
            else:
                record = await self.pool.read(job)
        except NotAReport as exc:
            return NotReportItem(document=item, reason=exc.reason)
        except ExtractionError as exc:
            return UnreadableItem(site=item.site, source_url=item.url, error=exc.reason, document=item)
        finally:
            self._count()
        return ReportItem(document=item, record=record)

    async def read_page(self, job: PageJob, listing: bool = False) -> PageRead:
        """Return what a worker read of an HTML page (its facts, and a report page's record); without worker
        processes, the page's facts read here (its record is read when its item comes through). `listing`: the
        page was fetched as a list (its links are read ahead of the documents waiting)."""
        if self.pool is None:
            return read_page_job(replace(job, extract=False))
        try:
            return await self.pool.read(job, read_page_job, listing=listing)
        except ExtractionError as exc:  # the page killed its worker twice, or was not read in time
            return PageRead(None, refused=exc.reason)
        finally:
            self._count()

    def _count(self) -> None:
        """Keep the pool's rebuilds and the documents that killed a worker in the crawl stats."""
        if self.pool is not None and self.stats is not None and self.pool.rebuilt:
            self.stats.set_value("extract/pool_rebuilt", self.pool.rebuilt)
            self.stats.set_value("extract/worker_died", self.pool.died)
            self.stats.set_value("extract/timed_out", self.pool.timed_out)

    def open(self, spider: Any) -> None:
        """Start the worker processes when the crawl starts."""
        if self.pool is not None:
            self.pool.start()

    def close(self, spider: Any) -> None:
        """Stop the worker processes when the crawl ends."""
        if self.pool is not None:
            self.pool.close()
