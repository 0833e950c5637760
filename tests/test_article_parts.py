"""Which pages make one report cut into several (crawler/article_parts.py), and the page they are assembled into."""

from __future__ import annotations

from lxml import html

from crawler.article_parts import MAX_NAMED, MAX_PARTS, Part, assemble, is_book_page, part_of, part_urls
from crawler.families import trs_call
from crawler.page_facts import page_facts
from crawler.pages import read_page
from extractors import extract
from fixtures.web2.server import build_sites

BASE = "http://www.example.gov.cn/zfxxgk/nb/202501/"


def test_a_pages_place_is_read_from_its_url() -> None:
    assert part_of(BASE + "t20250118_1734687.html") == Part(BASE + "t20250118_1734687.html", 0)
    assert part_of(BASE + "t20250118_1734687_2.shtml") == Part(BASE + "t20250118_1734687.shtml", 2)
    assert part_of(BASE + "t20250118_1734687_1.HTM?x=1") == Part(BASE + "t20250118_1734687.htm", 1)
    book = "http://cloud.example.com/zfgk/2023/files/basic-html/"
    assert part_of(book + "page4.html") == Part(book, 3)
    assert is_book_page(book + "page1.html") and not is_book_page(BASE + "t20250118_1734687.html")
    for url in (BASE + "index_1.html", book + "toc.html", "http://x.cn/a/page3.html", BASE + "t2025_1.html",
                book + "page0.html"):  # fmt: skip
        assert part_of(url) is None, url


def test_the_parts_are_those_the_article_pager_counts_or_links_name() -> None:
    url = BASE + "t20250118_1734687.html"
    pager = '<script>createPageHTML(3, 0, "t20250118_1734687", "html");</script>'
    assert part_urls(url, pager, []) == [BASE + "t20250118_1734687_1.html", BASE + "t20250118_1734687_2.html"]
    later = BASE + "t20250118_1734687_2.html"
    assert part_urls(later, pager.replace("3, 0", "3, 2"), []) == [url, BASE + "t20250118_1734687_1.html"]
    # a list's pager, another article's pages and the page itself are not its parts
    other = '<script>createPageHTML(5, 0, "index", "html");createPageHTML(2, 0, "t20250118_9", "html");</script>'
    assert part_urls(url, other, [BASE + "t20250118_9_1.html", url, BASE + "index_1.html"]) == []
    links = [BASE + "t20250118_1734687_1.html", "http://www.example.gov.cn/other/t20250118_1734687_1.html"]
    assert part_urls(url, "", links) == [BASE + "t20250118_1734687_1.html"]
    assert part_urls(BASE + "index.html", pager, links) == []  # no part itself
    assert part_urls(url, '<script>createPageHTML(1, 0, "t20250118_1734687", "html");</script>', []) == []
    named = ('<script>var currentPage = 0;//所在页从0开始\nvar countPage = 2//共多少页\n'
             'createPageHTML(countPage, currentPage, "t20250118_1734687", "html");</script>')  # fmt: skip
    assert part_urls(url, named, []) == [BASE + "t20250118_1734687_1.html"]
    assert part_urls(url, named.replace("var countPage = 2", "var countPage = n"), []) == []  # no count: none


def test_a_pager_names_its_parts_past_the_assembly_limit_up_to_three_digits() -> None:
    url = BASE + "t20250118_1734687.html"
    long = part_urls(url, '<script>createPageHTML(230, 0, "t20250118_1734687", "html");</script>', [])
    assert len(long) == 229 > MAX_PARTS  # named, so the crawl can say which it did not fetch
    claimed = part_urls(url, '<script>createPageHTML(99999999, 0, "t20250118_1734687", "html");</script>', [])
    assert len(claimed) == MAX_NAMED - 1 and claimed[-1] == BASE + f"t20250118_1734687_{MAX_NAMED - 1}.html"


def test_an_article_pager_is_no_list_pager() -> None:
    assert trs_call(BASE + "t20250118_1734687.html", '<script>createPageHTML(3, 0, "t20250118_1734687", "html");'
                    "</script>") is None  # fmt: skip
    assert trs_call(BASE + "index.html", '<script>createPageHTML(3, 0, "index", "html");</script>') is not None


def _page(title: str, article: str, pager: str) -> str:
    return (
        f'<html><head><meta charset="gbk"><title>{title}</title></head><body>'
        '<div class="nav"><a href="/">首页</a> <a href="/zwgk/">政务公开</a></div>'
        f'<div class="main"><h1>年度报告</h1><div class="content">{article}</div><div class="pager">{pager}</div></div>'
        '<div class="footer">主办单位：某市人民政府 网站标识码：1234</div></body></html>'
    )


def test_assembled_parts_keep_one_template_and_the_articles_in_order() -> None:
    pages = [
        (BASE + "t1_0.html", _page("Page 1 - 某局2024年政府信息公开工作年度报告", "<p>一、总体情况</p><p>甲</p>",
                                   '第1页 <a href="t1_1.html">2</a> <a href="t1_1.html">下一页</a>')),
        (BASE + "t1_1.html", _page("Page 2 - 某局2024年政府信息公开工作年度报告",
                                   "<p>三、收到和处理</p><table><tr><td>1</td></tr></table>",
                                   '第2页 <a href="t1_0.html">上一页</a> <a href="t1_2.html">3</a>')),
        (BASE + "t1_2.html", _page("Page 3 - 某局2024年政府信息公开工作年度报告", "<p>六、其他</p>尾",
                                   '第3页 <a href="t1_1.html">上一页</a>')),
    ]  # fmt: skip
    made = assemble(pages)
    assert made is not None and made[1] == []
    root = html.document_fromstring(made[0])
    content = root.find_class("content")[0]
    assert "".join(content.text_content().split()) == "一、总体情况甲三、收到和处理1六、其他尾"
    assert [div.get("data-part") for div in content.iter("div")][1:] == [BASE + "t1_1.html", BASE + "t1_2.html"]
    whole = root.text_content()
    assert whole.count("主办单位") == 1 and whole.count("政务公开") == 1 and "第2页" not in whole
    assert root.findtext(".//title") == "某局2024年政府信息公开工作年度报告"
    assert [m.get("charset") for m in root.iter("meta")] == ["utf-8"]  # the bytes are UTF-8 whatever was declared


def test_a_part_whose_article_cannot_be_told_is_appended_whole() -> None:
    page = _page("报告", "<p>一、总体情况</p>", "")
    made = assemble([(BASE + "a.html", page), (BASE + "b.html", page)])
    assert made is not None
    assert html.document_fromstring(made[0]).text_content().count("一、总体情况") == 2  # nothing dropped


def test_a_part_lxml_cannot_read_is_named_and_the_rest_is_assembled() -> None:
    first = _page("报告", "<p>一、总体情况</p>", "")
    made = assemble([(BASE + "a.html", first), (BASE + "b.html", ""), (BASE + "c.html", _page("报告", "<p>六</p>", "")),
                     (BASE + "d.html", "七\x01八\x0b")])  # fmt: skip
    assert made is not None and made[1] == [BASE + "b.html"]
    assert "六" in (text := html.document_fromstring(made[0]).text_content()) and "七八" in text  # controls dropped
    assert assemble([(BASE + "a.html", first), (BASE + "b.html", "  ")]) is None  # no part read: nothing to make
    assert assemble([(BASE + "a.html", ""), (BASE + "b.html", first)]) is None


def test_a_later_part_is_no_report_and_the_first_leaves_its_parts_to_the_assembly() -> None:
    site = build_sites()["gp-split"]
    paths = sorted(p for p in site.routes if "_48000" in p)
    assert len(paths) == 3
    facts = []
    for path in paths:
        text = site.routes[path].body.decode()
        facts.append(page_facts("http://h" + path, text, read_page(text), {}))
    first, second, _ = facts
    assert first.part_index == 0 and second.part_index == 1
    assert first.parts == ["http://h" + p for p in paths[1:]]
    assert not second.is_report and second.parts[0] == "http://h" + paths[0]
    assert not any(lk.url in first.parts for lk in first.links)
    whole = assemble([("http://h" + p, site.routes[p].body.decode()) for p in paths])
    assert whole is not None
    record = extract(whole[0], name="whole.html")
    assert all(record["sections"][k] for k in record["sections"]), record["sections"]


def test_a_part_nested_deeper_than_pythons_recursion_limit_is_assembled() -> None:
    deep = "<html><body>" + "<div>" * 1500 + "<p>三、收到和处理</p>" + "</div>" * 1500 + "</body></html>"
    made = assemble([(BASE + "a.html", _page("报告", "<p>一、总体情况</p>", "")), (BASE + "b.html", deep)])
    assert made is not None and "三、收到和处理" in made[0].decode()
