"""A page is parsed once: an extraction worker reads its facts (links, marks, title …) and, for a report page, its
record from the same tree (crawler/extract_pool.py `read_page_job`), and that record is the one its bytes give."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
from scrapy.utils.test import get_crawler

from crawler.extract_pool import ExtractJob, PageJob, read_job, read_page_job, record_of, report_item
from crawler.items import DocumentItem, ReportItem
from crawler.pipelines.extract import ExtractPipeline

from .conftest import ROOT
from .responses import document

MAX = 50 * 1024 * 1024
LISTED = {"list_title": "测试区2020年政府信息公开工作年度报告", "list_date": "2021-01-20"}
TEXTS = ROOT / "nianbao" / "demo" / "corpus" / "real"


def page_job(body: bytes, content_type: str, name: str, **context: Any) -> PageJob:
    """Return the job the spider sends for a page fetched as `name` with `content_type`."""
    draft = DocumentItem(site="test", url=f"http://example.test/{name}", body=body, status=200,
                         content_type=content_type, charset="utf-8", filename=name,
                         **DocumentItem.context_fields(context))  # fmt: skip
    return PageJob(context, draft, MAX)


def same_fields(got: dict[str, Any], want: dict[str, Any]) -> None:
    """Assert two records agree field by field, naming the first that differs."""
    assert sorted(got) == sorted(want)
    for key in want:
        assert got[key] == want[key], f"{key}: read from the page's tree {got[key]!r}, from its bytes {want[key]!r}"


@pytest.mark.parametrize("seed", [f"seed00{k}_html" for k in range(5)])
def test_a_report_page_read_with_its_links_gives_the_record_its_bytes_give(seed: str) -> None:
    job = page_job(document(seed), "text/html; charset=utf-8", "nb.html", **LISTED)
    read = read_page_job(job)
    assert read.facts is not None and read.facts.is_report, "a report page not taken for one"
    assert isinstance(read.outcome, dict), read.outcome
    from_bytes = record_of(read_job(ExtractJob.of(report_item(job, read.facts), MAX)))
    same_fields(read.outcome, from_bytes)


def test_a_text_report_served_as_a_page_is_read_by_its_own_reader() -> None:
    path = next(p for p in sorted(TEXTS.glob("*_txt_2021fmt.txt")))
    job = page_job(Path(path).read_bytes(), "text/plain; charset=utf-8", "nb.txt", **LISTED)
    read = read_page_job(job)
    assert read.facts is not None and read.facts.is_report
    assert isinstance(read.outcome, dict), read.outcome
    same_fields(read.outcome, record_of(read_job(ExtractJob.of(report_item(job, read.facts), MAX))))


def test_a_page_read_whole_in_a_worker_is_not_read_again_by_the_extract_step() -> None:
    pipe = ExtractPipeline.from_crawler(get_crawler(settings_dict={"NIANBAO_EXTRACT_WORKERS": 1}))
    sent: list[Any] = []
    read = pipe.pool.read

    async def counted(job: Any, reader: Any = None, listing: bool = False) -> Any:
        sent.append(reader)
        return await read(job, reader, listing=listing)

    pipe.pool.read = counted  # type: ignore[method-assign]
    job = page_job(document("seed001_html"), "text/html", "nb.html", **LISTED)

    async def crawl() -> tuple[Any, Any]:
        page = await pipe.read_page(job)
        item = report_item(job, page.facts)
        item.extracted = page.outcome
        return page, await pipe.process_item(item)

    try:
        page, out = asyncio.run(crawl())
    finally:
        pipe.close(None)
    assert isinstance(out, ReportItem) and out.record == page.outcome
    assert sent == [read_page_job], "the report page went to a worker again after its facts were read"


def test_a_page_the_parser_stops_short_on_is_refused_with_its_reason() -> None:
    deep = b"<html><body>" + b"<div>" * 3000 + b"x" + b"</div>" * 3000 + b"</body></html>"
    read = read_page_job(page_job(deep, "text/html", "deep.html"))
    assert read.facts is None and "limit" in (read.refused or "")


DIES = "<!-- this page kills the worker that reads it -->"


def read_page_or_die(job: PageJob) -> Any:
    """Return what `read_page_job` returns, but end the worker process at once on a page holding DIES (as a crash
    in the HTML parser would)."""
    if DIES in job.html:
        os._exit(70)
    return read_page_job(job)


@pytest.mark.slow  # worker processes killed and started again
def test_a_page_that_kills_its_worker_is_refused_and_the_next_page_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    import crawler.pipelines.extract as step

    monkeypatch.setattr(step, "read_page_job", read_page_or_die)
    pipe = ExtractPipeline.from_crawler(get_crawler(settings_dict={"NIANBAO_EXTRACT_WORKERS": 1}))
    deadly = page_job(document("seed001_html") + DIES.encode(), "text/html", "a.html", **LISTED)
    fine = page_job(document("seed002_html"), "text/html", "b.html", **LISTED)

    async def crawl() -> list[Any]:
        return [await pipe.read_page(deadly), await pipe.read_page(fine)]

    try:
        died, read = asyncio.run(crawl())
    finally:
        pipe.close(None)
    assert died.facts is None and "died" in (died.refused or ""), died
    assert read.facts is not None and read.facts.is_report and isinstance(read.outcome, dict)
    assert (pipe.pool.rebuilt, pipe.pool.died) == (1, 1)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("<html><head><meta charset='gbk'><title>年报</title></head><body>政府信息公开</body></html>".encode("gbk"),
         "text/html"),
        ("<html><body>政府信息公开工作年度报告</body></html>".encode("gb18030"), "text/html; charset=gb2312"),
        (b"\xef\xbb\xbf" + "<html><body>年度报告</body></html>".encode(), "text/html; charset=gbk"),  # the BOM wins
        ("<p>年报</p>".encode() + b"\xff\xfe broken \x80", "text/html; charset=utf-8"),  # replaced, not refused
    ],
)  # fmt: skip
def test_the_worker_decodes_a_page_as_scrapy_does(body: bytes, content_type: str) -> None:
    from scrapy.http import HtmlResponse

    response = HtmlResponse("http://example.test/nb.html", body=body, headers={"Content-Type": content_type})
    draft = DocumentItem(site="test", url=response.url, body=response.body, status=200, content_type=content_type,
                         charset=response.encoding, filename="nb.html")  # fmt: skip
    assert PageJob({}, draft, MAX).html == response.text
