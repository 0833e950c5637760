"""The `annual_reports` spider: finds every annual report a government site publishes.

Discovery is generic first: links are scored by anchor text and URL slug, report pages are classified
positively (report title + parts or table labels), and list mechanisms of the CMS families are
detected from the page (`crawler.families`). Per-site overrides only where a site needs them.

With a store (crawler.store), each parsed page is remembered with the requests it led to, and a page
answering 304 replays them from the crawl memory (`request.meta["remembered"]`, crawler.middlewares).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import unquote, urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, DownloadCancelledError
from scrapy.http import FormRequest, Response, TextResponse

from .. import discovery as D
from ..article_parts import is_book_page, part_of
from ..calls import MAX_CALLS, MAX_SCRIPT_FILES, SearchForm
from ..documents import is_document
from ..extract_pool import PageJob, PageRead, read_page_job, report_item
from ..failures import too_large
from ..hosts import HostGivenUp
from ..items import DocumentItem, FetchErrorItem
from ..middlewares import Blocked, RobotsRefused
from ..page_facts import PageFacts
from ..paging import ListCall
from ..pipelines.dedup import DedupPipeline
from ..pipelines.extract import ExtractPipeline
from ..registry import Site, host_of, load_sites, sites_from_urls
from ..safety import safe_filename
from ..scripts import missing_names
from ..store import StoreExtension
from .learning import BodyLearning
from .memory import RememberedPages, header_text
from .paged import PagedLists
from .parts import ReportParts
from .pictures import ReportPictures, lacks_a_table, pictured_before, pictured_row

DEFAULT_MAX_PAGES = 20000
"""Requests per site besides those its reports earn (`PAGES_PER_REPORT`): what a site may spend on pages that lead
to no report (a calendar without end, a maze of soft 404s) before it is cut. A site that reaches its budget is
reported (`budget hit`, exit 1)."""
PAGES_PER_REPORT = 4
"""Requests each report a site has yielded (new or known) adds to its budget: a platform of 3,000 units asking each
unit's eight last years (`families.unit_year_reports`) makes about 27,000 requests for about 15,000 reports, past
any fixed budget a trap should meet; a report costs 1–2 requests on such a platform and in a list column."""
MAX_HELD = 10000
"""Requests a site may have waiting for room in its page budget; more are refused at once (and counted)."""
DEFAULT_MAX_DEPTH = 10
"""Link hops from a start URL (a list's next page is the same depth): platform → unit list → unit → 信息公开
→ 年报 column → report page → document is 6; nested 目录 trees add a few."""
SEARCH_WORDS = "政府信息公开工作年度报告"
"""What a site's search is asked for where its links led to no report (the reports' standard title)."""
ScriptLists = tuple[list[tuple[ListCall, int]], list[list[Any]], list[str]]
"""A page's script lists to read now, those waiting for a setting (`[call dict, first page]`), and the script files
to look for it in."""
_CD_NAME = re.compile(r"""filename\*\s*=\s*[\w-]+''([^;]+)|filename\s*=\s*"?([^";]+)"?""", re.I)


def reports_yielded(stats: Any, site_id: str) -> int:
    """Return the reports the crawl has had from site `site_id` so far, new or known (its stats)."""
    return stats.get_value(f"site/{site_id}/reports_new", 0) + stats.get_value(f"site/{site_id}/reports_known", 0)


def budget_of(site: Site) -> tuple[int, int]:
    """Return `site`'s page budget as (max_pages, pages_per_report): its `overrides`, else `DEFAULT_MAX_PAGES` and
    `PAGES_PER_REPORT`."""
    return (int(site.overrides.get("max_pages", DEFAULT_MAX_PAGES)),
            int(site.overrides.get("pages_per_report", PAGES_PER_REPORT)))  # fmt: skip


def page_budget(site: Site, reports: int) -> int:
    """Return the requests `site` may make once it has yielded `reports` reports (`budget_of`)."""
    base, per = budget_of(site)
    return base + per * reports


def _filename(response: Response) -> str | None:
    """Return a safe file name for the response: Content-Disposition's, else the URL's last segment, or None."""
    cd = response.headers.get(b"Content-Disposition")
    if cd:
        text = cd.decode("utf-8", errors="replace")
        m = _CD_NAME.search(text)
        if m:
            return safe_filename(unquote(m.group(1) or m.group(2)))
    return safe_filename(unquote(urlsplit(response.url).path.rsplit("/", 1)[-1])) or None


class AnnualReportsSpider(PagedLists, BodyLearning, RememberedPages, ReportParts, ReportPictures, scrapy.Spider):
    """Crawls the given sites' 年报 columns and yields one document item per report document fetched."""

    name = "annual_reports"
    handle_httpstatus_list = (304,)

    def __init__(
        self,
        sites: str | list[Site] | None = None,
        region: str | None = None,
        urls: str | list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        chosen: list[Site] = []
        if isinstance(sites, list):
            chosen = sites
        elif sites:
            chosen = load_sites(sites, region)
        if urls:
            chosen += sites_from_urls(urls.split() if isinstance(urls, str) else list(urls))
        if not chosen:
            raise ValueError("no sites to crawl: give sites=FILE (and region=PREFIX) or urls=URL…")
        self.sites = chosen
        self.named: dict[str, set[str]] = {}
        """host (or host:port) → the sites that name it exactly: another site's host reached through a `*.domain`
        or .gov.cn scope is left to the site that names it (its region and budget are the right ones); a start URL
        is always its own site's."""
        if len(chosen) > 1:
            for site in chosen:
                for host in site.allowed_hosts:
                    if not host.startswith("*."):
                        self.named.setdefault(host, set()).add(site.site_id)
        self.pages: Counter[str] = Counter()
        self.held: dict[str, dict[tuple[str, str, str], scrapy.Request]] = {}
        """Site id → its requests made past its page budget by key (method, URL, body), in order: sent when its
        reports make room, refused (and counted) if the crawl runs out of work first."""
        self.requested: set[tuple[str, str, str]] = set()
        self.seen_links: set[int] = set()
        """The hashes of the link URLs the pages of paged lists have shown: a page showing none new is its list's
        last. Hashes, not URLs: the set lives as long as the crawl."""
        self.store: StoreExtension | None = None
        """The crawl's store, where it has one (found when the crawl starts): parsed pages are remembered in it."""
        self.reader: ExtractPipeline | None = None
        """The crawl's extract pipeline, whose workers read pages (found at the first page)."""
        self.dedup: DedupPipeline | None = None
        """The crawl's dedup pipeline, asked whether a page's bytes were met before it is read."""
        self._looked = False
        self.searches: dict[str, tuple[list[SearchForm], str]] = {}
        """Site id → the site searches the first of its pages to show any showed, with that page's encoding."""
        self.searched: set[str] = set()
        """The sites whose search this crawl asked (or decided not to ask) for the reports."""
        self.cut: dict[str, set[str]] = {}
        """Site id → the keys of the script lists and script files its pages' caps left out, each counted once."""

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> AnnualReportsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.idle, signal=signals.spider_idle)
        return spider

    # -- requests -----------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        self.store = self.crawler.get_extension(StoreExtension)
        for site in self.sites:
            self.crawler.stats.set_value(f"site/{site.site_id}/pages", 0)
            for url in site.start_urls:
                yield self._request(site, url, role="list", depth=0, context={})

    def _named_by_another(self, site: Site, url: str) -> bool:
        """Return True where `url`'s host is named exactly by other sites of this crawl and not by `site`."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        owners = self.named.get(f"{host}:{parts.port}") if parts.port else None
        if owners is None and parts.port in (None, 80, 443):
            owners = self.named.get(host)
        return bool(owners) and site.site_id not in owners

    def _budget(self, site: Site, depth: int) -> str | None:
        """Return why a new request of `site` at `depth` cannot go now: "depth" (refused, counted), "pages" (the
        site's page budget is spent until its reports raise it: the request may wait), or None (its page counted)."""
        if depth > int(site.overrides.get("max_depth", DEFAULT_MAX_DEPTH)):
            self._refused(site.site_id, "depth")
            return "depth"
        if self.pages[site.site_id] >= page_budget(site, reports_yielded(self.crawler.stats, site.site_id)):
            return "pages"
        self.pages[site.site_id] += 1
        return None

    def _refused(self, site_id: str, which: str, n: int = 1) -> None:
        for name in ("budget_refused", f"budget_{which}_refused"):
            self.crawler.stats.inc_value(f"site/{site_id}/{name}", n)

    def release_held(self) -> list[scrapy.Request]:
        """Return the held requests the sites' page budgets now have room for (their pages counted); refuse, and
        count, those of a site whose budget has no room left, as the crawl would end without them."""
        out: list[scrapy.Request] = []
        for sid, waiting in list(self.held.items()):
            site = next(iter(waiting.values())).meta["site"]
            room = page_budget(site, reports_yielded(self.crawler.stats, sid)) - self.pages[sid]
            if room <= 0:
                self._refused(sid, "pages", len(waiting))
                del self.held[sid]
                continue
            for key in list(waiting)[:room]:
                out.append(waiting.pop(key))
                self.requested.add(key)
                self.pages[sid] += 1
            if not waiting:
                del self.held[sid]
        return out

    def idle(self) -> None:
        """When nothing else is left to do, send the held requests the reports made room for, then the site searches
        of sites whose links led to no report (`search_reports`), or end."""
        released = self.release_held() or self.search_reports()
        for request in released:
            self.crawler.engine.crawl(request)
        if released:
            raise DontCloseSpider

    def _reports_of(self, site_id: str) -> int:
        """Return the reports the crawl has had from a site so far."""
        return reports_yielded(self.crawler.stats, site_id)

    def search_reports(self) -> list[scrapy.Request]:
        """Return a search for the reports (SEARCH_WORDS) in each site search of each site whose links led to no
        report, once a crawl (site-patterns §4: a site search fills gaps only); its results
        are read as a 年报 list, their pager included (`site/<id>/searched`)."""
        out: list[scrapy.Request] = []
        stats = self.crawler.stats
        for site in self.sites:
            sid = site.site_id
            found = self.searches.get(sid)
            if found is None or sid in self.searched or self._reports_of(sid):
                continue
            self.searched.add(sid)
            if stats.get_value(f"site/{sid}/blocked") or stats.get_value(f"site/{sid}/given_up"):
                continue
            forms, encoding = found
            for form in forms:
                request = self._request(site, form.url(SEARCH_WORDS, encoding), role="list", depth=1,
                                        context={"column": SEARCH_WORDS, "search": 1})  # fmt: skip
                if request is not None:
                    stats.inc_value(f"site/{sid}/searched")
                    self.logger.info("%s: its links led to no report: asking its site search %s", sid, request.url)
                    out.append(request)
        return out

    def _request(
        self,
        site: Site,
        url: str,
        *,
        role: str,
        depth: int,
        context: dict[str, Any],
        callback: Any = None,
        method: str = "GET",
        form: dict[str, str] | None = None,
        json_body: str | None = None,
        dont_filter: bool = False,
    ) -> scrapy.Request | None:
        canon = D.canonical(url)
        if canon is None:
            return None
        # A report a 年报 list links on another host (a newspaper's flipbook cloud, a file host): that URL, its
        # parts and its attachments are fetched, nothing else of the host.
        lent = context.get("lent_host") if role in ("candidate", "document", "part") else None
        if lent is not None and host_of(canon) != lent:
            lent = None
        if (not site.allows(canon) and lent is None) or (depth and self.named and self._named_by_another(site, canon)):
            self.crawler.stats.inc_value(f"site/{site.site_id}/offsite_links")
            return None
        skip = site.overrides.get("skip")
        if skip and re.search(skip, canon):
            return None
        key = (method, canon, json_body or repr(sorted((form or {}).items())))
        # A URL asked for again costs no budget (the dupefilter drops it) but stays a child of this page,
        # so a list that later answers 304 replays every link it had.
        waiting = self.held.get(site.site_id, {})
        held = False
        if key not in self.requested:
            if key in waiting:
                return None  # held already: one request a URL, sent or refused once
            why = self._budget(site, depth)
            if why == "depth":
                return None
            if why == "pages" and len(waiting) >= MAX_HELD:
                self._refused(site.site_id, "pages")
                return None
            held = why == "pages"
            if not held:
                self.requested.add(key)
        meta = {"site": site, "role": role, "depth": depth, "context": context}
        if lent is not None and not site.allows(canon):
            meta["lent_host"] = lent  # the safety middleware lets this one URL off the site
        cb = callback or self.parse_page
        if method == "POST" and json_body is not None:
            request = scrapy.Request(canon, method="POST", body=json_body.encode("utf-8"), callback=cb, meta=meta,
                                     headers={"Content-Type": "application/json;charset=UTF-8"},
                                     dont_filter=dont_filter, errback=self.failed)  # fmt: skip
        elif method == "POST":
            request = FormRequest(
                canon, formdata=form or {}, callback=cb, meta=meta, dont_filter=dont_filter, errback=self.failed
            )
        else:
            request = scrapy.Request(canon, callback=cb, meta=meta, dont_filter=dont_filter, errback=self.failed)
        if held:  # past the page budget: it waits for the reports still to come to make room (`release_held`)
            self.held.setdefault(site.site_id, {})[key] = request
            self.crawler.stats.inc_value(f"site/{site.site_id}/budget_held")
            return None
        return request

    def failed(self, failure: Any) -> Iterator[FetchErrorItem | scrapy.Request | None]:
        """Count a failed request per site; a report document that could not be fetched becomes an error item."""
        request = failure.request
        site: Site | None = request.meta.get("site")
        # One line: a library's error may carry pages of its own log (Playwright's call log).
        reason = next((line.strip() for line in failure.getErrorMessage().splitlines() if line.strip()),
                      failure.type.__name__)  # fmt: skip
        if site is None or failure.check(Blocked):
            return  # counted by the challenge middleware
        if (request.meta.get("context") or {}).get("search"):
            # A search box that answers nothing readable: the site stays as its links left it (no report: attention).
            self.crawler.stats.inc_value(f"site/{site.site_id}/search_failed")
            self.logger.info("site search of %s failed: %s", site.site_id, reason)
            return
        if failure.check(HostGivenUp):
            # Counted by the host budget (site/<id>/given_up); a report document is still an error line.
            if request.meta.get("role") in ("document", "candidate"):
                yield _error(request.url, request.meta, site, reason)
            return
        if failure.check(DownloadCancelledError) and not self.crawler.crawling:
            return  # in flight when the crawl was stopped: fetched again next time
        response = getattr(failure.value, "response", None)
        retry = self._as_get(request, response)
        if retry is not None:
            yield retry
            return
        if failure.check(RobotsRefused):
            kind = "robots_refused"
        elif response is not None and response.status in (404, 410):
            kind = "broken_links"
        elif too_large(failure):
            kind = "too_large"
            if not str(failure.value).strip():
                # Twisted's bare cancellation of a streamed HTTP/1.1 body says nothing: only the limit does that.
                limit = request.meta.get("download_maxsize", self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
                reason = f"body larger than download max size ({limit}), abandoned while streaming"
            self.logger.warning("abandoned %s: %s", request.url, reason)
        else:
            kind = "errors"
            self.logger.warning("fetch failed %s: %s", request.url, reason)
        self.crawler.stats.inc_value(f"site/{site.site_id}/{kind}")
        if kind in ("too_large", "errors") and request.meta.get("role") in ("document", "candidate"):
            yield _error(request.url, request.meta, site, reason)

    # -- responses ----------------------------------------------------------------------------
    async def parse_page(self, response: Response) -> AsyncIterator[Any]:
        """Yield what a page or document leads to: a document item, the requests of its links, error items."""
        site: Site = response.meta["site"]
        self.crawler.stats.inc_value(f"site/{site.site_id}/pages")
        if response.status == 304:
            known = response.meta.get("remembered")
            parts = [c for c in known.children if c.get("role") == "part"] if known is not None else []
            # A report cut into pages: its first page unchanged says nothing of the others.
            if parts and await self._parts_changed(response, site, parts):
                fresh = await self._fetch_again(response, site)
                if fresh is not None:
                    async for out in self.parse_page(fresh):
                        yield out
                    return
            for out in self._replay(response, site):
                yield out
            return
        if is_document(response.body) or not isinstance(response, TextResponse):
            if is_document(response.body):
                yield self._document(response, site, response.meta["context"])
            return
        context = response.meta["context"]
        limit = self.crawler.settings.getint("DOWNLOAD_MAXSIZE")
        draft = self._document(response, site, context)
        known = response.meta.get("remembered")
        # Only a page that was a document last time is asked about: a question waits for its batch, and a list's
        # next page waits for this one.
        revisit = known is not None and known.document
        # A report page stored with its pictures carried, unchanged: read for its links only, its pictures not again.
        pictured = pictured_before(known, draft.sha256)
        job = PageJob(context, draft, limit, extract=pictured is None)  # the worker decodes the page's text
        read = await self._read_page(job, ask=revisit and pictured is None, listing=response.meta.get("role") == "list")
        facts = read.facts
        if facts is not None and facts.searches and site.site_id not in self.searches:
            self.searches[site.site_id] = (facts.searches, response.encoding)
        if facts is None:
            # Read in part it would pass for a list without links: refused aloud instead, fetched again next time.
            self.crawler.stats.inc_value(f"site/{site.site_id}/errors")
            self.logger.warning("page refused %s: %s", response.url, read.refused)
            yield _error(response.url, response.meta, site, str(read.refused))
            return
        scripted, cut = self._script_lists(site, facts)
        children = [c for c in self._follow(response, site, facts, scripted) if c is not None]
        parts: list[FetchErrorItem] = []
        kept: list[dict[str, Any]] = []
        if pictured is not None:
            kept.append(pictured)
            facts = replace(facts, is_report=True)
        elif facts.part_index == 0 and (facts.is_report or D.is_report_title(facts.title)
                                        or D.is_report_title(context.get("list_title"))):  # fmt: skip
            whole, parts, kept = await self._assemble(response, site, job, facts)
            if whole is not None and whole[1].facts is not None:
                job, read = whole
                facts = replace(read.facts, links=facts.links)  # the report is the whole; its links the page's
        if pictured is None and facts.is_report and facts.pictures and job.extract and lacks_a_table(read):
            carried, errors = await self._with_pictures(response, site, job, facts)
            parts += errors
            if carried is not None and carried[1].facts is not None:
                job, read = carried
                facts = replace(read.facts, links=facts.links)
                kept.append(pictured_row(response.url, draft.sha256, job.draft.sha256))
        if not facts.is_report:
            await self._learn(site, self._sightings(response, site, facts))
        for child in children:  # a document (or report page) linked here carries this page's marks
            if child.meta.get("role") in ("document", "candidate") and facts.marks:
                child.meta["context"]["page_marks"] = facts.marks
        self._remember(response, children, document=facts.is_report, parts=kept, cut=cut)
        await self._recall(children)
        if pictured is not None:
            yield self._unchanged(response, site, known)
        elif facts.is_report:
            item = report_item(job, facts)  # as the worker made it
            item.extracted = read.outcome
            yield item
        for error in parts:
            yield error
        for child in children:
            yield child

    async def _read_page(self, job: PageJob, ask: bool = False, listing: bool = False) -> PageRead:
        """Return what the page says, read by an extraction worker (with a report page's record), or here where the
        crawl has no extract pipeline. Bytes this crawl met at another URL already are read for their links only;
        `ask`: ask the dedup step too whether the store holds them (then their record is not read either); `listing`:
        the page was fetched as a list, and is read ahead of the documents waiting for the workers."""
        if not self._looked:
            self._looked = True
            try:
                self.reader = self.crawler.get_item_pipeline(ExtractPipeline)
                self.dedup = self.crawler.get_item_pipeline(DedupPipeline)
            except RuntimeError:  # no engine: a spider driven by hand
                self.reader = self.dedup = None
        if self.reader is None:
            return read_page_job(replace(job, extract=False))
        if self.dedup is not None and (
            self.dedup.met_in_crawl(job.draft.sha256) or (ask and await self.dedup.met_before(job.draft.sha256))
        ):
            job = replace(job, extract=False)  # a source of bytes met before: its record is not needed
        return await self.reader.read_page(job, listing=listing)

    def _follow(
        self, response: Response, site: Site, facts: PageFacts, scripted: ScriptLists
    ) -> Iterator[scrapy.Request | None]:
        depth = response.meta["depth"]
        column, title, pub = facts.column, facts.title, facts.published_at
        # Only the pages of paged lists are noted (a list's next page is asked while it shows new links).
        next_page = bool(response.meta["context"].get("next_page"))
        lists, pending, files = scripted
        paged = bool(facts.calls or lists or facts.pager) or "pager" in response.meta["context"] or next_page
        pages = set(facts.pager)
        new = self._new_links([lk for lk in [*facts.records, *facts.links] if lk.url not in pages]) if paged else (0, 0)
        for call, n in [*facts.calls, *lists]:
            yield from self._first_pages(site, call, n, depth + 1, column)
        if pending:  # a setting the call needs is defined in one of the site's script files
            for src in files:
                yield self._request(site, src, role="list", depth=depth + 1, callback=self.parse_script,
                                    context={"column": column, "pending": pending, "page_url": response.url})
        lent = response.meta["context"].get("lent_host")
        for lk in [*facts.records, *facts.links]:
            yield from self._follow_link(site, lk, depth, column, title if facts.wrapper else None, pub,
                                         facts.wrapper or facts.listing, lent, facts.is_report)  # fmt: skip
        first = part_of(facts.parts[0]) if facts.part_index and facts.parts else None
        if first is not None and first.index == 0:
            # a later page of a report cut into pages, reached first: the report is read from its first page
            yield self._request(site, facts.parts[0], role="candidate", depth=depth,
                                context={"column": column, "list_title": response.meta["context"].get("list_title")
                                         or title, "list_date": pub})  # fmt: skip
        for url in [*facts.extra_lists, *facts.frames, *facts.year_forms]:
            yield self._request(site, url, role="list", depth=depth + 1, context={"column": column})
        # A pager's pages are the same list, as deep as its first page: followed while a page shows new links.
        if new[0] or not next_page:
            for url in facts.pager:
                yield self._request(site, url, role="list", depth=depth, context={"column": column, "next_page": 1})
        yield from self._next_page(response, site, new)

    def _script_lists(self, site: Site, facts: PageFacts) -> tuple[ScriptLists, dict[str, Any] | None]:
        """Return the script lists of a page to read now (the first `max_list_calls`), those waiting for a setting
        (as `[call dict, first page]`) and the script files to look for it in (the first `max_script_files`), and
        what the caps left out (counted by `count_cut`; kept in the page's crawl-memory row), or None."""
        cap = site.overrides.get("max_list_calls", MAX_CALLS)
        kept = facts.script_lists[:cap]
        ready = [c for c in kept if not missing_names(c[0].url, c[0].params)]
        pending = [[c.to_dict(), n] for c, n in kept if missing_names(c.url, c.params)]
        files = facts.script_files[: site.overrides.get("max_script_files", MAX_SCRIPT_FILES)] if pending else []
        cut = {"calls": [_key(json.dumps(c.to_dict(), sort_keys=True)) for c, _ in facts.script_lists[cap:]],
               "files": [_key(url) for url in facts.script_files[len(files) :]] if pending else [],
               "beyond": facts.script_lists_beyond}  # fmt: skip
        if not (cut["calls"] or cut["files"] or cut["beyond"]):
            return (ready, pending, files), None
        self.count_cut(site.site_id, cut)
        return (ready, pending, files), cut

    def count_cut(self, sid: str, cut: dict[str, Any]) -> None:
        """Count the script lists and files a page's caps left out (`cut`: their keys, and how many lists the page
        did not even name) that no page of the site left out before (`budget_calls_cut`, `budget_scripts_cut`): a
        template's widgets are on every page of a site."""
        seen = self.cut.setdefault(sid, set())
        for kind, stat in (("calls", "budget_calls_cut"), ("files", "budget_scripts_cut")):
            fresh = {f"{kind}:{k}" for k in cut[kind]} - seen
            seen |= fresh
            # Lists past those a page named have no keys: counted with the first page to cut new ones.
            n = len(fresh) + (cut["beyond"] if kind == "calls" and fresh else 0)
            if n:
                self.crawler.stats.inc_value(f"site/{sid}/{stat}", n)

    def _follow_link(
        self,
        site: Site,
        lk: D.Link,
        depth: int,
        column: str | None,
        wrapper_title: str | None,
        pub: str | None,
        in_list: bool,
        lent: str | None = None,
        on_report: bool = False,
    ) -> Iterator[scrapy.Request | None]:
        text = lk.text
        bare = re.sub(r"\s+", "", text)
        if text and D.NOT_REPORT.search(bare) and not D.is_report_title(text) and not D.PORTAL_WORDS.search(bare):
            if D.beside_report(text) and lk.kind == "page":
                # A 解读 or 公布情况 page often links the report (or a twin of it): read it, never take it.
                yield self._request(site, lk.url, role="list", depth=depth + 1, context={"column": column})
            return
        follow = site.overrides.get("follow")
        forced = bool(follow and re.search(follow, lk.url))
        context = {"column": column, "list_title": text or wrapper_title, "list_date": lk.date or pub}
        host = host_of(lk.url)
        if lent == host or (in_list and lk.date and not site.allows(lk.url) and _lendable(host, text)):
            context["lent_host"] = host  # a report on another host, named by this list (or reached through one)
        if lk.kind == "document":
            if D.is_report_title(text) or wrapper_title or forced or (in_list and not text):
                if wrapper_title and not D.is_report_title(text):
                    context["list_title"] = wrapper_title
                if on_report:
                    context["from_report_page"] = True  # a report page: it may hold what the document does not show
                yield self._request(site, lk.url, role="document", depth=depth + 1, context=context)
            return
        if wrapper_title and is_book_page(lk.url):  # a flipbook's text version: the report is its pages
            yield self._request(site, lk.url, role="candidate", depth=depth + 1,
                                context={**context, "list_title": wrapper_title})  # fmt: skip
        elif D.is_report_title(text) or forced or D.is_cut_report_title(text):
            yield self._request(site, lk.url, role="candidate", depth=depth + 1, context=context)
        elif D.score_link(lk.url, text) >= 5:
            unit = {"unit": bare} if D.ORGAN_NAME.search(bare) else {}
            yield self._request(site, lk.url, role="list", depth=depth + 1,
                                context={"column": text or column, **unit})  # fmt: skip

    # -- items --------------------------------------------------------------------------------
    def _document(self, response: Response, site: Site, context: dict[str, Any]) -> DocumentItem:
        """Return the document item of a fetched document or report page, with what the crawl knew of it."""
        return DocumentItem(
            site=site.site_id,
            region_code=site.region_code or None,
            region_name=site.region_name or None,
            url=response.url,
            status=response.status,
            body=response.body,
            content_type=(response.headers.get(b"Content-Type") or b"").decode("latin-1"),
            charset=response.encoding if isinstance(response, TextResponse) else None,
            filename=_filename(response),
            etag=header_text(response, b"ETag"),
            last_modified=header_text(response, b"Last-Modified"),
            **DocumentItem.context_fields(context),
        )


_YEAR = re.compile(r"(?:19|20)\d{2}")
_MIRROR = re.compile(r"\.gov\.cn\.", re.I)


def _lendable(host: str, title: str) -> bool:
    """Return True where a dated list entry linking `host` (not the site's) under `title` may be followed as a
    report kept on another host: titled as one report (a year in it, not a column's name) and not a mirror's copy
    (`www.a.gov.cn.example.com`). Spam injected into a list (a hidden link to a mirror under a report's title) carries
    no date."""
    return bool(D.is_report_title(title) and _YEAR.search(title)) and not _MIRROR.search(host)


def _error(url: str, meta: dict[str, Any], site: Site, reason: str) -> FetchErrorItem:
    """Return the feed's error item for a page or document at `url` that could not be had."""
    context = meta.get("context") or {}
    return FetchErrorItem(site=site.site_id, source_url=url, error=reason[:300], list_title=context.get("list_title"),
                          list_date=context.get("list_date"))  # fmt: skip


def _key(text: str) -> str:
    """Return a key of `text` that is the same in every process and run (str hashes are salted per process)."""
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
