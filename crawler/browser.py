"""Hosts behind a script challenge (瑞数 412 `$_ts`, 加速乐 521 `__jsl_clearance`), read through Chromium.

A crawl with `--browser` keeps Scrapy's own downloader for every host, and hands a host to scrapy-playwright's
download handler once the host answers a script challenge: the request is asked again in a real Chromium
(the system's, not a download), which runs the page's script, gets its cookie and loads the page again, as a
person's browser does. Every later request to that host goes through the browser too, one page at a time
(the browser keeps the host's cookies), documents included (a PDF comes back as the browser's download). A
host whose challenge a browser does not pass within the timeout is blocked as without `--browser`.

This is no challenge-cracking: the page's own script runs unmodified, at one page at a time per crawl.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from .safety import internal

logger = logging.getLogger(__name__)

PASSED = (
    "() => document.readyState === 'complete'"
    " && !/\\$_ts|__jsl_clearance|__jsluid/.test(document.documentElement.outerHTML)"
)
"""Chromium's test that the page in view is no longer a challenge: loaded, with no challenge script left."""

CHALLENGE_STATUSES = frozenset({412, 512, 521})
"""The statuses a challenge answers with: the status of the browser's first answer, not of the page it then loaded."""

WAIT_MS = 45_000
"""How long Chromium may take to pass a challenge (瑞数 takes 30–45 s on some hosts)."""


class BrowserUnavailable(RuntimeError):
    """`--browser` was asked for where it cannot run: the line says what to install."""


def find_chromium() -> str:
    """Return the path of the system's Chromium (`NIANBAO_CHROMIUM`, else `chromium` or `chromium-browser` on the
    PATH); raise BrowserUnavailable where there is none, or where scrapy-playwright is not installed."""
    try:
        import scrapy_playwright  # noqa: F401
    except ImportError:
        raise BrowserUnavailable("--browser needs scrapy-playwright: pip install 'nianbao[browser]'") from None
    found = os.environ.get("NIANBAO_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found or not os.access(found, os.X_OK):
        raise BrowserUnavailable("--browser needs Chromium: apt-get install chromium, or set NIANBAO_CHROMIUM")
    return found


def browser_settings(chromium: str) -> dict[str, Any]:
    """Return the Scrapy settings of a crawl that reads challenge hosts through the Chromium at `chromium`."""
    handler = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
    args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []  # root has no sandbox
    return {
        "NIANBAO_BROWSER": True,
        "DOWNLOAD_HANDLERS": {"http": handler, "https": handler},
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": {"executable_path": chromium, "headless": True, "args": args},
        "PLAYWRIGHT_MAX_CONTEXTS": 1,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": 1,
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": WAIT_MS,
        "PLAYWRIGHT_ABORT_REQUEST": BrowserGuard(),
    }


def timed_out(exception: BaseException) -> bool:
    """Return True where `exception` is Playwright's timeout (Chromium waited in vain), not any other failure."""
    try:
        from playwright.async_api import TimeoutError as PlaywrightTimeout
    except ImportError:
        return False
    return isinstance(exception, PlaywrightTimeout)


def launch_failed(exception: BaseException) -> str | None:
    """Return the first line of Playwright's error where Chromium could not be started, else None."""
    text = str(exception).strip()
    return text.splitlines()[0] if text.startswith("BrowserType.launch") else None


def needless(request: Any) -> bool:
    """Return True for what a page asks Chromium to load that the crawl never reads: images, media, fonts."""
    return request.resource_type in ("image", "media", "font")


class BrowserGuard:
    """Chromium's abort test (PLAYWRIGHT_ABORT_REQUEST): what the crawl never reads (`needless`), and every request
    to a host the user did not name at an internal address. Chromium resolves names and runs a page's scripts,
    fetches and redirects itself, past the crawl's SafetyMiddleware and resolver; the crawl's SafetyMiddleware
    names the user's hosts here when the spider opens. A name is resolved once a crawl (Chromium resolves it again
    itself: a name that changes its address in between is not caught)."""

    def __init__(self) -> None:
        self.named: frozenset[str] = frozenset()
        """The hosts (lower-case, without port) the user named: they may be internal addresses."""
        self._refused: dict[str, bool] = {}

    def name(self, hosts: Iterable[str]) -> None:
        """Add `hosts` (as `safety.named_hosts` gives them) to those Chromium may reach at internal addresses."""
        self.named = self.named | frozenset(hosts)

    async def __call__(self, request: Any) -> bool:
        """Return True where Chromium must not load `request` (a Playwright request)."""
        if needless(request):
            return True
        host = urlsplit(request.url).hostname if request.url.startswith(("http:", "https:", "ws:", "wss:")) else None
        if not host or host in self.named:
            return False
        refused = self._refused.get(host)
        if refused is None:
            refused = self._refused[host] = await _resolves_internal(host)
            if refused:
                logger.warning("the browser was asked for %s, an internal address nobody named: refused", host)
        return refused


async def _resolves_internal(host: str) -> bool:
    """Return True where `host` is, or resolves to, an internal address (False where it does not resolve)."""
    if internal(host):
        return True
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return False  # Chromium fails on it too
    return any(internal(str(info[4][0])) for info in infos)


def through_browser(meta: dict[str, Any], url: str, limit: int) -> None:
    """Mark a request's `meta` to be fetched by Chromium, waiting until the page is no challenge any more; a
    document's bytes (`meta["role"] == "document"`) and a robots.txt's are then fetched again with the browser's
    cookies, as Chromium would only show them in its viewer (a robots.txt wrapped in HTML reads as no rules at all;
    at most `limit` bytes; 0: no limit)."""
    from scrapy_playwright.page import PageMethod

    meta["playwright"] = True
    meta["playwright_page_methods"] = [PageMethod("wait_for_function", PASSED, timeout=WAIT_MS)]
    if meta.get("role") == "document" or urlsplit(url).path == "/robots.txt":
        meta["playwright_page_methods"].append(PageMethod(fetch_document, url, limit))


async def fetch_document(page: Any, url: str, limit: int) -> tuple[int, dict[str, str], bytes] | str:
    """Return the status, headers and bytes of `url` fetched with the cookies of `page`'s browser, or why not: a
    document larger than `limit` bytes (its Content-Length; 0: no limit)."""
    answer = await page.context.request.get(url, timeout=WAIT_MS, max_redirects=5)
    try:
        size = int(answer.headers.get("content-length") or 0)
        if limit and size > limit:
            return f"larger than {limit} bytes ({size})"
        body = await answer.body()
        if limit and len(body) > limit:
            return f"larger than {limit} bytes ({len(body)})"
        # The body comes decoded: its Content-Encoding no longer applies.
        headers = {k: v for k, v in answer.headers.items() if k.lower() not in ("content-encoding", "content-length")}
        return answer.status, headers, body
    finally:
        await answer.dispose()


def fetched_document(meta: dict[str, Any]) -> tuple[int, dict[str, str], bytes] | str | None:
    """Return what `fetch_document` returned for a request's `meta`, or None (not a document, or not fetched)."""
    for pm in meta.get("playwright_page_methods") or ():
        if getattr(pm, "method", None) is fetch_document:
            return pm.result
    return None
