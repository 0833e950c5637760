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


def test_trs_pager_pages_come_from_the_first_page_only() -> None:
    first = page("trs", "/zfxxgk/zfxxgknb/index.html")
    assert [r.url for r in F.trs_pages(first.url, first.text)] == [
        WEB.url("trs", "/zfxxgk/zfxxgknb/index_1.html"),
        WEB.url("trs", "/zfxxgk/zfxxgknb/index_2.html"),
    ]
    assert all((r.method, r.kind, r.form) == ("GET", "html", None) for r in F.trs_pages(first.url, first.text))
    second = page("trs", "/zfxxgk/zfxxgknb/index_1.html")
    assert F.trs_pages(second.url, second.text) == []  # its pager points back; nothing new to ask


def test_hanweb_records_and_dataproxy_pages() -> None:
    column = page("hanweb", "/col/col1229325036/index.html")
    records = F.hanweb_records(column.url, column.text)
    assert len(records) == 5 and all(r.url.startswith(WEB.url("hanweb", "/art/")) for r in records)
    assert all(r.date and re.fullmatch(r"\d{4}-\d{2}-\d{2}", r.date) for r in records)
    [more] = F.hanweb_pages(column.url, column.text)
    assert (more.method, more.kind) == ("POST", "xml")
    assert urlsplit(more.url).path == "/module/web/jpage/dataproxy.jsp"
    assert {k: v[0] for k, v in parse_qs(urlsplit(more.url).query).items()} == {
        "page": "2", "startrecord": "6", "endrecord": "10", "perpage": "5"}  # fmt: skip
    assert more.form and more.form["columnid"] == "1229325036" and more.form["webid"] == "3"
    one_page = page("nanyang", "/col/col1229501123/index.html")  # everything embedded: no dataproxy page
    assert F.hanweb_pages(one_page.url, one_page.text) == [] and len(F.hanweb_records(one_page.url, one_page.text)) == 2


def test_gkmlpt_api_and_its_articles() -> None:
    start = page("gkmlpt", "/gkmlpt/annualreport")
    [api] = F.gkmlpt_api(start.url, start.text, re.findall(r"annualreport#(\d+)", start.text))
    assert (api.url, api.kind) == (WEB.url("gkmlpt", "/gkmlpt/api/all/2629?page=1&sid=175"), "json")
    answer = page("gkmlpt", "/gkmlpt/api/all/2629?page=1&sid=175")
    links, nxt = F.gkmlpt_articles(answer.url, answer.text)
    assert [lk.date for lk in links] == ["2021-03-01", "2021-01-25", "2021-01-22"]
    assert all(lk.kind == "page" and lk.url.startswith(WEB.url("gkmlpt", "/gkmlpt/content/")) for lk in links)
    assert nxt is None  # post_count 3, all on page 1
    body = answer.text.replace('"post_count": 3', '"post_count": 9')
    _, more = F.gkmlpt_articles(answer.url, body)
    assert more is not None and more.url.endswith("page=2&sid=175") and more.kind == "json"
    assert F.gkmlpt_articles(answer.url, "not json") == ([], None)
    other = page("trs", "/zfxxgk/zfxxgknb/index.html")
    assert F.gkmlpt_api(other.url, other.text, []) == []


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
