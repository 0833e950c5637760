"""A site whose 年报 column no link reaches: its menus are drawn by a script, and only its site search finds the reports.

The site's pages carry the search form of its CMS (a TRS WAS-style `/was5/web/search` GET form, a hidden channel id
and a `searchword` box). When a site's links lead to no report, the crawl asks its search for the reports
(format-spec site patterns, "Site search fallback": gap filling only) and reads the results as a list, their pager
included; a site whose links found reports is never searched.

Run as a script to print the measure: `python -m tests.test_site_search`.
"""

from __future__ import annotations

import html
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from fixtures.web2 import reports as R
from fixtures.web2.common import article_html, li
from fixtures.web2.model import Reply, Request, SiteBuilder
from fixtures.web2.server import Web2

AGENCIES = ("长安县人民政府", "长安县教育局", "长安县财政局", "长安县民政局", "长安县司法局")
PER_PAGE = 3
"""Search results a page: the reports span two pages."""


class _SearchWeb(Web2):
    """One site: a home page whose 信息公开 menu a script writes (no link in the HTML), a 年报 column no page links,
    and a site search that finds the column's reports (and a notice about them) for a query naming them. With
    `linked`, the home page links the column too."""

    def __init__(self, linked: bool = False) -> None:
        super().__init__()
        s = SiteBuilder("ss-search", "127.0.0.54", name="长安县人民政府", family="TRS WCM with a WAS site search",
                        mechanism="年报 column reached by no link; site search /was5/web/search", region_code="140582",
                        region_name="山西省晋城市长安县", level="county", start_paths=["/"],
                        site_code="1405820001", site_name="长安县人民政府")  # fmt: skip
        hits = []
        for k, agency in enumerate(AGENCIES):
            doc = R.make_report(agency, 2024, 5400 + k)
            path = f"/zfxxgk/zfxxgknb/202501/t20250120_54{k:03d}.html"
            date = f"2025-01-{20 + k}"
            main = article_html(s, doc, date=date, publisher=agency, index_no=f"11140582/2025-{k:05d}")
            s.add(path, s.page(doc.title, main, column="政府信息公开年报", article={"title": doc.title, "date": date}))
            hits.append((path, doc.title, date))
        notice = "/xwzx/tzgg/202501/t20250105_53999.html"
        title = "关于做好2024年度政府信息公开工作年度报告编制发布工作的通知"
        s.add(notice, s.page(title, f"<p>{title}。</p>", article={"title": title, "date": "2025-01-05"}))
        hits.append((notice, title, "2025-01-05"))
        s.add("/zfxxgk/zfxxgknb/index.html", s.page("政府信息公开年报", '<ul class="list">'
              + "".join(li(p, t, d) for p, t, d in hits[:-1]) + "</ul>", column="政府信息公开年报"))  # fmt: skip

        def search(req: Request) -> Reply:
            word = req.query.get("searchword", "")
            found = hits if req.query.get("channelid") == "239316" and ("年度报告" in word or "年报" in word) else []
            page = int(req.query.get("page", "1") or 1)
            shown = found[(page - 1) * PER_PAGE : page * PER_PAGE]
            pages = -(-len(found) // PER_PAGE)
            rows = "".join(f'<div class="result"><a href="{p}" target="_blank">{html.escape(t)}</a><span>{d}</span>'
                           "</div>" for p, t, d in shown)  # fmt: skip
            more = ""
            if page < pages:
                query = f"channelid=239316&searchword={req.query.get('searchword', '')}&page={page + 1}"
                more = f'<div class="pager"><a href="/was5/web/search?{html.escape(query)}">下一页</a></div>'
            body = s.page("检索结果", f'<div class="results">找到{len(found)}条结果{rows}</div>{more}')
            return Reply(200, body.encode("utf-8"))

        s.add("/was5/web/search", handler=search)
        form = ('<form action="/was5/web/search" method="get" name="searchform"><input type="hidden" name="channelid"'
                ' value="239316"><input type="text" name="searchword" placeholder="请输入关键字">'
                '<input type="submit" value="搜索"></form>')  # fmt: skip
        menu = ("<script>document.write('<a href=\"/zfxxgk/\" + \"zfxxgknb/index.html\">' + '政府信息公开年报' + "
                "'</a>');</script>")  # fmt: skip
        column = '<a href="/zfxxgk/zfxxgknb/index.html">政府信息公开年报</a>' if linked else ""
        s.add("/", s.page("长安县人民政府", f'{form}<div class="menu">{menu}{column}</div>'
                          '<ul><li><a href="/xwzx/tzgg/202501/t20250105_53999.html">通知公告</a></li></ul>'))  # fmt: skip
        self.sites = {s.id: s}


def crawl_site(tmp: Path, linked: bool = False) -> tuple[int, str, dict[str, Any], list[str]]:
    """Crawl the site; return the exit status, stderr, its summary row and the paths asked of its search."""
    with _SearchWeb(linked) as web:
        reg = web.write_registry(tmp / "sites.csv")
        summary = tmp / "summary.json"
        crawl = subprocess.run([sys.executable, "-m", "nianbao.cli", "crawl", "--sites", str(reg), "--fast", "--db", "",
                                "--feed", str(tmp / "feed.jsonl"), "--summary", str(summary), "--quiet"],
                               cwd=tmp, capture_output=True, text=True, timeout=300)  # fmt: skip
        searched = [f"{r['path']}?{r['query']}" for r in web.requests if r["path"].startswith("/was5/")]
    [row] = json.loads(summary.read_text(encoding="utf-8"))["sites"]
    return crawl.returncode, crawl.stderr, row, searched


@pytest.mark.slow
def test_a_site_whose_links_lead_to_no_report_is_searched_for_its_reports(tmp_path: Path) -> None:
    status, stderr, row, searched = crawl_site(tmp_path)
    assert status == 0, stderr[-2000:]
    assert row["reports_new"] == len(AGENCIES), (row, searched)
    assert len(searched) == 2 and all("channelid=239316" in q for q in searched), searched


@pytest.mark.slow
def test_a_site_whose_links_found_its_reports_is_not_searched(tmp_path: Path) -> None:
    status, stderr, row, searched = crawl_site(tmp_path, linked=True)
    assert status == 0, stderr[-2000:]
    assert row["reports_new"] == len(AGENCIES) and searched == [], (row, searched)


def measure() -> dict[str, Any]:
    """Return what a crawl of the site finds, its column unlinked and linked: exit, reports, search requests."""
    out = {}
    for linked in (False, True):
        with tempfile.TemporaryDirectory() as tmp:
            status, _, row, searched = crawl_site(Path(tmp), linked)
        out["linked" if linked else "unlinked"] = {"exit": status, "reports": row["reports_new"], "of": len(AGENCIES),
                                                   "search_requests": len(searched)}  # fmt: skip
    return out


if __name__ == "__main__":
    print(json.dumps(measure(), ensure_ascii=False, indent=1))
