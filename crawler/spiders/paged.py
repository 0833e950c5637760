"""Paged lists in the `annual_reports` spider: the request for a page of a `ListCall`, the next page while a page
shows new links, list API answers, the script files a list call waits for, and a POST the site refuses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response, TextResponse

from .. import discovery as D
from ..answers import read_answer
from ..paging import ListCall
from ..registry import Site
from ..scripts import fill, fill_text, missing_names

BIG_ANSWER = 1 << 20
"""A list answer longer than this (in chars; 1 MB holds about 4,000 JSON articles) is read in a thread."""


class PagedLists:
    """The spider's paged-list callbacks and helpers (mixed into `AnnualReportsSpider`)."""

    crawler: Any
    seen_links: set[int]
    _request: Any
    _follow_link: Any
    _remember: Any
    _replay: Any

    def _new_links(self, links: list[D.Link]) -> tuple[int, int]:
        """Return how many of `links` no page or answer had shown before (and note them as shown), and how many
        of those are titled as reports."""
        new = reports = 0
        for lk in links:
            key = hash(lk.url)
            if key not in self.seen_links:
                self.seen_links.add(key)
                new += 1
                reports += D.is_report_title(lk.text) or D.is_cut_report_title(lk.text)
        return new, reports

    def _list_request(
        self, site: Site, call: ListCall, n: int, depth: int, column: str | None, barren: int = 0
    ) -> scrapy.Request | None:
        """Return the request for page `n` of a paged list; its context carries the list, to ask for page n+1, and
        how many of its pages before showed no new report (`barren`, for the pager cap)."""
        req = call.page(n)
        callback = self.parse_page if call.path_stem is not None else self.parse_list
        context = {"column": column, "pager": call.to_dict(), "page": n, "barren": barren}
        return self._request(site, req.url, role="list", depth=depth, context=context, callback=callback,
                             method=req.method, form=req.form, json_body=req.json_body)  # fmt: skip

    def _first_pages(
        self, site: Site, call: ListCall, n: int, depth: int, column: str | None
    ) -> Iterator[scrapy.Request | None]:
        """Yield the request for the list's first page; where its number is a guess (0), page 1 as well."""
        yield self._list_request(site, call, n, depth, column)
        if call.guessed and n == 0:
            yield self._list_request(site, call, 1, depth, column)

    def _next_page(self, response: Response, site: Site, new: tuple[int, int]) -> Iterator[scrapy.Request | None]:
        """Yield the request for the next page of the list this answer is a page of, while it showed new links
        (`new`: links, of which reports), and while fewer than `MAX_PAGES` (the site's `max_list_pages`) of its pages
        showed no new report."""
        context = response.meta["context"]
        if "pager" not in context:
            return
        call = ListCall.from_dict(context["pager"])
        n = int(context["page"]) + 1
        if not new[0]:
            return
        barren = int(context.get("barren", 0)) + (not new[1])
        cap = site.overrides.get("max_list_pages")
        if call.has_page(n, barren, cap):
            yield self._list_request(site, call, n, response.meta["depth"], context.get("column"), barren)
        elif call.capped(n, barren, cap):  # the list goes on past the pager cap: said in the summary, not cut silently
            self.crawler.stats.inc_value(f"site/{site.site_id}/budget_list_cap")

    def _as_get(self, request: scrapy.Request, response: Response | None) -> scrapy.Request | None:
        """Return the GET form of a paged list's POST that the site refused as a method (404/405/501), or None."""
        pager = (request.meta.get("context") or {}).get("pager")
        if not pager or request.method != "POST" or response is None or response.status not in (404, 405, 501):
            return None
        call = ListCall.from_dict(pager)
        call.method, call.in_query = "GET", ()
        context = request.meta["context"]
        return self._list_request(request.meta["site"], call, int(context["page"]), request.meta["depth"],
                                  context.get("column"), int(context.get("barren", 0)))  # fmt: skip


    async def parse_list(self, response: Response) -> AsyncIterator[Any]:
        """Yield the requests of the entries of a list API's answer (JSON, JSONP, XML datastore, HTML fragment)
        and of the list's next page while this one showed new entries."""
        site: Site = response.meta["site"]
        self.crawler.stats.inc_value(f"site/{site.site_id}/pages")
        if response.status == 304:
            for out in self._replay(response, site):
                yield out
            return
        body = response.text if isinstance(response, TextResponse) else response.body.decode("utf-8", "replace")
        if len(body) > BIG_ANSWER:  # read beside the reactor: other sites' pages go on meanwhile
            answer = await asyncio.to_thread(read_answer, response.url, body)
        else:
            answer = read_answer(response.url, body)
        links = answer.links
        if answer.cut:  # an answer too large to read whole: said in the summary, not cut silently
            self.crawler.stats.inc_value(f"site/{site.site_id}/budget_answer_cut")
        column = response.meta["context"].get("column")
        depth = response.meta["depth"]
        children = [r for lk in links for r in self._follow_link(site, lk, depth, column, None, None, True)]
        children += list(self._next_page(response, site, self._new_links(links)))
        kept = [c for c in children if c is not None]
        self._remember(response, kept, document=False)
        for child in kept:
            yield child

    async def parse_script(self, response: Response) -> AsyncIterator[Any]:
        """Yield the list requests that waited for a setting this script file of the site defines."""
        site: Site = response.meta["site"]
        self.crawler.stats.inc_value(f"site/{site.site_id}/pages")
        if response.status == 304:
            for out in self._replay(response, site):
                yield out
            return
        text = response.body[: 2 * 1024 * 1024].decode(response.encoding if isinstance(response, TextResponse)
                                                       else "utf-8", errors="replace")  # fmt: skip
        context = response.meta["context"]
        kept = []
        for data, n in context.get("pending") or ():
            call = ListCall.from_dict(data)
            call.params = fill(call.params, text)
            call.url = urljoin(context.get("page_url") or response.url, fill_text(call.url, text))
            if urlsplit(call.url).netloc.lower() != urlsplit(response.url).netloc.lower():
                continue  # a helper pointing at another host: not this site's list
            if not missing_names(call.url, call.params):
                kept += [r for r in self._first_pages(site, call, int(n), response.meta["depth"], context.get("column"))
                         if r is not None]  # fmt: skip
        self._remember(response, kept, document=False)
        for req in kept:
            yield req

    parse_xml = parse_list  # names a crawl memory written before parse_list may hold
    parse_json = parse_list
