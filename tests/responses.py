"""Scrapy responses made in process from recorded bytes and headers, for the unit tests (no server, no subprocess).

Pages come from the demo web (`nianbao/demo`), rendered by `FixtureWeb.fetch_internal` exactly as its server
would send them (ETag and Last-Modified included), on a port no server listens on; documents come from
`fixtures/documents`.
"""

from __future__ import annotations

import email.utils
import hashlib
from datetime import UTC
from typing import Any

from scrapy import Request
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes

from nianbao.demo.server import FixtureWeb

from .conftest import DOCUMENTS

WEB = FixtureWeb(port=8765)
"""The demo web, never started: `WEB.url(site, path)` names a page, `page()` renders it."""


def document(name: str) -> bytes:
    """Return the bytes of `fixtures/documents/<name>/input.*`."""
    [path] = (DOCUMENTS / name).glob("input.*")
    return path.read_bytes()


def make_response(
    url: str,
    body: bytes,
    headers: dict[str, str] | list[tuple[str, str]],
    *,
    status: int = 200,
    request: Request | None = None,
    meta: dict[str, Any] | None = None,
) -> Response:
    """Return the response Scrapy's downloader would make of these bytes and headers (its class chosen the same
    way), for `request` (default: a GET of `url` with `meta`)."""
    pairs = Headers(list(headers.items()) if isinstance(headers, dict) else list(headers))
    cls = responsetypes.from_args(headers=pairs, url=url, body=body)
    return cls(url, status=status, headers=pairs, body=body, request=request or Request(url, meta=meta or {}))


def page(site: str, path: str, *, meta: dict[str, Any] | None = None, request: Request | None = None) -> Response:
    """Return the demo web's answer to a GET of `path` on `site`, with the validators its server adds."""
    url = WEB.url(site, path)
    rendered = WEB.fetch_internal(url)
    assert rendered is not None, f"the demo web has no {url}"
    headers = list(rendered.headers)
    if rendered.validators and rendered.status == 200:
        headers.append(("ETag", '"' + hashlib.sha1(rendered.body).hexdigest()[:20] + '"'))
        if rendered.last_modified is not None:
            headers.append(("Last-Modified", email.utils.format_datetime(rendered.last_modified.astimezone(UTC),
                                                                          usegmt=True)))  # fmt: skip
    return make_response(url, rendered.body, headers, status=rendered.status, request=request, meta=meta)


def not_modified(request: Request) -> Response:
    """Return a 304 Not Modified answer to `request`."""
    return Response(request.url, status=304, request=request)
