"""Unit tests of every downloader middleware, on responses made from the demo web's recorded pages and the
fixture documents (tests/responses.py): no server, no subprocess."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from protego import Protego
from scrapy import Request, Spider, signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.utils.test import get_crawler
from twisted.internet.error import DNSLookupError

from crawler.middlewares import (
    BackoffRetryMiddleware,
    Blocked,
    ChallengeMiddleware,
    ConditionalRequestMiddleware,
    EncodingMiddleware,
    RobotsMiddleware,
    RobotsRefused,
)
from crawler.registry import Site
from crawler.safety import SafeResolver, SafetyMiddleware
from crawler.store import StoreExtension
from storage import Store
from storage.memory import page_row

from .responses import WEB, document, make_response, page

TRS = Site("trs", "平潭", (WEB.url("trs", "/"),), frozenset({"127.0.0.11:8765"}))
WAF = Site("waf412", "waf", (WEB.url("waf412", "/"),), frozenset({"127.0.0.17:8765"}))


def store_crawler(tmp_path: Path, **settings: Any) -> Any:
    """Return a crawler whose StoreExtension opened a fresh SQLite store under `tmp_path`."""
    return get_crawler(settings_dict={"EXTENSIONS": {StoreExtension: 100},
                                      "NIANBAO_DB": f"sqlite:///{tmp_path / 'db.sqlite'}", **settings})  # fmt: skip


# -- challenges ---------------------------------------------------------------------------------------------------
def test_a_challenge_blocks_its_host_by_type_and_is_counted_per_host_and_site() -> None:
    crawler = get_crawler()
    mw = ChallengeMiddleware.from_crawler(crawler)
    first = Request(WEB.url("waf412", "/"), meta={"site": WAF})
    with pytest.raises(Blocked, match="瑞数"):
        mw.process_response(first, page("waf412", "/", request=first))
    later = Request(WEB.url("waf412", "/zwgk/nb.html"), meta={"site": WAF})
    with pytest.raises(Blocked, match="is blocked"):
        mw.process_request(later)
    assert mw.process_request(Request(WEB.url("waf412", "/robots.txt"))) is None  # robots.txt is still read
    stats = crawler.stats.get_stats()
    assert stats["challenge/127.0.0.17:8765"] == 2 and stats["site/waf412/blocked"] == 2
    assert stats["site/waf412/blocked_reason"] == "412 $_ts (瑞数 dynamic-cookie challenge)"
    assert issubclass(Blocked, IgnoreRequest)


def test_an_ordinary_page_and_a_report_page_pass_the_challenge_check() -> None:
    mw = ChallengeMiddleware.from_crawler(get_crawler())
    for path in ("/zfxxgk/zfxxgknb/index.html", "/zfxxgk/zfxxgknb/202503/t20250310_97791.html"):
        response = page("trs", path)
        assert mw.process_response(response.request, response) is response
    assert mw.process_request(Request(WEB.url("trs", "/"))) is None
    assert mw.blocked == {}


def test_a_block_page_answered_200_blocks_its_host_in_utf8_and_in_gbk() -> None:
    block = "<html><head><title>访问异常</title></head><body><p>您的访问已被拦截，请稍后再试。</p></body></html>"
    for charset in ("utf-8", "gbk"):
        mw = ChallengeMiddleware.from_crawler(get_crawler())
        request = Request(WEB.url("trs", "/zfxxgk/zfxxgknb/index.html"))
        response = HtmlResponse(request.url, body=block.encode(charset), request=request,
                                headers={"Content-Type": f"text/html; charset={charset}"})  # fmt: skip
        with pytest.raises(Blocked, match="WAF block page"):
            mw.process_response(request, response)
    # A report page that quotes the words is not a block page.
    report = block.replace("请稍后再试", "政府信息公开工作年度报告")
    quoted = HtmlResponse(request.url, body=report.encode("gbk"), request=request,
                          headers={"Content-Type": "text/html; charset=gbk"})  # fmt: skip
    assert ChallengeMiddleware.from_crawler(get_crawler()).process_response(request, quoted) is quoted


def test_with_a_browser_a_challenge_hands_its_host_to_chromium_and_what_it_passes_reaches_the_spider() -> None:
    pytest.importorskip("scrapy_playwright", reason="scrapy-playwright is not installed: pip install -e '.[test]'")
    from crawler.browser import fetch_document

    crawler = get_crawler(settings_dict={"NIANBAO_BROWSER": True, "DOWNLOAD_MAXSIZE": 1000})
    mw = ChallengeMiddleware.from_crawler(crawler)
    first = Request(WEB.url("waf412", "/"), meta={"site": WAF})
    again = mw.process_response(first, page("waf412", "/", request=first))
    # Asked again in Chromium, which waits until the page in view is no challenge.
    assert isinstance(again, Request) and again.url == first.url and again.dont_filter
    assert again.meta["playwright"] and again.meta["playwright_page_methods"][0].method == "wait_for_function"
    assert mw.blocked == {} and crawler.stats.get_value("site/waf412/browser").startswith("412")
    # Every later request to the host goes through the browser; a document's bytes are fetched with its cookies.
    doc = Request(WEB.url("waf412", "/zwgk/nb.pdf"), meta={"site": WAF, "role": "document"})
    assert mw.process_request(doc) is None and doc.meta["playwright"]
    fetch = doc.meta["playwright_page_methods"][-1]
    assert fetch.method is fetch_document and fetch.args == (doc.url, 1000)
    # The page Chromium loaded after the challenge reaches the spider with the status of that page.
    passed = HtmlResponse(first.url, status=412, body="<html><body>政府信息公开年报</body></html>".encode(),
                          request=again, headers={"Content-Type": "text/html; charset=utf-8"})  # fmt: skip
    assert mw.process_response(again, passed).status == 200
    # A document comes back as its own bytes, not as Chromium's viewer of them.
    pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
    fetch.result = (200, {"content-type": "application/pdf"}, pdf)
    viewer = HtmlResponse(doc.url, body=b"<html><body><embed type='application/pdf'></body></html>", request=doc)
    got = mw.process_response(doc, viewer)
    assert got.body == pdf and got.status == 200 and got.headers[b"Content-Type"] == b"application/pdf"
    fetch.result = "larger than 1000 bytes (5000)"
    with pytest.raises(IgnoreRequest, match="larger than 1000"):
        mw.process_response(doc, viewer)
    # Another failure in the browser is the request's own; Chromium's timeout waiting for the page blocks the host.
    assert mw.process_exception(again, ConnectionError("reset")) is None and mw.blocked == {}
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    with pytest.raises(Blocked, match="not passed in the browser within 45 s"):
        mw.process_exception(again, PlaywrightTimeout("Timeout 45000ms exceeded"))
    mw.blocked.clear()
    # A challenge the browser does not pass blocks the host, as without a browser.
    with pytest.raises(Blocked, match="not passed in the browser"):
        mw.process_response(again, page("waf412", "/", request=again))
    with pytest.raises(Blocked, match="is blocked"):
        mw.process_request(Request(WEB.url("waf412", "/zwgk/"), meta={"site": WAF}))


def test_without_a_browser_setting_a_challenge_still_blocks_at_once() -> None:
    mw = ChallengeMiddleware.from_crawler(get_crawler())
    first = Request(WEB.url("waf412", "/"), meta={"site": WAF})
    with pytest.raises(Blocked, match="瑞数"):
        mw.process_response(first, page("waf412", "/", request=first))
    assert mw.browsed == {}


# -- robots.txt ---------------------------------------------------------------------------------------------------
def test_robots_refusals_are_their_own_type() -> None:
    crawler = get_crawler(settings_dict={"ROBOTSTXT_OBEY": True})
    mw = RobotsMiddleware.from_crawler(crawler)
    robots = Protego.parse(page("trs", "/robots.txt").body.decode())
    parser = SimpleNamespace(allowed=lambda url, agent: robots.can_fetch(url, agent))
    refused = Request(WEB.url("trs", "/zfxxgk/zfxxgknb/nbsh/t20250305_97700.html"))
    with pytest.raises(RobotsRefused, match=r"robots\.txt"):
        mw.process_request_2(parser, refused)
    assert mw.process_request_2(parser, Request(WEB.url("trs", "/zfxxgk/zfxxgknb/index.html"))) is None
    assert crawler.stats.get_value("robotstxt/forbidden") == 1
    assert issubclass(RobotsRefused, IgnoreRequest)


# -- encodings ----------------------------------------------------------------------------------------------------
def test_a_gbk_page_served_as_utf8_is_decoded_as_gb18030() -> None:
    response = page("trs", "/zfxxgk/zfxxgknb/202302/t20230220_80629.html")  # GBK bytes, `charset=utf-8` header
    assert response.encoding == "utf-8"
    fixed = EncodingMiddleware().process_response(response.request, response)
    assert isinstance(fixed, HtmlResponse) and fixed.encoding == "gb18030"
    assert "平潭综合实验区2022年度政府信息公开工作年度报告" in fixed.text


def test_documents_served_as_text_become_bytes_and_honest_pages_stay_as_they_are() -> None:
    mw = EncodingMiddleware()
    pdf = make_response(WEB.url("trs", "/nb/download?id=4"), document("seed001_pdf"), {"Content-Type": "text/html"})
    assert isinstance(pdf, TextResponse)
    out = mw.process_response(pdf.request, pdf)
    assert type(out) is Response and out.body == pdf.body and out.url == pdf.url
    honest = page("trs", "/zfxxgk/zfxxgknb/index.html")
    assert mw.process_response(honest.request, honest) is honest


# -- retries ------------------------------------------------------------------------------------------------------
def test_each_retry_waits_twice_as_long_as_the_one_before() -> None:
    crawler = get_crawler(settings_dict={"RETRY_TIMES": 3, "RETRY_BACKOFF_BASE": 0.5})
    crawler.spider = Spider.from_crawler(crawler, "unit")  # Scrapy's retry logs against the running spider
    mw = BackoffRetryMiddleware.from_crawler(crawler)
    request = Request(WEB.url("trs", "/zfxxgk/zfxxgknb/index.html"))
    delays = []
    for _ in range(3):
        request = mw.process_response(request, Response(request.url, status=503, request=request))
        assert isinstance(request, Request)
        delays.append(request.meta["retry_delay"])
    assert delays == [0.5, 1.0, 2.0]
    gave_up = mw.process_response(request, Response(request.url, status=503, request=request))
    assert isinstance(gave_up, Response)  # the fourth 503 goes to the spider
    request.meta["retry_delay"] = 0.001
    assert asyncio.run(mw.process_request(request)) is None and "retry_delay" not in request.meta


# -- conditional requests from the store's memory ------------------------------------------------------------------
def test_requests_for_what_the_store_holds_are_conditional(tmp_path: Path) -> None:
    crawler = store_crawler(tmp_path)
    mw = ConditionalRequestMiddleware.from_crawler(crawler)
    store = crawler.get_extension(StoreExtension).store
    pdf = page("trs", "/zfxxgk/zfxxgknb/202101/P020210128392751846023.pdf")
    etag, modified = (pdf.headers[h].decode() for h in (b"ETag", b"Last-Modified"))
    store.add(pdf.body, None, {"url": pdf.url, "etag": etag, "last_modified": modified})
    listing = page("trs", "/zfxxgk/zfxxgknb/index.html")
    child = {"url": pdf.url, "role": "document", "context": {}, "cb": "parse_page", "method": "GET", "form": None}
    store.memory.remember_pages([page_row(listing.url, etag='"list"', last_modified=None, children=[child], document=False)])

    ask = Request(pdf.url)
    assert asyncio.run(mw.process_request(ask)) is None
    assert ask.headers[b"If-None-Match"].decode() == etag and ask.headers[b"If-Modified-Since"].decode() == modified
    assert ask.meta["conditional"] and ask.meta["remembered"].document and not ask.meta["remembered"].report
    ask_list = Request(listing.url)
    asyncio.run(mw.process_request(ask_list))
    assert ask_list.headers[b"If-None-Match"] == b'"list"' and b"If-Modified-Since" not in ask_list.headers
    assert ask_list.meta["remembered"].children == (child,)
    for fresh in (Request(WEB.url("trs", "/zfxxgk/zfxxgknb/index_1.html")), Request(pdf.url, method="POST")):
        asyncio.run(mw.process_request(fresh))
        assert b"If-None-Match" not in fresh.headers and "remembered" not in fresh.meta
    assert crawler.stats.get_value("conditional/sent") == 2


def test_without_a_store_no_request_is_conditional() -> None:
    crawler = get_crawler(settings_dict={"EXTENSIONS": {StoreExtension: 100}, "NIANBAO_DB": ""})
    assert crawler.get_extension(StoreExtension) is None
    with pytest.raises(NotConfigured):
        ConditionalRequestMiddleware.from_crawler(crawler)


def test_a_memory_that_cannot_be_read_leaves_the_request_whole(tmp_path: Path) -> None:
    crawler = get_crawler()
    unmigrated = StoreExtension(crawler, Store(f"sqlite:///{tmp_path / 'empty.sqlite'}", tmp_path / "blobs"))
    mw = ConditionalRequestMiddleware(crawler.stats, unmigrated)
    request = Request(WEB.url("trs", "/zfxxgk/zfxxgknb/index.html"))
    assert asyncio.run(mw.process_request(request)) is None
    assert b"If-None-Match" not in request.headers and "remembered" not in request.meta


# -- safety -------------------------------------------------------------------------------------------------------
def test_the_hosts_the_user_named_are_the_opened_spiders() -> None:
    crawler = get_crawler()
    mw = SafetyMiddleware.from_crawler(crawler)
    off = Request("http://127.0.0.12:8765/elsewhere.html", meta={"site": TRS})
    with pytest.raises(IgnoreRequest, match="off-site"):
        mw.process_request(off)
    assert crawler.stats.get_value("site/trs/offsite_refused") == 1
    with pytest.raises(IgnoreRequest, match="not named"):
        mw.process_request(Request(WEB.url("trs", "/")))  # before the spider opened, nothing is named
    crawler.signals.send_catch_log(signals.spider_opened, spider=SimpleNamespace(sites=[TRS]))
    assert mw.process_request(Request(WEB.url("trs", "/"), meta={"site": TRS})) is None
    assert mw.is_named("127.0.0.11") and not mw.is_named("127.0.0.12")


def test_a_report_lent_from_a_list_passes_off_site_only_at_its_own_host() -> None:
    crawler = get_crawler(settings_dict={"NIANBAO_NAMED_HOSTS": ["127.0.0.12"]})
    mw = SafetyMiddleware.from_crawler(crawler)
    crawler.signals.send_catch_log(signals.spider_opened, spider=SimpleNamespace(sites=[TRS]))
    lent = Request("http://127.0.0.12:8765/book/files/basic-html/page1.html",
                   meta={"site": TRS, "lent_host": "127.0.0.12:8765"})  # fmt: skip
    assert mw.process_request(lent) is None  # named by the setting, lent by the list that linked it
    moved = lent.replace(url="http://127.0.0.13:8765/elsewhere.html")  # a redirect keeps the meta
    with pytest.raises(IgnoreRequest, match="off-site"):
        mw.process_request(moved)
    unnamed = SafetyMiddleware.from_crawler(get_crawler())
    unnamed.name_hosts([TRS])
    with pytest.raises(IgnoreRequest, match="not named"):  # a lent host at an internal address is still refused
        unnamed.process_request(lent)


def test_the_resolver_asks_each_crawls_safety_middleware() -> None:
    mw = SafetyMiddleware(get_crawler())
    mw.name_hosts([TRS])
    resolver = SafeResolver.__new__(SafeResolver)  # its reactor is not needed to decide
    resolver.process = SimpleNamespace(crawlers=[SimpleNamespace(get_downloader_middleware=lambda cls: mw)])
    assert resolver.named("127.0.0.11") and not resolver.named("intranet.example.gov.cn")
    resolver.process = SimpleNamespace(crawlers=[])
    assert not resolver.named("127.0.0.11")  # no crawl, nothing named
    from crawler.safety import check_address

    with pytest.raises(DNSLookupError):
        check_address("intranet.example.gov.cn", "10.1.2.3", resolver.named("intranet.example.gov.cn"))
