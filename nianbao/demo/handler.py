"""The HTTP side of the fixture web: the threading server class and the request handler that parses a request,
asks ``FixtureWeb`` for the response, adds ETag/Last-Modified validators (answering 304 to conditional requests),
logs the request, applies the configured delay and writes the response.
"""

from __future__ import annotations

import email.utils
import hashlib
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from .model import Site
from .sources import _http_date

if TYPE_CHECKING:
    from .web import FixtureWeb


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 20
    web: FixtureWeb
    site: Site

    def version_string(self) -> str:
        return self.site.conf.get("server", "nginx")

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def do_GET(self) -> None:
        self._handle("GET")

    def do_HEAD(self) -> None:
        self._handle("HEAD")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        web, site = self.web, self.site
        parts = urlsplit(self.path)
        path = unquote(parts.path) or "/"
        query = parse_qsl(parts.query, keep_blank_values=True)
        form: list[tuple[str, str]] = []
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            raw = self.rfile.read(length)
            if "urlencoded" in (self.headers.get("Content-Type") or "") or method == "POST":
                form = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
        resp = web._respond(site, method, path, query, form)
        status, headers, body = resp.status, list(resp.headers), resp.body
        if resp.validators and status == 200:
            etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
            headers += [("ETag", etag)]
            if resp.last_modified is not None:
                headers.append(("Last-Modified", _http_date(resp.last_modified)))
            if method in ("GET", "HEAD") and self._not_modified(etag, resp.last_modified):
                status, body = 304, b""
                headers = [h for h in headers if h[0] in ("ETag", "Last-Modified")]
        web._log({
            "site": site.id, "host": self.headers.get("Host", ""), "method": method, "path": path,
            "query": parts.query, "headers": dict(self.headers.items()), "status": status,
        })
        if resp.delay and status == 200 and web._stop.wait(resp.delay):
            self.close_connection = True
            return
        try:
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if method != "HEAD" and status != 304:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _not_modified(self, etag: str, last_modified: datetime | None) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            tags = [t.strip() for t in inm.split(",")]
            return etag in tags or f"W/{etag}" in tags or "*" in tags
        ims = self.headers.get("If-Modified-Since")
        if ims and last_modified is not None:
            try:
                since = email.utils.parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                return False
            if since.tzinfo is None:
                since = since.replace(tzinfo=UTC)
            return last_modified.replace(microsecond=0) <= since
        return False
