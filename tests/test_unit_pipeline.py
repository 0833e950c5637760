"""Unit tests of every pipeline step (dedup, extract, store, tally), the store extension and the feed's lines, on
documents made from the demo web's recorded pages and the fixture documents: no server, no subprocess."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from typing import Any

import pytest
from scrapy import Spider
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.exporters import JsonLinesItemExporter
from scrapy.http import TextResponse
from scrapy.utils.test import get_crawler

from crawler.feed import FeedLinesExporter
from crawler.items import (
    DocumentItem,
    FetchErrorItem,
    NotReportItem,
    NotStoredItem,
    ReportItem,
    SourceItem,
    UnchangedItem,
    UnreadableItem,
)
from crawler.pipelines.dedup import DedupPipeline
from crawler.pipelines.extract import ExtractPipeline
from crawler.pipelines.storing import StorePipeline
from crawler.pipelines.tally import TallyPipeline
from crawler.store import StoreExtension

from .responses import WEB, document, page

REPORT = "/zfxxgk/zfxxgknb/202403/t20240308_87885.html"
LETTER = "/zfxxgk/zfxxgknb/201412/t20141210_80787.html"


def fetched(path: str = REPORT, *, url: str | None = None, body: bytes | None = None) -> DocumentItem:
    """Return the document item of the demo web's TRS page at `path` (its URL or bytes replaced if given)."""
    r = page("trs", path)
    return DocumentItem(
        site="trs", url=url or r.url, body=r.body if body is None else body, status=200,
        content_type=r.headers[b"Content-Type"].decode(), charset=r.encoding if isinstance(r, TextResponse) else None,
        filename=path.rsplit("/", 1)[-1], etag=r.headers[b"ETag"].decode(),
        last_modified=r.headers[b"Last-Modified"].decode(), region_code="350128", region_name="福建省福州市平潭县",
        list_title="平潭综合实验区2023年度政府信息公开工作年度报告", list_date="2024-03-08", published_at="2024-03-08",
        column="政府信息公开年报",
    )  # fmt: skip


def store_crawler(tmp_path: Path, blobs: Path | None = None) -> Any:
    """Return a crawler whose StoreExtension opened a fresh SQLite store under `tmp_path`."""
    return get_crawler(settings_dict={"EXTENSIONS": {StoreExtension: 100}, "NIANBAO_BLOBS": str(blobs or ""),
                                      "NIANBAO_DB": f"sqlite:///{tmp_path / 'db.sqlite'}"})  # fmt: skip


def run(coro: Any) -> Any:
    """Return the result of an async pipeline step."""
    return asyncio.run(coro)


# -- dedup --------------------------------------------------------------------------------------------------------
def test_bytes_met_again_in_the_crawl_are_a_source_of_the_first_url() -> None:
    dedup = DedupPipeline.from_crawler(get_crawler())
    first, twin = fetched(), fetched(url=WEB.url("trs", "/zfxxgk/zfxxgknb/202403/t20240308_87885_wap.html"))
    assert run(dedup.process_item(first)) is first
    again = run(dedup.process_item(twin))
    assert isinstance(again, SourceItem) and (again.same_as, again.known) == (first.url, False)
    other = fetched("/zfxxgk/zfxxgknb/202302/t20230220_80629.html")
    assert run(dedup.process_item(other)) is other
    passing = UnchangedItem(site="trs", source_url=first.url)
    assert run(dedup.process_item(passing)) is passing


def test_bytes_stored_by_an_earlier_crawl_are_known_but_an_unreadable_document_is_read_again(tmp_path: Path) -> None:
    crawler = store_crawler(tmp_path)
    store = crawler.get_extension(StoreExtension).store
    doc, broken = fetched(), fetched(LETTER, body=b"%PDF-1.4 truncated")
    store.add(doc.body, None, doc.source(0.0, None))
    store.add_error(broken.body, broken.source(0.0, None), "Corrupt")
    dedup = DedupPipeline.from_crawler(crawler)
    later = fetched(url=WEB.url("trs", "/mirror.html"))
    known = run(dedup.process_item(later))
    assert isinstance(known, SourceItem) and (known.same_as, known.known) == (later.url, True)
    assert run(dedup.process_item(broken)) is broken


def test_the_store_questions_of_new_bytes_gathering_together_are_asked_in_one_thread(tmp_path: Path) -> None:
    crawler = store_crawler(tmp_path)
    ext = crawler.get_extension(StoreExtension)
    known = fetched()
    ext.store.add(known.body, None, known.source(0.0, None))
    dedup = DedupPipeline.from_crawler(crawler)
    hops: list[int] = []
    run_in_thread = ext.run

    async def counted(call: Any, *args: Any) -> Any:
        hops.append(1)
        return await run_in_thread(call, *args)

    ext.run = counted  # type: ignore[method-assign]
    items = [fetched(url=WEB.url("trs", "/mirror.html")), *(fetched(url=WEB.url("trs", f"/{k}.pdf"),
             body=f"%PDF-1.4 document {k}".encode()) for k in range(5))]  # fmt: skip

    async def all_at_once() -> list[Any]:
        return await asyncio.gather(*(dedup.process_item(item) for item in items))

    out = run(all_at_once())
    assert len(hops) == 1, f"{len(items)} questions in {len(hops)} thread hops"
    assert isinstance(out[0], SourceItem) and out[0].known and out[1:] == items[1:]


def test_bytes_the_store_refused_are_tried_again_at_their_next_url(tmp_path: Path) -> None:
    crawler = store_crawler(tmp_path, blobs=tmp_path / "a-file")
    (tmp_path / "a-file").write_text("where the blob folder should be")
    dedup = DedupPipeline.from_crawler(crawler)
    storing = StorePipeline.from_crawler(crawler)
    first = fetched()
    assert run(dedup.process_item(first)) is first
    failed = run(storing.process_item(SourceItem(document=first, same_as=first.url, known=False)))
    assert isinstance(failed, NotStoredItem) and failed.error.startswith("not stored: ")
    twin = fetched(url=WEB.url("trs", "/twin.html"))
    assert run(dedup.process_item(twin)) is twin, "the twin must try to store the bytes again"


def test_a_twin_waits_until_the_first_url_of_its_bytes_is_stored(tmp_path: Path) -> None:
    """A twin's source written before its first URL's report would store the bytes as a non-report (and a crawl
    killed between the two writes would never read the report again): the twin waits for the first's write."""
    crawler = store_crawler(tmp_path)
    dedup, reading, storing = (P.from_crawler(crawler) for P in (DedupPipeline, ExtractPipeline, StorePipeline))
    reading.pool = None  # read in a thread: no worker processes for one document

    async def crawl() -> tuple[Any, Any, bool]:
        first = fetched()
        assert await dedup.process_item(first) is first
        twin = asyncio.ensure_future(dedup.process_item(fetched(url=WEB.url("trs", "/twin.html"))))
        for _ in range(20):
            await asyncio.sleep(0)
        waited = not twin.done()
        report = await storing.process_item(await reading.process_item(first))
        return report, await twin, waited

    report, source, waited = run(crawl())
    assert waited, "the twin went on before the first URL's document was stored"
    assert isinstance(report, ReportItem) and report.stored == "new"
    assert isinstance(source, SourceItem) and (source.same_as, source.known) == (report.document.url, False)
    store = crawler.get_extension(StoreExtension).store
    assert [r["seq"] for r in store.reports()] == [report.seq]


def test_a_twin_waiting_on_a_first_url_the_store_refused_is_read_itself(tmp_path: Path) -> None:
    crawler = store_crawler(tmp_path, blobs=tmp_path / "a-file")
    (tmp_path / "a-file").write_text("where the blob folder should be")
    dedup, storing = DedupPipeline.from_crawler(crawler), StorePipeline.from_crawler(crawler)

    async def crawl() -> Any:
        first = fetched()
        assert await dedup.process_item(first) is first
        twin = asyncio.ensure_future(dedup.process_item(fetched(url=WEB.url("trs", "/twin.html"))))
        await asyncio.sleep(0)
        failed = await storing.process_item(SourceItem(document=first, same_as=first.url, known=True))
        assert isinstance(failed, NotStoredItem)
        return await twin

    twin = run(crawl())
    assert isinstance(twin, DocumentItem) and twin.url.endswith("/twin.html"), "the twin must read the bytes itself"


# -- extract ------------------------------------------------------------------------------------------------------
def test_a_report_page_is_read_into_a_record_with_the_crawls_context() -> None:
    item = run(ExtractPipeline.from_crawler(get_crawler()).process_item(fetched()))
    assert isinstance(item, ReportItem) and item.stored is None
    record = item.record
    assert record["year"] == 2023 and record["source_url"] == item.document.url and record["site"] == "trs"
    assert record["region_code"] == "350128" and record["published_at"] == "2024-03-08"


def test_a_letter_is_no_report_and_broken_bytes_are_unreadable_by_type() -> None:
    extract = ExtractPipeline.from_crawler(get_crawler())
    letter = run(extract.process_item(fetched(LETTER)))
    assert isinstance(letter, NotReportItem) and letter.reason.startswith("not an annual report")
    broken = run(extract.process_item(fetched(LETTER, body=document("seed001_pdf")[:400])))
    assert isinstance(broken, UnreadableItem) and broken.error and broken.source_url == broken.document.url


def test_a_document_over_the_size_limit_is_unreadable() -> None:
    extract = ExtractPipeline.from_crawler(get_crawler(settings_dict={"DOWNLOAD_MAXSIZE": 1000}))
    item = run(extract.process_item(fetched()))
    assert isinstance(item, UnreadableItem) and "limit" in item.error


# -- store --------------------------------------------------------------------------------------------------------
def test_the_store_step_writes_each_kind_and_only_what_was_read_is_done(tmp_path: Path) -> None:
    crawler = store_crawler(tmp_path)
    ext = crawler.get_extension(StoreExtension)
    ext.run_id = ext.store.start_run(["trs"])
    storing = StorePipeline.from_crawler(crawler)
    extract = ExtractPipeline.from_crawler(crawler)
    report = run(storing.process_item(run(extract.process_item(fetched()))))
    assert (report.stored, report.seq) == ("new", 1) and report.report_id
    twin = fetched(url=WEB.url("trs", "/wap.html"))
    source = run(storing.process_item(SourceItem(document=twin, same_as=report.document.url, known=False)))
    letter = run(storing.process_item(run(extract.process_item(fetched(LETTER)))))
    broken = run(
        storing.process_item(
            run(extract.process_item(fetched(LETTER, url=WEB.url("trs", "/nb/x.pdf"), body=b"%PDF-1.4 x")))
        )
    )
    assert isinstance(source, SourceItem) and isinstance(letter, NotReportItem) and isinstance(broken, UnreadableItem)
    memory = ext.memory
    assert memory.recall(report.document.url).report and memory.recall(twin.url).report
    assert memory.recall(letter.document.url).document and not memory.recall(letter.document.url).report
    assert memory.recall(broken.document.url) is None, "an unreadable document is fetched again"
    [stored] = ext.store.reports()
    assert set(stored["sources"]) == {report.document.url, twin.url}
    assert stored["source_details"][0]["list_title"] == report.document.list_title
    again = run(storing.process_item(run(extract.process_item(fetched(url=WEB.url("trs", "/copy.html"))))))
    assert again.stored == "known" and again.seq == 1


def test_an_unchanged_url_has_its_fetch_time_moved_forward(tmp_path: Path) -> None:
    crawler = store_crawler(tmp_path)
    ext = crawler.get_extension(StoreExtension)
    doc = fetched()
    ext.store.add(doc.body, None, doc.source(1_000_000.0, None))
    ext.run_id = ext.store.start_run(["trs"])
    item = UnchangedItem(site="trs", source_url=doc.url)
    assert run(StorePipeline.from_crawler(crawler).process_item(item)) is item
    [detail] = [d for d in _sources(ext) if d["url"] == doc.url]
    assert detail["run_id"] == ext.run_id and not detail["fetched_at"].startswith("1970")


def _sources(ext: StoreExtension) -> list[dict[str, Any]]:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from storage.models import Source

    with Session(ext.store.engine) as s:
        return [{"url": r.url, "run_id": r.run_id, "fetched_at": r.fetched_at.isoformat()}
                for r in s.scalars(select(Source))]  # fmt: skip


def test_a_write_the_store_refuses_becomes_a_not_stored_line(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("where the blob folder should be")
    crawler = store_crawler(tmp_path, blobs=tmp_path / "a-file")
    storing = StorePipeline.from_crawler(crawler)
    doc = fetched()
    out = run(storing.process_item(ReportItem(document=doc, record={"title": "x"})))
    assert isinstance(out, NotStoredItem) and out.document is doc and out.error.startswith("not stored: ")
    assert crawler.stats.get_value("store/last_error") == out.error.removeprefix("not stored: ")
    crawler.get_extension(StoreExtension).store.engine.dispose()
    (tmp_path / "db.sqlite").unlink()
    (tmp_path / "db.sqlite").mkdir()  # the database gone: a 304's fetch time cannot be written either
    gone = run(storing.process_item(UnchangedItem(site="trs", source_url=doc.url)))
    assert isinstance(gone, NotStoredItem) and gone.document is None and gone.source_url == doc.url


def test_without_a_store_the_store_step_is_not_configured() -> None:
    with pytest.raises(NotConfigured):
        StorePipeline.from_crawler(get_crawler(settings_dict={"EXTENSIONS": {StoreExtension: 100}, "NIANBAO_DB": ""}))


def test_the_store_extension_records_how_the_run_ended(tmp_path: Path) -> None:
    crawler = store_crawler(tmp_path)
    ext = crawler.get_extension(StoreExtension)
    ext.run_id = ext.store.start_run(["trs"])
    crawler.stats.set_value("site/trs/reports_new", 3)
    ext.closed(Spider.from_crawler(crawler, "unit"), "shutdown")
    [row] = ext.store.runs()
    assert row["status"] == "interrupted" and row["stats"]["site/trs/reports_new"] == 3


# -- tally --------------------------------------------------------------------------------------------------------
def test_outcomes_are_counted_per_site_and_non_reports_leave_the_feed() -> None:
    crawler = get_crawler()
    tally = TallyPipeline.from_crawler(crawler)
    doc = fetched()
    items = [ReportItem(document=doc, record={}, stored="new"), ReportItem(document=doc, record={}, stored="known"),
             ReportItem(document=doc, record={}), SourceItem(document=doc, same_as=doc.url, known=True),
             SourceItem(document=doc, same_as=doc.url, known=False),
             UnreadableItem(site="trs", source_url=doc.url, error="Corrupt", document=doc),
             NotStoredItem(site="trs", source_url=doc.url, error="not stored: x"),
             FetchErrorItem(site="trs", source_url=doc.url, error="timeout"),
             UnchangedItem(site="trs", source_url=doc.url)]  # fmt: skip
    for item in items:
        assert tally.process_item(item) is item
    with pytest.raises(DropItem, match="not an annual report"):
        tally.process_item(NotReportItem(document=doc, reason="not an annual report"))
    counted = {k.removeprefix("site/trs/"): v for k, v in crawler.stats.get_stats().items() if k.startswith("site/")}
    assert counted == {"reports_new": 2, "reports_known": 2, "duplicate_urls": 1, "errors": 1, "not_stored": 1,
                       "not_reports": 1}  # fmt: skip


# -- the feed's lines ----------------------------------------------------------------------------------------------
def old_lines(doc: DocumentItem, record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return the feed lines as the pipeline and spider built them before the typed items (their dicts, verbatim)."""
    base = {"site": doc.site, "source_url": doc.url, "raw_sha256": doc.sha256, "etag": doc.etag,
            "last_modified": doc.last_modified}  # fmt: skip
    out = {"kind": "report", **base, **record, "list_date": doc.list_date, "filename": doc.filename}
    stored = dict(out)
    stored.update(report_id=7, seq=3, stored="new")
    return {
        "report": out,
        "report stored": stored,
        "source": {"kind": "source", **base, "same_as": "http://first/", "known": False},
        "unchanged": {"kind": "unchanged", "site": doc.site, "source_url": doc.url},
        "fetch error": {
            "kind": "error",
            "site": doc.site,
            "source_url": doc.url,
            "error": "timeout",
            "list_title": "标题",
            "list_date": "2024-03-08",
        },
        "unreadable": {"kind": "error", **base, "error": "Corrupt"},
        "not stored": {"kind": "error", **base, "error": "not stored: OSError: x"},
        "304 not stored": {"kind": "error", "site": doc.site, "source_url": doc.url, "error": "not stored: OSError: x"},
    }


def new_items(doc: DocumentItem, record: dict[str, Any]) -> dict[str, Any]:
    """Return the typed items of the same events."""
    return {
        "report": ReportItem(document=doc, record=record),
        "report stored": ReportItem(document=doc, record=record, report_id=7, seq=3, stored="new"),
        "source": SourceItem(document=doc, same_as="http://first/", known=False),
        "unchanged": UnchangedItem(site=doc.site, source_url=doc.url),
        "fetch error": FetchErrorItem(
            site=doc.site, source_url=doc.url, error="timeout", list_title="标题", list_date="2024-03-08"
        ),
        "unreadable": UnreadableItem(site=doc.site, source_url=doc.url, error="Corrupt", document=doc),
        "not stored": NotStoredItem(site=doc.site, source_url=doc.url, error="not stored: OSError: x", document=doc),
        "304 not stored": NotStoredItem(site=doc.site, source_url=doc.url, error="not stored: OSError: x"),
    }


def test_every_feed_line_is_byte_for_byte_what_it_was() -> None:
    doc = fetched()
    record = {"title": "平潭综合实验区2023年度政府信息公开工作年度报告", "year": 2023, "site": "trs",
              "source_url": doc.url, "list_title": "被记录覆盖", "checks": [{"rule": "T3-06", "severity": "W"}]}  # fmt: skip
    old, new = old_lines(doc, record), new_items(doc, record)
    assert old.keys() == new.keys()
    for event in old:
        was, now = io.BytesIO(), io.BytesIO()
        JsonLinesItemExporter(was, encoding="utf-8").export_item(old[event])
        FeedLinesExporter(now, encoding="utf-8").export_item(new[event])
        assert now.getvalue() == was.getvalue(), event
        assert list(json.loads(now.getvalue())) == list(old[event]), f"{event}: the keys' order changed"


def test_feed_export_fields_still_choose_and_order_a_lines_keys() -> None:
    doc = fetched()
    line = io.BytesIO()
    exporter = FeedLinesExporter(line, encoding="utf-8", fields_to_export=["source_url", "kind"])
    exporter.export_item(ReportItem(document=doc, record={"title": "某单位2023年度政府信息公开工作年度报告"}))
    assert json.loads(line.getvalue()) == {"source_url": doc.url, "kind": "report"}
    assert list(json.loads(line.getvalue())) == ["source_url", "kind"]


def test_a_documents_bytes_never_reach_a_log_line() -> None:
    doc = fetched()
    assert doc.body[:20].decode() not in repr(NotReportItem(document=doc, reason="no"))
    assert doc.sha256 == __import__("hashlib").sha256(doc.body).hexdigest() and doc.media_type == "text/html"
