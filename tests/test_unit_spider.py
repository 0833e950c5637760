"""Unit tests of every callback of the `annual_reports` spider (start, parse_page, parse_json, parse_xml, the 304
replay and the errback), on responses made from the demo web's recorded pages and the fixture documents: no server,
no subprocess."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from scrapy import FormRequest, Request
from scrapy.exceptions import DownloadCancelledError, DownloadTimeoutError
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from crawler import families as F
from crawler.answers import answer_links
from crawler.extensions import budget_hit
from crawler.hosts import HostGivenUp
from crawler.items import DocumentItem, FetchErrorItem, UnchangedItem
from crawler.middlewares import Blocked, RobotsRefused
from crawler.paging import ListCall
from crawler.registry import Site, load_sites
from crawler.spiders.annual_reports import AnnualReportsSpider
from crawler.store import StoreExtension
from storage.memory import Remembered

from .responses import WEB, document, make_response, not_modified, page

LIST = "/zfxxgk/zfxxgknb/index.html"
REPORT = "/zfxxgk/zfxxgknb/202403/t20240308_87885.html"


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Site]:
    """The demo web's registry, as `nianbao demo` writes it."""
    return {s.site_id: s for s in load_sites(WEB.write_registry(tmp_path_factory.mktemp("reg") / "sites.csv"))}


def spider_for(*chosen: Site, tmp_path: Path | None = None, **settings: Any) -> AnnualReportsSpider:
    """Return the spider over `chosen`, with a store under `tmp_path` if given, started (its store found)."""
    if tmp_path is not None:
        settings.update(EXTENSIONS={StoreExtension: 100}, NIANBAO_DB=f"sqlite:///{tmp_path / 'db.sqlite'}")
    crawler = get_crawler(AnnualReportsSpider, settings)
    spider = AnnualReportsSpider.from_crawler(crawler, sites=list(chosen))
    crawler.spider = spider
    collect(spider.start())
    return spider


def collect(out: Any) -> list[Any]:
    """Return everything a callback yields, be it a generator or an async generator."""
    if hasattr(out, "__aiter__"):

        async def drain() -> list[Any]:
            got = [x async for x in out]
            # The page's crawl-memory row is written by a task of its own (crawler/store_batch.py), not awaited by
            # the callback: let it end in this loop, or a test reading the memory races the writer's thread.
            await asyncio.gather(*(asyncio.all_tasks() - {asyncio.current_task()}))
            return got

        return asyncio.run(drain())
    return list(out or [])


def meta(site: Site, role: str = "list", depth: int = 0, **context: Any) -> dict[str, Any]:
    """Return the meta the spider gives its own requests."""
    return {"site": site, "role": role, "depth": depth, "context": context}


def stats(spider: AnnualReportsSpider, site: str) -> dict[str, Any]:
    """Return the crawl stats of one site, without the `site/<id>/` prefix."""
    prefix = f"site/{site}/"
    return {k[len(prefix) :]: v for k, v in spider.crawler.stats.get_stats().items() if k.startswith(prefix)}


# -- start --------------------------------------------------------------------------------------------------------
def test_the_crawl_starts_at_every_start_url_of_every_site(sites: dict[str, Site]) -> None:
    spider = AnnualReportsSpider.from_crawler(get_crawler(AnnualReportsSpider), sites=[sites["trs"], sites["waf412"]])
    requests = collect(spider.start())
    assert [r.url for r in requests] == [*sites["trs"].start_urls, *sites["waf412"].start_urls]
    assert all(r.meta["role"] == "list" and r.meta["depth"] == 0 for r in requests)
    # Filtered like any request: a start page that links itself (a breadcrumb to its column) is fetched once.
    assert not any(r.dont_filter for r in requests)
    assert stats(spider, "trs") == {"pages": 0} and spider.store is None


# -- parse_page ---------------------------------------------------------------------------------------------------
def test_a_trs_list_leads_to_its_reports_and_its_pager_and_is_remembered(sites: dict[str, Site], tmp_path: Path) -> None:
    trs = sites["trs"]
    spider = spider_for(trs, tmp_path=tmp_path)
    response = page("trs", LIST, meta=meta(trs))
    out = collect(spider.parse_page(response))
    assert all(isinstance(r, Request) for r in out)
    urls = {r.url: r for r in out}
    for path in ("/zfxxgk/zfxxgknb/202503/t20250310_97791.html", REPORT):
        assert WEB.url("trs", path) in urls, f"{path} not followed"
    # The pager asks for the next page only: a page showing new links leads to the one after it.
    pager = urls[WEB.url("trs", "/zfxxgk/zfxxgknb/index_1.html")]
    assert WEB.url("trs", "/zfxxgk/zfxxgknb/index_2.html") not in urls
    assert (pager.meta["role"], pager.meta["depth"], pager.callback.__name__) == ("list", 1, "parse_page")
    assert pager.meta["context"]["page"] == 1 and pager.meta["context"]["pager"]["last"] == 2
    assert all(trs.allows(u) for u in urls) and all(r.errback == spider.failed for r in out)
    assert stats(spider, "trs")["pages"] == 1
    known = spider.store.memory.recall(response.url)
    assert known is not None and not known.document and known.etag == response.headers[b"ETag"].decode()
    assert [c["url"] for c in known.children] == [r.url for r in out]
    assert {c["cb"] for c in known.children} == {"parse_page"}
    second = collect(spider.parse_page(page("trs", "/zfxxgk/zfxxgknb/index_1.html", request=pager)))
    [nxt] = [r for r in second if r.url == WEB.url("trs", "/zfxxgk/zfxxgknb/index_2.html")]
    assert nxt.meta["context"]["page"] == 2 and nxt.meta["depth"] == 1  # paging does not deepen the crawl
    third = collect(spider.parse_page(page("trs", "/zfxxgk/zfxxgknb/index_2.html", request=nxt)))
    assert not [r for r in third if "index_" in r.url], "the site's count bounds the series"
    again = collect(spider.parse_page(page("trs", "/zfxxgk/zfxxgknb/index_1.html", request=pager)))
    assert not [r for r in again if "pager" in r.meta["context"]], "a page showing nothing new ends its list"


def test_a_columns_next_pages_by_plain_links_stay_at_its_depth_while_they_show_new_links(sites: dict[str, Site]) -> None:
    trs = sites["trs"]
    spider = spider_for(trs)

    def column_page(n: int, reports: range, request: Request | None = None, depth: int = 5) -> list[Any]:
        items = "".join(f"<li><a href='/nb/t2025010{k % 9}_{k}.html'>测试区第{k}号单位2024年度政府信息公开工作年度报告</a>"
                        "<span>2025-01-10</span></li>" for k in reports)  # fmt: skip
        pager = (f"<a href='{n - 1}.html'>上一页</a>" if n > 1 else "") + f"<a href='{n + 1}.html'>下一页</a>"
        body = (f"<html><head><title>政府信息公开年报</title></head><body><div class='lm'>政府信息公开年报</div><ul>{items}"
                f"</ul><div class='page'>{pager}</div></body></html>").encode()  # fmt: skip
        kw = {"request": request} if request is not None else {"meta": meta(trs, depth=depth, column="政府信息公开年报")}
        return collect(spider.parse_page(make_response(WEB.url("trs", f"/nb/{n}.html"), body,
                                                       {"Content-Type": "text/html; charset=utf-8"}, **kw)))  # fmt: skip

    first = {r.url: r for r in column_page(1, range(1, 5))}
    nxt = first[WEB.url("trs", "/nb/2.html")]
    # The next page is the same list, not a link hop deeper: a long column is not cut by the depth budget.
    assert nxt.meta["depth"] == 5 and nxt.meta["context"]["next_page"]
    assert {r.meta["depth"] for u, r in first.items() if "/t2025" in u} == {6}
    second = {r.url: r for r in column_page(2, range(5, 9), request=nxt)}
    third = second[WEB.url("trs", "/nb/3.html")]
    assert third.meta["depth"] == 5 and WEB.url("trs", "/nb/1.html") in second
    # A page showing nothing new (a pager that answers any number with the same entries) ends the list.
    again = column_page(3, range(5, 9), request=third)
    assert not [r for r in again if "/nb/" in r.url and "/t2025" not in r.url]


def test_a_report_page_is_a_document_with_what_the_list_said(sites: dict[str, Site], tmp_path: Path) -> None:
    trs = sites["trs"]
    spider = spider_for(trs, tmp_path=tmp_path)
    said = meta(trs, "candidate", 1, column="政府信息公开年报", list_title="平潭综合实验区2023年度政府信息公开工作年度报告",
                list_date="2024-03-08")  # fmt: skip
    response = page("trs", REPORT, meta=said)
    [doc, *links] = collect(spider.parse_page(response))
    assert isinstance(doc, DocumentItem) and all(isinstance(r, Request) for r in links)
    assert (doc.url, doc.body, doc.status, doc.site) == (response.url, response.body, 200, "trs")
    assert doc.list_title == said["context"]["list_title"] and doc.list_date == "2024-03-08"
    assert doc.published_at and doc.published_at.startswith("2024-03-08") and doc.column == "政府信息公开年报"
    assert (doc.region_code, doc.charset, doc.filename) == ("350128", "utf-8", "t20240308_87885.html")
    assert doc.etag == response.headers[b"ETag"].decode() and doc.last_modified
    # Remembered with its links, but a report page is done only once its own fetch is stored.
    assert spider.store.memory.recall(response.url) is None


def test_a_document_served_as_a_page_is_a_document_and_leads_nowhere(sites: dict[str, Site]) -> None:
    trs = sites["trs"]
    spider = spider_for(trs)
    url = WEB.url("trs", "/nb/download?id=4")
    response = make_response(url, document("seed001_pdf"), {"Content-Type": "text/html; charset=utf-8"},
                             meta=meta(trs, "candidate", 2, list_title="年报"))  # fmt: skip
    [doc] = collect(spider.parse_page(response))
    assert isinstance(doc, DocumentItem) and doc.body.startswith(b"%PDF") and doc.list_title == "年报"
    blank = make_response(WEB.url("trs", "/x.bin"), b"\x00\x01binary", {"Content-Type": "application/octet-stream"},
                          meta=meta(trs, "candidate", 2))  # fmt: skip
    assert collect(spider.parse_page(blank)) == []


def test_a_page_too_deep_to_read_whole_is_refused_aloud_and_not_remembered(sites: dict[str, Site], tmp_path: Path) -> None:
    trs = sites["trs"]
    spider = spider_for(trs, tmp_path=tmp_path)
    html = f"<html><body>{'<div>' * 3000}<a href='/nb/r.pdf'>2024年度政府信息公开工作年度报告</a></body></html>"
    deep = make_response(WEB.url("trs", "/deep.html"), html.encode(), {"Content-Type": "text/html; charset=utf-8"},
                         meta=meta(trs, "list", 1, list_title="深", list_date="2025-01-01"))  # fmt: skip
    [error] = collect(spider.parse_page(deep))
    assert isinstance(error, FetchErrorItem) and "not read whole" in error.error
    assert (error.list_title, error.list_date) == ("深", "2025-01-01")
    assert stats(spider, "trs")["errors"] == 1 and spider.store.memory.recall(deep.url) is None


def test_links_past_the_budget_or_off_the_site_are_not_requested(sites: dict[str, Site]) -> None:
    trs = sites["trs"]
    small = Site(trs.site_id, trs.name, trs.start_urls, trs.allowed_hosts, overrides={"max_pages": 3})
    spider = spider_for(small)
    out = collect(spider.parse_page(page("trs", LIST, meta=meta(small))))
    assert len(out) == 2 and spider.pages["trs"] == 3  # the start URL was the first of the three
    assert spider.held["trs"] and spider.release_held() == []  # no report made room: refused at the end
    assert stats(spider, "trs")["budget_refused"] > 0
    html = b"<html><body><ul><li><a href='http://127.0.0.12:8765/nb.html'>2024\xe5\xb9\xb4\xe5\xba\xa6\xe6\x8a\xa5\xe5\x91\x8a</a></li></ul></body></html>"
    away = make_response(WEB.url("trs", "/away.html"), html, {"Content-Type": "text/html; charset=utf-8"},
                         meta=meta(trs))  # fmt: skip
    assert collect(spider_for(trs).parse_page(away)) == []


def test_a_government_sites_links_to_its_bodys_other_hosts_are_followed_and_a_mirrors_are_not() -> None:
    portal = Site("sxgp", "高平市人民政府", ("http://www.sxgp.gov.cn/",), frozenset({"www.sxgp.gov.cn"}))
    spider = spider_for(portal)
    html = ("<html><body><ul><li><a href='http://xxgk.sxgp.gov.cn/gzbm/zfbgs/zfxxgknb/'>政府信息公开年报</a></li>"
            "<li><a href='http://www.sxgp.gov.cn.jxx.com/zfxxgknb/'>政府信息公开年报</a></li></ul></body></html>")  # fmt: skip
    home = make_response("http://www.sxgp.gov.cn/", html.encode(), {"Content-Type": "text/html; charset=utf-8"},
                         meta=meta(portal))  # fmt: skip
    out = [r for r in collect(spider.parse_page(home)) if r is not None]
    assert [r.url for r in out] == ["http://xxgk.sxgp.gov.cn/gzbm/zfbgs/zfxxgknb/"]
    assert stats(spider, "sxgp")["offsite_links"] == 1
    # A host another site of the crawl names is that site's: its region and budget are the right ones.
    platform = Site("sxgp-xxgk", "高平市信息公开", ("http://xxgk.sxgp.gov.cn/",), frozenset({"xxgk.sxgp.gov.cn"}))
    both = spider_for(portal, platform)
    assert [r for r in collect(both.parse_page(home)) if r is not None] == []
    assert stats(both, "sxgp")["offsite_links"] == 2
    # A start URL on such a host is still its own site's.
    wide = Site("sx", "高平市", ("http://xxgk.sxgp.gov.cn/nb/",), frozenset({"*.sxgp.gov.cn"}))
    starts = [r.url for r in collect(spider_for(wide, platform).start())]
    assert starts == ["http://xxgk.sxgp.gov.cn/nb/", "http://xxgk.sxgp.gov.cn/"]


def test_a_dated_list_entry_on_another_host_is_lent_and_nothing_else_of_that_host() -> None:
    bureau = Site("dz", "德州市生态环境局", ("http://sthj.dezhou.gov.cn/",), frozenset({"sthj.dezhou.gov.cn"}))
    spider = spider_for(bureau)
    title = "德州市生态环境局2023年政府信息公开工作年度报告"
    html = (f"<html><body><ul><li><a href='http://cloud.example.com/zfgk/2023/index.html'>{title}</a>"
            "<span>2024-01-26</span></li>"
            f"<li><a href='http://sthj.dezhou.gov.cn.bet.example/nb/2023.html'>{title}</a><span>2024-01-26</span></li>"
            "<li><a href='http://cloud.example.com/zfxxgknb/'>政府信息公开年报</a><span>2024-01-01</span></li>"
            f"<li><a href='http://www.dezhou.gov.cn/nb/2023/t20240126_1.html'>{title}</a><span>2024-01-26</span></li>"
            "</ul>"
            f"<div style='position:absolute;left:-9999px'><a href='http://mirror.example/nb.html'>{title}</a></div>"
            "</body></html>")  # fmt: skip
    column = make_response("http://sthj.dezhou.gov.cn/zwgk/nb/index.html", html.encode(),
                           {"Content-Type": "text/html; charset=utf-8"}, meta=meta(bureau))  # fmt: skip
    out = [r for r in collect(spider.parse_page(column)) if r is not None]
    assert [(r.url, r.meta["role"], r.meta.get("lent_host")) for r in out] == [
        ("http://cloud.example.com/zfgk/2023/index.html", "candidate", "cloud.example.com"),
        ("http://www.dezhou.gov.cn/nb/2023/t20240126_1.html", "candidate", "www.dezhou.gov.cn")]  # another body's
    # on the lent host: a book page the report page links is lent too, the host's other pages are not
    shell = make_response("http://cloud.example.com/zfgk/2023/index.html", (
        f"<html><head><title>{title}</title></head><body><a href='files/basic-html/page1.html'>文本版</a>"
        "<a href='/zfgk/index.html'>更多电子书</a></body></html>").encode(),
        {"Content-Type": "text/html; charset=utf-8"}, meta={**out[0].meta})  # fmt: skip
    got = [r for r in collect(spider.parse_page(shell)) if r is not None]
    assert [(r.url, r.meta.get("lent_host")) for r in got] == [
        ("http://cloud.example.com/zfgk/2023/files/basic-html/page1.html", "cloud.example.com")]


def test_a_later_page_of_a_report_cut_into_pages_reached_first_leads_to_its_first() -> None:
    site = Site("gp", "高平市人民政府", ("http://www.gp.gov.cn/",), frozenset({"www.gp.gov.cn"}))
    spider = spider_for(site)
    title = "高平市人民政府2024年政府信息公开工作年度报告"
    html = (f"<html><head><title>{title}</title></head><body><h1>{title}</h1><p>三、收到和处理政府信息公开申请情况</p>"
            "<p>四、政府信息公开行政复议、行政诉讼情况</p><p>五、存在的主要问题及改进情况</p>"
            '<script>createPageHTML(3, 1, "t20250105_48000", "html");</script></body></html>')  # fmt: skip
    later = make_response("http://www.gp.gov.cn/nb/202501/t20250105_48000_1.html", html.encode(),
                          {"Content-Type": "text/html; charset=utf-8"}, meta=meta(site))  # fmt: skip
    out = [r for r in collect(spider.parse_page(later)) if r is not None]
    assert not any(isinstance(r, DocumentItem) for r in out)  # no report of its own
    first = [r for r in out if r.url == "http://www.gp.gov.cn/nb/202501/t20250105_48000.html"]
    assert [r.meta["role"] for r in first] == ["candidate"] and first[0].meta["context"]["list_title"] == title


# -- the 304 replay -------------------------------------------------------------------------------------------------
def test_a_list_answering_304_replays_its_requests_callbacks_and_forms(sites: dict[str, Site]) -> None:
    hanweb = sites["hanweb"]
    spider = spider_for(hanweb)
    proxy = WEB.url("hanweb", "/module/web/jpage/dataproxy.jsp?page=2")
    children = (
        {"url": WEB.url("hanweb", "/art/2021/1/26/art_1229325036_3701234.html"), "role": "candidate",
         "context": {"list_title": "年报", "list_date": "2021-01-26"}, "cb": "parse_page", "method": "GET", "form": None},
        {"url": proxy, "role": "list", "context": {"column": "年报"}, "cb": "parse_xml", "method": "POST",
         "form": "columnid=1229325036&webname=%E5%AE%81%E6%B3%A2"},
        {"url": WEB.url("hanweb", "/api.json"), "role": "list", "context": {}, "cb": "parse_json", "method": "GET",
         "form": None},
        {"url": WEB.url("hanweb", "/search"), "role": "list", "cb": "parse_list", "method": "POST", "form": "x",
         "context": {"column": "年报", "page": 3, "pager": {"url": WEB.url("hanweb", "/search"), "method": "POST",
                     "params": {"siteId": "7"}, "body": "json", "page_key": "pageNo"}}},
    )  # fmt: skip
    request = Request(WEB.url("hanweb", "/col/col1229325036/index.html"),
                      meta={**meta(hanweb), "remembered": Remembered('"e"', None, False, False, children)})  # fmt: skip
    out = collect(spider.parse_page(not_modified(request)))
    assert [r.url for r in out] == [c["url"] for c in children]
    assert [r.callback.__name__ for r in out] == ["parse_page", "parse_list", "parse_list", "parse_list"]
    assert out[0].meta["context"] == children[0]["context"] and out[0].meta["depth"] == 1
    assert isinstance(out[1], FormRequest) and out[1].method == "POST"
    assert dict(parse_qsl(out[1].body.decode())) == {"columnid": "1229325036", "webname": "宁波"}
    # A paged list is asked again from its call: a JSON POST keeps its body and its page.
    assert out[3].method == "POST" and json.loads(out[3].body) == {"siteId": 7, "pageNo": 3}
    assert out[3].headers[b"Content-Type"].startswith(b"application/json") and out[3].meta["context"]["page"] == 3
    assert stats(spider, "hanweb") == {"pages": 1, "lists_unchanged": 1}


def test_a_document_answering_304_is_unchanged_and_counted_known_if_a_report(sites: dict[str, Site]) -> None:
    trs = sites["trs"]
    spider = spider_for(trs)
    attachment = {"url": WEB.url("trs", "/nb/a.pdf"), "role": "document", "context": {}, "cb": "parse_page",
                  "method": "GET", "form": None}  # fmt: skip
    request = Request(WEB.url("trs", REPORT),
                      meta={**meta(trs, "candidate", 1), "remembered": Remembered('"e"', None, True, True, (attachment,))})
    [unchanged, replayed] = collect(spider.parse_page(not_modified(request)))
    assert unchanged == UnchangedItem(site="trs", source_url=request.url)
    assert replayed.url == attachment["url"] and replayed.meta["role"] == "document"
    letter = Request(WEB.url("trs", "/letter.html"), meta={**meta(trs), "remembered": Remembered(None, "Mon", True, False)})
    assert collect(spider.parse_page(not_modified(letter))) == [UnchangedItem(site="trs", source_url=letter.url)]
    unprompted = Request(WEB.url("trs", "/other.html"), meta=meta(trs))
    assert collect(spider.parse_page(not_modified(unprompted))) == []
    assert stats(spider, "trs") == {"pages": 3, "documents_unchanged": 2, "reports_known": 1, "lists_unchanged": 1}


# -- parse_list ---------------------------------------------------------------------------------------
def test_a_gkmlpt_json_page_leads_to_its_articles_and_is_remembered(sites: dict[str, Site], tmp_path: Path) -> None:
    gkmlpt = sites["gkmlpt"]
    spider = spider_for(gkmlpt, tmp_path=tmp_path)
    start = page("gkmlpt", "/gkmlpt/annualreport", meta=meta(gkmlpt))
    api = [r for r in collect(spider.parse_page(start)) if r.callback.__name__ == "parse_list"]
    assert [r.url for r in api] == [WEB.url("gkmlpt", "/gkmlpt/api/all/2629?sid=175&page=1")]
    answer = page("gkmlpt", "/gkmlpt/api/all/2629?sid=175&page=1", request=api[0])
    out = collect(spider.parse_list(answer))
    links = answer_links(answer.url, answer.text)
    assert len(links) == 3 and {lk.url for lk in links} <= {r.url for r in out}
    assert [lk.date for lk in links] == ["2021-03-01", "2021-01-25", "2021-01-22"]
    [nxt] = [r for r in out if r.url.endswith("page=2")]  # three new articles: page 2 may hold more
    assert all(r.meta["depth"] == 2 for r in out if r is not nxt) and nxt.meta["depth"] == 1
    assert stats(spider, "gkmlpt")["pages"] == 2
    assert [c["url"] for c in spider.store.memory.recall(answer.url).children] == [r.url for r in out]


@pytest.mark.parametrize("in_thread", [False, True])
def test_a_list_answer_too_large_to_read_whole_is_counted(sites: dict[str, Site], monkeypatch: pytest.MonkeyPatch,
                                                           in_thread: bool) -> None:  # fmt: skip
    from crawler import answers
    from crawler.spiders import paged

    gkmlpt = sites["gkmlpt"]
    spider = spider_for(gkmlpt)
    start = page("gkmlpt", "/gkmlpt/annualreport", meta=meta(gkmlpt))
    [api] = [r for r in collect(spider.parse_page(start)) if r.callback.__name__ == "parse_list"]
    answer = page("gkmlpt", "/gkmlpt/api/all/2629?sid=175&page=1", request=api)
    if in_thread:  # a big answer is read beside the reactor, with the same outcome
        monkeypatch.setattr(paged, "BIG_ANSWER", 0)
    whole = collect(spider_for(gkmlpt).parse_list(answer))
    assert len([r for r in whole if "/content/" in r.url]) == 3
    monkeypatch.setattr(answers, "MAX_NODES", 20)  # the three articles' answer walked only in part
    out = collect(spider.parse_list(answer))
    assert 0 < len([r for r in out if "/content/" in r.url]) < 3
    assert stats(spider, "gkmlpt")["budget_answer_cut"] == 1
    assert budget_hit(spider.crawler.stats.get_stats(), "gkmlpt") == "answer cut ×1"


def test_a_hanweb_dataproxy_answer_leads_to_its_records(sites: dict[str, Site]) -> None:
    hanweb = sites["hanweb"]
    spider = spider_for(hanweb)
    column = page("hanweb", "/col/col1229325036/index.html", meta=meta(hanweb))
    [post] = [r for r in collect(spider.parse_page(column)) if r.callback.__name__ == "parse_list"]
    assert isinstance(post, FormRequest) and post.method == "POST"
    parts, form = urlsplit(post.url), parse_qsl(post.body.decode())
    # The demo web answers a POST through its own router (what its server does for the request).
    answer = WEB._resolve(WEB.sites["hanweb"], "POST", parts.path, parse_qsl(parts.query), form)
    response = make_response(post.url, answer.body, answer.headers, request=post)
    out = collect(spider.parse_list(response))
    records = F.hanweb_records(response.url, response.text)
    assert records and [r.url for r in out if "pager" not in r.meta["context"]] == [lk.url for lk in records]
    assert all(r.meta["role"] in ("candidate", "document", "list") for r in out)


# -- the errback ----------------------------------------------------------------------------------------------------
def fail(spider: AnnualReportsSpider, exc: BaseException, request: Request) -> list[Any]:
    """Return what the errback yields for `exc` failing `request`."""
    failure = Failure(exc)
    failure.request = request  # type: ignore[attr-defined]  # as Scrapy hands it to an errback
    return collect(spider.failed(failure))


def test_failures_are_told_apart_by_type_and_counted(sites: dict[str, Site]) -> None:
    trs = sites["trs"]
    spider = spider_for(trs)
    spider.crawler.crawling = True
    doc = Request(WEB.url("trs", "/nb/a.pdf"), meta=meta(trs, "document", 2, list_title="年报", list_date="2025-01-02"))
    listing = Request(WEB.url("trs", "/list.html"), meta=meta(trs, "list", 1))
    assert fail(spider, Blocked("challenge from 127.0.0.11: robots.txt says blocked"), doc) == []
    assert fail(spider, RobotsRefused("Forbidden by robots.txt"), listing) == []
    gone = Response(listing.url, status=404, request=listing)
    assert fail(spider, HttpError(gone, "Ignoring non-200 response"), listing) == []
    [timeout] = fail(spider, DownloadTimeoutError("took longer than 3.0 seconds"), doc)
    assert isinstance(timeout, FetchErrorItem) and (timeout.list_title, timeout.list_date) == ("年报", "2025-01-02")
    [big] = fail(spider, DownloadCancelledError(""), doc)
    assert "larger than download max size" in big.error
    [given_up] = fail(spider, HostGivenUp("host given up: 127.0.0.11:8765: 5 consecutive timeouts"), doc)
    assert given_up.error.startswith("host given up")
    assert fail(spider, DownloadTimeoutError("slow list"), listing) == []  # a list is counted, not a feed line
    assert stats(spider, "trs") == {"pages": 0, "robots_refused": 1, "broken_links": 1, "errors": 2, "too_large": 1}
    spider.crawler.crawling = False
    assert fail(spider, DownloadCancelledError(""), doc) == []  # in flight when the crawl stopped: fetched next time
    unsited = Request(WEB.url("trs", "/robots.txt"))
    assert fail(spider, DownloadTimeoutError("robots"), unsited) == []


def test_a_paged_list_refused_as_post_is_asked_again_by_get(sites: dict[str, Site]) -> None:
    hanweb = sites["hanweb"]
    spider = spider_for(hanweb)
    call = ListCall(WEB.url("hanweb", "/module/web/jpage/dataproxy.jsp"), "POST", {"columnid": "9"}, page_key="page",
                    in_query=("page",))  # fmt: skip
    post = spider._list_request(hanweb, call, 2, 1, "年报")
    refused = Response(post.url, status=405, request=post)
    [again] = fail(spider, HttpError(refused), post)
    assert again.method == "GET" and again.callback == spider.parse_list
    assert dict(parse_qsl(urlsplit(again.url).query)) == {"columnid": "9", "page": "2"}
    assert fail(spider, HttpError(Response(again.url, status=405, request=again)), again) == []  # counted, not looped
    assert stats(spider, "hanweb")["errors"] == 1


@pytest.mark.slow  # an extraction worker started
def test_a_report_page_stored_by_an_earlier_crawl_is_not_read_into_a_record_again(sites: dict[str, Site], tmp_path: Path) -> None:
    from crawler.pipelines.dedup import DedupPipeline
    from crawler.pipelines.extract import ExtractPipeline

    trs = sites["trs"]
    spider = spider_for(trs, tmp_path=tmp_path, NIANBAO_EXTRACT_WORKERS=1)
    spider.reader, spider.dedup = (P.from_crawler(spider.crawler) for P in (ExtractPipeline, DedupPipeline))
    spider._looked = True  # the pipelines an engine would hold
    said = meta(trs, "candidate", 1, list_title="平潭综合实验区2023年度政府信息公开工作年度报告", list_date="2024-03-08")
    last_time = Remembered(etag=None, last_modified=None, document=True, report=True)
    stored = page("trs", REPORT, meta={**said, "remembered": last_time})  # a revisit, answered 200
    earlier = spider._document(stored, trs, said["context"])
    spider.store.store.add(earlier.body, None, earlier.source(0.0, None))
    new = page("trs", "/zfxxgk/zfxxgknb/202503/t20250310_97791.html", meta=said)

    async def both() -> list[Any]:
        firsts = []
        for response in (stored, new):
            out = [x async for x in spider.parse_page(response)]
            firsts.append(out[0])
        return firsts

    try:
        known, fresh = asyncio.run(both())
    finally:
        spider.reader.close(None)
    assert isinstance(known, DocumentItem) and known.extracted is None, "stored bytes read into a record again"
    assert isinstance(fresh, DocumentItem) and isinstance(fresh.extracted, dict) and fresh.extracted["year"]


@pytest.mark.slow  # an extraction worker started
def test_a_report_page_whose_bytes_this_crawl_met_at_another_url_is_read_for_its_links_only(
    sites: dict[str, Site], tmp_path: Path
) -> None:
    from crawler.pipelines.dedup import DedupPipeline
    from crawler.pipelines.extract import ExtractPipeline

    trs = sites["trs"]
    spider = spider_for(trs, tmp_path=tmp_path, NIANBAO_EXTRACT_WORKERS=1)
    spider.reader, spider.dedup = (P.from_crawler(spider.crawler) for P in (ExtractPipeline, DedupPipeline))
    spider._looked = True  # the pipelines an engine would hold
    said = meta(trs, "candidate", 1, list_title="平潭综合实验区2023年度政府信息公开工作年度报告", list_date="2024-03-08")
    first = page("trs", REPORT, meta=said)
    twin, later_twin = (make_response(f"{first.url}?from={k}", first.body, dict(first.headers.to_unicode_dict()),
                                      meta=said) for k in ("list", "share"))  # fmt: skip

    async def crawl() -> list[Any]:
        items = []
        for response in (first, twin, later_twin):
            out = [x async for x in spider.parse_page(response)]
            items.append(out[0])
            if response is twin:  # the twin was read before the first item reached the dedup step; now it does
                assert await spider.dedup.process_item(items[0]) is items[0]  # the first URL of these bytes
        return items

    try:
        item, early, late = asyncio.run(crawl())
    finally:
        spider.reader.close(None)
    assert isinstance(item.extracted, dict) and item.extracted["year"]
    assert isinstance(early.extracted, dict)  # not known yet: read whole (the dedup step makes it a source later)
    assert isinstance(late, DocumentItem) and late.extracted is None, "the same bytes read into a record twice"
    assert late.sha256 == item.sha256 and late.url != item.url
