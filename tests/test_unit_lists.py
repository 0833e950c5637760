"""Unit tests of list calls read from scripts, frames and forms (crawler.calls, crawler.scripts), of paged list
requests (crawler.paging) and of list answers (crawler.answers), on page snippets shaped like the platforms of
site-patterns §4: no server, no subprocess."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from parsel import Selector

from crawler import answers
from crawler.answers import answer_links, read_answer, unwrap_jsonp
from crawler.calls import MAX_FOUND, form_calls, frame_lists, script_calls, script_files, search_forms, year_forms
from crawler.paging import ListCall
from crawler.scripts import MAX_LITERAL_CHARS, calls, fill, fill_text, literal_at, missing_names, variables

BASE = "http://www.example.gov.cn/col/nb/index.html"


def _calls(html: str) -> list[tuple[ListCall, int]]:
    found, beyond = script_calls(BASE, html, Selector(text=html))
    assert beyond == 0
    return found


def test_variables_and_object_literals_are_read_without_running_anything() -> None:
    script = """var siteGuid = '7eb5f7f1-9041'; var size = 15; const cfg = {a: 'x', "b": [1, 2], c: {d: siteGuid}};
    let url = '/api/' + 'list'; // a comment
    var fn = function () { return {x: 1}; };"""
    names = variables(script)
    assert names["siteGuid"] == "7eb5f7f1-9041" and names["size"] == "15" and names["url"] == "/api/list"
    assert names["cfg"] == {"a": "x", "b": ["1", "2"], "c": {"d": "7eb5f7f1-9041"}}


def test_truecms_jsonp_window_is_paged_by_its_record_window() -> None:
    html = """<script>var columnId = '3771';
    $.ajax({url: '/intertidwebapp/messageController/getMessage.do', dataType: 'jsonp', jsonp: 'callback',
            data: {startrecord: 1, endrecord: 15, perpage: 15, columnId: columnId, unitid: 'u1'},
            success: function (d) { render(d); }});</script>"""
    [(call, n)] = _calls(html)
    assert n == 1 and call.window == ("startrecord", "endrecord") and call.per_page == 15
    q = {k: v[0] for k, v in parse_qs(urlsplit(call.page(3).url).query).items()}
    assert q == {"columnId": "3771", "unitid": "u1", "perpage": "15", "startrecord": "31", "endrecord": "45"}
    assert urlsplit(call.page(3).url).path == "/intertidwebapp/messageController/getMessage.do"


def test_jpaas_pages_inside_its_json_parameter() -> None:
    html = """<script>$.get('/api-gateway/jpaas-publish-server/front/page/build/unit',
      {webId: 'a1', pageId: 'p9', tplSetId: 't2', tagId: 'list', paramJson: '{"pageNo":1,"pageSize":"15"}'});
    </script>"""
    [(call, n)] = _calls(html)
    assert n == 1 and call.nested == "paramJson" and call.page_key is None
    q = {k: v[0] for k, v in parse_qs(urlsplit(call.page(4).url).query).items()}
    assert json.loads(q["paramJson"]) == {"pageNo": 4, "pageSize": "15"} and q["webId"] == "a1"


def test_epoint_and_search_apis_post_json_and_forms() -> None:
    html = """<script>var siteGuid = '7eb5f7f1';
    $.ajax({url: '/EWB-FRONT/rest/lightfrontaction/getgovinfolist', type: 'post', contentType: 'application/json',
            data: JSON.stringify({siteGuid: siteGuid, deptcode: '001', categorynum: '004', pageIndex: 0, pageSize: 20})});
    $.post('/search/column', {channelId: 'nb', pageNo: 1, pageSize: 10});
    $.get('/stat/visitCount.jsp', {id: 3});
    </script>"""
    found = _calls(html)
    assert len(found) == 2, [c.url for c, _ in found]
    (epoint, first), (search, n) = found
    assert epoint.method == "POST" and epoint.body == "json" and first == 0
    page1 = epoint.page(1)
    assert json.loads(page1.json_body) == {"siteGuid": "7eb5f7f1", "deptcode": "001", "categorynum": "004",
                                           "pageSize": 20, "pageIndex": 1}  # fmt: skip
    assert (search.method, search.body, n) == ("POST", "form", 1)
    assert search.page(2).form == {"channelId": "nb", "pageSize": "10", "pageNo": "2"}


def test_scripts_on_other_hosts_and_without_literal_addresses_are_not_lists() -> None:
    html = """<script>$.ajax({url: 'http://other.gov.cn/list.do', data: {page: 1}}); $.ajax({url: u, data: {}});
    fetch('/api/list', {method: 'POST', body: JSON.stringify({pageNum: 2})});</script>"""
    [(call, n)] = _calls(html)
    assert call.url == "http://www.example.gov.cn/api/list" and n == 2 and call.body == "json"
    assert calls("$.ajax(") == [] and calls("fetch(") == []


def test_answers_of_every_shape_give_their_links() -> None:
    jsonp = 'cb({"total": 2, "data": [{"TITLE": "2023年度报告", "URL": "/art/1.html", "pubDate": "2024-01-20 09:00"},' \
            ' {"name": "附件", "fileUrl": "/files/2.pdf"}, {"id": 3}]});'
    assert unwrap_jsonp(jsonp).startswith('{"total"')
    links = answer_links(BASE, jsonp)
    assert [(lk.url, lk.text, lk.date, lk.kind) for lk in links] == [
        ("http://www.example.gov.cn/art/1.html", "2023年度报告", "2024-01-20", "page"),
        ("http://www.example.gov.cn/files/2.pdf", "附件", None, "document")]  # fmt: skip
    html_in_json = json.dumps({"data": {"html": '<ul><li><a href="./a.html">A</a><span>2024-02-01</span></li></ul>'}})
    assert [(lk.url, lk.date) for lk in answer_links(BASE, html_in_json)] == [
        ("http://www.example.gov.cn/col/nb/a.html", "2024-02-01")]
    xml = "<datastore><recordset><record><![CDATA[<li><a href='/art/9.html'>九</a></li>]]></record></recordset></datastore>"
    assert [lk.url for lk in answer_links(BASE, xml)] == ["http://www.example.gov.cn/art/9.html"]
    assert answer_links(BASE, "") == [] and answer_links(BASE, "{not json") == []
    marked = json.dumps([{"title": "<em>年度报告</em>2023", "url": "/x.html"}])
    assert answer_links(BASE, marked)[0].text == "年度报告2023"


def _articles(n: int) -> str:
    """A gkmlpt-like answer holding all `n` articles of a category on its one page (eight fields an article)."""
    return json.dumps({"classify": {"id": 2629, "post_count": n}, "articles": [
        {"id": k, "title": f"某局{2000 + k % 25}年政府信息公开工作年度报告", "url": f"/gkmlpt/content/0/{k}/post_{k}.html",
         "post_url": f"/bm/content/post_{k}.html", "created_at": "2024-01-20 10:00:00", "create_time": 1705716000,
         "identifier": f"11440000-{k}", "publisher": "某局"} for k in range(n)]}, ensure_ascii=False)  # fmt: skip


def test_an_answer_of_every_article_at_once_is_read_whole() -> None:
    # 30,000 articles: 300,000 values; the walk stopped at 200,000 (22,222 links), saying nothing.
    answer = read_answer(BASE, _articles(30000))
    assert len(answer.links) == 30000 and not answer.cut
    assert answer.links[-1].url == "http://www.example.gov.cn/gkmlpt/content/0/29999/post_29999.html"
    assert answer.links[-1].date == "2024-01-20"


def test_an_answer_too_large_to_read_whole_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(answers, "MAX_NODES", 1000)
    answer = read_answer(BASE, _articles(300))
    assert answer.cut and 0 < len(answer.links) < 300
    assert not read_answer(BASE, _articles(50)).cut


def test_frames_and_year_forms_of_a_column_shell() -> None:
    html = """<iframe src="/module/xxgk/list.jsp?area=1"></iframe><iframe src="http://elsewhere.cn/x.html"></iframe>
    <form action="/module/xxgk/xxgkAnnualReport.jsp" method="get"><input type="hidden" name="area" value="0010">
      <select name="fbtime"><option value="">请选择</option><option>2023</option><option value="2024">2024年</option>
      </select></form>
    <form action="/search" method="post"><select name="year"><option>2022</option></select></form>"""
    sel = Selector(text=html)
    assert frame_lists(BASE, sel) == ["http://www.example.gov.cn/module/xxgk/list.jsp?area=1"]
    assert year_forms(BASE, sel) == [
        "http://www.example.gov.cn/module/xxgk/xxgkAnnualReport.jsp?area=0010&fbtime=2024",
        "http://www.example.gov.cn/module/xxgk/xxgkAnnualReport.jsp?area=0010&fbtime=2023"]  # fmt: skip


def test_a_list_call_survives_its_round_trip_through_the_crawl_memory() -> None:
    call = ListCall("http://h/p", "POST", {"a": "1"}, page_key="page", window=("s", "e"), per_page=5, last=4)
    again = ListCall.from_dict(json.loads(json.dumps(call.to_dict())))
    assert again == call and again.page(3) == call.page(3) and not again.has_page(5)


def test_a_setting_defined_in_another_script_file_is_waited_for_and_filled() -> None:
    html = """<script src="/js/jquery.min.js"></script><script src="/js/webBuilderCommon.js"></script>
    <script>$.ajax({url: '/EWB-FRONT/rest/lightfrontaction/getgovinfolist', type: 'post',
      data: JSON.stringify({siteGuid: siteGuid, categorynum: '004', pageIndex: 0, pageSize: 20})});</script>"""
    sel = Selector(text=html)
    [(call, n)], _ = script_calls(BASE, html, sel)
    assert n == 0 and missing_names(call.params) == {"siteGuid"}
    assert script_files(BASE, sel) == ["http://www.example.gov.cn/js/webBuilderCommon.js"]
    filled = fill(call.params, "var webBuilderCommon = {siteGuid: '7eb5f7f1-9041-43ad', other: 1};")
    assert filled["siteGuid"] == "7eb5f7f1-9041-43ad" and not missing_names(filled)
    assert missing_names(fill(call.params, "var nothing = 1;")) == {"siteGuid"}


def _widgets(channels: list[str]) -> str:
    return "".join(f"<script>$.ajax({{url: '/api/getArticleList', data: {{channelId: '{c}', pageNo: 1, pageSize: 8}}}});"
                   "</script>" for c in channels)  # fmt: skip


def test_script_lists_naming_a_report_column_come_first_the_rest_in_page_order() -> None:
    html = _widgets(["101", "102", "zfxxgknb", "103", "政府信息公开年报"])
    found = [call.params["channelId"] for call, _ in _calls(html)]
    assert found == ["zfxxgknb", "政府信息公开年报", "101", "102", "103"]


def test_script_lists_past_the_ceiling_are_counted_not_named() -> None:
    html = _widgets([str(n) for n in range(MAX_FOUND + 7)])
    found, beyond = script_calls(BASE, html, Selector(text=html))
    assert len(found) == MAX_FOUND and beyond == 7
    assert found[-1][0].params["channelId"] == str(MAX_FOUND - 1)


def test_a_paged_search_form_is_a_list_call() -> None:
    html = """<form name="searchform" action="/module/xxgk/search.jsp" method="post">
      <input type="hidden" name="infotypeId" value="A0301"><input type="hidden" name="area" value="0010">
      <input type="hidden" name="currpage" value="1"><input type="submit" name="go" value="查询"></form>
    <form action="/login.do" method="post"><input name="user"></form>"""
    [(call, n)] = form_calls(BASE, Selector(text=html))
    assert (call.method, call.page_key, n) == ("POST", "currpage", 1)
    assert call.page(2).form == {"infotypeId": "A0301", "area": "0010", "currpage": "2"}


def test_values_a_script_reads_from_the_page_with_jquery() -> None:
    html = """<div id="jpaasList" data-webid="7f4e" data-pageid="c1d2" data-tagid="年报列表"></div>
    <script>function loadPage(n){ var p = {webId: $('#jpaasList').data('webid'), pageId: $("#jpaasList").attr('data-pageid'),
      tagId: $('#jpaasList').data('tagid'), paramJson: JSON.stringify({pageNo: n, pageSize: '15'})};
      $.get('/api-gateway/jpaas-publish-server/front/page/build/unit', p); } loadPage(1);</script>"""
    [(call, n)] = _calls(html)
    assert (call.params["webId"], call.params["pageId"], call.params["tagId"]) == ("7f4e", "c1d2", "年报列表")
    assert call.nested == "paramJson" and n == 1


def test_an_address_built_by_a_helper_of_the_sites_script_file_is_worked_out() -> None:
    html = """<script src="/js/webBuilderCommon.js"></script><script>var pageSize = 6;
    function load(pageIndex){ $.ajax({url: getRestUrl('lightfrontaction/getgovinfolist'), type: 'post',
      contentType: 'application/json', data: JSON.stringify({params: JSON.stringify({siteGuid: siteGuid,
      pageIndex: pageIndex, pageSize: pageSize})})}); } load(0);</script>"""
    [(call, n)] = _calls(html)
    assert missing_names(call.url, call.params) == {"getRestUrl", "siteGuid"}
    assert (call.nested, call.guessed, n) == ("params", True, 0)  # the page number is computed: 0 and 1 are tried
    site_js = """var siteGuid = "7eb5"; var rootPath = "/EWB-FRONT";
    function getRestUrl(a){ return rootPath + '/rest/' + a; }"""
    assert fill_text(call.url, site_js) == "/EWB-FRONT/rest/lightfrontaction/getgovinfolist"
    body = json.loads(fill(call.params, site_js)["params"])
    assert body == {"siteGuid": "7eb5", "pageIndex": 0, "pageSize": "6"}
    assert fill_text(call.url, "function other(a){ return a; }") == call.url  # not defined there: still missing


def test_a_pages_site_searches_are_its_same_host_get_forms_with_a_box_for_words() -> None:
    html = """<form action="/was5/web/search" method="get"><input type="hidden" name="channelid" value="239316">
      <input type="text" name="searchword"><input type="submit" value="搜索"></form>
    <form action="/login.do" method="get"><input name="user"><input type="password" name="pw"></form>
    <form action="/igs/front/search.jhtml" method="post"><input name="searchWord"></form>
    <form action="http://www.other.gov.cn/search" method="get"><input name="q"></form>
    <form action="/jrobot/search.do?webid=3" class="search-box"><select name="field"><option value="title">标题</option>
      </select><input name="qt" placeholder="请输入关键字"><button>检索</button></form>"""
    forms = search_forms(BASE, Selector(text=html))
    assert [(f.action, f.word) for f in forms] == [("http://www.example.gov.cn/was5/web/search", "searchword"),
                                                   ("http://www.example.gov.cn/jrobot/search.do", "qt")]  # fmt: skip
    assert forms[0].url("政府信息公开工作年度报告") == (
        "http://www.example.gov.cn/was5/web/search?channelid=239316&searchword="
        "%E6%94%BF%E5%BA%9C%E4%BF%A1%E6%81%AF%E5%85%AC%E5%BC%80%E5%B7%A5%E4%BD%9C%E5%B9%B4%E5%BA%A6%E6%8A%A5%E5%91%8A")
    assert forms[1].url("年报", "gbk") == "http://www.example.gov.cn/jrobot/search.do?webid=3&field=title&qt=%C4%EA%B1%A8"


def test_a_function_among_values_is_skipped_to_its_own_end() -> None:
    # `_skip_to("{")` took a function's `{` for nesting and ran to the script's end: the values after it were lost,
    # and every variable before a library's functions was read to the end (quadratic: bench/scripts.py).
    assert literal_at("[function(a) { if (a) { return 1; } }, 'after']", 0) == [None, "after"]
    assert literal_at("{a: function() {\n  // don't stop here\n  return 1;\n}, b: 'x'}", 0) == {"a": None, "b": "x"}


def test_a_value_is_read_within_its_window_and_the_script_goes_on() -> None:
    text = "var big = [" + "1, " * MAX_LITERAL_CHARS + "2];\nvar after = '/api/list';"
    found = variables(text)
    assert found["after"] == "/api/list" and len(found["big"]) <= MAX_LITERAL_CHARS // 3 + 1


def test_a_regex_literal_inside_a_function_is_skipped_whole() -> None:
    # A quote, a brace or '//' inside a regular expression literal is no string's start, no nesting and no comment:
    # read as code they made the skip of the function run past its end (the values after it lost).
    assert literal_at("{a: function(s) { return s.replace(/'/g, ''); }, b: 'x'}", 0) == {"a": None, "b": "x"}
    assert literal_at("{a: function(u) { return u.replace(/^https?:\\/\\//, ''); }, b: 'x'}", 0) == {
        "a": None, "b": "x"}  # fmt: skip
    assert literal_at("{a: function(s) { if (/[{]/.test(s)) { return 1; } }, b: 'x'}", 0) == {"a": None, "b": "x"}
    assert literal_at('{a: function(s) { return s.split(/["]/); }, b: "x"}', 0) == {"a": None, "b": "x"}
    # Division is no regular expression: the slash after a value divides.
    assert literal_at("{a: function(n) { return n / 2 + 'x' / 4; }, b: 'x'}", 0) == {"a": None, "b": "x"}


def test_a_list_call_after_a_callback_with_a_regex_is_read() -> None:
    script = """$.ajax({url: '/api/list', type: 'post',
      success: function (res) { $('#t').text(res.title.replace(/"/g, '')); },
      data: {columnId: 'nb', pageNo: 1}});"""
    (call,) = calls(script)
    assert call.url == "/api/list" and call.method == "POST" and call.data == {"columnId": "nb", "pageNo": "1"}


def test_a_regex_literal_as_a_value_is_no_value() -> None:
    assert literal_at("{p: /'[}]/g, b: 'x'}", 0) == {"p": None, "b": "x"}


_REPORT = '<ul><li><a href="./202501/t20250110_1.html">某局2024年政府信息公开工作年度报告</a></li></ul>'


@pytest.mark.parametrize(("pager", "at", "later"), [
    # a page function the pager's links call, going to an address built around the page number
    ('<div class="page">共3页 <a href="javascript:goPage(2)">下一页</a></div><script>function goPage(n){ '
     'location.href = "index_" + (n - 1) + ".html"; }</script>', "index_1.html", ["index_1.html", "index_2.html"]),
    # layui's laypage: its jump sends the browser on
    ("<div id='pager'></div><script>laypage.render({elem: 'pager', count: 45, limit: 15, jump: function(obj, first)"
     "{ if(!first){ window.location.href = 'list_' + obj.curr + '.shtml'; } } });</script>", "list_2.shtml",
     ["list_2.shtml", "list_3.shtml"]),
    # a query parameter
    ('<div>共 5 页 <a href="#" onclick="toPage(2);return false;">下一页</a></div><script>function toPage(p){ '
     'window.location = "list.jsp?cat=12&pageNo=" + p; }</script>', "list.jsp?cat=12&pageNo=2",
     ["list.jsp?cat=12&pageNo=2", "list.jsp?cat=12&pageNo=3"]),
])  # fmt: skip
def test_a_pager_drawn_by_script_pages_the_list_by_the_address_it_builds(pager: str, at: str, later: list[str]) -> None:
    from crawler.page_facts import page_facts
    from crawler.pages import read_page

    html = f"<html><head><title>政府信息公开年报</title></head><body>{_REPORT}{pager}</body></html>"
    facts = page_facts(BASE, html, read_page(html), {"column": "政府信息公开年报"})
    assert len(facts.calls) == 1, facts.calls
    call, first = facts.calls[0]
    asked = [call.page(n).url for n in (first, first + 1)]
    assert asked == [f"http://www.example.gov.cn/col/nb/{x}" for x in later]
    assert not [lk for lk in facts.links if "pageNo=" in lk.url or lk.url.endswith("_")]  # no half-built address
    # the list's later pages are asked by the series itself, not read as a new series
    again = page_facts(f"http://www.example.gov.cn/col/nb/{at}", html, read_page(html), {})
    assert not again.calls


def test_an_address_built_in_a_script_without_a_pager_is_no_list() -> None:
    from crawler.page_facts import page_facts
    from crawler.pages import read_page

    html = (f"<html><body>{_REPORT}<script>function show(id){{ location.href = 'detail_' + id + '.html'; }}"
            "</script></body></html>")  # fmt: skip
    assert not page_facts(BASE, html, read_page(html), {}).calls
    # nor, on a list with a pager of links, an address built around an article's id
    pager = '<div class="page">共3页 <a href="index_1.html">下一页</a></div>'
    html = html.replace("</body>", pager + "</body>")
    assert not page_facts(BASE, html, read_page(html), {}).calls
