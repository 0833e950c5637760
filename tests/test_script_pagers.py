"""A 年报 column paged by a pager drawn by script: its links call a page function that sends the browser to an
address built around the page number (`"index_" + (n - 1) + ".html"`). A crawl reads every page of it.

A local site on 127.0.0.1: `/zfxxgk/nb/index.html` lists two reports and draws `共3页` with `javascript:goPage(n)`
links; `index_1.html` and `index_2.html` list the rest. Before, the crawl read the first page only (2 of 5 reports).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from .local_site import PAGES, PageHandler, crawl_records, report_title, serving

pytestmark = pytest.mark.slow
PER_PAGE = 2


class _Site(PageHandler):
    asked: ClassVar[list[str]] = []
    pager: ClassVar[str] = "path"  # path: index_N.html; query: list.jsp?pageNo=N

    def _list(self, page: int) -> bytes:
        total = -(-len(PAGES) // PER_PAGE)
        items = "".join(f'<li><a href="/zfxxgk/nb/202501/t20250110_{k}.html">{report_title(k)}</a>'
                        f"<span>2025-01-1{k}</span></li>"
                        for k in range(page * PER_PAGE, min((page + 1) * PER_PAGE, len(PAGES))))  # fmt: skip
        if self.pager == "path":
            jump = 'location.href = "index_" + (n - 1) + ".html";'
        else:
            jump = 'window.location = "list.jsp?cat=7&pageNo=" + n;'
        links = " ".join(f'<a href="javascript:goPage({n})">{n}</a>' for n in range(1, total + 1))
        return (f"<html><head><title>政府信息公开年报</title><script>function goPage(n){{ {jump} }}</script></head>"
                f"<body><div class='crumb'>首页 > 政府信息公开 > 政府信息公开年报</div><ul>{items}</ul>"
                f"<div class='page'>共{total}页 {links} <a href='javascript:goPage({page + 2})'>下一页</a></div>"
                "</body></html>").encode()  # fmt: skip

    def page(self, path: str) -> bytes | None:
        if path in ("/zfxxgk/nb/index.html", "/zfxxgk/nb/list.jsp?cat=7&pageNo=1"):
            return self._list(0)
        for n in range(2, 4):
            if path in (f"/zfxxgk/nb/index_{n - 1}.html", f"/zfxxgk/nb/list.jsp?cat=7&pageNo={n}"):
                return self._list(n - 1)
        return None


@pytest.fixture
def site() -> Iterator[str]:
    with serving(_Site) as url:
        yield url


@pytest.mark.parametrize("pager", ["path", "query"])
def test_a_column_paged_by_a_script_pager_is_read_to_its_end(tmp_path: Path, site: str, pager: str) -> None:
    assert len(PAGES) == 5
    _Site.pager = pager
    proc, records = crawl_records(f"{site}/zfxxgk/nb/index.html", tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(records) == len(PAGES), (len(records), _Site.asked)
    lists = [p for p in _Site.asked if "t20250110_" not in p and p != "/robots.txt"]
    assert len(lists) == len(set(lists)) == 3, lists  # each list page asked once, no half-built address
