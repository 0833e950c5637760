"""List mechanisms of the fixture web: paginated HTML column lists (with the VSB pager), the Hanweb (大汉)
``dataproxy.jsp`` datastore XML, the 广东 gkmlpt JSON API and the county 年报 folder tree; items whose target is
not served (later phase, missing source) are left out of every list.

``ListsMixin`` is mixed into ``FixtureWeb`` (``web.py``) and uses its ``phase``, ``fill``, ``host``, ``serves`` and
``_find_route``/``_available``/``_render_text`` from the routing and render mixins.
"""

from __future__ import annotations

import json
import math
import posixpath
from typing import Any
from urllib.parse import parse_qsl

from .model import _NOT_FOUND, Response, Site
from .sources import _escape, _parse_date


class ListsMixin:
    """List pages, pager, datastore/dataproxy, gkmlpt API and the tree pages (part of ``FixtureWeb``)."""

    def _item_served(self, site: Site, item: dict[str, Any]) -> bool:
        if int(item.get("phase", 1)) > self.phase:
            return False
        if "url" in item:
            return self.serves(self.fill(item["url"]))
        route = self._find_route(site, self.fill(item["path"]), parse_qsl(item.get("query", "")))
        return route is not None and self._available(route)

    def _items(self, site: Site, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [i for i in items if self._item_served(site, i)]

    def _href(self, item: dict[str, Any], page_path: str, style: str) -> str:
        if "url" in item:
            return self.fill(item["url"])
        target = self.fill(item["path"]) + (("?" + item["query"]) if item.get("query") else "")
        if style == "root":
            return target
        rel = posixpath.relpath(target, posixpath.dirname(page_path))
        if style == "dot" and not rel.startswith("../"):
            rel = "./" + rel
        return rel

    def _render_items(self, site: Site, lconf: dict[str, Any], items: list[dict[str, Any]], page_path: str) -> str:
        out = []
        max_len = lconf.get("max_title")
        for item in items:
            title = item["title"]
            shown = title if not max_len or len(title) <= max_len else title[:max_len] + "..."
            vars = {
                "href": self._href(item, page_path, lconf.get("href_style", "root")),
                "title": _escape(title), "shown": _escape(shown),
                "date": item["date"][:10], "datetime": item["date"],
            }
            vars.update({k: v for k, v in item.items() if k not in vars and isinstance(v, str)})
            out.append(self._render_text(site, lconf["item"], vars))
        return "\n".join(out)

    def _list_text(self, site: Site, conf: dict[str, Any], path: str) -> str:
        lconf = site.lists[conf["list"]]
        items = self._items(site, lconf["items"])
        per = int(lconf.get("per_page", 20))
        pages = lconf["pages"]
        k = int(conf["page"])
        count = max(1, math.ceil(len(items) / per))
        page_path = self.fill(pages[k])
        chunk = items[k * per:(k + 1) * per]
        vars = {k2: self.fill(str(v)) for k2, v in lconf.get("vars", {}).items()}
        vars.update({
            "items": self._render_items(site, lconf, chunk, page_path) if chunk else lconf.get("empty", ""),
            "count_page": count, "current_page": k, "total": len(items), "per_page": per,
            "pager": self._pager(lconf, k, count, len(items), page_path),
        })
        if lconf.get("datastore"):
            vars["datastore"] = self._datastore(site, lconf, items, 1, per)
        return self._render_text(site, site.template(lconf["template"]), vars)

    def _pager(self, lconf: dict[str, Any], k: int, count: int, total: int, page_path: str) -> str:
        if lconf.get("pager") != "vsb":
            return ""
        pages = lconf["pages"]

        def rel(i: int) -> str:
            return posixpath.relpath(pages[i], posixpath.dirname(page_path))

        def fun(cls: str, label: str, i: int, enabled: bool) -> str:
            if enabled:
                return f'<span class="{cls} p_fun"><a href="{rel(i)}">{label}</a></span>'
            return f'<span class="{cls}_d p_fun_d">{label}</span>'

        parts = [fun("p_first", "首页", 0, k > 0), fun("p_prev", "上页", k - 1, k > 0)]
        for i in range(count):
            if i == k:
                parts.append(f'<span class="p_no_d">{i + 1}</span>')
            else:
                parts.append(f'<span class="p_no"><a href="{rel(i)}">{i + 1}</a></span>')
        parts += [fun("p_next", "下页", k + 1, k < count - 1), fun("p_last", "尾页", count - 1, k < count - 1)]
        return (f'<div class="pb_sys_common pb_sys_normal pb_sys_style1"><span class="p_t">共{total}条</span> '
                f'<span class="p_pages">{"".join(parts)}</span> <span class="p_t">{k + 1}/{count}</span></div>')

    def _datastore(self, site: Site, lconf: dict[str, Any], items: list[dict[str, Any]], page: int, per: int) -> str:
        total_pages = max(1, math.ceil(len(items) / per))
        chunk = items[(page - 1) * per:page * per]
        records = "\n".join(
            f"<record><![CDATA[\n{self._render_items(site, lconf, [i], '/')}\n]]></record>" for i in chunk
        )
        nextgroup = ""
        if page < total_pages:
            params = self._render_text(site, lconf["proxy_params"], {})
            nextgroup = (f'<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page={page + 1}&{params}">'
                         "</a>]]></nextgroup>\n")
        return (f"<datastore>\n{nextgroup}<recordset>\n{records}\n</recordset>\n"
                f"<totalrecord>{len(items)}</totalrecord>\n<totalpage>{total_pages}</totalpage>\n</datastore>")

    def _dataproxy(self, site: Site, conf: dict[str, Any], params: list[tuple[str, str]]) -> Response:
        lconf = site.lists[conf["list"]]
        p = dict(params)
        items = self._items(site, lconf["items"])
        if p.get("columnid") != str(lconf["columnid"]):
            items = []
        try:
            per = min(max(int(p.get("perpage") or lconf["per_page"]), 1), 300)
        except ValueError:
            per = int(lconf["per_page"])
        try:
            page = max(int(p["page"]), 1) if p.get("page") else 1  # startrecord/endrecord are ignored
        except ValueError:
            page = 1
        xml = '<?xml version="1.0" encoding="UTF-8"?>\n' + self._datastore(site, lconf, items, page, per)
        return Response(200, xml.encode("utf-8"), [("Content-Type", "text/xml;charset=UTF-8")])

    def _gkmlpt_api(self, site: Site, conf: dict[str, Any], query: list[tuple[str, str]]) -> Response:
        q = dict(query)
        lconf = site.lists[conf["list"]]
        page = q.get("page", "1")
        if q.get("sid") != str(lconf["sid"]) or page != "1":
            return Response(404, _NOT_FOUND, [("Content-Type", "text/html")])
        items = self._items(site, lconf["items"])
        base = "http://" + self.host(site.id)
        articles = []
        for item in items:
            created = _parse_date(item["date"])
            url = base + self.fill(item["path"])
            articles.append({
                "id": int(item["id"]), "title": item["title"], "url": url, "post_url": url,
                "identifier": item.get("identifier", ""), "publisher": item.get("publisher", ""),
                "created_at": created.strftime("%Y-%m-%d %H:%M:%S"), "create_time": int(created.timestamp()),
                "first_publish_time": int(created.timestamp()), "classify_id": lconf["cat_id"],
            })
        payload = {
            "classify": {"id": lconf["cat_id"], "name": lconf["cat_name"], "post_count": len(items),
                         "parent": 0, "sid": int(lconf["sid"])},
            "articles": articles,
        }
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        return Response(200, body, [("Content-Type", "application/json;charset=UTF-8")])

    def _tree_text(self, site: Site, conf: dict[str, Any]) -> str:
        tree = site.conf["tree"]
        root = tree["root"]
        level = conf["level"]
        lconf = {"item": tree["item"], "href_style": "dot"}
        if level == "root":
            title, crumb = tree["title"], ""
            page_path = root + "index.html"
            body = "\n".join(self._render_text(site, tree["folder_item"], {
                "href": f"./{y}/", "title": f"{y}年"}) for y in tree["years"])
        elif level == "year":
            year = conf["year"]
            title = f"{year}年"
            crumb = f' &gt; <a href="../">{tree["title"]}</a>'
            page_path = f"{root}{year}/index.html"
            body = "\n".join(self._render_text(site, tree["folder_item"], {"href": f"./{u}/", "title": name})
                             for u, name in tree["units"].items())
        else:
            year, unit = conf["year"], conf["unit"]
            title = tree["units"][unit]
            crumb = f' &gt; <a href="../../">{tree["title"]}</a> &gt; <a href="../">{year}年</a>'
            page_path = f"{root}{year}/{unit}/index.html"
            items = self._items(site, conf["items"])
            body = self._render_items(site, lconf, items, page_path) if items else tree["empty"]
        return self._render_text(site, site.template(tree["template"]), {
            "title": title, "crumb": crumb, "items": body, "path": page_path,
        })
