"""A portal page whose scripts fill many widgets from one list API: more list calls than a page's cap.

A county portal's home page fills sixteen widgets (news, notices, policy columns, …) from its CMS's JSON list
API, one `$.ajax` each, and the column of annual reports is one of them, late on the page. The crawl reads a
page's first `MAX_CALLS` script lists (a page of many widgets stays cheap); the lists past the cap are counted
as a budget the site hit (summary, run row, exit 1) and a site's `max_list_calls` override lifts the cap.

Run as a script to print the measure: `python -m tests.test_widget_lists`.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from crawler.calls import MAX_CALLS, MAX_SCRIPT_FILES
from fixtures.web2 import reports as R
from fixtures.web2.common import article_html
from fixtures.web2.model import Reply, Request, SiteBuilder
from fixtures.web2.server import Web2

WIDGETS = MAX_CALLS + 4
"""Widgets on the portal's home page, each a list call of its own."""
REPORTS_AT = WIDGETS - 2
"""The widget (from 0, in page order) that lists the annual reports."""
AGENCIES = ("长平县人民政府", "长平县教育局", "长平县财政局")


class _WidgetWeb(Web2):
    """One site: a home page whose script asks `/api/getArticleList` for each of WIDGETS columns (channel ids that
    say nothing of what they hold), the reports' column among the last; every other column lists news items.
    With `scripts`, the page is the reports' column alone, its one list call naming a setting (`siteGuid`) that
    the last of `scripts` script files of the site defines."""

    def __init__(self, scripts: int = 0) -> None:
        super().__init__()
        s = SiteBuilder("wd-portal", "127.0.0.53", name="长平县人民政府", family="a CMS JSON list API (widgets)",
                        mechanism="home page widgets filled by $.ajax from one list API", region_code="140581",
                        region_name="山西省晋城市长平县", level="county", start_paths=["/"],
                        site_code="1405810003", site_name="长平县人民政府")  # fmt: skip
        columns: dict[str, list[dict[str, str]]] = {}
        widgets = "".join(
            f'<div class="box"><div class="box-title">栏目{w + 1}</div><ul id="w{w}"></ul></div>'
            f"<script>$.ajax({{url: '/api/getArticleList', type: 'get', dataType: 'json', data: {{channelId: "
            f"'{4100 + 7 * w}', pageNo: 1, pageSize: 8}}, success: function(r){{ fill('#w{w}', r.data); }}}});"
            "</script>"
            for w in range(WIDGETS)
        )
        for w in range(WIDGETS):
            channel = str(4100 + 7 * w)
            entries = []
            if w == REPORTS_AT:
                for k, agency in enumerate(AGENCIES):
                    doc = R.make_report(agency, 2024, 5300 + k)
                    path = f"/content/{channel}/2025/{5300 + k}.html"
                    date = f"2025-01-{20 + k}"
                    main = article_html(s, doc, date=date, publisher=agency, index_no=f"11140581/2025-{k:05d}")
                    s.add(path, s.page(doc.title, main, article={"title": doc.title, "date": date}))
                    entries.append({"title": doc.title, "url": path, "time": date})
            else:
                for k in range(3):  # the news pages carry the widgets too (the site's template): cut once
                    path = f"/content/{channel}/2025/{k}.html"
                    title = f"县政府召开第{w * 3 + k + 1}次常务会议"
                    s.add(path, s.page(title, f"<p>{title}。</p>{'' if scripts else widgets}",
                                       article={"title": title, "date": "2025-02-01"}))  # fmt: skip
                    entries.append({"title": title, "url": path, "time": "2025-02-01"})
            columns[channel] = entries

        def article_list(req: Request) -> Reply:
            entries = columns.get(req.arg("channelId"), [])
            page = int(req.arg("pageNo", "1") or 1)
            data = entries if page == 1 else []
            body = json.dumps({"total": len(entries), "pageNo": page, "data": data}, ensure_ascii=False)
            return Reply(200, body.encode(), ctype="application/json;charset=UTF-8")

        s.add("/api/getArticleList", handler=article_list)
        if scripts:
            for n in range(scripts):
                guid = "var siteGuid = 'a7e1-2024';" if n == scripts - 1 else f"var widget{n} = {n};"
                s.add(f"/js/site{n}.js", body=f"{guid} function go{n}() {{}}".encode(), ctype="application/javascript")
            files = "".join(f'<script src="/js/site{n}.js"></script>' for n in range(scripts))
            channel = str(4100 + 7 * REPORTS_AT)
            call = (f"<script>$.ajax({{url: '/api/getArticleList', data: {{siteGuid: siteGuid, channelId: '{channel}', "
                    "pageNo: 1, pageSize: 8}});</script>")  # fmt: skip
            s.add("/", s.page("长平县人民政府", files + '<ul id="list"></ul>' + call))
        else:
            s.add("/", s.page("长平县人民政府", widgets))
        self.sites = {s.id: s}


def crawl_portal(tmp: Path, overrides: dict[str, Any] | None = None, scripts: int = 0,
                 db: str = "", runs: int = 1) -> tuple[int, str, dict[str, Any]]:  # fmt: skip
    """Crawl the portal (`_WidgetWeb(scripts)`, with the registry `overrides` given) `runs` times into the store
    `db`; return the last crawl's exit status, stderr and the site's summary row."""
    with _WidgetWeb(scripts) as web:
        reg = web.write_registry(tmp / "sites.csv")
        if overrides:
            with reg.open(encoding="utf-8", newline="") as fh:
                rows = list(csv.DictReader(fh))
            with reg.open("w", encoding="utf-8", newline="") as fh:
                out = csv.DictWriter(fh, fieldnames=list(rows[0]))
                out.writeheader()
                out.writerows({**r, "overrides": json.dumps(overrides)} for r in rows)
        summary = tmp / "summary.json"
        for _ in range(runs):
            crawl = subprocess.run([sys.executable, "-m", "nianbao.cli", "crawl", "--sites", str(reg), "--fast", "--db",
                                    db, "--feed", str(tmp / "feed.jsonl"), "--summary", str(summary), "--quiet"],
                                   cwd=tmp, capture_output=True, text=True, timeout=300)  # fmt: skip
    [row] = json.loads(summary.read_text(encoding="utf-8"))["sites"]
    return crawl.returncode, crawl.stderr, row


@pytest.mark.slow
def test_list_calls_past_a_pages_cap_are_a_budget_the_site_hit(tmp_path: Path) -> None:
    status, stderr, row = crawl_portal(tmp_path)
    assert status == 1, stderr[-2000:]
    assert f"list calls cut ×{WIDGETS - MAX_CALLS}" in (row["budget_hit"] or ""), row


@pytest.mark.slow
def test_a_revisit_finding_the_page_unchanged_says_the_cut_again(tmp_path: Path) -> None:
    status, stderr, row = crawl_portal(tmp_path, db=f"sqlite:///{tmp_path}/store.db", runs=2)
    assert status == 1, stderr[-2000:]
    assert row["budget_hit"] == f"list calls cut ×{WIDGETS - MAX_CALLS}", row  # the home page answered 304


@pytest.mark.slow
def test_a_sites_max_list_calls_lifts_the_cap(tmp_path: Path) -> None:
    status, stderr, row = crawl_portal(tmp_path, {"max_list_calls": WIDGETS})
    assert status == 0, stderr[-2000:]
    assert row["reports_new"] == len(AGENCIES) and not row["budget_hit"], row


@pytest.mark.slow
def test_script_files_past_a_pages_cap_are_a_budget_the_site_hit(tmp_path: Path) -> None:
    status, stderr, row = crawl_portal(tmp_path, scripts=MAX_SCRIPT_FILES + 2)
    assert status == 1, stderr[-2000:]
    assert row["budget_hit"] == "script files cut ×2", row


@pytest.mark.slow
def test_a_sites_max_script_files_lifts_the_cap(tmp_path: Path) -> None:
    status, stderr, row = crawl_portal(tmp_path, {"max_script_files": MAX_SCRIPT_FILES + 2}, MAX_SCRIPT_FILES + 2)
    assert status == 0, stderr[-2000:]
    assert row["reports_new"] == len(AGENCIES) and not row["budget_hit"], row


def measure() -> dict[str, Any]:
    """Return what crawls of the portal read: exit status, reports, budget hit (default caps and lifted)."""
    out = {}
    files = MAX_SCRIPT_FILES + 2
    for name, overrides, scripts in (("calls", None, 0), ("calls, max_list_calls", {"max_list_calls": WIDGETS}, 0),
                                     ("files", None, files), ("files, max_script_files", {"max_script_files": files},
                                                              files)):  # fmt: skip
        with tempfile.TemporaryDirectory() as tmp:
            status, _, row = crawl_portal(Path(tmp), overrides, scripts)
        out[name] = {"exit": status, "reports": row["reports_new"], "of": len(AGENCIES), "budget_hit": row["budget_hit"]}
    return out


if __name__ == "__main__":
    print(json.dumps(measure(), ensure_ascii=False, indent=1))
