"""The crawl's downloader: Scrapy's, with per-host concurrency that holds on asyncio, and host accounting.

Scrapy 2.19's `Downloader._process_queue` takes requests off a slot's queue while
`slot.free_transfer_slots() > 0`, and starts each download with `_schedule_coro(self._wait_for_download(…))`.
On the asyncio reactor that is `loop.create_task(…)`: the coroutine, whose first step adds the request to
`slot.transferring`, only runs after the loop is done. With no download delay (the loop does not break
after one request) the whole queue is started at once: 9 to 16 requests in flight to one host with
CONCURRENT_REQUESTS_PER_DOMAIN = 2. On Twisted's own reactors `Deferred.fromCoroutine` runs the coroutine
at once, so the count is right there. Here the request is counted as transferring when it is taken off
the queue; `Downloader._download` adds it again (a set: no change) and removes it when done, as before.

Every download's outcome is told to the HostBudget (crawler.hosts) before the slot lets the next request
go, so a Retry-After pauses the slot and a given-up host's queued requests fail unsent.
"""

from __future__ import annotations

from collections.abc import Coroutine
from time import monotonic
from typing import Any

from scrapy import Request, signals
from scrapy.core.downloader import Downloader, Slot
from scrapy.http import Response
from scrapy.utils.asyncio import call_later
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from .hosts import HostBudget, HostGivenUp

PAUSED_META = "nianbao_paused_s"
"""Set on a request whose answer paused its host (a Retry-After within the bound): the seconds of the pause."""


class _WatchedHandlers:
    """Scrapy's download handlers, each outcome told to the host budget while the request still holds its slot."""

    def __init__(self, handlers: Any, downloader: HostSlotsDownloader) -> None:
        self.handlers = handlers
        self.downloader = downloader

    async def download_request_async(self, request: Request) -> Response:
        """Return the handler's response, told to the host budget first (a Retry-After pauses the slot).

        Raises the handler's exception, or HostGivenUp where the outcome gives the host up (or it was).
        """
        hosts = self.downloader.hosts
        try:
            response: Response = await self.handlers.download_request_async(request)
        except Exception as exc:
            given_up = hosts.failed(request, exc)
            if given_up is None:
                raise
            raise given_up from exc
        wait = hosts.answered(request, response)
        if wait > 0:
            self.downloader.pause(request, wait)
            request.meta[PAUSED_META] = wait
        return response


class HostSlotsDownloader(Downloader):
    """Scrapy's Downloader, counting a request as transferring from the moment its slot lets it go, pausing
    a slot for a Retry-After and failing, unsent, the requests of a given-up host."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self.hosts = HostBudget(crawler.settings, crawler.stats)
        self.handlers = _WatchedHandlers(self.handlers, self)  # type: ignore[assignment]
        self._paused: dict[str, float] = {}  # slot key → monotonic time its queue may move again

    def pause(self, request: Request, seconds: float) -> None:
        """Hold the queue of the request's slot for `seconds`: what is queued there goes out afterwards."""
        key = self.get_slot_key(request)
        self._paused[key] = max(self._paused.get(key, 0.0), monotonic() + seconds)

    def _process_queue(self, slot: Slot) -> None:
        # A slot's key is on its requests (Slot keeps none): only a slot with a queue has anything to hold.
        key = slot.queue[0][0].meta.get(self.DOWNLOAD_SLOT, "") if slot.queue else ""
        wait = self._paused.get(key, 0.0) - monotonic()
        if wait > 0:
            if slot.latercall is None:
                slot.latercall = call_later(wait, self._latercall, slot)
            return
        self._paused.pop(key, None)
        super()._process_queue(slot)

    def _wait_for_download(self, slot: Slot, request: Request, queue_dfd: Deferred[Any]) -> Coroutine[Any, Any, None]:
        """Return the coroutine that downloads the request (Scrapy's) or fails it unsent, the request already
        counted in its slot."""
        slot.transferring.add(request)
        refusal = self.hosts.refusal(request)
        if refusal is None:
            return super()._wait_for_download(slot, request, queue_dfd)
        return self._refuse(slot, request, queue_dfd, refusal)

    async def _refuse(self, slot: Slot, request: Request, queue_dfd: Deferred[Any], refusal: HostGivenUp) -> None:
        """Fail the request with `refusal` without sending it, and let the slot's queue move on."""
        slot.transferring.discard(request)
        self._process_queue(slot)
        self.signals.send_catch_log(signal=signals.request_left_downloader, request=request, spider=self.crawler.spider)
        queue_dfd.errback(Failure(refusal))
