"""The crawl memory in the `annual_reports` spider: each parsed GET page remembered with the requests it led to,
and a page answering 304 replayed from what the memory holds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

import scrapy
from scrapy.http import Response

from storage.memory import Remembered, page_row

from ..items import UnchangedItem
from ..paging import ListCall
from ..registry import Site
from ..store import StoreExtension, StoreFailed


class RememberedPages:
    """The spider's incremental crawling (mixed into `AnnualReportsSpider`)."""

    crawler: Any
    logger: Any
    store: StoreExtension | None
    _request: Any
    _list_request: Any
    count_cut: Any

    def _remember(
        self,
        response: Response,
        children: list[scrapy.Request],
        document: bool,
        parts: list[dict[str, Any]] = (),
        cut: dict[str, Any] | None = None,
    ) -> None:
        """Queue the page for the crawl memory with the requests it led to (a GET only; without a store nothing),
        written with the next batch of the store's writes (crawler/store_batch.py).

        `document` True is for a report page: it is done only once its own fetch is stored. `parts`: the rows of
        the pages a report cut into pages was assembled from (`parts.part_row`), kept among its children and asked
        again when the first page answers 304 (`ReportParts._parts_changed`), never replayed as requests. `cut`:
        the script lists and files the page's caps left out, counted again when it answers 304 (role `cut`).
        """
        if self.store is None or response.request is None or response.request.method != "GET":
            return
        kept = [
            {
                "url": c.url,
                "role": c.meta["role"],
                "context": c.meta["context"],
                "cb": c.callback.__name__,
                "method": c.method,
                "form": c.body.decode("latin-1") if c.method == "POST" else None,
            }
            for c in children
        ] + list(parts)
        if cut:
            kept.append({"url": response.url, "role": "cut", "context": cut, "cb": "parse_page", "method": "GET",
                         "form": None})  # fmt: skip
        etag, modified = header_text(response, b"ETag"), header_text(response, b"Last-Modified")
        # Not waited for: a row the store refuses is logged, and the next crawl fetches the page whole.
        self.store.writer.remember(page_row(response.url, etag=etag, last_modified=modified, children=kept,
                                            document=document, run_id=self.store.run_id))  # fmt: skip

    async def _recall(self, requests: list[scrapy.Request]) -> None:
        """Ask the crawl memory about the GET requests a page led to, all in one query, and leave each answer in
        its meta for the conditional-request middleware (`recalled`: the URL asked about; `remembered`: what the
        memory holds of it). Where the store cannot answer, the middleware asks for each request itself."""
        gets = [r for r in requests if r.method == "GET"]
        if self.store is None or not gets:
            return
        try:
            known = await self.store.run(self.store.memory.recall_many, [r.url for r in gets])
        except StoreFailed as exc:
            self.logger.warning("crawl memory not read for %d requests: %s", len(gets), exc)
            return
        for request, remembered in zip(gets, known, strict=True):
            request.meta["recalled"] = request.url
            if remembered is not None:
                request.meta["remembered"] = remembered

    def _replay(self, response: Response, site: Site) -> Iterator[Any]:
        """A page answered 304: yield what the crawl memory holds of it (`request.meta["remembered"]`): an
        unchanged item for a document, and the requests it led to last time (their own requests are conditional)."""
        known: Remembered | None = response.meta.get("remembered")
        if known is not None and known.document:
            yield self._unchanged(response, site, known)
        else:
            self.crawler.stats.inc_value(f"site/{site.site_id}/lists_unchanged")
        # A report page links its attachments too: they are replayed like a list's entries.
        depth = response.meta["depth"]
        for child in known.children if known is not None else ():
            if child.get("role") in ("part", "pictured"):  # a part: asked by the 304 handler already; pictured: kept
                continue
            if child.get("role") == "cut":  # left out by the page's caps last time: still left out
                self.count_cut(site.site_id, child["context"])
                continue
            pager = (child.get("context") or {}).get("pager")
            if pager:
                context = child["context"]
                req = self._list_request(site, ListCall.from_dict(pager), int(context["page"]), depth + 1,
                                         context.get("column"), int(context.get("barren", 0)))  # fmt: skip
                if req is not None:
                    yield req
                continue
            post = child["method"] == "POST"
            req = self._request(site, child["url"], role=child["role"], depth=depth + 1, context=child["context"],
                                callback=getattr(self, child["cb"], self.parse_page), method=child["method"],
                                form=dict(_form(child["form"])) if post else None)  # fmt: skip
            if req is not None:
                yield req


    def _unchanged(self, response: Response, site: Site, known: Remembered) -> UnchangedItem:
        """Return the unchanged item of a document URL whose stored fetch still holds (`known`), counted."""
        self.crawler.stats.inc_value(f"site/{site.site_id}/documents_unchanged")
        if known.report:
            self.crawler.stats.inc_value(f"site/{site.site_id}/reports_known")
        return UnchangedItem(site=site.site_id, source_url=response.url)  # its fetch time moves forward


def header_text(response: Response, name: bytes) -> str | None:
    """Return a response header as text (latin-1, as HTTP has it), or None where it was not sent."""
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _form(body: str | None) -> list[tuple[str, str]]:
    """Return the (name, value) pairs of a form body as a remembered POST request had it."""
    return parse_qsl(body or "", keep_blank_values=True)
