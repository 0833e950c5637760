"""Extraction in worker processes, so reading documents runs on the other cores beside the crawl's reactor.

`ExtractPool.read(job)` sends a document's bytes and context to the worker with the fewest documents waiting
(crawler/worker_procs.py: the crawl's event loop writes the job and reads the answer, no helper thread) and awaits
its record. At most `queue` documents are in the pool at once (the others wait in the pipeline, which Scrapy
bounds with CONCURRENT_ITEMS and its scraper's active size). Workers start with the crawl and load the
extractors and their tables before their first document; documents sent meanwhile wait for them (read in
the crawl's own process they would take its CPU from fetching). A worker that dies (a crash in a parser,
the kernel's OOM killer) is replaced and counted, and each document that was in it is read again alone, in a
worker of its own, so only the document that kills its worker twice gets an error,
`Unreadable("the extraction worker died …")`. A document its worker has not read `timeout` seconds after it
started on it (a parser caught in a loop) gets `Unreadable("extraction took longer than …")`: that worker is
stopped and replaced, and the other documents it held are read again alone, as when a worker dies.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from w3lib.encoding import html_to_unicode

from extractors import ExtractionError, Unreadable, attribute_record, extract, sniff_carrier

from .items import DocumentItem
from .page_facts import PageFacts, page_facts, report_context
from .pages import UnreadablePage, read_page
from .worker_procs import WorkerDied, WorkerProcess, WorkerTimedOut, exit_with_parent, freeze_startup

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ExtractJob:
    """One document to read, as a worker process receives it (everything in it pickles)."""

    body: bytes = field(repr=False)
    """The bytes as downloaded."""
    name: str | None
    """A file name for the bytes (a hint to the format)."""
    media_type: str | None
    """The Content-Type without parameters."""
    charset: str | None
    """The text encoding the crawler settled on for a page."""
    context: dict[str, Any]
    """What the crawl knew of the document (`extractors.extract(context=…)`)."""
    page_marks: dict[str, Any]
    """The page's marks the attribution weighs (`extractors.attribute_record(record, page=…)`)."""
    max_bytes: int
    """The largest document extraction reads."""

    @classmethod
    def of(cls, item: DocumentItem, max_bytes: int) -> ExtractJob:
        """Return the job that reads the document of `item`."""
        return cls(body=item.body, name=item.filename, media_type=item.media_type, charset=item.charset,
                   context=item.context(), page_marks=item.page_marks(), max_bytes=max_bytes)  # fmt: skip


@dataclass(frozen=True, slots=True)
class PageJob:
    """An HTML page to read for its links and, where it is a report page, for its record (everything pickles)."""

    context: dict[str, Any]
    """The context of the request that fetched it (list title and date, column, marks of the page before)."""
    draft: DocumentItem
    """The page as a document item made with that context (the report page's own context is added to it)."""
    max_bytes: int
    """The largest document extraction reads."""
    extract: bool = True
    """Read the record of a report page too (False: only its facts; the extract pipeline reads it later)."""

    @property
    def html(self) -> str:
        """Return the page's text as the crawl's response gave it: its bytes decoded as Scrapy's `TextResponse.text`
        decodes them (w3lib's `html_to_unicode` with the encoding the crawl settled on), here in the worker."""
        charset = self.draft.charset
        return html_to_unicode(f"charset={charset}" if charset else None, self.draft.body)[1]


@dataclass(slots=True)
class PageRead:
    """What a worker read of a page: its facts, or why it could not be read whole, and a report page's record."""

    facts: PageFacts | None
    """The page's facts; None where it was refused."""
    refused: str | None = None
    """Why the page could not be read: the parser stopped at a limit, or the page killed its worker twice or was
    not read within the pool's timeout."""
    outcome: dict[str, Any] | ExtractionError | None = None
    """A report page's attributed record or the ExtractionError that refused it; None where it was not read."""


def report_item(job: PageJob, facts: PageFacts) -> DocumentItem:
    """Return the document item of a report page: the draft with what the page itself says."""
    item = copy.copy(job.draft)  # not dataclasses.replace: the same bytes need no second SHA-256
    for name, value in DocumentItem.context_fields(report_context(job.context, facts)).items():
        setattr(item, name, value)
    item.attachments = sum(1 for link in facts.links if link.kind == "document")
    return item


def read_page_job(job: PageJob) -> PageRead:
    """Return what a page says (`PageFacts`) and, for a report page, its record read from the same parse."""
    html = job.html
    try:
        sel = read_page(html)
    except UnreadablePage as exc:
        return PageRead(None, refused=str(exc))
    facts = page_facts(job.draft.url, html, sel, job.context)
    if not (facts.is_report and job.extract):
        return PageRead(facts)
    item = report_item(job, facts)
    # A text or markdown page served as a page is read by its own reader, not from the HTML tree of it.
    tree = sel.root if _carrier(item) == "html" else None
    return PageRead(facts, outcome=read_job(ExtractJob.of(item, job.max_bytes), tree=tree))


def _carrier(item: DocumentItem) -> str | None:
    """Return the carrier the extractors see in the item's bytes, or None where they refuse them."""
    try:
        return sniff_carrier(item.body, item.filename, item.media_type)
    except ExtractionError:
        return None


def read_job(job: ExtractJob, tree: Any = None) -> dict[str, Any] | ExtractionError:
    """Return the attributed record of a document, or the ExtractionError that refused it (returned, not raised,
    so its type and reason cross the process boundary as a value).

    An exception the extractor did not mean (a bug) is returned as `Unreadable` naming it: one line against the
    document, never a lost item. `tree`: the page's lxml tree where the caller parsed it already.
    """
    try:
        record = extract(job.body, name=job.name, media_type=job.media_type, charset=job.charset,
                         context=job.context, max_bytes=job.max_bytes, tree=tree)  # fmt: skip
        return attribute_record(record, job.page_marks)
    except ExtractionError as exc:
        return exc
    except Exception as exc:  # any failure of one document is that document's error
        return Unreadable(f"extractor failed: {type(exc).__name__}: {str(exc)[:200]}")


def _start_worker() -> None:
    """Make a new worker end with the crawl's process, then import the extractors and load their tables (its first
    document then costs no import)."""
    exit_with_parent()
    from extractors.regions import longest_name

    longest_name()  # the division tables the attribution reads (a second or two), loaded before the first document
    freeze_startup()


def default_workers() -> int:
    """Return the extraction workers a crawl starts by default: as many as the cores."""
    # Not one fewer: with pages read in the workers the crawl's process needs about a third of a core, and a
    # worker fewer left a core idle (5,000 report pages on 2 cores: 114 pages/s with 2 workers, 90 with 1).
    return max(1, os.cpu_count() or 1)


def extract_workers(value: Any) -> int:
    """Return the extraction workers a crawl starts for a NIANBAO_EXTRACT_WORKERS value (unset or empty: as many as
    the cores; 0: documents are read in a thread of the crawl's process)."""
    return default_workers() if value in (None, "") else int(value)


_prestarted: list[WorkerProcess] | None = None
"""The worker processes `prestart` started, for the crawl's pool to take (None: none waiting)."""


def _spawn(workers: int) -> list[WorkerProcess]:
    """Return `workers` new worker processes, started now (each imports the extractors and loads their tables)."""
    return [WorkerProcess(_start_worker) for _ in range(workers)]


def prestart(workers: int) -> None:
    """Start `workers` extraction worker processes now, for the crawl's `ExtractPool` of as many to take as it
    starts: their imports and tables load while the crawl's own process imports Scrapy and opens the store."""
    global _prestarted
    if workers > 0 and _prestarted is None:
        _prestarted = _spawn(workers)


def discard_prestarted() -> None:
    """Stop the workers `prestart` started (the crawl is not going to run): each ends once its start is done (cut
    off mid-start it prints a traceback), or is stopped after `WorkerProcess.close`'s wait."""
    global _prestarted
    waiting, _prestarted = _prestarted, None
    for proc in waiting or ():
        proc.close()


def _take_prestarted(workers: int) -> list[WorkerProcess] | None:
    """Return the prestarted workers where there are `workers` of them (they are the caller's now), else None (those
    of another number are stopped)."""
    global _prestarted
    waiting, _prestarted = _prestarted, None
    if waiting is None:
        return None
    if len(waiting) != workers:
        for proc in waiting:
            proc.close(0)
        return None
    return waiting


class ExtractPool:
    """Worker processes reading documents; a worker that dies or hangs is replaced."""

    def __init__(
        self, workers: int, queue: int, reader: Callable[[ExtractJob], Any] = read_job, timeout: float = 0
    ) -> None:
        self.workers = workers
        """How many worker processes read documents."""
        self.queue = queue
        """How many documents may be in the pool at once (sent and not yet answered)."""
        self.timeout = timeout
        """Seconds a worker may spend on one document before it is given up (0: no limit)."""
        self.timed_out = 0
        """Documents given up because they were not read within `timeout`."""
        self.reader = reader
        """The module-level function a worker runs on a job (`read_job`)."""
        self.rebuilt = 0
        """How many times a worker died or hung and was replaced."""
        self.died = 0
        """Documents that killed a worker of their own: each became an `Unreadable` error."""
        self._procs: list[WorkerProcess] = []
        self._solo: WorkerProcess | None = None
        self._slots: asyncio.Semaphore | None = None
        self._list_slots: asyncio.Semaphore | None = None
        self._alone = asyncio.Lock()

    def start(self) -> None:
        """Start the worker processes now (each imports the extractors while the crawl's first pages come in), or
        take those `prestart` started."""
        if not self._procs:
            self._procs = _take_prestarted(self.workers) or _spawn(self.workers)

    @property
    def pids(self) -> list[int]:
        """Return the process ids of the workers running now (for reading their CPU from /proc)."""
        return [proc.process.pid for proc in self._procs if proc.alive and proc.process.pid is not None]

    async def read(self, job: Any, reader: Callable[[Any], Any] | None = None, listing: bool = False) -> Any:
        """Return the attributed record of a document (or what `reader`, a module-level function, returns of `job`:
        `read_page_job` a `PageRead`); raise its ExtractionError where it cannot be read as a report (`Unreadable`
        where it killed its worker twice or was not read within `timeout`).

        `listing`: a list page, whose links feed the crawl's frontier: it has slots of its own (one a worker), so it
        never waits for a slot behind the documents queued for the others."""
        reader = reader or self.reader
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.queue)
            self._list_slots = asyncio.Semaphore(max(self.workers, 1))
        slots = self._list_slots if listing else self._slots
        assert slots is not None
        async with slots:
            self.start()
            proc = min(self._procs, key=_load)  # the one with the fewest documents waiting
            try:
                return record_of(await self._answer(proc, reader, job))
            except WorkerDied:
                self._replace(proc)
        return await self._read_alone(job, reader)

    async def _answer(self, proc: WorkerProcess, reader: Callable[[Any], Any], job: Any) -> Any:
        """Return what `proc` answered; where it was not answered within `timeout` of its start, the worker is
        stopped (its other documents are read again alone) and Unreadable raised."""
        try:
            return await proc.submit(reader, job, self.timeout)
        except WorkerTimedOut:
            self.timed_out += 1
            if proc is self._solo:
                self._solo = None
            else:
                self._replace(proc)
            why = f"extraction took longer than {self.timeout:g} s: the worker reading it was stopped"
            raise Unreadable(why) from None

    def _replace(self, proc: WorkerProcess) -> None:
        """Put a new worker in the place of one that died or was stopped (once, however many of its documents
        report it)."""
        if proc in self._procs:
            proc.stop()
            self._procs[self._procs.index(proc)] = WorkerProcess(_start_worker)
            self.rebuilt += 1
            logger.warning("an extraction worker died or hung: replaced, its documents read again one at a time")

    async def _read_alone(self, job: Any, reader: Callable[[Any], Any]) -> Any:
        """Return the record of a document that was in a worker when it died, read again in a worker of its own;
        raise Unreadable where it kills that one too."""
        async with self._alone:
            if self._solo is None or not self._solo.alive:
                self._solo = WorkerProcess(_start_worker)
            solo = self._solo
            try:
                return record_of(await self._answer(solo, reader, job))
            except WorkerDied:
                self._solo = None
                solo.stop()
                self.died += 1
                raise Unreadable("the extraction worker died reading it (a crash or out of memory)") from None

    def close(self) -> None:
        """Stop the workers (the crawl is over: nothing is in the pool)."""
        procs = [*self._procs, *([self._solo] if self._solo else [])]
        self._procs, self._solo = [], None
        for proc in procs:
            proc.close()


def _load(proc: WorkerProcess) -> int:
    """Return the documents a worker has yet to answer (a dead one: none it will take)."""
    return proc.load if proc.alive else 1 << 30


def record_of(value: dict[str, Any] | ExtractionError) -> dict[str, Any]:
    """Return a worker's record; raise the ExtractionError it returned."""
    if isinstance(value, ExtractionError):
        raise value
    return value
