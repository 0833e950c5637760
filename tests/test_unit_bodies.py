"""Unit tests of the bodies a crawl meets (crawler/bodies.py): a 信息公开 platform's units, a unit's 年报 column,
the units a 公布情况 notice names. Page snippets shaped like site-patterns §3: no server."""

from __future__ import annotations

from parsel import Selector

from crawler.bodies import is_notice, notice_units, notice_year, platform_units, unit_column
from crawler.discovery import list_links

BASE = "http://www.example.gov.cn/zfxxgk/index.html"


def _links(html: str) -> list:
    return list_links(Selector(text=html), BASE)


def test_a_platforms_unit_tree_names_its_units() -> None:
    html = """<a href="/xxgk/a/index.html">某县人民政府</a><a href="/xxgk/b/index.html">某县教育局</a>
    <a href="/xxgk/c/index.html">某县某某街道办事处</a><a href="/news/d.html">某县财政局</a>
    <a href="http://other.gov.cn/xxgk/e.html">某市公安局</a><a href="/xxgk/f.html">政策文件</a>"""
    units = platform_units(BASE, _links(html))
    assert [(u.name, u.url) for u in units] == [
        ("某县人民政府", "http://www.example.gov.cn/xxgk/a/index.html"),
        ("某县教育局", "http://www.example.gov.cn/xxgk/b/index.html"),
        ("某县某某街道办事处", "http://www.example.gov.cn/xxgk/c/index.html")]  # fmt: skip
    assert platform_units(BASE, _links(html.split("<a href=\"/xxgk/c")[0])) == []  # two links are not a list


def test_a_units_page_links_its_annual_report_column() -> None:
    html = """<a href="/xxgk/b/zn.html">政府信息公开指南</a><a href="/xxgk/b/nb/index.html">政府信息公开年报</a>"""
    got = unit_column("某县教育局", _links(html))
    assert got is not None and got.column_url == "http://www.example.gov.cn/xxgk/b/nb/index.html"
    assert unit_column("某县教育局", _links('<a href="/x.html">政府信息公开指南</a>')) is None


def test_a_publication_notice_names_its_units_and_links_their_reports() -> None:
    title = "关于某县2024年度政府信息公开工作年度报告公布情况的公告"
    assert is_notice(title) and notice_year(title) == 2024
    assert not is_notice("某县2024年政府信息公开工作年度报告") and not is_notice("关于做好年报工作的通知")
    html = """<table><tr><th>序号</th><th>单位名称</th><th>年度报告</th></tr>
      <tr><td>1</td><td>某县教育局</td><td><a href="/nb/1.html">某县教育局2024年政府信息公开工作年度报告</a></td></tr>
      <tr><td>2</td><td>某县某某镇人民政府</td><td>未公布</td></tr></table>
    <p><a href="/nb/3.html">某县财政局2024年度政府信息公开工作年度报告</a></p>"""
    units = notice_units(Selector(text=html), BASE)
    assert [(u.name, u.report_url) for u in units] == [
        ("某县教育局", "http://www.example.gov.cn/nb/1.html"), ("某县某某镇人民政府", None),
        ("某县财政局", "http://www.example.gov.cn/nb/3.html")]  # fmt: skip
