"""Downloader middlewares: challenge detection, robots.txt, encoding sanity, retry backoff, conditional requests.

A request the crawl refuses fails with an exception of its own type (`Blocked`, `RobotsRefused`), so the
spider tells refusals apart by type, never by their wording.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Headers, Response, TextResponse
from scrapy.responsetypes import responsetypes
from scrapy.robotstxt import RobotParser

from extractors import ExtractionError
from extractors import canonical_charset as canonical
from extractors import decode_text as decode

from .browser import CHALLENGE_STATUSES, WAIT_MS, fetched_document, launch_failed, through_browser, timed_out
from .documents import is_document
from .registry import host_of
from .store import StoreExtension, StoreFailed

logger = logging.getLogger(__name__)

# 瑞数 (412 + $_ts), 加速乐/创宇盾 (521/512 + __jsl_clearance), and 200 block pages of WAFs.
_RUISHU = re.compile(rb"\$_ts\s*=|\$_ts\[|window\[['\"]\$_ts", re.I)
_JSL = re.compile(rb"__jsl_clearance|__jsluid", re.I)
_BLOCK_PAGE = re.compile("当前访问疑似黑客攻击|访问异常|您的访问已被拦截|安全威胁|WAF拦截|请开启JavaScript并刷新")


class Blocked(IgnoreRequest):
    """A request refused because its host answered with an anti-bot challenge or block page (now or before)."""


class RobotsRefused(IgnoreRequest):
    """A request refused by the host's robots.txt."""


def challenge_reason(response: Response) -> str | None:
    """Return why a response is an anti-bot challenge or block page, or None for a normal response."""
    head = response.body[:20000]
    cookies = b" ".join(response.headers.getlist(b"Set-Cookie"))
    if response.status == 412 and (_RUISHU.search(head) or b"$_ts" in head):
        return "412 $_ts (瑞数 dynamic-cookie challenge)"
    if response.status in (521, 512) and (_JSL.search(head) or _JSL.search(cookies)):
        return f"{response.status} __jsl_clearance (加速乐 challenge)"
    if response.status == 200 and len(head) < 20000 and isinstance(response, TextResponse):
        text = response.text  # in the page's own encoding (a GBK block page read as UTF-8 says nothing)
        if _BLOCK_PAGE.search(text) and "政府信息公开" not in text:
            return "WAF block page"
    if response.status in (403, 412, 429, 521) and (_RUISHU.search(head) or _JSL.search(head)):
        return f"{response.status} challenge script"
    return None


class ChallengeMiddleware:
    """Detects challenge pages, counts them per host and site, and never lets them reach the spider: the request
    fails with `Blocked`, and so does every later request to that host.

    With `--browser` (NIANBAO_BROWSER) a host's first challenge hands the host to Chromium instead
    (crawler/browser.py): the request is asked again there, and so is every later request to that host; only a
    challenge the browser does not pass blocks the host."""

    def __init__(self, crawler: Any) -> None:
        self.stats = crawler.stats
        self.blocked: dict[str, str] = {}
        """host → why it is blocked (the first challenge it answered)."""
        self.browser = crawler.settings.getbool("NIANBAO_BROWSER")
        """Whether challenge hosts are read through Chromium."""
        self.browsed: dict[str, str] = {}
        """host → the challenge it answered, for hosts read through Chromium."""
        self.limit = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        """The largest document fetched (bytes; 0: no limit)."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> ChallengeMiddleware:
        return cls(crawler)

    def process_request(self, request: Any) -> None:
        host = host_of(request.url)
        if host in self.blocked and not request.url.endswith("/robots.txt"):
            self._count(request, host, self.blocked[host])
            raise Blocked(f"{host} is blocked: {self.blocked[host]}")
        if host in self.browsed and not request.meta.get("playwright") and not request.url.endswith("/robots.txt"):
            through_browser(request.meta, request.url, self.limit)

    def process_response(self, request: Any, response: Response) -> Response | Any:
        browsed = bool(request.meta.get("playwright"))
        if browsed and (fetched := fetched_document(request.meta)) is not None:
            if isinstance(fetched, str):
                raise IgnoreRequest(f"document {request.url} {fetched}")
            status, headers, body = fetched  # the document's bytes, not Chromium's viewer of them
            cls = responsetypes.from_args(headers=Headers(headers), url=request.url, body=body)
            response = cls(url=request.url, status=status, headers=Headers(headers), body=body, request=request,
                           flags=["playwright"])  # fmt: skip
        reason = challenge_reason(response)
        if reason is None:
            if browsed and response.status in CHALLENGE_STATUSES:
                # The status is the challenge's (Chromium's first answer); the page it then loaded passed.
                return response.replace(status=200)
            return response
        host = host_of(request.url)
        if self.browser and not browsed and host not in self.blocked:
            if host not in self.browsed:
                self.browsed[host] = reason
                logger.info("challenge from %s (%s): read through the browser from now on", host, reason)
            self.stats.inc_value(f"browser/{host}")
            site = request.meta.get("site")
            if site is not None:
                self.stats.set_value(f"site/{site.site_id}/browser", reason)
            retry = request.replace(dont_filter=True)
            through_browser(retry.meta, retry.url, self.limit)
            return retry
        if browsed:
            reason = f"{reason}, not passed in the browser"
        self.blocked.setdefault(host, reason)
        self._count(request, host, reason)
        raise Blocked(f"challenge from {host}: {reason}")

    def process_exception(self, request: Any, exception: BaseException) -> None:
        host = host_of(request.url)
        if not request.meta.get("playwright") or host not in self.browsed:
            return
        if timed_out(exception):
            # Chromium waited WAIT_MS for the challenge to pass: the host is blocked, as without a browser.
            reason = f"{self.browsed[host]}, not passed in the browser within {WAIT_MS // 1000} s"
        elif (why := launch_failed(exception)) is not None:
            reason = f"{self.browsed[host]}, and the browser could not start: {why}"
            logger.error("the browser could not start (%s): %s is blocked", why, host)
        else:
            return
        self.blocked.setdefault(host, reason)
        self._count(request, host, reason)
        raise Blocked(f"challenge from {host}: {reason}") from None

    def _count(self, request: Any, host: str, reason: str) -> None:
        self.stats.inc_value(f"challenge/{host}")
        site = request.meta.get("site")
        if site is not None:
            self.stats.inc_value(f"site/{site.site_id}/blocked")
            self.stats.set_value(f"site/{site.site_id}/blocked_reason", reason)


class RobotsMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, failing a refused request with `RobotsRefused`."""

    def process_request_2(self, rp: RobotParser | None, request: Any) -> None:
        try:
            super().process_request_2(rp, request)
        except IgnoreRequest as exc:
            raise RobotsRefused(str(exc)) from None


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_\-]+)""", re.I)


def as_bytes(response: Response) -> Response:
    """Return the response as a plain `Response`: its bytes, with no text encoding to guess or apply."""
    return Response(**{name: getattr(response, name) for name in Response.attributes})


class EncodingMiddleware:
    """Re-decodes HTML whose declared charset is wrong: gb2312/gbk as gb18030, then strict checks.

    A document served as text (a PDF as text/html, a DOCX as text/plain) and bytes no text encoding fits
    become plain responses: bytes the spider judges by their magic, never text.
    """

    def process_response(self, request: Any, response: Response) -> Response:
        if not isinstance(response, TextResponse):
            return response
        if is_document(response.body):
            return as_bytes(response)
        declared = canonical(response.encoding)
        body = response.body
        if declared:
            try:
                body.decode(declared)
                if declared not in ("latin-1", "iso8859-1", "cp1252") or not any(b > 0x7F for b in body[:65536]):
                    return response if declared == response.encoding else response.replace(encoding=declared)
            except (UnicodeDecodeError, LookupError):
                pass
        meta = _META_CHARSET.search(body[:4096])
        for candidate in (canonical(meta.group(1).decode("ascii", "replace")) if meta else None, "utf-8", "gb18030"):
            if not candidate:
                continue
            try:
                body.decode(candidate)
            except (UnicodeDecodeError, LookupError):
                continue
            return response.replace(encoding=candidate)
        try:
            text = decode(body[:200_000])
        except ExtractionError:
            return as_bytes(response)
        guess = "gb18030" if re.search(r"[\u4e00-\u9fff]", text) else "utf-8"
        return response.replace(encoding=guess)


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry, with an exponential pause before each retry (1 s, 2 s, 4 s … by default)."""

    def _retry(self, request: Any, reason: Any) -> Any:
        retry = super()._retry(request, reason)
        if retry is not None:
            base = self.crawler.settings.getfloat("RETRY_BACKOFF_BASE", 1.0)
            retry.meta["retry_delay"] = base * (2 ** (retry.meta.get("retry_times", 1) - 1))
        return retry

    async def process_request(self, request: Any) -> None:
        delay = request.meta.pop("retry_delay", 0)
        if delay:
            await asyncio.sleep(min(delay, 60))


class ConditionalRequestMiddleware:
    """Asks the crawl memory (the store's) about each GET: for a URL an earlier crawl handled fully, sends its
    If-None-Match / If-Modified-Since and leaves what the memory holds in `request.meta["remembered"]`, which the
    spider replays where the answer is 304. A request the spider already asked about with its page's others
    (`meta["recalled"]` is its URL) is not asked about again. Not configured without a store."""

    def __init__(self, stats: Any, store: StoreExtension) -> None:
        self.stats = stats
        self.store = store

    @classmethod
    def from_crawler(cls, crawler: Any) -> ConditionalRequestMiddleware:
        store = crawler.get_extension(StoreExtension)
        if store is None:
            raise NotConfigured("no store: no crawl memory to make requests conditional")
        return cls(crawler.stats, store)

    async def process_request(self, request: Any) -> None:
        if request.method != "GET":
            return None
        if request.meta.get("recalled") == request.url:  # the spider asked for the whole page's requests at once
            known = request.meta.get("remembered")
        else:
            try:
                known = await self.store.run(self.store.memory.recall, request.url)
            except StoreFailed as exc:  # asked in full instead: nothing is lost, only bandwidth
                logger.warning("crawl memory not read for %s: %s", request.url, exc)
                return None
        if known is None:
            return None
        request.meta["remembered"] = known
        if known.etag:
            request.headers.setdefault(b"If-None-Match", known.etag.encode("latin-1"))
        if known.last_modified:
            request.headers.setdefault(b"If-Modified-Since", known.last_modified.encode("latin-1"))
        if known.etag or known.last_modified:
            request.meta["conditional"] = True
            self.stats.inc_value("conditional/sent")
        return None
