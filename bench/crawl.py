"""Crawl speed and memory (run by hand: `python bench/crawl.py [--pages 200 800 2000]`).

Serves a generated TRS-style site on loopback (a paged 年报 column whose entries are real report pages
with distinct titles), then crawls it twice per size in fresh processes: with our spider (discovery,
family adapters, safety, extraction of every report) and with a bare Scrapy spider that only follows
the same links with the same settings. Throttling is off for both. Prints pages per second and peak
memory (max RSS) of each run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT.parent / "shared" / "corpus" / "real" / "pingtan_zone_2024_html_2021fmt_article.html"
PER_PAGE = 20

BARE = r'''
import sys, scrapy
from scrapy.crawler import CrawlerProcess
class Bare(scrapy.Spider):
    name = "bare"
    async def start(self):
        yield scrapy.Request(sys.argv[1])
    def parse(self, response):
        if "/index" not in response.url:
            return  # a report page: the same links our spider follows end here
        for href in response.css("ul a::attr(href)").getall():
            yield response.follow(href)
        if "createPageHTML" in response.text:
            import re
            n = int(re.search(r"countPage = (\d+)", response.text).group(1))
            for k in range(1, n):
                yield response.follow(f"index_{k}.html")
s = {"LOG_LEVEL": "ERROR", "ROBOTSTXT_OBEY": True, "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
     "AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0, "COOKIES_ENABLED": False}
p = CrawlerProcess(s); c = p.create_crawler(Bare); p.crawl(c); p.start()
print(c.stats.get_value("response_received_count"))
'''


def build_site(root: Path, reports: int) -> None:
    """Write a TRS-style column with `reports` report pages, PER_PAGE a list page."""
    col = root / "zfxxgk" / "zfxxgknb"
    (col / "202501").mkdir(parents=True)
    template = REPORT.read_text(encoding="utf-8")
    pages = -(-reports // PER_PAGE)
    for p in range(pages):
        items = []
        for k in range(p * PER_PAGE, min(reports, (p + 1) * PER_PAGE)):
            title = f"测试区第{k}号单位2024年度政府信息公开工作年度报告"
            (col / "202501" / f"t20250110_{k}.html").write_text(
                template.replace("平潭综合实验区2024年度政府信息公开工作年度报告", title), encoding="utf-8"
            )
            href = f"./202501/t20250110_{k}.html"
            items.append(f'<li><a href="{href}" title="{title}">{title}</a><span>2025-01-10</span></li>')
        pager = (
            f"<script>var currentPage = {p};var countPage = {pages}\n"
            'createPageHTML(countPage, currentPage, "index", "html");</script>'
        )
        name = "index.html" if p == 0 else f"index_{p}.html"
        head = '<html><head><meta charset="utf-8"><title>政府信息公开年报</title></head>'
        (col / name).write_text(f'{head}<body><ul>{"".join(items)}</ul>{pager}</body></html>', encoding="utf-8")
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


RSS = (
    "import resource, runpy, sys\n"
    "code = sys.argv.pop(1)\n"
    "try:\n"
    "    exec(code) if chr(10) in code else runpy.run_module(code, run_name='__main__')\n"
    "except SystemExit:\n"
    "    pass\n"
    "finally:\n"
    "    print('RSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
)


def run(target: str, args: list[str]) -> tuple[float, float]:
    """Return (seconds, peak RSS in MB) of a fresh process running a module or a code string."""
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", RSS, target, *args], cwd=ROOT, capture_output=True, text=True)
    secs = time.perf_counter() - t
    rss = [int(line.split()[1]) for line in proc.stderr.splitlines() if line.startswith("RSS ")]
    if not rss:
        raise RuntimeError(proc.stderr[-2000:])
    return secs, rss[-1] / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, nargs="*", default=[100, 400, 1600])
    args = parser.parse_args()
    print("reports  spider   pages  seconds  pages/s  peak MB")
    for n in args.pages:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "site"
            build_site(root, n)
            server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(root)))
            threading.Thread(target=server.serve_forever, daemon=True).start()
            url = f"http://127.0.0.1:{server.server_port}/zfxxgk/zfxxgknb/index.html"
            pages = n + -(-n // PER_PAGE) + 1
            # A store of its own: records go to storage as in a real crawl, never into the user's data/.
            ours = ["crawl", url, "--fast", "--feed", f"{tmp}/r.jsonl",
                    "--db", f"sqlite:///{tmp}/bench.sqlite", "--blobs", f"{tmp}/blobs",
                    "--summary", f"{tmp}/sum.json", "-s", "LOG_LEVEL=ERROR"]  # fmt: skip
            bare_s, bare_mb = run(BARE, [url])
            ours_s, ours_mb = run("nianbao.cli", ours)
            lines = Path(f"{tmp}/r.jsonl").read_text(encoding="utf-8").splitlines()
            found = sum(1 for line in lines if json.loads(line)["kind"] == "report")
            server.shutdown()
            print(f"{n:>7}  bare     {pages:>5}  {bare_s:>7.1f}  {pages / bare_s:>7.1f}  {bare_mb:>7.0f}")
            print(f"{n:>7}  nianbao  {pages:>5}  {ours_s:>7.1f}  {pages / ours_s:>7.1f}  {ours_mb:>7.0f}  "
                  f"({found} reports extracted, {100 * bare_s / ours_s:.0f}% of bare rate)")  # fmt: skip


if __name__ == "__main__":
    main()
