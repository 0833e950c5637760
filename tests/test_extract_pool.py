"""The crawl's extraction pool (crawler/extract_pool.py): real worker processes reading the fixture documents, and a
worker that really dies."""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import pytest

from crawler.extract_pool import ExtractJob, ExtractPool, read_job, record_of
from extractors import ExtractionError, NotAReport, Unreadable

from .responses import document

DIES = b"<!-- this document kills the worker that reads it -->"
HANGS = b"<!-- this document keeps its worker busy for ever -->"


def read_or_die(job: ExtractJob) -> Any:
    """Return what `read_job` returns, but end the worker process at once on a body holding DIES (as a crash in a
    parser would)."""
    if DIES in job.body:
        os._exit(70)
    return read_job(job)


def read_or_hang(job: ExtractJob) -> Any:
    """Return what `read_job` returns, but never return on a body holding HANGS (as a parser caught in a loop)."""
    if HANGS in job.body:
        time.sleep(3600)
    return read_job(job)


def named_after_a_nap(job: ExtractJob) -> str | None:
    """Return the job's name after a fifth of a second (a document that takes its time)."""
    time.sleep(0.2)
    return job.name


def job(body: bytes, name: str = "input.html") -> ExtractJob:
    """Return an extraction job for `body` with a small crawl context."""
    context = {"source_url": f"http://example.test/{name}", "site": "test", "region_code": None,
               "region_name": None, "list_title": None, "column": None, "published_at": "2021-01-20"}  # fmt: skip
    return ExtractJob(body=body, name=name, media_type=None, charset=None, context=context, page_marks={},
                      max_bytes=50 * 1024 * 1024)  # fmt: skip


async def gather(pool: ExtractPool, jobs: list[ExtractJob]) -> list[Any]:
    """Return each job's record or the exception it raised, reading them all at once, then stop the pool."""
    try:
        return await asyncio.gather(*(pool.read(j) for j in jobs), return_exceptions=True)
    finally:
        pool.close()


@pytest.mark.slow  # worker processes started, killed and started again
def test_a_worker_reads_the_same_record_as_this_process() -> None:
    jobs = [job(document(f"seed00{k}_html")) for k in range(3)] + [job(document("seed000_docx"), "input.docx")]
    records = asyncio.run(gather(ExtractPool(workers=2, queue=2), jobs))
    for j, record in zip(jobs, records, strict=True):
        assert isinstance(record, dict), record
        assert record == record_of(read_job(j)), "a record read in a worker differs from one read here"


def test_typed_refusals_cross_the_process_boundary_with_their_class_and_reason() -> None:
    letter = "<html><head><title>关于召开会议的通知</title></head><body><p>请各单位按时参会。</p></body></html>"
    jobs = [job(letter.encode()), job(document("seed001_pdf")[:400], "input.pdf")]
    here = [read_job(j) for j in jobs]
    there = asyncio.run(gather(ExtractPool(workers=1, queue=2), jobs))
    assert isinstance(there[0], NotAReport) and there[0].reason == here[0].reason
    assert isinstance(there[1], ExtractionError) and not isinstance(there[1], NotAReport)
    assert type(there[1]) is type(here[1]) and there[1].reason == here[1].reason


@pytest.mark.slow  # worker processes started, killed and started again
def test_a_document_that_kills_its_worker_gets_an_error_and_the_others_their_records() -> None:
    good = [job(document(f"seed00{k}_html")) for k in range(4)]
    hostile = job(document("seed004_html") + DIES)
    pool = ExtractPool(workers=2, queue=5, reader=read_or_die)
    out = asyncio.run(gather(pool, [good[0], good[1], hostile, good[2], good[3]]))
    assert isinstance(out[2], Unreadable) and "worker died" in out[2].reason
    for j, record in zip(good, [out[0], out[1], out[3], out[4]], strict=True):
        assert isinstance(record, dict), f"a document beside the hostile one was lost: {record!r}"
        assert record == record_of(read_job(j))
    assert pool.rebuilt >= 1 and pool.died == 1


@pytest.mark.slow  # worker processes started, killed and started again
def test_the_pool_reads_again_after_it_was_rebuilt() -> None:
    async def twice(pool: ExtractPool) -> list[Any]:
        try:
            first = await asyncio.gather(pool.read(job(document("seed000_html") + DIES)), return_exceptions=True)
            return [*first, await pool.read(job(document("seed000_html"))), pool.pids]
        finally:
            pool.close()

    pool = ExtractPool(workers=1, queue=1, reader=read_or_die)
    pool.start()
    before = pool.pids
    died, record, after = asyncio.run(twice(pool))
    assert isinstance(died, Unreadable) and isinstance(record, dict) and record["year"]
    assert (pool.rebuilt, pool.died) == (1, 1)
    assert len(before) == len(after) == 1 and before != after, "the dead worker's place: a new process"
    assert pool.pids == [], "a closed pool still names running workers"


@pytest.mark.parametrize("workers", [0, 1])
def test_the_extract_step_reads_the_same_with_or_without_workers(workers: int) -> None:
    from scrapy.utils.test import get_crawler

    from crawler.items import DocumentItem, ReportItem
    from crawler.pipelines.extract import ExtractPipeline

    body = document("seed002_html")
    item = DocumentItem(site="test", url="http://example.test/nb.html", body=body, status=200,
                        content_type="text/html; charset=utf-8", charset="utf-8", filename="nb.html")  # fmt: skip
    pipe = ExtractPipeline.from_crawler(get_crawler(settings_dict={"NIANBAO_EXTRACT_WORKERS": workers}))
    assert (pipe.pool is None) == (workers == 0)
    try:
        out = asyncio.run(pipe.process_item(item))
    finally:
        pipe.close(None)
    assert isinstance(out, ReportItem)
    expected = record_of(read_job(ExtractJob(body=body, name="nb.html", media_type="text/html", charset="utf-8",
                                             context=item.context(), page_marks=item.page_marks(),
                                             max_bytes=pipe.max_bytes)))  # fmt: skip
    assert out.record == expected


@pytest.mark.slow  # worker processes started, killed and started again
def test_documents_sent_while_the_workers_start_are_read_all_the_same() -> None:
    async def started(pool: ExtractPool, jobs: list[ExtractJob]) -> list[Any]:
        pool.start()  # the first reads come while the workers import the extractors
        return await gather(pool, jobs)

    jobs = [job(document(f"seed00{k}_html")) for k in range(4)]
    records = asyncio.run(started(ExtractPool(workers=1, queue=2), jobs))
    assert records == [record_of(read_job(j)) for j in jobs]


@pytest.mark.slow  # worker processes started, killed and started again
def test_a_document_its_worker_does_not_finish_in_time_gets_an_error_and_the_pool_reads_on() -> None:
    async def run(pool: ExtractPool) -> list[Any]:
        try:
            first = await pool.read(job(document("seed000_html")))  # the worker started: only reading is timed now
            pool.timeout = 3
            hung = await asyncio.gather(pool.read(job(document("seed001_html") + HANGS)), return_exceptions=True)
            pool.timeout = 0  # the rebuilt pool's new worker starts without a clock
            return [first, *hung, await pool.read(job(document("seed002_html")))]
        finally:
            pool.close()

    pool = ExtractPool(workers=1, queue=2, reader=read_or_hang)
    first, hung, after = asyncio.run(run(pool))
    assert isinstance(hung, Unreadable) and "took longer than 3 s" in hung.reason
    assert isinstance(first, dict) and isinstance(after, dict) and after == record_of(read_job(job(document("seed002_html"))))
    assert (pool.timed_out, pool.rebuilt) == (1, 1)


def frozen_objects(_: Any) -> int:
    """Return how many objects this process's garbage collector keeps frozen."""
    import gc

    return gc.get_freeze_count()


def test_a_worker_freezes_what_its_start_loaded() -> None:
    # Frozen, the modules and division tables are never scanned again: not by a collection, not as the worker ends.
    frozen = asyncio.run(gather(ExtractPool(workers=1, queue=1, reader=frozen_objects), [job(b"<p>x</p>")]))
    assert isinstance(frozen[0], int) and frozen[0] > 100_000, frozen


def test_the_crawl_pool_takes_the_workers_started_before_it_where_it_wants_as_many() -> None:
    from crawler import extract_pool

    extract_pool.prestart(1)
    waiting = extract_pool._prestarted
    assert waiting is not None
    pool = ExtractPool(workers=1, queue=1)
    pool.start()
    taken = list(pool._procs)
    records = asyncio.run(gather(pool, [job(document("seed001_html"))]))
    assert taken == waiting and extract_pool._prestarted is None  # the workers already loading were taken
    assert isinstance(records[0], dict), records

    extract_pool.prestart(1)
    waiting = extract_pool._prestarted
    other = ExtractPool(workers=2, queue=2)
    other.start()
    try:
        assert extract_pool._prestarted is None
        assert len(other._procs) == 2 and not set(other._procs) & set(waiting)  # a pool of its own size
    finally:
        other.close()


def test_a_list_page_is_read_ahead_of_the_documents_waiting_for_a_slot() -> None:
    done: list[str] = []

    async def read(pool: ExtractPool, name: str, listing: bool = False) -> None:
        done.append(await pool.read(job(b"<p>x</p>", name), listing=listing))

    async def run(pool: ExtractPool) -> None:
        try:
            reports = [asyncio.create_task(read(pool, f"report{k}.html")) for k in range(3)]
            await asyncio.sleep(0.05)  # the reports are sent or waiting for the one slot
            await asyncio.gather(read(pool, "list.html", listing=True), *reports)
        finally:
            pool.close()

    asyncio.run(run(ExtractPool(workers=1, queue=1, reader=named_after_a_nap)))
    # Without a slot of its own the list page waited behind every report queued before it (it came last).
    assert done == ["report0.html", "list.html", "report1.html", "report2.html"], done
