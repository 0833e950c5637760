"""A page's `<meta>` elements, read in one pass, answer what its XPaths answered."""

from __future__ import annotations

from lxml import etree

from crawler.discovery import column_name, page_title, published_at
from crawler.page_meta import page_marks
from crawler.pages import read_page
from extractors.readers.html import meta_content, page_metas

PAGE = """<html><head>
<meta name="pubdate" content="2025-01-20">
<meta name="PubDate" content="2025-01-10 08:00">
<meta name="ColumnName">
<meta name="ColumnName" content=" 政府信息公开年报 ">
<meta name="ArticleTitle" content="某县2024年政府信息公开工作年度报告">
<meta name="ArticleTitle" content="（修订）">
<meta NAME="siteidcode" content=" 3305230001 ">
<meta name="SITENAME" content="某县人民政府">
<meta property="og:title" content="别的标题">
</head><body><h1>页面标题</h1><p>正文</p></body></html>"""


def test_metas_are_those_with_content_in_page_order() -> None:
    root = read_page(PAGE).root
    metas = page_metas(root)
    assert [m.name for m in metas] == ["pubdate", "PubDate", "ColumnName", "ArticleTitle", "ArticleTitle",
                                       "siteidcode", "SITENAME", None]  # fmt: skip
    assert metas[-1].prop == "og:title"
    # The first of several names in page order, as the XPath union gave it.
    assert meta_content(root, "PubDate", "pubdate") == "2025-01-20"
    assert meta_content(root, "PubDate") == "2025-01-10 08:00"
    assert meta_content(root, "Keywords") is None


def test_page_readers_answer_from_the_metas() -> None:
    sel = read_page(PAGE)
    assert page_title(sel) == "某县2024年政府信息公开工作年度报告 （修订）"  # every ArticleTitle, joined
    assert column_name(sel) == "政府信息公开年报"  # the meta without content is not the first
    assert published_at(sel, "") == "2025-01-20"
    marks = page_marks(sel, "")
    assert marks.site_id_code == "3305230001"  # the name's letters in any case
    assert marks.site_name == "某县人民政府"


def test_each_tree_gets_its_own_metas() -> None:
    first = read_page(PAGE).root
    other = read_page('<html><head><meta name="PubDate" content="2024-03-01"></head><body></body></html>').root
    assert meta_content(other, "PubDate") == "2024-03-01"
    assert meta_content(first, "PubDate") == "2025-01-10 08:00"
    bare = etree.fromstring("<html><body/></html>", etree.HTMLParser())
    assert page_metas(bare) == []


def test_a_per_tree_scan_runs_once_a_tree_and_again_for_the_next() -> None:
    from extractors.readers.html import per_tree

    scans: list[object] = []

    @per_tree
    def tags(root: object) -> list[str]:
        scans.append(root)
        return [el.tag for el in root.iter()]  # type: ignore[attr-defined]

    first, second = (read_page(f"<html><body><p>{k}</p></body></html>").root for k in (1, 2))
    assert tags(first) is tags(first) and tags(first) == ["html", "body", "p"]
    assert tags(second) == ["html", "body", "p"] and tags(first) == tags(second)
    assert scans == [first, second, first, second]  # asked again after another tree: scanned again


def test_a_page_dated_only_by_its_writing_time_is_dated_by_it() -> None:
    # 湖北 TRS pages label the date 撰写时间, on a line of its own (site-patterns sample 26).
    text = "大川镇2023年度政府信息公开工作报告\n撰写时间\n2024年01月12日 17:12:21\n来源\n大川镇"
    assert published_at(read_page("<html><body><p>x</p></body></html>"), text) == "2024-01-12"
    assert published_at(read_page("<html><body><p>x</p></body></html>"), "更新时间 2024-02-01") is None
