"""Faults the crawl did not foresee, each said in one line and counted for its site, never a traceback.

Scrapy logs an exception escaping a spider callback or an item pipeline with its traceback and goes on: the page's
links never followed, or the document never stored, and the site's summary none the wiser. Raised by a page
nobody foresaw (JSON nested past Python's recursion limit) or by a fault of ours, each is said the same way:
- a callback's (`CallbackFaults`): an `error` line of the feed naming the page and the exception's first line,
  `site/<id>/errors` and `site/<id>/pages_unread` counted (the site needs attention: exit 1);
- a pipeline's (`ItemFaults`): the document counted `site/<id>/not_stored` (attention: exit 1);
- every log line of the crawl (Scrapy's own too: a refused robots.txt) keeps its message, the exception's first
  line and where it was raised, without the traceback (`NIANBAO_DEBUG=1` keeps tracebacks, as for the CLI).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from typing import Any

from scrapy import signals
from scrapy.exceptions import CloseSpider
from scrapy.utils.log import get_scrapy_root_handler

from storage.sql import error_line

from .items import FetchErrorItem

logger = logging.getLogger(__name__)


def raised_at(exc: BaseException) -> str:
    """Return ` at FILE:LINE` of the innermost frame `exc` was raised from ('' where it carries no traceback)."""
    where = exc.__traceback__
    while where is not None and where.tb_next is not None:
        where = where.tb_next
    return f" at {where.tb_frame.f_code.co_filename}:{where.tb_lineno}" if where is not None else ""


class OneLine(logging.Filter):
    """A log record carrying an exception keeps the exception's first line in its message, not the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            try:
                message = record.getMessage()
            except Exception:  # a message whose arguments do not fit: logging says so itself when it formats it
                message = str(record.msg)
            exc = record.exc_info[1]
            record.msg, record.args = f"{message}: {error_line(exc)}{raised_at(exc)}", ()
            record.exc_info, record.exc_text = None, None
        return True


def one_line_log() -> None:
    """Put `OneLine` on the log handler Scrapy installed for the crawl (if it did, and NIANBAO_DEBUG is not set),
    once: every record it writes, Scrapy's own (a refused robots.txt, a callback's or a pipeline's exception) and
    ours, is one line."""
    handler = get_scrapy_root_handler()
    if handler is None or os.environ.get("NIANBAO_DEBUG"):
        return
    if not any(isinstance(f, OneLine) for f in handler.filters):
        handler.addFilter(OneLine())


class ItemFaults:
    """Extension: a document item that a pipeline step failed on (Scrapy's `item_error`) is counted not stored."""

    def __init__(self, stats: Any) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> ItemFaults:
        ext = cls(crawler.stats)
        crawler.signals.connect(ext.failed, signal=signals.item_error)
        one_line_log()
        return ext

    def failed(self, item: Any, failure: Any = None, **_: Any) -> None:
        """Count the item's document as not stored for its site (items of no site are Scrapy's to log)."""
        document = getattr(item, "document", None)
        site = getattr(item, "site", None) or getattr(document, "site", None)
        if site:
            self.stats.inc_value(f"site/{site}/not_stored")
            url = getattr(item, "url", None) or getattr(document, "url", None) or getattr(item, "source_url", "")
            exc = getattr(failure, "value", None)
            logger.warning("%s: not stored: %s", url, error_line(exc) if exc is not None else "a step failed")


class CallbackFaults:
    """Spider middleware (closest to the spider): an exception a callback raises becomes a `FetchErrorItem`."""

    def __init__(self, stats: Any) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> CallbackFaults:
        one_line_log()
        return cls(crawler.stats)

    def process_spider_exception(self, response: Any, exception: BaseException) -> Iterable[FetchErrorItem] | None:
        """Return the error item of a page whose callback raised, or None (Scrapy's own handling) for a crawl that
        is told to close or a request of no site."""
        site = response.meta.get("site")
        if isinstance(exception, CloseSpider) or site is None:
            return None
        why = f"the page could not be read: {error_line(exception)}"[:300]
        logger.warning("%s: %s%s", response.url, why, raised_at(exception))
        self.stats.inc_value(f"site/{site.site_id}/errors")
        self.stats.inc_value(f"site/{site.site_id}/pages_unread")
        context = response.meta.get("context") or {}
        return [FetchErrorItem(site=site.site_id, source_url=response.url, error=why,
                               list_title=context.get("list_title"), list_date=context.get("list_date"))]  # fmt: skip
