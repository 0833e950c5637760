"""``FixtureWeb``: the fixture government web as one object. It loads every ``sites/<id>/site.json``, binds one
HTTP server per site IP on a shared port, and offers the public API (``url``, ``fill``, ``write_registry``,
``expected``, ``serves``, ``fetch_internal``, ``set_phase``, ``requests``) plus fail-once handling and the
request log. Routing, rendering and list mechanisms come from the mixins in ``routing.py``, ``render.py`` and
``lists.py``; the HTTP handler is in ``handler.py``.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import json
import os
import re
import sys
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from .handler import _Handler, _Server
from .lists import ListsMixin
from .model import _NOT_FOUND, _SERVER_ERROR, Response, Site
from .render import RenderMixin
from .routing import RoutingMixin
from .sources import EXPECTED_FILE, SITES_DIR

REGISTRY_COLUMNS = [
    "site_id", "name", "region_code", "region_name", "level", "start_urls", "allowed_hosts", "platform", "overrides",
]


class FixtureWeb(RoutingMixin, RenderMixin, ListsMixin):
    """The fixture web: one HTTP server per site IP, all on ``port``. Use as a context manager."""

    def __init__(self, port: int = 0, phase: int = 1):
        self.port = port
        self._requested_port = port
        self.phase = phase
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._fired: set[tuple[str, str]] = set()
        self._stop = threading.Event()
        self._servers: list[ThreadingHTTPServer] = []
        self._threads: list[threading.Thread] = []
        self._cache: dict[tuple[str, int, str], Response] = {}
        self._s2t: dict[int, str] | None = None
        self.sites: dict[str, Site] = {}
        sites = [Site(conf) for conf in SITES_DIR.glob("*/site.json")]
        for site in sorted(sites, key=lambda s: tuple(int(x) for x in s.ip.split("."))):
            self.sites[site.id] = site
        self._site_ids = re.compile(r"\{(" + "|".join(map(re.escape, self.sites)) + r")\}")
        self.missing_sources: set[str] = set()
        self._started = False

    # ---------------------------------------------------------------------------------------------- lifecycle

    def __enter__(self) -> FixtureWeb:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        if self._started:
            return
        self._stop.clear()
        with self._lock:
            self._cache.clear()
        for _attempt in range(30):
            try:
                self._bind(self._requested_port)
                break
            except OSError as e:
                self._close_servers()
                if self._requested_port or e.errno != errno.EADDRINUSE:
                    raise
        else:
            raise OSError("could not find a port free on every fixture IP")
        try:
            self._compile_routes()
        except Exception:
            self._close_servers()
            raise
        for server in self._servers:
            t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
            t.start()
            self._threads.append(t)
        self._started = True

    def _bind(self, port: int) -> None:
        """Bind every site on ``port``; with 0 the first bind picks the port the others then share."""
        for site in self.sites.values():
            handler = type(f"Handler_{site.id}", (_Handler,), {"web": self, "site": site})
            try:
                server = _Server((site.ip, port), handler)
            except OSError as e:
                if e.errno == errno.EADDRNOTAVAIL:
                    raise OSError(
                        f"cannot bind {site.ip}: this system does not route 127.0.0.0/8 to loopback "
                        "(on macOS: sudo ifconfig lo0 alias 127.0.0.x up for each fixture IP)"
                    ) from e
                raise
            port = server.server_address[1]
            self._servers.append(server)
        self.port = port

    def _close_servers(self) -> None:
        for server in self._servers:
            server.server_close()
        self._servers = []

    def stop(self) -> None:
        """Stop serving; requests still sleeping (the timeout page) are abandoned at once."""
        self._stop.set()
        if self._threads:  # shutdown() would wait forever for a serve_forever() that never ran
            for server in self._servers:
                server.shutdown()
        self._close_servers()
        for t in self._threads:
            t.join(timeout=2)
        self._threads = []
        self._started = False

    def set_phase(self, phase: int) -> None:
        self.phase = phase
        with self._lock:
            self._cache.clear()

    # ---------------------------------------------------------------------------------------------- public API

    def host(self, site_id: str) -> str:
        return f"{self.sites[site_id].ip}:{self.port}"

    def url(self, site_id: str, path: str = "/") -> str:
        if not path.startswith("/"):
            path = "/" + path
        return f"http://{self.host(site_id)}{path}"

    def fill(self, text: str) -> str:
        """Replace ``{trs}``-style placeholders by ``127.0.0.11:PORT``."""
        return self._site_ids.sub(lambda m: self.host(m.group(1)), text)

    def write_registry(self, path: str | os.PathLike[str]) -> Path:
        """The fixture sites as a registry CSV (the mirror host is not registered)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(REGISTRY_COLUMNS)
            for site in self.sites.values():
                reg = site.conf.get("registry")
                if not reg:
                    continue
                overrides = reg.get("overrides") or ""
                if not isinstance(overrides, str):
                    overrides = json.dumps(overrides, ensure_ascii=False, sort_keys=True)
                writer.writerow([
                    site.id, reg["name"], reg["region_code"], reg["region_name"], reg["level"],
                    " ".join(self.url(site.id, p) for p in reg["start_paths"]),
                    self.host(site.id), reg.get("platform", ""), overrides,
                ])
        return path

    def expected(self) -> dict[str, Any]:
        """``expected.json`` resolved for this port and phase; unavailable pages are left out."""
        data = json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))
        data = self._fill_deep(data)
        reports, omitted = [], []
        for rep in data["reports"]:
            if int(rep.get("phase", 1)) > self.phase:
                continue
            urls = [u for u in rep["urls"] if self.serves(u)]
            if not urls:
                omitted.append(rep["id"])
                continue
            rep["urls"] = urls
            resp = self.fetch_internal(urls[0])
            rep["sha256"] = hashlib.sha256(resp.body).hexdigest() if resp else None
            reports.append(rep)
        data["reports"] = reports
        for key in ("negatives", "wrappers"):
            data[key] = [u for u in data.get(key, []) if self.serves(u)]
        data["columns"] = {k: [u for u in v if self.serves(u)] for k, v in data.get("columns", {}).items()}
        data["omitted_reports"] = omitted
        data["missing_sources"] = sorted(self.missing_sources)
        data["phase"] = self.phase
        data["port"] = self.port
        data.pop("_comment", None)
        return data

    def serves(self, url: str) -> bool:
        """Whether a GET of ``url`` is answered with a page (200 after any fail-once/delay)."""
        resp = self.fetch_internal(url)
        return resp is not None and resp.status == 200

    def fetch_internal(self, url: str) -> Response | None:
        """Render ``url`` without HTTP and without side effects (no fail-once, no delay, no log)."""
        parts = urlsplit(url)
        site = self._site_for_host(parts.netloc)
        if site is None:
            return None
        self._ensure_compiled()
        resp = self._resolve(site, "GET", unquote(parts.path), parse_qsl(parts.query, keep_blank_values=True), [])
        return resp

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    # ---------------------------------------------------------------------------------------------- serving

    def _respond(self, site: Site, method: str, path: str, query: list[tuple[str, str]],
                 form: list[tuple[str, str]]) -> Response:
        try:
            resp = self._resolve(site, method, path, query, form)
        except Exception as e:  # a fixture bug must show, not hang the client
            sys.stderr.write(f"fixture web: {site.id} {path}: {e!r}\n")
            return Response(500, _SERVER_ERROR, [("Content-Type", "text/html")])
        if resp is None:
            return Response(404, _NOT_FOUND, [("Content-Type", "text/html")])
        route = self._find_route(site, path, query)
        fail = route.conf.get("fail_once") if route is not None else None
        if fail:
            key = (site.id, path + "?" + "&".join(f"{k}={v}" for k, v in query))
            with self._lock:
                first = key not in self._fired
                self._fired.add(key)
            if first:
                return Response(int(fail), _SERVER_ERROR, [("Content-Type", "text/html;charset=utf-8")])
        return resp

    def _log(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(entry)
