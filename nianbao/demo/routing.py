"""Routing for the fixture web: compile each site's declared routes (plain routes, list pages, the county tree),
find the route a request path and query select, decide whether it is available in the current phase, and serve
static files from a site's ``www/`` directory.

``RoutingMixin`` is mixed into ``FixtureWeb`` (``web.py``) and uses its ``sites``, ``phase``, ``fill``, ``url``
and ``missing_sources`` as well as ``_render_route``/``_render_text`` from ``RenderMixin``.
"""

from __future__ import annotations

from typing import Any

from .model import _MEDIA_TYPES, _METHOD_NOT_ALLOWED, _TEXT_SUFFIXES, Response, Route, Site
from .sources import DEFAULT_DATE, _parse_date, source_path


class RoutingMixin:
    """Route compilation, lookup, availability and static files (part of ``FixtureWeb``)."""

    def _site_for_host(self, netloc: str) -> Site | None:
        host, _, port = netloc.partition(":")
        if port and int(port) != self.port:
            return None
        for site in self.sites.values():
            if site.ip == host:
                return site
        return None

    def _fill_deep(self, obj: Any) -> Any:
        if isinstance(obj, str):
            return self.fill(obj)
        if isinstance(obj, list):
            return [self._fill_deep(x) for x in obj]
        if isinstance(obj, dict):
            return {k: self._fill_deep(v) for k, v in obj.items()}
        return obj

    def _ensure_compiled(self) -> None:
        if not any(s.routes for s in self.sites.values()):
            self._compile_routes()

    def _compile_routes(self) -> None:
        for site in self.sites.values():
            site.routes, site.by_path, site.prefix_routes, site.significant = [], {}, [], {}
            confs = list(site.conf.get("routes", []))
            confs += self._list_routes(site)
            confs += self._tree_routes(site)
            for conf in confs:
                path = self.fill(conf.get("path") or conf["prefix"])
                query = conf.get("query")
                route = Route(site, conf, path, query, "prefix" in conf)
                site.routes.append(route)
                if route.prefix:
                    site.prefix_routes.append(route)
                else:
                    site.by_path.setdefault(path, []).append(route)
                    site.significant.setdefault(path, set()).update(query or {})
                for alias in conf.get("aliases", []):
                    site.by_path.setdefault(self.fill(alias), []).append(route)
            for route in site.routes:
                for ref in self._sources_of(route.conf):
                    if not source_path(ref).is_file():
                        self.missing_sources.add(ref)

    def _list_routes(self, site: Site) -> list[dict[str, Any]]:
        out = []
        for name, conf in site.lists.items():
            for k, path in enumerate(conf.get("pages", [])):
                route = {"path": path, "kind": "list", "list": name, "page": k}
                if k == 0 and conf.get("aliases"):
                    route["aliases"] = conf["aliases"]
                if conf.get("query"):
                    route["query"] = conf["query"]
                for key in ("delay", "fail_once", "date"):
                    if key in conf:
                        route[key] = conf[key]
                out.append(route)
        return out

    def _tree_routes(self, site: Site) -> list[dict[str, Any]]:
        tree = site.conf.get("tree")
        if not tree:
            return []
        root = tree["root"]
        out = [{"path": root + "index.html", "kind": "tree", "level": "root", "aliases": [root]}]
        for year, units in tree["years"].items():
            out.append({"path": f"{root}{year}/index.html", "kind": "tree", "level": "year", "year": year,
                        "aliases": [f"{root}{year}/"]})
            for unit in tree["units"]:
                out.append({"path": f"{root}{year}/{unit}/index.html", "kind": "tree", "level": "unit",
                            "year": year, "unit": unit, "items": units.get(unit, []),
                            "aliases": [f"{root}{year}/{unit}/"]})
        return out

    @staticmethod
    def _sources_of(conf: dict[str, Any]) -> list[str]:
        refs = []
        if "source" in conf:
            refs.append(conf["source"])
        body = conf.get("body") or {}
        for key in ("dump", "html_body", "trs_editor"):
            if key in body:
                refs.append(body[key])
        refs.extend(conf.get("requires_sources", []))
        return refs

    def _available(self, route: Route) -> bool:
        if route.phase > self.phase:
            return False
        if any(not source_path(ref).is_file() for ref in self._sources_of(route.conf)):
            return False
        of = route.conf.get("of")
        if of:
            target = self._find_route(self.sites[of.get("site", route.site.id)], self.fill(of["path"]), [])
            if target is None or not self._available(target):
                return False
        return True

    def _find_route(self, site: Site, path: str, query: list[tuple[str, str]]) -> Route | None:
        candidates = site.by_path.get(path)
        if candidates:
            sig = site.significant.get(path, set())
            for route in candidates:
                if route.path != path:  # reached through an alias: no query projection
                    return route
                got = {k: v for k, v in query if k in sig}
                if got == (route.query or {}):
                    return route
            return None
        for route in site.prefix_routes:
            if path.startswith(route.path):
                return route
        return None

    def _resolve(self, site: Site, method: str, path: str, query: list[tuple[str, str]],
                 form: list[tuple[str, str]]) -> Response | None:
        route = self._find_route(site, path, query)
        if route is not None and self._available(route):
            methods = route.conf.get("methods", ["GET", "HEAD"])
            if method not in methods:
                return Response(405, _METHOD_NOT_ALLOWED, [("Content-Type", "text/html")])
            return self._render_route(route, path, query, form)
        if route is None:
            static = self._static(site, path)
            if static is not None:
                if method == "POST":
                    return Response(405, _METHOD_NOT_ALLOWED, [("Content-Type", "text/html")])
                return static
            if not path.endswith("/") and (path + "/") in site.by_path:
                target = self._find_route(site, path + "/", [])
                if target is not None and self._available(target):
                    return Response(301, b"", [("Location", self.url(site.id, path + "/"))])
        return None

    def _static(self, site: Site, path: str) -> Response | None:
        www = (site.dir / "www").resolve()
        rel = path.lstrip("/")
        target = (www / rel).resolve()
        if not str(target).startswith(str(www)):
            return None
        if target.is_dir():
            for name in site.conf.get("index_files", ["index.html"]):
                if (target / name).is_file():
                    if not path.endswith("/"):
                        return Response(301, b"", [("Location", self.url(site.id, path + "/"))])
                    target = target / name
                    break
            else:
                return None
        if not target.is_file():
            return None
        suffix = target.suffix.lower()
        body = target.read_bytes()
        if suffix in _TEXT_SUFFIXES:
            body = self._render_text(site, body.decode("utf-8"), {}).encode("utf-8")
        ctype = site.conf.get("content_types", {}).get(suffix) or _MEDIA_TYPES.get(suffix, "application/octet-stream")
        date = site.conf.get("static_dates", {}).get(path, site.conf.get("static_date", DEFAULT_DATE))
        return Response(200, body, [("Content-Type", ctype)], _parse_date(date), validators=True)
