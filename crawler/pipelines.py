"""Item pipeline: each fetched document goes through `extractors`, then into storage (NIANBAO_DB).

The first URL of given bytes is extracted; later URLs of the same bytes become `source` items
pointing at it, so every URL a report was found at is kept and nothing is extracted twice.
Documents that are not annual reports are dropped from the feed (kept in storage as such);
unreadable ones become `error` items, recorded against that document. A document the store could not
write (disk full, database gone) becomes an `error` item "not stored: …", is counted per site as
`not_stored` and is not marked done, so the next crawl fetches it again.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from typing import Any

from scrapy import signals
from scrapy.exceptions import DropItem
from twisted.internet import task, threads

from extractors import ExtractionError, extract

HEARTBEAT_S = 60


class NotStored(Exception):
    """The store refused a write; the message is its one-line reason."""


def _one_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return f"{type(orig).__name__}: {lines[0]}" if lines else type(orig).__name__


SOURCE_KEYS = ("site", "region_code", "region_name", "list_title", "list_date", "column", "etag", "last_modified")


class ExtractPipeline:
    """Turns document items into report records and stores them."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.first_url: dict[str, str] = {}
        self.max_bytes = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        self.store: Any = None
        self.run_id: int | None = None
        self._beat: task.LoopingCall | None = None
        db = crawler.settings.get("NIANBAO_DB")
        if db:
            from storage import Store

            self.store = Store(db, crawler.settings.get("NIANBAO_BLOBS") or None)
            self.store.migrate()

    @classmethod
    def from_crawler(cls, crawler: Any) -> ExtractPipeline:
        pipe = cls(crawler)
        crawler.signals.connect(pipe.opened, signal=signals.spider_opened)
        crawler.signals.connect(pipe.closed, signal=signals.spider_closed)
        return pipe

    def opened(self, spider: Any) -> None:
        if self.store is not None:
            self.run_id = self.store.start_run([s.site_id for s in spider.sites])
            self._beat = task.LoopingCall(self._heartbeat)
            self._beat.start(HEARTBEAT_S, now=False)

    def _heartbeat(self) -> Any:
        def beat() -> None:
            try:
                self.store.beat(self.run_id)
            except Exception as exc:  # a lost heartbeat only makes the run look silent; the crawl goes on
                self.crawler.spider.logger.warning("crawl run heartbeat not stored: %s", _one_line(exc))

        return threads.deferToThread(beat)

    def closed(self, spider: Any, reason: str) -> None:
        if self._beat is not None and self._beat.running:
            self._beat.stop()
        if self.store is not None and self.run_id is not None:
            stats = {k: v for k, v in self.crawler.stats.get_stats().items() if isinstance(v, int | float | str)}
            status = {"finished": "finished", "shutdown": "interrupted"}.get(reason, reason[:16])
            try:
                self.store.finish_run(self.run_id, stats, status=status)
            except Exception as exc:  # the next run marks this one interrupted; say so once
                spider.logger.error("crawl run %s: end not recorded in the store: %s", self.run_id, _one_line(exc))
                self.crawler.stats.set_value("store/run_not_recorded", _one_line(exc))
            self.store.close()

    def _source(self, item: dict[str, Any]) -> dict[str, Any]:
        src = {k: item.get(k) for k in SOURCE_KEYS}
        src.update(url=item["url"], fetched_at=time.time(), status=item.get("status"), run_id=self.run_id,
                   published_at=item.get("published_at"), content_type=item.get("content_type"))  # fmt: skip
        return src

    async def _store(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Return what the store's `method` returns; raise NotStored with one line where the write failed."""
        if self.store is None:
            return None
        try:
            return await asyncio.to_thread(getattr(self.store, method), *args, **kwargs)
        except Exception as exc:  # disk full, read-only folder, database gone: counted, never lost silently
            raise NotStored(_one_line(exc)) from exc

    def _not_stored(self, item: dict[str, Any], base: dict[str, Any], exc: NotStored) -> dict[str, Any]:
        """Count a failed store write and return the error item that records it in the feed."""
        self.stats.inc_value(f"site/{item['site']}/not_stored")
        if base.get("raw_sha256") and self.first_url.get(base["raw_sha256"]) == base["source_url"]:
            del self.first_url[base["raw_sha256"]]  # a later URL of these bytes must try to store them again
        self.stats.set_value("store/last_error", str(exc))
        self.crawler.spider.logger.error("not stored %s: %s", item.get("url") or item.get("source_url"), exc)
        return {"kind": "error", **base, "error": f"not stored: {exc}"}

    async def _unchanged(self, item: dict[str, Any]) -> dict[str, Any]:
        """A document answered 304: move its URL's fetch time forward; fetch it whole if the store lacks it."""
        again = item.pop("_refetch", None)
        if self.store is None:
            return item
        touched = await self._store("touch", item["source_url"], time.time(), self.run_id)
        if not touched and again is not None:
            # The state file knows this URL but this database does not (a new --db): nothing may be lost.
            self.stats.inc_value(f"site/{item['site']}/refetched")
            self.crawler.engine.crawl(again)
        return item

    async def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        if item.get("kind") == "unchanged":
            try:
                return await self._unchanged(item)
            except NotStored as exc:
                return self._not_stored(item, {"site": item["site"], "source_url": item["source_url"]}, exc)
        if item.get("kind") != "document":
            return item
        base = {"site": item["site"], "source_url": item["url"], "raw_sha256": None}
        try:
            return await self._document(item, base)
        except NotStored as exc:
            return self._not_stored(item, base, exc)

    async def _document(self, item: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
        """Return the feed item of a fetched document (report, source or error) after storing it."""
        body: bytes = item.pop("body")
        sha = hashlib.sha256(body).hexdigest()
        site = item["site"]
        state = getattr(self.crawler, "crawl_state", None)
        media = (item.get("content_type") or "").split(";")[0].strip() or None
        base.update(raw_sha256=sha, etag=item.get("etag"), last_modified=item.get("last_modified"))
        seen_now = sha in self.first_url
        known = seen_now or (state is not None and state.known_document(sha))
        if known and not seen_now and self.store is not None:
            # The state file may come from a crawl into another database: only the store's word counts.
            known = await self._store("known_document", sha)
        if known:
            # These bytes were handled already (this crawl or an earlier one): only the URL is news.
            self.first_url.setdefault(sha, item["url"])
            self.stats.inc_value(f"site/{site}/{'duplicate_urls' if seen_now else 'reports_known'}")
            await self._store("add", body, None, self._source(item), media)
            return {"kind": "source", **base, "same_as": self.first_url[sha], "known": not seen_now}
        self.first_url[sha] = item["url"]
        context = {k: item.get(k) for k in ("region_code", "region_name", "list_title", "column")}
        context.update(source_url=item["url"], site=site, published_at=item.get("published_at"))
        try:
            record = await asyncio.to_thread(
                extract, body, name=item.get("filename"), media_type=media, charset=item.get("charset"),
                context=context, max_bytes=self.max_bytes,
            )  # fmt: skip
        except ExtractionError as exc:
            if exc.reason.startswith("not an annual report"):
                self.stats.inc_value(f"site/{site}/not_reports")
                await self._store("add", body, None, self._source(item), media)
                if state is not None:
                    state.document_done(item["url"], sha, item.get("etag"), item.get("last_modified"), report=False)
                raise DropItem(f"{item['url']}: {exc.reason}") from None
            self.stats.inc_value(f"site/{site}/errors")
            await self._store("add_error", body, self._source(item), exc.reason, media)
            return {"kind": "error", **base, "error": exc.reason}
        result = await self._store("add", body, record, self._source(item), media)
        if result is not None and result.report in ("known",):
            self.stats.inc_value(f"site/{site}/reports_known")
        else:
            self.stats.inc_value(f"site/{site}/reports_new")
        out = {"kind": "report", **base, **record, "list_date": item.get("list_date"), "filename": item.get("filename")}
        if result is not None:
            out.update(report_id=result.report_id, seq=result.seq, stored=result.report)
        return out
