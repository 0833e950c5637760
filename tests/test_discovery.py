"""Generic discovery: report titles, link scores, family list mechanisms, safety helpers."""

from __future__ import annotations

import json

import pytest
from parsel import Selector

from crawler import discovery as D
from crawler import families as F
from crawler.answers import answer_links
from crawler.safety import internal, safe_filename


@pytest.mark.parametrize(
    "title",
    ["临沂市教育局2022年政府信息公开工作年度报告", "2022年上海市政府信息公开工作年度报告", "大川镇2023年度政府信息公开工作报告",
     "镇宁自治县政府2019年信息公开工作年度报告", "市府东路街道政府信息公开工作年度报告"],
)
def test_report_titles(title):
    assert D.is_report_title(title)


@pytest.mark.parametrize(
    "title",
    ["文字解读:济南市天桥区教育和体育局2023年政府信息公开工作年度报告", "2023年政府信息公开工作年度报告公布情况",
     "关于做好2023年度政府信息公开工作年度报告编制工作的通知", "政法和应急管理局信息公开年度工作报告说明",
     "关于2014年政府信息公开工作要点落实情况的函", "政府信息公开指南"],
)
def test_things_published_beside_reports_are_not_reports(title):
    assert not D.is_report_title(title)


def test_link_scores_prefer_report_columns():
    assert D.score_link("http://x.gov.cn/zwgk/zfxxgknb/index.html", "政府信息公开年报") >= 5
    assert D.score_link("http://x.gov.cn/zfxxgk/index.html", "政府信息公开") >= 2
    assert D.score_link("http://x.gov.cn/news/1.html", "新闻动态") == 0


def test_twins_are_canonicalised():
    # A big5 gateway's page is the page it converts: asked for in simplified characters, never stored as traditional.
    gate = "https://www.beijing.gov.cn/gate/big5/www.beijing.gov.cn/gongkai/zfxxgk/gknb/202503/t20250331_4050078.html"
    assert D.canonical(gate) == "https://www.beijing.gov.cn/gongkai/zfxxgk/gknb/202503/t20250331_4050078.html"
    assert D.canonical("http://x.gov.cn/gate/big5/WWW.X.gov.cn?a=1") == "http://www.x.gov.cn/?a=1"
    assert D.canonical("http://x.gov.cn/gate/big5/") is None
    assert D.canonical("http://X.gov.cn/a.html#top") == "http://x.gov.cn/a.html"


def test_list_links_carry_the_row_date():
    sel = Selector(text='<ul><li><a href="./202401/t20240116_1.html" title="某局2023年政府信息公开工作年度报告">某局…</a>'
                        "<span>2024-01-16</span></li></ul>")
    (link,) = D.list_links(sel, "http://x.gov.cn/zfxxgknb/index.html")
    assert link.url == "http://x.gov.cn/zfxxgknb/202401/t20240116_1.html"
    assert link.text == "某局2023年政府信息公开工作年度报告" and link.date == "2024-01-16"


def test_trs_pager_from_create_page_html():
    html = "<script>var currentPage = 0;var countPage = 3//共多少页\ncreatePageHTML(countPage, currentPage, \"index\", \"html\");</script>"
    call, n = F.trs_call("http://x.gov.cn/zfxxgknb/index.html", html)
    got = [call.page(k).url for k in range(n, 5) if call.has_page(k)]
    assert got == ["http://x.gov.cn/zfxxgknb/index_1.html", "http://x.gov.cn/zfxxgknb/index_2.html"]
    assert F.trs_call("http://x.gov.cn/zfxxgknb/index_1.html", html.replace("currentPage = 0", "currentPage = 1")) is None


def test_hanweb_datastore_and_dataproxy():
    html = ("<script>var c={proxyUrl:'/module/web/jpage/dataproxy.jsp',perpage:15,columnid:'1229325036',unitid:'7300',"
            "webid:'3070'};</script><script type=\"text/xml\"><datastore><recordset><record><![CDATA[<li><a href=\"/art/2024/1/16/"
            "art_1229325036_1.html\" title=\"下各镇2023年政府信息公开工作年度报告\">x</a><span>2024-01-16</span></li>]]></record>"
            "</recordset><totalrecord>40</totalrecord><totalpage>3</totalpage></datastore></script>")
    url = "http://x.gov.cn/col/col1229325036/index.html"
    (rec,) = F.hanweb_records(url, html)
    assert rec.url.endswith("art_1229325036_1.html") and rec.date == "2024-01-16"
    call, n = F.hanweb_call(url, html)
    pages = [call.page(k) for k in range(n, 6) if call.has_page(k)]
    assert [p.method for p in pages] == ["POST", "POST"]
    assert pages[0].form["columnid"] == "1229325036" and pages[0].form["unitid"] == "7300"
    assert "page=2" in pages[0].url and "startrecord=16" in pages[0].url


def test_gkmlpt_api_and_articles():
    html = "<script>window._CONFIG = {SID:'175'}; var TREE = [{\"id\": 2629, \"name\": \"政府信息公开年报\"}];\n</script>"
    ((call, n),) = F.gkmlpt_calls("http://x.gd.gov.cn/gkmlpt/annualreport", html, [])
    req = call.page(n)
    assert req.url == "http://x.gd.gov.cn/gkmlpt/api/all/2629?sid=175&page=1"
    body = json.dumps({"classify": {"post_count": 2}, "articles": [
        {"title": "某厅2023年政府信息公开工作年度报告", "url": "http://x.gd.gov.cn/gkmlpt/content/4/1/post_1.html",
         "created_at": "2024-01-20 10:00:00"}]})
    links = answer_links(req.url, body)
    assert links[0].date == "2024-01-20" and "page=2" in call.page(n + 1).url


def test_internal_addresses_and_safe_filenames():
    assert internal("127.0.0.1") and internal("10.1.2.3") and internal("169.254.1.1") and internal("224.0.0.1")
    assert not internal("202.96.1.1") and not internal("www.gov.cn")
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("..\\..\\年度报告.doc") == "年度报告.doc"
    assert safe_filename("a\x00b\nc.pdf") == "a_b_c.pdf"
    assert safe_filename("...") == "document"


def test_requests_never_reach_unnamed_internal_addresses():
    from scrapy import Request
    from scrapy.exceptions import IgnoreRequest
    from scrapy.utils.test import get_crawler
    from twisted.internet.error import DNSLookupError

    from crawler.registry import Site
    from crawler.safety import SafetyMiddleware, check_address

    site = Site("s", "s", ("http://127.0.0.41:8000/",), frozenset({"127.0.0.41:8000", "*.example.gov.cn"}))
    mw = SafetyMiddleware(get_crawler())
    mw.name_hosts([site])
    assert mw.process_request(Request("http://127.0.0.41:8000/a", meta={"site": site})) is None
    assert mw.process_request(Request("http://www.example.gov.cn/a", meta={"site": site})) is None
    for url in ("http://127.0.0.42:8000/a", "http://10.0.0.8/a", "http://evil.example.com/a"):
        with pytest.raises(IgnoreRequest):
            mw.process_request(Request(url, meta={"site": site}))
    # A government host's other hosts are the site's, but not named: they must not resolve to internal addresses.
    portal = Site("p", "p", ("http://www.sxgp.gov.cn/",), frozenset({"www.sxgp.gov.cn"}))
    mw.name_hosts([portal])
    assert mw.process_request(Request("http://xxgk.sxgp.gov.cn/a", meta={"site": portal})) is None
    assert mw.is_named("www.sxgp.gov.cn") and not mw.is_named("xxgk.sxgp.gov.cn")
    # The named hosts belong to this middleware: another crawl's middleware named none of them.
    with pytest.raises(IgnoreRequest):
        SafetyMiddleware(get_crawler()).process_request(Request("http://127.0.0.41:8000/a"))
    # A subdomain allowed by pattern that resolves inside the network is refused after resolution.
    assert not mw.is_named("intranet.example.gov.cn")
    with pytest.raises(DNSLookupError):
        check_address("intranet.example.gov.cn", "192.168.1.10", mw.is_named("intranet.example.gov.cn"))
    assert check_address("www.example.gov.cn", "202.96.1.1", named=False) == "202.96.1.1"
    assert check_address("127.0.0.41", "127.0.0.41", mw.is_named("127.0.0.41")) == "127.0.0.41"


def test_portal_entries_and_units_of_a_platform_are_worth_following():
    from crawler.discovery import has_report_parts, score_link

    assert score_link("http://x.gov.cn/zwgk/xxgkml/index.html", "信息公开目录") >= 5
    assert score_link("http://x.gov.cn/xxgk/index.html", "信息公开") >= 5
    assert score_link("http://x.gov.cn/syxjyj/zfxxgk/index.html", "泗阳县教育局") >= 5  # a unit on a 集约化 platform
    assert score_link("http://x.gov.cn/news/123.html", "泗阳县教育局") < 5  # a unit named outside the platform
    # Bodies other than organs publish on such platforms too (a platform of 3,000 units lost 125 of them, 610 reports).
    for unit in ("泗阳县档案馆", "泗阳县供销合作社联合社", "泗阳县残疾人联合会", "泗阳县总工会", "泗阳县科学技术协会"):
        assert score_link("http://x.gov.cn/module/xxgk/tree.jsp?area=1", unit) >= 5, unit
    assert score_link("http://x.gov.cn/xxgk/zn.html", "政府信息公开指南") < 5
    assert has_report_parts("一、总体情况 二、主动公开政府信息情况 三、收到和处理政府信息公开申请情况")
    assert not has_report_parts("一、总体情况 关于做好年报工作的通知")


def test_a_report_heading_is_the_title_where_the_template_titles_pages_with_the_site():
    from parsel import Selector

    from crawler.discovery import page_title

    html = ("<title>某县人民政府门户网站</title><h2 class='title'>某县人民政府2024年政府信息公开工作年度报告</h2>"
            "<div class='title'>无关</div>")
    assert page_title(Selector(text=html)) == "某县人民政府2024年政府信息公开工作年度报告"
    assert page_title(Selector(text="<title>某县人民政府门户网站</title>")) == "某县人民政府门户网站"


def test_unspacing_drops_exactly_the_chars_the_whitespace_pattern_drops_and_those_drawn_as_nothing():
    import re
    import sys

    from crawler.discovery import _unspaced
    from extractors.invisible import INVISIBLE

    text = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)
    assert _unspaced(text) == INVISIBLE.sub("", re.sub(r"\s+", "", text))
    assert _unspaced(" 2024年 度\u3000报告\n") == "2024年度报告"


def test_a_title_holding_zero_width_chars_is_a_reports():
    title = "某县教育局2023年\u200b政府信息公开工作\ufeff年度报告"
    assert D.is_report_title(title)
    sel = Selector(text=f'<ul><li><a href="./202401/t20240116_1.html">{title}</a></li></ul>')
    (link,) = D.list_links(sel, "http://x.gov.cn/zfxxgknb/index.html")
    assert link.text == "某县教育局2023年政府信息公开工作年度报告"
    sel = Selector(text=f'<ul><li><a href="./202401/t20240116_1.html" title="{title}">某县教育局…</a></li></ul>')
    assert D.list_links(sel, "http://x.gov.cn/zfxxgknb/index.html")[0].text == "某县教育局2023年政府信息公开工作年度报告"
    page = Selector(text=f"<html><head><meta name='ArticleTitle' content='{title}'></head><body></body></html>")
    assert D.page_title(page) == "某县教育局2023年政府信息公开工作年度报告"


def test_a_title_a_list_cut_short_is_worth_fetching_where_its_start_reads_as_a_reports():
    from crawler.discovery import is_cut_report_title, score_link

    for shown in ("威县人民政府2024年政府信息公开工作年...", "2024年威县教育局政府信息公开工作年度…",
                  "威县卫生健康局关于2023年度政府信息公...", "某某区2023年政务公开工作年度⋯"):  # fmt: skip
        assert is_cut_report_title(shown), shown
        assert score_link("http://h/info/1667/53878.htm", shown) >= 10
    for shown in ("威县人民政府2024年政府信息公开工作年度报告",  # whole: a title, not a cut one
                  "《威县2023年政府信息公开工作年度报告》解读...", "2024年政府信息公开工作要点...",  # beside reports
                  "威县人民政府关于印发2024年工作要...", "2024年威县新闻发布会...", "政府信息公开工作年度报告..."):  # fmt: skip
        assert not is_cut_report_title(shown), shown


def test_a_pdf_shown_in_a_frame_a_viewer_or_a_script_is_a_document_link():
    html = """<html><body><iframe src="/u/2024/a.pdf"></iframe><embed src="/u/2024/b.pdf" type="application/pdf">
    <a href="javascript:void(0)" onclick="window.open('/u/2024/c.pdf')">2024年政府信息公开工作年度报告</a>
    <a href="/pdfjs/web/viewer.html?file=/u/2024/d.pdf">预览</a><object data="/u/2024/e.pdf"></object>
    <a href="/module/download/downfile.jsp?classid=0&filename=f.pdf">附件</a></body></html>"""
    links = {lk.url: lk for lk in D.list_links(Selector(text=html), "http://x.gov.cn/a/b.html")}
    for name in "abcde":
        assert links[f"http://x.gov.cn/u/2024/{name}.pdf"].kind == "document", name
    assert links["http://x.gov.cn/u/2024/c.pdf"].text == "2024年政府信息公开工作年度报告"  # the onclick's anchor text
    assert links["http://x.gov.cn/module/download/downfile.jsp?classid=0&filename=f.pdf"].kind == "document"


def test_a_bodys_name_holding_a_word_of_things_beside_reports_does_not_unmake_its_reports_title():
    for title in ("上海市人民建议征集办公室2023年政府信息公开工作年度报告", "某区目标考核办公室2023年度政府信息公开工作年度报告"):
        assert D.is_report_title(title), title
    # Those words after the report's name, and 解读/图解/读懂 anywhere before it, still make it something else.
    for title in ("《某区2023年政府信息公开工作年度报告》解读", "一图读懂某区2023年政府信息公开工作年度报告",
                  "图解：2023年政府信息公开工作年度报告", "2023年政府信息公开工作年度报告公布情况",
                  "关于做好2023年度政府信息公开工作年度报告编制和发布工作的通知", "关于报送2023年度政府信息公开工作年度报告的函",
                  "关于2023年度政府信息公开工作年度报告的说明", "政府信息公开工作年度报告格式"):  # fmt: skip
        assert not D.is_report_title(title), title


def test_links_resolve_against_the_pages_base_as_a_browser_resolves_them():
    # A page naming a <base href> (a CMS serving one template from many paths): its relative links, frames and
    # script files are the base's, not the page path's.
    from crawler.calls import frame_lists, script_files
    from crawler.page_facts import page_facts
    from crawler.pages import read_page

    html = """<html><head><base href="/zfxxgk/zfxxgknb/"><script src="js/list.js"></script></head><body>
      <ul><li><a href="202501/t20250110_1.html">某局2024年政府信息公开工作年度报告</a></li></ul>
      <iframe src="list/index.html"></iframe><a href="/about.html">关于</a></body></html>"""
    url = "http://www.example.gov.cn/col/col123/index.html"
    facts = page_facts(url, html, read_page(html), {})
    assert [lk.url for lk in facts.links][:1] == ["http://www.example.gov.cn/zfxxgk/zfxxgknb/202501/t20250110_1.html"]
    assert "http://www.example.gov.cn/about.html" in [lk.url for lk in facts.links]
    base = D.page_base(read_page(html), url)
    assert base == "http://www.example.gov.cn/zfxxgk/zfxxgknb/"
    assert frame_lists(base, read_page(html)) == ["http://www.example.gov.cn/zfxxgk/zfxxgknb/list/index.html"]
    assert script_files(base, read_page(html)) == ["http://www.example.gov.cn/zfxxgk/zfxxgknb/js/list.js"]
    # No base, or one that is no web address: the page's own URL.
    assert D.page_base(read_page("<a href='x.html'>x</a>"), url) == url
    assert D.page_base(read_page("<base href='javascript:void(0)'><a href='x.html'>x</a>"), url) == url


def test_forms_send_to_their_action_resolved_against_the_pages_base_and_an_empty_action_to_the_page():
    from crawler.page_facts import page_facts
    from crawler.pages import read_page

    html = """<html><head><base href="/zfxxgk/zfxxgknb/"></head><body><h1>政府信息公开年报</h1>
      <form action="search.jsp" method="post"><input name="infotypeId" value="7"><input name="currpage" value="1">
      </form><form action="list.jsp"><select name="fbtime"><option>2024</option><option>2023</option></select></form>
      <form action="" method="get"><input name="searchword"><input type="submit" value="搜索"></form></body></html>"""
    url = "http://www.example.gov.cn/col/col123/index.html?uid=5"
    facts = page_facts(url, html, read_page(html), {"column": "政府信息公开年报"})
    assert [c.url for c, _ in facts.calls] == ["http://www.example.gov.cn/zfxxgk/zfxxgknb/search.jsp"]
    assert facts.year_forms[:2] == ["http://www.example.gov.cn/zfxxgk/zfxxgknb/list.jsp?fbtime=2024",
                                    "http://www.example.gov.cn/zfxxgk/zfxxgknb/list.jsp?fbtime=2023"]  # fmt: skip
    assert [f.action for f in facts.searches] == ["http://www.example.gov.cn/col/col123/index.html"]


@pytest.mark.parametrize(
    "page",
    [
        "<script>window.location.href='/zfxxgk/index.html';</script>",
        '<script>location.replace("/zfxxgk/index.html")</script>',
        "<script>location.assign('/zfxxgk/index.html');</script>",
        "<script>top.location = 'http://www.example.gov.cn/zfxxgk/index.html'</script>",
        '<script>window.location="/zfxxgk/index.html";</script>',
        "<body onload=\"location.href='/zfxxgk/index.html'\"></body>",
    ],
)
def test_a_page_that_sends_the_browser_on_by_script_is_followed(page):
    # Portal entry pages often hold nothing but a script that moves the browser to the real home or column.
    links = D.list_links(Selector(text=page), "http://www.example.gov.cn/index.html")
    assert [lk.url for lk in links] == ["http://www.example.gov.cn/zfxxgk/index.html"]


def test_a_comparison_with_the_location_is_no_address():
    page = "<script>if (location == 'http://x.gov.cn/a.html') { go(); }</script>"
    assert D.list_links(Selector(text=page), "http://www.example.gov.cn/index.html") == []


def test_a_script_variable_named_location_holding_words_is_no_address():
    page = "<script>var location = '北京'; window.location.href = 'nb/index.html';</script>"
    links = D.list_links(Selector(text=page), "http://www.example.gov.cn/index.html")
    assert [lk.url for lk in links] == ["http://www.example.gov.cn/nb/index.html"]


def test_a_link_shown_as_a_picture_is_named_by_the_pictures_alt_text():
    html = ('<ul><li><a href="./202401/t20240116_1.html"><img src="cover.jpg" alt=" 某局2023年政府信息公开工作年度报告 ">'
            "</a><span>2024-01-16</span></li></ul>")
    (link,) = D.list_links(Selector(text=html), "http://x.gov.cn/zfxxgknb/index.html")
    assert link.text == "某局2023年政府信息公开工作年度报告" and D.is_report_title(link.text)
    html = '<a href="./t2.html" title="某局2022年政府信息公开工作年度报告"><img src="c.jpg" alt="封面"></a>'
    assert D.list_links(Selector(text=html), "http://x.gov.cn/nb/")[0].text == "某局2022年政府信息公开工作年度报告"
