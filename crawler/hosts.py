"""Hosts that ask the crawl to wait (Retry-After), and hosts the crawl gives up.

A 429 or 503 whose Retry-After (seconds or an HTTP-date) is at most NIANBAO_RETRY_AFTER_MAX seconds holds
the host's downloader slot that long, so the retry RetryMiddleware makes, and every other request to the
host, goes out after it; a longer wait gives the host up. NIANBAO_HOST_FAILURES consecutive timeouts or
connection errors (retries included) give a host up too. A given-up host gets no more requests: they fail
with HostGivenUp without network I/O, counted per site in `site/<id>/given_up`, with the reason in
`site/<id>/given_up_reason` (and `given_up/<host>`).
"""

from __future__ import annotations

import email.utils
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from .failures import host_failure
from .registry import Site, host_of

RETRY_AFTER_STATUSES = (429, 503)
logger = logging.getLogger(__name__)


class HostGivenUp(IgnoreRequest):
    """A request not sent, or whose download was abandoned, because its host was given up."""


def retry_after(value: bytes | None, now: float | None = None) -> float | None:
    """Return the seconds a Retry-After header value asks to wait (delta-seconds or HTTP-date), or None."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None  # an HTTP-date is in GMT: a date without a zone is something else
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


@dataclass
class _Host:
    failures: int = 0
    kinds: set[str] = field(default_factory=set)
    given_up: str | None = None


class HostBudget:
    """The crawl's account of each host:port: consecutive failures, and whether and why it was given up.

    The downloader (crawler.downloader) tells it every download's outcome before the host's slot lets the
    next request go, and asks it before sending each request.
    """

    def __init__(self, settings: Any, stats: Any) -> None:
        self.stats = stats
        self.max_wait = settings.getfloat("NIANBAO_RETRY_AFTER_MAX", 120.0)
        self.budget = settings.getint("NIANBAO_HOST_FAILURES", 5)
        self.hosts: dict[str, _Host] = {}

    def given_up(self, host: str) -> str | None:
        """Return why `host` was given up, or None while it is still crawled."""
        state = self.hosts.get(host)
        return state.given_up if state else None

    def refusal(self, request: Any) -> HostGivenUp | None:
        """Return the exception failing a request to a given-up host (counted), or None to send it."""
        return self._drop(request) if self.given_up(host_of(request.url)) else None

    def answered(self, request: Any, response: Response) -> float:
        """Note that the request's host answered; return the seconds its slot must now wait (0 for none).

        Raises HostGivenUp where a 429/503 asks to wait longer than NIANBAO_RETRY_AFTER_MAX.
        """
        state = self.hosts.setdefault(host_of(request.url), _Host())
        if state.given_up:
            return 0.0  # in flight when its host was given up: kept; a retry of it is refused
        state.failures, state.kinds = 0, set()
        if response.status not in RETRY_AFTER_STATUSES:
            return 0.0
        wait = retry_after(response.headers.get(b"Retry-After"))
        if wait is not None and wait > self.max_wait:
            raise self._give_up(request, f"Retry-After {wait:.0f} s over the {self.max_wait:.0f} s bound")
        return wait or 0.0

    def failed(self, request: Any, exc: BaseException) -> HostGivenUp | None:
        """Note a failed download; return the exception to fail it with instead where its host is given up."""
        kind = host_failure(exc)
        if kind is None:
            return None
        state = self.hosts.setdefault(host_of(request.url), _Host())
        if state.given_up:
            return self._drop(request)
        state.failures += 1
        state.kinds.add(kind)
        if state.failures < self.budget:
            return None
        what = f"{kind}s" if len(state.kinds) == 1 else "timeouts or connection errors"
        return self._give_up(request, f"{state.failures} consecutive {what}")

    def _give_up(self, request: Any, why: str) -> HostGivenUp:
        """Give the request's host up for `why`; return the exception failing this request."""
        host = host_of(request.url)
        state = self.hosts.setdefault(host, _Host())
        state.given_up = f"{host}: {why}"
        self.stats.set_value(f"given_up/{host}", state.given_up)
        logger.warning("giving up %s; its further requests are dropped", state.given_up)
        return self._drop(request)

    def _drop(self, request: Any) -> HostGivenUp:
        """Count a request lost to its given-up host; return the exception that fails it."""
        reason = self.hosts[host_of(request.url)].given_up or ""
        site: Site | None = request.meta.get("site")
        if site is not None:
            self.stats.inc_value(f"site/{site.site_id}/given_up")
            key = f"site/{site.site_id}/given_up_reason"
            known = self.stats.get_value(key)
            if not known:
                self.stats.set_value(key, reason)
            elif reason not in known.split("; "):
                self.stats.set_value(key, f"{known}; {reason}")  # a site on several hosts
        return HostGivenUp(f"host given up: {reason}")
