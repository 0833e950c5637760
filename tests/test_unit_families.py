"""Unit tests of every CMS family adapter (crawler/families.py) on the demo web's recorded pages of that family:
no server, no subprocess."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from parsel import Selector

from crawler import families as F
from crawler.discovery import list_links

from .responses import WEB, page


def links_of(site: str, path: str) -> tuple[str, list]:
    """Return the page's URL and its links as the spider reads them."""
    response = page(site, path)
    return response.url, list_links(Selector(text=response.text), response.url)


def test_trs_pager_is_a_series_bounded_by_its_count_and_asked_from_the_first_page_only() -> None:
    first = page("trs", "/zfxxgk/zfxxgknb/index.html")
    call, n = F.trs_call(first.url, first.text)
    assert n == 1 and (call.first, call.last, call.path_stem) == (0, 2, "index.html")
    assert [call.page(k).url for k in (0, 1, 2)] == [first.url, WEB.url("trs", "/zfxxgk/zfxxgknb/index_1.html"),
                                                      WEB.url("trs", "/zfxxgk/zfxxgknb/index_2.html")]  # fmt: skip
    assert call.has_page(2) and not call.has_page(3)
    assert all((call.page(k).method, call.page(k).form) == ("GET", None) for k in (1, 2))
    second = page("trs", "/zfxxgk/zfxxgknb/index_1.html")
    assert F.trs_call(second.url, second.text) is None  # later pages are asked for by the series itself
    # A count the page never defines leaves the series open: it ends where a page shows nothing new.
    unknown = first.text.replace("createPageHTML(countPage", "createPageHTML(pageTotal")
    assert F.trs_call(first.url, unknown)[0].last is None


def test_hanweb_records_and_dataproxy_pages() -> None:
    column = page("hanweb", "/col/col1229325036/index.html")
    records = F.hanweb_records(column.url, column.text)
    assert len(records) == 5 and all(r.url.startswith(WEB.url("hanweb", "/art/")) for r in records)
    assert all(r.date and re.fullmatch(r"\d{4}-\d{2}-\d{2}", r.date) for r in records)
    call, n = F.hanweb_call(column.url, column.text)
    assert n == 2 and call.last == 2 and (call.method, call.kind) == ("POST", "xml")
    more = call.page(2)
    assert urlsplit(more.url).path == "/module/web/jpage/dataproxy.jsp"
    assert {k: v[0] for k, v in parse_qs(urlsplit(more.url).query).items()} == {
        "page": "2", "startrecord": "6", "endrecord": "10", "perpage": "5"}  # fmt: skip
    assert more.form and more.form["columnid"] == "1229325036" and more.form["webid"] == "3"
    one_page = page("nanyang", "/col/col1229501123/index.html")  # everything embedded: no dataproxy page
    assert F.hanweb_call(one_page.url, one_page.text) is None and len(F.hanweb_records(one_page.url, one_page.text)) == 2
    # Another template: GET, absolute proxy, parameters in another case, no totals: paged until nothing new.
    other = (column.text.replace("proxyUrl: '/module/", f"ajaxType: 'get', proxyUrl: '{WEB.url('hanweb', '/module/')}")
             .replace("columnid:", "columnId:").replace("<totalpage>", "<x>").replace("<totalrecord>", "<y>"))
    call, n = F.hanweb_call(column.url, other)
    assert (call.method, call.last, n) == ("GET", None, 2)
    got = parse_qs(urlsplit(call.page(3).url).query)
    assert got["columnId"] == ["1229325036"] and "columnid" not in got and got["page"] == ["3"]


def test_gkmlpt_api_and_its_articles() -> None:
    start = page("gkmlpt", "/gkmlpt/annualreport")
    [(call, n)] = F.gkmlpt_calls(start.url, start.text, re.findall(r"annualreport#(\d+)", start.text))
    assert (call.page(n).url, call.kind) == (WEB.url("gkmlpt", "/gkmlpt/api/all/2629?sid=175&page=1"), "json")
    other = page("trs", "/zfxxgk/zfxxgknb/index.html")
    assert F.gkmlpt_calls(other.url, other.text, []) == []


def test_a_gkmlpt_tree_nested_past_the_recursion_limit_is_walked_or_left_unread() -> None:
    deep: dict = {"id": 0, "name": "根"}
    node = deep
    for k in range(1, 5000):  # deeper than Python's recursion limit, built without JSON
        node["children"] = [{"id": k, "name": "政府信息公开年报" if k == 4999 else f"栏目{k}"}]
        node = node["children"][0]
    walked = list(F._tree_categories(deep))
    assert len(walked) == 5000 and walked[-1] == ("4999", "政府信息公开年报")
    page_html = ("<script>SID: '175'; var TREE = " + '[{"id": 1, "children": ' * 20000 + "[]" + "}]" * 20000 +
                 ";\n</script>")  # fmt: skip
    calls = F.gkmlpt_calls("http://a.gov.cn/gkmlpt/annualreport", page_html, ["2629"])
    assert [c.url for c, _ in calls] == ["http://a.gov.cn/gkmlpt/api/all/2629"]  # the fragment's; the tree unread

def test_lonsun_year_selectors_and_organs() -> None:
    _, links = links_of("lonsun", "/public/column/6596?type=3&action=list")
    assert F.is_lonsun(page("lonsun", "/public/column/6596?type=3&action=list").text)
    chosen = [lk.url for lk in F.lonsun_links(links)]
    assert WEB.url("lonsun", "/public/column/6596?type=3&action=list&timeFrame=2024") in chosen
    assert WEB.url("lonsun", "/public/column/6601?type=3&action=list") in chosen
    assert WEB.url("lonsun", "/openness/OpennessAnnualReport/show/3475.html") in chosen
    assert set(chosen) <= {lk.url for lk in links}
    assert not F.is_lonsun(page("trs", "/zfxxgk/zfxxgknb/index.html").text)


def test_generic_pagers_stay_on_the_lists_host() -> None:
    url, links = links_of("vsb", "/xxgk/zfxxgknb.htm")
    assert {lk.url for lk in F.pager_links(links, url)} == {
        WEB.url("vsb", "/xxgk/zfxxgknb/1.htm"), WEB.url("vsb", "/xxgk/zfxxgknb/2.htm")}  # fmt: skip
    elsewhere = [lk for lk in links if lk.url.startswith(WEB.url("vsb", "/xxgk/zfxxgknb/"))]
    moved = [type(lk)(lk.url.replace("127.0.0.15", "127.0.0.99"), lk.text, lk.date, lk.kind) for lk in elsewhere]
    assert F.pager_links(moved, url) == []


def test_a_units_report_years_are_asked_for_by_fbtime() -> None:
    page = "http://www.x.gov.cn/module/xxgk/tree.jsp?area=001"
    link = "http://www.x.gov.cn/module/xxgk/xxgkAnnualReport.jsp?area=001008&fbtime=2024"
    got = F.unit_year_reports([page, link, "http://www.x.gov.cn/art/2024/1/2/art_1_2.html"], 2026)
    assert got[0] == "http://www.x.gov.cn/module/xxgk/xxgkAnnualReport.jsp?area=001008&fbtime=2025"
    assert [u.rsplit("=", 1)[1] for u in got] == [str(y) for y in range(2025, 2017, -1)]  # eight years, newest first
    # A link naming an older year reaches back to it; a unit page without fbtime gets its years too.
    older = F.unit_year_reports(["http://h/module/xxgk/xxgkAnnualReport.jsp?fbtime=2012&area=9"], 2026)
    assert older[-1] == "http://h/module/xxgk/xxgkAnnualReport.jsp?area=9&fbtime=2012" and len(older) == 14
    assert len(F.unit_year_reports(["http://h/module/xxgk/xxgkAnnualReport.jsp?area=9"], 2026)) == 8
    # Without a unit there is nothing to ask.
    assert F.unit_year_reports(["http://h/module/xxgk/xxgkAnnualReport.jsp?fbtime=2024"], 2026) == []
