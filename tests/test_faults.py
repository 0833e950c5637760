"""Faults nobody foresaw (crawler/faults.py): one line each, counted for their site, never a traceback. A callback's
is crawled for real in tests/test_crawl_robustness.py (JSON nested past the recursion limit)."""

from __future__ import annotations

import logging
import sys

from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from crawler.faults import OneLine, raised_at
from crawler.items import DocumentItem
from crawler.run import attention
from crawler.settings import EXTENSIONS, SPIDER_MIDDLEWARES


def test_a_document_a_pipeline_step_failed_on_is_counted_not_stored_and_needs_attention() -> None:
    from crawler.extensions import site_summary
    from crawler.faults import ItemFaults

    crawler = get_crawler()
    faults = ItemFaults.from_crawler(crawler)
    item = DocumentItem(site="s", url="http://a.gov.cn/nb/1.pdf", body=b"%PDF-1.4", status=200)
    try:
        raise KeyError("cells")
    except KeyError:
        failure = Failure()
    faults.failed(item=item, response=None, spider=None, failure=failure)
    assert crawler.stats.get_value("site/s/not_stored") == 1
    [row] = site_summary(crawler.stats.get_stats(), ["s"])
    assert "1 document(s) not stored" in attention({"sites": [row]})["s"]


def test_scrapys_error_lines_keep_the_exceptions_first_line_not_its_traceback() -> None:
    try:
        raise RecursionError("maximum recursion depth exceeded\nwhile decoding")
    except RecursionError:
        record = logging.LogRecord("scrapy.core.scraper", logging.ERROR, __file__, 1, "Spider error processing %s",
                                   ("<GET http://a/>",), sys.exc_info())  # fmt: skip
    assert OneLine().filter(record) and record.exc_info is None
    text = logging.Formatter().format(record)
    assert text.startswith("Spider error processing <GET http://a/>: RecursionError: maximum recursion depth "
                           f"exceeded at {__file__}:")  # fmt: skip
    assert raised_at(ValueError()) == "" and "Traceback" not in text
    try:
        raise KeyError("x")
    except KeyError:
        unfit = logging.LogRecord("x", logging.ERROR, __file__, 1, "%s and %s", ("one",), sys.exc_info())
    assert OneLine().filter(unfit) and logging.Formatter().format(unfit).startswith("%s and %s: KeyError: 'x' at ")


def test_the_crawl_uses_them() -> None:
    assert SPIDER_MIDDLEWARES["crawler.faults.CallbackFaults"] and "crawler.faults.ItemFaults" in EXTENSIONS


def test_the_one_line_filter_goes_on_scrapys_handler_unless_debugging(monkeypatch) -> None:
    from scrapy.settings import Settings
    from scrapy.utils.log import _uninstall_scrapy_root_handler, get_scrapy_root_handler, install_scrapy_root_handler

    from crawler.faults import one_line_log

    install_scrapy_root_handler(Settings({"LOG_LEVEL": "CRITICAL"}))
    try:
        handler = get_scrapy_root_handler()
        monkeypatch.setenv("NIANBAO_DEBUG", "1")
        one_line_log()
        assert not [f for f in handler.filters if isinstance(f, OneLine)], "NIANBAO_DEBUG=1 keeps the tracebacks"
        monkeypatch.delenv("NIANBAO_DEBUG")
        one_line_log()
        one_line_log()
        assert len([f for f in handler.filters if isinstance(f, OneLine)]) == 1
    finally:
        _uninstall_scrapy_root_handler()
