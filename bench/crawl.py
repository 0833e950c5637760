"""Crawl speed and memory against nginx (run by hand: `python bench/crawl.py --pages 500 2000 5000`).

Builds a TRS-style 年报 column (a paged list whose entries are report pages made from a bundled HTML
fixture, each under a title of its own and with its table cells' numbers multiplied by a factor of its own, so no two
pages' tables are alike while every total still adds up), serves it with nginx (a server of its own on a loopback port,
its config in a temp folder), then crawls it in fresh processes, per size: with a bare Scrapy spider
that only follows the same links with the same per-host concurrency, and with `nianbao crawl`
(discovery, safety, extraction and storage into a SQLite store of its own). Throttling is off for both.

Each run is a child process: its wall time, its CPU time (user + system, its own children included:
the extraction pool and the store's writer) and its peak memory come from the kernel's accounting of it
(`os.wait4`). The CPU of each process of a nianbao run is read from /proc as it runs (the last reading
before it ends): the crawl process itself, the extraction workers and the store writer (the child that
holds the run's database open), so the rows say which process a page's CPU went to.

    python bench/crawl.py --pages 500 2000 5000 --out bench/results/crawl-after.json
    python bench/crawl.py --serve 5000                 # serve a column until Ctrl-C; prints its URL
    python bench/crawl.py --spider bare|nianbao URL    # one crawl (for timing two commands side by side)
    python bench/crawl.py --read 300                   # read 300 report pages as an extraction worker does, in
                                                       # this process (no crawl): CPU ms a page
    python bench/crawl.py --pool 1500                  # send 1,500 report pages through the crawl's extraction
                                                       # pool: CPU ms a page of the crawl's side and the workers
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "fixtures" / "documents" / "seed004_html" / "input.html"
PER_PAGE = 20
CELL_NUMBER = re.compile(r"(<td[^>]*>)(\d+)(</td>)")
HOST = "127.0.0.3"

BARE = r"""
import re, sys, scrapy
from scrapy.crawler import CrawlerProcess
PAGER = re.compile(r"currentPage = (\d+);\s*var countPage = (\d+)")
class Bare(scrapy.Spider):
    name = "bare"
    async def start(self):
        yield scrapy.Request(sys.argv[1])
    def parse(self, response):
        if "/index" not in response.url:
            return  # a report page: the same links our spider follows end here
        for href in response.css("ul a::attr(href)").getall():
            yield response.follow(href)
        pager = PAGER.search(response.text)
        if pager and int(pager.group(1)) + 1 < int(pager.group(2)):  # the next list page only
            yield response.follow(f"index_{int(pager.group(1)) + 1}.html")
s = {"LOG_LEVEL": "ERROR", "ROBOTSTXT_OBEY": True, "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
     "AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0, "COOKIES_ENABLED": False}
p = CrawlerProcess(s); c = p.create_crawler(Bare); p.crawl(c); p.start()
print("pages", c.stats.get_value("response_received_count"))
"""

NGINX_CONF = """worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log error;
{user}
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    types {{ text/html html; text/plain txt; }}
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen {host}:{port};
        root {root};
        charset utf-8;
    }}
}}
"""


@dataclass
class Run:
    """One crawl of the column by one spider, as the kernel accounted its process."""

    spider: str
    """`bare` or `nianbao`."""
    pages: int
    """Responses the crawl received (robots.txt included)."""
    seconds: float
    """Wall time of the process, start to exit."""
    cpu_seconds: float
    """User + system CPU time of the process and of the children it waited for."""
    peak_mb: float
    """Peak resident memory of the largest single process of the run, in MB."""
    reports: int | None = None
    """Reports in the feed (nianbao only)."""
    cpu_split: dict[str, float] | None = None
    """CPU seconds per process of the run, from /proc (nianbao only): `crawl` (its own process), `extract` (the
    extraction workers), `store` (the store writer), `other` (multiprocessing's resource tracker)."""
    load: tuple[float, float] = (0.0, 0.0)
    """The machine's 1-minute load average as the run started and as it ended (other jobs share the cores)."""

    @property
    def pages_per_s(self) -> float:
        """Return the pages fetched per second of wall time."""
        return self.pages / self.seconds

    @property
    def cpu_ms_per_page(self) -> float:
        """Return the CPU milliseconds spent a page."""
        return 1000 * self.cpu_seconds / self.pages


def build_site(root: Path, reports: int) -> None:
    """Write a TRS-style column with `reports` report pages, PER_PAGE a list page, and a robots.txt."""
    col = root / "zfxxgk" / "zfxxgknb"
    (col / "202501").mkdir(parents=True)
    template = TEMPLATE.read_text(encoding="utf-8")
    pages = -(-reports // PER_PAGE)
    for p in range(pages):
        items = []
        for k in range(p * PER_PAGE, min(reports, (p + 1) * PER_PAGE)):
            title, html = report_page(k, template)
            (col / "202501" / f"t20250110_{k}.html").write_text(html, encoding="utf-8")
            href = f"./202501/t20250110_{k}.html"
            items.append(f'<li><a href="{href}" title="{title}">{title}</a><span>2025-01-10</span></li>')
        pager = (
            f"<script>var currentPage = {p};var countPage = {pages}\n"
            'createPageHTML(countPage, currentPage, "index", "html");</script>'
        )
        name = "index.html" if p == 0 else f"index_{p}.html"
        page_head = '<html><head><meta charset="utf-8"><title>政府信息公开年报</title></head>'
        (col / name).write_text(f"{page_head}<body><ul>{''.join(items)}</ul>{pager}</body></html>", encoding="utf-8")
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")


def report_page(k: int, template: str) -> tuple[str, str]:
    """Return the title and HTML of the column's report number `k`: `template` (TEMPLATE's text) under a title of its
    own, its table cells' numbers multiplied by a factor of its own (1–97; a scaled table keeps every total)."""
    head, sep, rest = template.partition("<title>")
    old_title = rest.split("</title>", 1)[0]
    title = f"测试区第{k}号单位2024年度政府信息公开工作年度报告"
    factor = k % 97 + 1
    rest = CELL_NUMBER.sub(lambda m: f"{m[1]}{int(m[2]) * factor}{m[3]}", rest)
    return title, head + sep + rest.replace(old_title, title, 1).replace("<body>", f"<body><h1>{title}</h1>", 1)


def page_jobs(count: int) -> list[Any]:
    """Return the `PageJob`s of the column's first `count` report pages, as the crawl sends them to a worker."""
    sys.path.insert(0, str(ROOT))
    from crawler.extract_pool import PageJob
    from crawler.items import DocumentItem

    context = {"list_title": "政府信息公开工作年度报告", "list_date": "2025-01-10"}
    template = TEMPLATE.read_text(encoding="utf-8")
    jobs = []
    for k in range(count):
        html = report_page(k, template)[1]
        draft = DocumentItem(site="bench", url=f"http://{HOST}/zfxxgk/zfxxgknb/202501/t20250110_{k}.html",
                             body=html.encode("utf-8"), status=200, content_type="text/html", charset="utf-8",
                             filename=f"t20250110_{k}.html", **DocumentItem.context_fields(context))  # fmt: skip
        jobs.append(PageJob(context, draft, 50 * 1024 * 1024))
    return jobs


def read_pages(count: int, rounds: int = 3) -> dict[str, float]:
    """Return the CPU ms a page of reading `count` report pages `rounds` times as an extraction worker reads a page
    the crawl sends it (facts and record from one lxml tree), in this process, after one unmeasured round."""
    from crawler.extract_pool import read_page_job

    jobs = page_jobs(count)
    reports = sum(1 for job in jobs if isinstance(read_page_job(job).outcome, dict))
    start = time.process_time()
    for _ in range(rounds):
        for job in jobs:
            read_page_job(job)
    ms = 1000 * (time.process_time() - start) / (rounds * count)
    print(f"{count} pages x {rounds}: {ms:.2f} CPU ms a page; {reports} read as reports")
    return {"pages": count, "rounds": rounds, "cpu_ms_per_page": round(ms, 3), "reports": reports}


def pool_pages(count: int) -> dict[str, float]:
    """Return the CPU ms a page of the crawl's side and of its extraction workers when `count` report pages go
    through the crawl's `ExtractPool` (as many workers as cores, the crawl's queue depth), after 20 unmeasured: the
    transport's cost without the rest of a crawl."""
    import asyncio

    from crawler.extract_pool import ExtractPool, default_workers, read_page_job

    jobs = page_jobs(count + 20)

    async def run() -> dict[str, float]:
        workers = default_workers()
        pool = ExtractPool(workers, 2 * workers)
        pool.start()
        try:
            await asyncio.gather(*(pool.read(job, read_page_job) for job in jobs[:20]))
            pids = pool.pids
            w0, c0, t0 = sum(cpu_of(p) for p in pids), time.process_time(), time.monotonic()
            await asyncio.gather(*(pool.read(job, read_page_job) for job in jobs[20:]))
            w1, c1, t1 = sum(cpu_of(p) for p in pids), time.process_time(), time.monotonic()
        finally:
            pool.close()
        return {"pages": count, "workers": workers, "crawl_side_cpu_ms_per_page": round(1000 * (c1 - c0) / count, 3),
                "workers_cpu_ms_per_page": round(1000 * (w1 - w0) / count, 3),
                "wall_ms_per_page": round(1000 * (t1 - t0) / count, 3)}  # fmt: skip

    out = asyncio.run(run())
    print(json.dumps(out))
    return out


def free_port(host: str) -> int:
    """Return a TCP port free on `host` at the moment of asking."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class Nginx:
    """An nginx of its own serving `root` on a loopback port, its config, pid and logs in `tmp`."""

    def __init__(self, root: Path, tmp: Path) -> None:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(binary).exists():
            raise SystemExit("nginx is not installed (Debian: apt-get install nginx-light)")
        self.port = free_port(HOST)
        user = f"user {pwd.getpwuid(os.getuid()).pw_name};" if os.getuid() == 0 else ""
        conf = tmp / "nginx.conf"
        conf.write_text(NGINX_CONF.format(tmp=tmp, user=user, host=HOST, port=self.port, root=root), encoding="utf-8")
        self.proc = subprocess.Popen([binary, "-p", str(tmp), "-e", str(tmp / "error.log"), "-c", str(conf)])
        for _ in range(100):
            try:
                socket.create_connection((HOST, self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise SystemExit(f"nginx did not start: {(tmp / 'error.log').read_text(errors='replace')[-500:]}")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def cpu_of(pid: int) -> float:
    """Return the user + system CPU seconds process `pid` has used so far (its own threads, not its children)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def role_of(pid: int, database: str | None) -> str:
    """Return what a child of a nianbao crawl is: `store` (it holds `database` open), `extract` or `other`."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        if database and any(os.readlink(fd.path) == database for fd in os.scandir(f"/proc/{pid}/fd")):
            return "store"
    except OSError:
        return "other"
    return "other" if b"resource_tracker" in cmdline else "extract"


def watch(pid: int, database: str | None, seen: dict[int, tuple[str, float]]) -> None:
    """Note the CPU seconds so far of process `pid` and of each of its children, with their roles, in `seen`."""
    try:
        seen[pid] = ("crawl", cpu_of(pid))
        kids = {
            int(k) for task in os.scandir(f"/proc/{pid}/task") for k in Path(task.path, "children").read_text().split()
        }
    except OSError:
        return
    for kid in kids:
        try:
            # A store writer opens the database at its first batch: asked again until it is seen holding it.
            role = "store" if kid in seen and seen[kid][0] == "store" else role_of(kid, database)
            seen[kid] = (role, cpu_of(kid))
        except OSError:
            pass


def run_child(argv: list[str], database: str | None = None) -> tuple[float, float, float, str, dict[str, float]]:
    """Return (wall seconds, CPU seconds, peak MB, stdout, CPU seconds per role of its processes) of a child process
    run to its end (`database`: the file a store writer child holds open)."""
    seen: dict[int, tuple[str, float]] = {}
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out, tempfile.TemporaryFile("w+") as errors:
        t = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=ROOT, stdout=out, stderr=errors, text=True)
        while True:  # the kernel's accounting of this child and its children, once it has ended
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            watch(proc.pid, database, seen)
            time.sleep(0.1)
        secs = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        errors.seek(0)
        text, err = out.read(), errors.read()
    if proc.returncode not in (0, 1):  # 1: a crawl that asks for attention still ran
        raise RuntimeError(f"{argv[:4]} exited {proc.returncode}: {err[-2000:]}")
    split: dict[str, float] = {}
    for role, cpu in seen.values():
        split[role] = round(split.get(role, 0.0) + cpu, 2)
    return secs, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, text, split


def crawl(spider: str, url: str, tmp: Path, settings: list[str] = ()) -> Run:
    """Return the Run of one crawl of `url` by `spider` (`bare`, or `nianbao` into a fresh store under `tmp`, with
    the Scrapy `settings` given as KEY=VALUE)."""
    load = os.getloadavg()[0]
    if spider == "bare":
        secs, cpu, mb, out, _ = run_child([sys.executable, "-c", BARE, url])
        pages = int(next(line.split()[1] for line in out.splitlines() if line.startswith("pages ")))
        return Run("bare", pages, secs, cpu, mb, load=(load, os.getloadavg()[0]))
    work = Path(tempfile.mkdtemp(dir=tmp))
    feed, summary = work / "r.jsonl", work / "sum.json"
    argv = [sys.executable, "-m", "nianbao.cli", "crawl", url, "--fast", "--quiet", "--feed", str(feed),
            "--db", f"sqlite:///{work}/bench.sqlite", "--blobs", str(work / "blobs"),
            "--summary", str(summary), "-s", "LOG_LEVEL=ERROR"]  # fmt: skip
    argv += [a for kv in settings for a in ("-s", kv)]
    secs, cpu, mb, _, split = run_child(argv, str(work / "bench.sqlite"))
    rows = json.loads(summary.read_text(encoding="utf-8"))["sites"]
    lines = feed.read_text(encoding="utf-8").splitlines()
    found = sum(1 for line in lines if json.loads(line)["kind"] == "report")
    shutil.rmtree(work)
    pages = sum(r["pages"] for r in rows) + 1  # + robots.txt, as bare counts
    return Run("nianbao", pages, secs, cpu, mb, found, split, (load, os.getloadavg()[0]))


def measure(sizes: list[int], spiders: list[str], settings: list[str] = ()) -> list[dict[str, object]]:
    """Return, per column size, the runs of each spider, printing a table row as each ends."""
    rows: list[dict[str, object]] = []
    print("reports  spider   pages  seconds  pages/s  CPU ms/page  peak MB  reports read  CPU ms/page by process")
    for n in sizes:
        with tempfile.TemporaryDirectory() as name:
            tmp = Path(name)
            os.chmod(tmp, 0o755)  # nginx's worker reads the column
            build_site(tmp / "site", n)
            server = Nginx(tmp / "site", tmp)
            url = f"http://{HOST}:{server.port}/zfxxgk/zfxxgknb/index.html"
            try:
                runs = [crawl(s, url, tmp, settings) for s in spiders]
            finally:
                server.stop()
        for r in runs:
            read = "" if r.reports is None else r.reports
            split = " ".join(f"{k} {v:.1f}" for k, v in by_process(r).items())
            print(f"{n:>7}  {r.spider:<7}  {r.pages:>5}  {r.seconds:>7.1f}  {r.pages_per_s:>7.1f}  "
                  f"{r.cpu_ms_per_page:>11.1f}  {r.peak_mb:>7.0f}  {read:>12}  {split}  "
                  f"(load {r.load[0]:.1f} → {r.load[1]:.1f})")  # fmt: skip
        row: dict[str, object] = {"reports": n}
        for r in runs:
            row[r.spider] = {**asdict(r), "pages_per_s": round(r.pages_per_s, 1),
                             "cpu_ms_per_page": round(r.cpu_ms_per_page, 2),
                             "cpu_ms_per_page_by_process": by_process(r)}  # fmt: skip
        if "bare" in row and "nianbao" in row:
            bare, ours = runs[spiders.index("bare")], runs[spiders.index("nianbao")]
            row["share_of_bare_rate"] = round(ours.pages_per_s / bare.pages_per_s, 3)
        rows.append(row)
    return rows


def by_process(run: Run) -> dict[str, float]:
    """Return the CPU milliseconds a page of each process of a nianbao run (empty for bare Scrapy)."""
    return {k: round(1000 * v / run.pages, 2) for k, v in (run.cpu_split or {}).items() if k != "other"}


def serve(reports: int) -> None:
    """Serve a column of `reports` reports until interrupted (SIGINT or SIGTERM), printing its URL."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        os.chmod(tmp, 0o755)
        build_site(tmp / "site", reports)
        server = Nginx(tmp / "site", tmp)
        print(f"http://{HOST}:{server.port}/zfxxgk/zfxxgknb/index.html", flush=True)
        try:
            server.proc.wait()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()


def compile_package() -> None:
    """Compile the project's modules to bytecode where they are not yet (as an install does): run from a checkout
    where PYTHONDONTWRITEBYTECODE is set, each of a crawl's four processes compiled every module it imported, while
    bare Scrapy's modules come compiled."""
    for folder in ("crawler", "extractors", "storage", "nianbao"):
        compileall.compile_dir(ROOT / folder, quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, nargs="*", default=[500, 2000, 5000], help="report pages per column")
    parser.add_argument("--spiders", nargs="*", default=["bare", "nianbao"], choices=["bare", "nianbao"])
    parser.add_argument("--out", help="write the runs to this JSON file")
    parser.add_argument("-s", dest="settings", action="append", default=[], metavar="KEY=VALUE",
                        help="a setting for the nianbao crawls, e.g. -s NIANBAO_EXTRACT_WORKERS=2")
    parser.add_argument("--serve", type=int, metavar="REPORTS", help="only serve a column of this many reports")
    parser.add_argument("--read", type=int, metavar="PAGES", help="only read this many report pages in this process")
    parser.add_argument("--pool", type=int, metavar="PAGES",
                        help="only send this many report pages through the crawl's extraction pool (no crawl)")
    parser.add_argument("--spider", nargs=2, metavar=("SPIDER", "URL"), help="only crawl URL once with SPIDER")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    if args.read:
        read_pages(args.read)
        return
    if args.pool:
        pool_pages(args.pool)
        return
    if args.spider:
        compile_package()
        with tempfile.TemporaryDirectory() as name:
            r = crawl(args.spider[0], args.spider[1], Path(name), args.settings)
        print(json.dumps({**asdict(r), "pages_per_s": round(r.pages_per_s, 1)}))
        return
    compile_package()
    rows = measure(args.pages, args.spiders, args.settings)
    if args.out:
        doc = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                           "nginx": subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip()},
               "per_page": PER_PAGE, "settings": args.settings, "runs": rows}  # fmt: skip
        Path(args.out).write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
