"""Page rendering for the fixture web: ``{{var}}`` templates, building a route's response by kind (page, source
file, same-as, list, tree, dataproxy, gkmlpt API, Big5 gateway, SEO mirror, WAF challenge), headers
(Content-Type, Content-Disposition, extra headers), page encodings and the per-phase response cache.

``RenderMixin`` is mixed into ``FixtureWeb`` (``web.py``); the list mechanisms it dispatches to live in
``ListsMixin`` (``lists.py``), route lookup in ``RoutingMixin`` (``routing.py``).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .model import _MEDIA_TYPES, Response, Route, Site
from .sources import SITES_DIR, _parse_date, dump_to_html, html_body, source_path, trs_editor_inner

_TEMPLATE_VAR = re.compile(r"\{\{\s*([\w:.\-]+)\s*\}\}")


class RenderMixin:
    """Templates, response building by route kind, encodings and the Big5/mirror variants (part of ``FixtureWeb``)."""

    def _render_text(self, site: Site, template: str, vars: dict[str, Any]) -> str:
        merged = {**site.vars, **vars}

        def sub(m: re.Match[str]) -> str:
            key = m.group(1)
            if key.startswith("host:"):
                return self.host(key[5:])
            if key.startswith("base:"):
                return "http://" + self.host(key[5:])
            if key not in merged:
                raise KeyError(f"{site.id}: template variable {key!r} not set")
            return str(merged[key])

        return _TEMPLATE_VAR.sub(sub, template)

    def _render_route(self, route: Route, path: str, query: list[tuple[str, str]],
                      form: list[tuple[str, str]]) -> Response:
        dynamic = route.kind in ("dataproxy", "gkmlpt_api")
        key = (route.site.id, id(route), path)
        if not dynamic:
            with self._lock:
                cached = self._cache.get(key)
            if cached is not None:
                return cached
        resp = self._build(route, path, query, form)
        conf = route.conf
        resp.delay = float(conf.get("delay", 0))
        if not dynamic:
            with self._lock:
                self._cache[key] = resp
        return resp

    def _build(self, route: Route, path: str, query: list[tuple[str, str]], form: list[tuple[str, str]]) -> Response:
        site, conf, kind = route.site, route.conf, route.kind
        date = _parse_date(conf.get("date", site.conf.get("static_date")))
        if kind == "source":
            body = source_path(conf["source"]).read_bytes()
            ctype = conf.get("content_type") or _MEDIA_TYPES.get(Path(conf["source"]).suffix.lower(),
                                                                  "application/octet-stream")
            return self._finish(conf, 200, body, ctype, date)
        if kind == "same_as":
            target = self._find_route(site, self.fill(conf["of"]["path"]), [])
            assert target is not None
            return self._build(target, target.path, [], [])
        if kind == "page":
            text = self._page_text(site, conf)
            return self._encode_page(conf, text, date)
        if kind == "list":
            text = self._list_text(site, conf, path)
            lconf = site.lists[conf["list"]]
            newest = max((_parse_date(i["date"]) for i in self._items(site, lconf["items"])), default=date)
            return self._encode_page({**lconf, **conf}, text, _parse_date(conf["date"]) if "date" in conf else newest)
        if kind == "tree":
            return self._encode_page(conf, self._tree_text(site, conf), date)
        if kind == "dataproxy":
            return self._dataproxy(site, conf, query + form)
        if kind == "gkmlpt_api":
            return self._gkmlpt_api(site, conf, query)
        if kind == "big5_gateway":
            return self._big5(site, conf, date)
        if kind == "mirror":
            return self._mirror(site, conf, date)
        if kind == "challenge":
            text = self._render_text(site, site.template(conf["template"]), conf.get("vars", {}))
            return self._finish(conf, int(conf.get("status", 200)), text.encode("utf-8"),
                                conf.get("content_type", "text/html"), date, validators=False)
        raise ValueError(f"{site.id}: unknown route kind {kind!r}")

    def _finish(self, conf: dict[str, Any], status: int, body: bytes, ctype: str, date: datetime,
                validators: bool = True) -> Response:
        headers = [("Content-Type", conf.get("content_type", ctype))]
        disp = conf.get("disposition")
        if disp:
            name = disp["filename"]
            if disp.get("style") == "percent":
                headers.append(("Content-Disposition", f"attachment;filename={quote(name)}"))
            else:
                headers.append(("Content-Disposition", f"attachment; filename*=UTF-8''{quote(name)}"))
        for k, v in conf.get("headers", {}).items():
            headers.append((k, self.fill(v)))
        return Response(status, body, headers, date, validators=validators and conf.get("validators", True))

    def _charset_meta(self, encoding: str) -> str:
        if encoding == "utf-8":
            return '<meta charset="utf-8" />'
        return f'<meta http-equiv="Content-Type" content="text/html; charset={encoding}" />'

    def _encode_page(self, conf: dict[str, Any], text: str, date: datetime) -> Response:
        encoding = conf.get("encoding", "utf-8")
        body = text.encode(encoding, errors="xmlcharrefreplace")
        header_charset = {"utf-8": "utf-8", "gbk": "GBK", "big5": "big5"}.get(encoding, encoding)
        ctype = conf.get("content_type", f"text/html; charset={header_charset}")
        return self._finish(conf, int(conf.get("status", 200)), body, ctype, date)

    def _body_html(self, conf: dict[str, Any]) -> str:
        body = conf.get("body") or {}
        if "dump" in body:
            return dump_to_html(source_path(body["dump"]).read_text(encoding="utf-8"))
        if "html_body" in body:
            return html_body(source_path(body["html_body"]).read_text(encoding="utf-8"))
        if "trs_editor" in body:
            return trs_editor_inner(source_path(body["trs_editor"]).read_text(encoding="utf-8"))
        if "html" in body:
            return self.fill(body["html"])
        return ""

    def _page_text(self, site: Site, conf: dict[str, Any]) -> str:
        defaults = site.conf.get("page_defaults", {})
        template = conf.get("template", defaults.get("template"))
        vars = {**defaults.get("vars", {}), **{k: self.fill(str(v)) for k, v in conf.get("vars", {}).items()}}
        vars["body"] = self._body_html(conf)
        vars["meta_charset"] = self._charset_meta(conf.get("encoding", "utf-8"))
        attach_tpl = site.conf.get("attachment_item", '<li><a href="{{href}}">{{name}}</a></li>')
        attachments = conf.get("attachments", [])
        vars["attachments"] = "".join(
            self._render_text(site, attach_tpl, {k: self.fill(str(v)) for k, v in a.items()}) for a in attachments
        )
        if attachments and "attachments_block" in site.conf:
            block = site.conf["attachments_block"]
            vars["attachments"] = self._render_text(site, block, {"items": vars["attachments"]})
        vars.setdefault("path", conf.get("path", ""))
        return self._render_text(site, site.template(template), vars)

    def _big5(self, site: Site, conf: dict[str, Any], date: datetime) -> Response:
        target = self._find_route(site, self.fill(conf["of"]["path"]), [])
        assert target is not None
        text = self._page_text(site, target.conf)
        if self._s2t is None:
            table = json.loads((SITES_DIR / conf["s2t"]).read_text(encoding="utf-8"))
            self._s2t = {ord(k): v for k, v in table.items()}
        text = text.translate(self._s2t)
        text = text.replace(self._charset_meta("utf-8"), self._charset_meta("big5"))
        return self._encode_page({**conf, "encoding": "big5"}, text, date)

    def _mirror(self, site: Site, conf: dict[str, Any], date: datetime) -> Response:
        of = conf["of"]
        source = self.sites[of["site"]]
        target = self._find_route(source, self.fill(of["path"]), [])
        assert target is not None
        text = self._build(target, target.path, [], []).body.decode("utf-8")
        for old, new in conf.get("replace", {}).items():
            text = text.replace(old, new)
        inject = conf.get("inject", "")
        text = text.replace("<body>", "<body>\n" + inject, 1)
        return self._encode_page(conf, text, date)
