"""A 年报 column whose entries are clickable rows, not links: a list item, a table row or a block that sends the
browser to the report by script (`onclick="window.open('…')"`, `onclick="location.href='…'"`) or names it in a
data attribute a site script reads (`data-href`, `data-url`). A crawl reads every report of it.

A local site on 127.0.0.1: `/zfxxgk/nb/index.html` lists the five bundled report pages, each entry one of those
forms, none an `<a href>`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from parsel import Selector

from crawler import discovery as D

from .local_site import PAGES, PageHandler, crawl_records, report_title, serving

ENTRIES = (
    '<li onclick="window.open(\'{url}\')"><span class="t">{title}</span><span>{date}</span></li>',
    '<table><tr onclick="location.href=\'{url}\'"><td>{title}</td><td>{date}</td></tr></table>',
    '<div class="item" data-href="{url}"><p>{title}</p><em>{date}</em></div>',
    '<li data-url="{url}" title="{title}"><span>{title}</span><i>{date}</i></li>',
    '<dl><dd onclick="javascript:window.location.href=\'{url}\';return false;">{title} {date}</dd></dl>',
)


def column() -> str:
    """Return the column page: one entry of each form, the k-th leading to report k."""
    rows = "".join(form.format(url=f"./202501/t20250110_{k}.html", title=report_title(k), date=f"2025-01-1{k}")
                   for k, form in enumerate(ENTRIES))  # fmt: skip
    return (f"<html><head><title>政府信息公开年报</title></head><body><div class='crumb'>首页 > 政府信息公开 > "
            f"政府信息公开年报</div><div class='list'>{rows}</div></body></html>")  # fmt: skip


class _Site(PageHandler):
    asked: ClassVar[list[str]] = []

    def page(self, path: str) -> bytes | None:
        return column().encode("utf-8") if path == "/zfxxgk/nb/index.html" else None


@pytest.fixture
def site() -> Iterator[str]:
    with serving(_Site) as url:
        yield url


def test_each_clickable_row_is_a_link_with_its_title_and_date() -> None:
    links = D.list_links(Selector(text=column()), "http://x.gov.cn/zfxxgk/nb/index.html")
    got = {lk.url: lk for lk in links}
    for k in range(len(ENTRIES)):
        link = got[f"http://x.gov.cn/zfxxgk/nb/202501/t20250110_{k}.html"]
        assert D.is_report_title(link.text), link
        assert report_title(k) in link.text and link.date == f"2025-01-1{k}", link


def test_a_clickable_row_beside_its_own_link_is_one_link() -> None:
    html = ('<ul><li onclick="window.open(\'./a/t1.html\')"><a href="./a/t1.html">某局2024年政府信息公开工作年度报告</a>'
            "</li></ul>")
    links = D.list_links(Selector(text=html), "http://x.gov.cn/nb/index.html")
    assert [lk.url for lk in links] == ["http://x.gov.cn/nb/a/t1.html"]
    assert links[0].text == "某局2024年政府信息公开工作年度报告"
    # A block holding links is no row to click, and a long one's text is no title.
    html = ('<div data-url="/api/list/7"><a href="./a/t2.html">某局2024年政府信息公开工作年度报告</a></div>'
            f'<div onclick="location.href=\'/\'">{"首页导航" * 100}</div>')
    links = D.list_links(Selector(text=html), "http://x.gov.cn/nb/index.html")
    assert [(lk.url, lk.text) for lk in links] == [("http://x.gov.cn/nb/a/t2.html", "某局2024年政府信息公开工作年度报告"),
                                                   ("http://x.gov.cn/", "")]  # fmt: skip


@pytest.mark.slow
def test_a_column_of_clickable_rows_is_read_whole(tmp_path: Path, site: str) -> None:
    assert len(PAGES) == len(ENTRIES) == 5
    proc, records = crawl_records(f"{site}/zfxxgk/nb/index.html", tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(records) == len(PAGES), (len(records), _Site.asked)
    assert sorted(r["published_at"] for r in records) == [f"2025-01-1{k}" for k in range(5)]
