"""What a failed download was, told by its exception's type and structure, never by its wording."""

from __future__ import annotations

from typing import Literal

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from twisted.internet import error as tx
from twisted.python.failure import Failure
from twisted.web.client import ResponseFailed

_TIMEOUTS = (DownloadTimeoutError, tx.TimeoutError, tx.TCPTimedOutError, TimeoutError)
_CONNECTION = (
    DownloadConnectionRefusedError,
    CannotResolveHostError,
    DownloadFailedError,
    ResponseDataLossError,
    ResponseFailed,
    tx.ConnectError,
    tx.ConnectionLost,
    tx.DNSLookupError,
    ConnectionError,
)


def too_large(failure: Failure) -> bool:
    """Return True where the download was refused for its size (DOWNLOAD_MAXSIZE or `download_maxsize` meta).

    Scrapy 2.19 raises DownloadCancelledError for a body declared or streamed over the limit in every
    handler (HTTP/1.1, HTTP/2, httpx, aiohttp): worded "Expected to receive …"/"Received … larger than
    download max size", or with no words at all where HTTP/1.1 cancels a streamed body. The only other
    cancellation is the crawl stopping, which the caller tells apart. HttpCompressionMiddleware refuses
    a body over the limit once inflated with IgnoreRequest, caused by an error carrying `max_size`.
    """
    exc = failure.value
    if isinstance(exc, DownloadCancelledError):
        return True
    cause = exc.__cause__
    return isinstance(exc, IgnoreRequest) and hasattr(cause, "max_size") and hasattr(cause, "decompressed_size")


def host_failure(exc: BaseException) -> Literal["timeout", "connection error"] | None:
    """Return what a download exception says of its host: a timeout, a connection error, or None (the host
    answered, or the failure was ours)."""
    if isinstance(exc, _TIMEOUTS):
        return "timeout"
    if isinstance(exc, _CONNECTION):
        return "connection error"
    return None
