"""The crawl's batched store round-trips, on SQLite and PostgreSQL: a page's requests looked up in the crawl memory
at once (`CrawlMemory.recall_many`), parsed pages remembered in the documents' transactions (`BatchWriter.remember`),
and the 索引号 read from a window of the page's text as from all of it (crawler/page_meta.py)."""

from __future__ import annotations

import asyncio
import re
from hashlib import sha256
from typing import Any

import pytest
from parsel import Selector

from crawler.page_meta import index_number
from crawler.store import StoreExtension
from crawler.store_batch import BatchWriter
from extractors import compact
from storage import Addition, Store
from storage.memory import Remembered, page_row

from .databases import raw_bytes, synthetic_record


@pytest.fixture
def store(backend_store):
    return backend_store


class _Ext:
    """The parts of a StoreExtension the batch writer uses: the store, `run` in a worker thread and `add_many`
    (in that thread: no writer process)."""

    writer_process = None

    def __init__(self, store: Store) -> None:
        self.store = store

    run = StoreExtension.run
    add_many = StoreExtension.add_many


def child(k: int) -> dict[str, Any]:
    return {"url": f"https://m/nb/{k}.pdf", "role": "document", "context": {}, "cb": "parse_page", "method": "GET",
            "form": None}  # fmt: skip


def test_recall_many_answers_each_url_as_recall_does(store: Store) -> None:
    memory = store.memory
    record = synthetic_record("批局", 2024)
    store.add(raw_bytes(record), record, {"url": "https://m/report.html", "etag": '"r"'})
    store.add("关于某事项的函".encode(), None, {"url": "https://m/letter.html", "last_modified": "Mon"})
    store.add_error(b"%PDF-1.4 broken", {"url": "https://m/broken.pdf"}, "pdf: no text layer")
    memory.remember_pages(
        [page_row("https://m/list.html", etag='"l"', last_modified=None, children=[child(1)], document=False)]
    )
    memory.remember_pages(
        [page_row("https://m/report.html", etag='"r"', last_modified=None, children=[child(2)], document=True)]
    )
    urls = ["https://m/list.html", "https://m/report.html", "https://m/letter.html", "https://m/broken.pdf",
            "https://m/never.html", "https://m/list.html"]  # fmt: skip
    many = memory.recall_many(urls)
    assert many == [memory.recall(u) for u in urls]
    report, letter = sha256(raw_bytes(record)).hexdigest(), sha256("关于某事项的函".encode()).hexdigest()
    assert many[:3] == [Remembered('"l"', None, False, False, (child(1),)), Remembered('"r"', None, True, True,
                        (child(2),), report), Remembered(None, "Mon", True, False, (), letter)]  # fmt: skip
    assert many[3:5] == [None, None]


def test_page_rows_go_in_the_documents_transaction_and_the_latest_row_of_a_url_wins(store: Store) -> None:
    writer = BatchWriter(_Ext(store), size=16)  # type: ignore[arg-type]
    record = synthetic_record("组局", 2024)

    async def crawl() -> list[Any]:
        rows = [writer.remember(page_row(f"https://m/list_{k}.html", etag=f'"{k}"', last_modified=None,
                                         children=[child(k)], document=False)) for k in range(5)]  # fmt: skip
        again = writer.remember(page_row("https://m/list_1.html", etag='"1b"', last_modified=None, children=[],
                                         document=False))  # fmt: skip
        stored = await writer.add(Addition(raw_bytes(record), record, {"url": "https://m/nb.html"}))
        await writer.drain()
        return [*(await asyncio.gather(*rows, again)), stored]

    out = asyncio.run(crawl())
    assert out[:6] == [None] * 6 and out[6].report == "new"
    # The first row alone (nothing was being written), then the other five rows and the document together.
    assert writer.batches == 2
    known = store.memory.recall_many([f"https://m/list_{k}.html" for k in range(5)])
    assert [k.etag for k in known if k] == ['"0"', '"1b"', '"2"', '"3"', '"4"']
    assert known[1] == Remembered('"1b"', None, False, False, ())


def test_a_page_row_the_store_refuses_is_lost_alone(store: Store) -> None:
    writer = BatchWriter(_Ext(store), size=8)  # type: ignore[arg-type]
    bad = page_row("https://m/bad.html", etag=None, last_modified=None, children=[], document=False)
    bad["url"] = None  # NOT NULL: the store refuses this row

    async def crawl() -> list[Any]:
        first = writer.remember(page_row("https://m/a.html", etag=None, last_modified=None, children=[],
                                         document=False))  # fmt: skip
        refused = writer.remember(bad)
        kept = writer.remember(page_row("https://m/b.html", etag='"b"', last_modified=None, children=[],
                                        document=False))  # fmt: skip
        return await asyncio.gather(first, refused, kept, return_exceptions=True)

    first, refused, kept = asyncio.run(crawl())
    assert first is None and kept is None and isinstance(refused, Exception)
    assert store.memory.recall("https://m/b.html") == Remembered('"b"', None, False, False, ())


@pytest.mark.parametrize(
    "body",
    [
        "索取方式见下 当前位置：首页 索 引 号： 11320800MB1C53279A/2024-00012 发布日期",
        "索" + " " * 500 + "引号：" + "\n" * 400 + "ABC123/2024-1 正文",
        "\uf96a引号：3208000001-2024-00001 正文",  # a compatibility form of 索
        "索引号：１１３２０８００ＭＢ/２０２４ 全角",
        "索引号 无 索引号：x1 索引号：ZZ2024-0000001",
        "文中提到索引但没有编号",
        "索引号：" + "9" * 80,
    ],
)
def test_the_index_number_read_from_a_window_is_that_of_the_whole_text(body: str) -> None:
    whole = re.search(r"索\s*引\s*号\s*[:：]?\s*([0-9A-Za-z][0-9A-Za-z\-/_.]{5,60})", compact(body))
    expected = whole.group(1) if whole else None
    sel = Selector(text=f"<html><body><p>{body}</p></body></html>")
    assert index_number(sel, body)[0] == expected
