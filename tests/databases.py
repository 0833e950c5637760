"""Helpers for the storage tests: throw-away databases, synthetic reports, writer processes.

Processes started with `multiprocessing` "spawn" import the writer functions from here (`tests.databases`,
found through the parent's sys.path) without importing pytest. Not shipped: nothing here runs in production.
"""

from __future__ import annotations

import contextlib
import functools
import os
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from extractors import REQUEST_COLUMNS, text_sha256
from storage.records import record_text
from storage.store import Store

PG_ADMIN_URL = os.environ.get("NIANBAO_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgresql")


class BackendUnavailable(RuntimeError):
    """The database server a test wants cannot be reached (the message says why)."""


@functools.lru_cache(maxsize=4)
def pg_unavailable(admin_url: str = PG_ADMIN_URL) -> str | None:
    """Return why PostgreSQL at `admin_url` cannot be used for tests, or None where it can (asked once per URL)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed: pip install 'psycopg[binary]'"
    engine = create_engine(admin_url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"PostgreSQL not reachable at {make_url(admin_url).render_as_string(hide_password=True)}: {first}"
    finally:
        engine.dispose()
    return None


@contextlib.contextmanager
def temp_pg_database(admin_url: str = PG_ADMIN_URL) -> Iterator[str]:
    """Create a fresh database `nianbao_test_<random>`, yield its URL, drop it afterwards."""
    reason = pg_unavailable(admin_url)
    if reason:
        raise BackendUnavailable(reason)
    name = f"nianbao_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def backend_url(kind: str, tmp_path: Path) -> Iterator[str]:
    """Yield a database URL of `kind` (`sqlite`: a file under `tmp_path`; `postgresql`: a fresh database)."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'nianbao.sqlite'}"
    elif kind == "postgresql":
        with temp_pg_database() as url:
            yield url
    else:
        raise ValueError(kind)


@contextlib.contextmanager
def backend_store(kind: str, tmp_path: Path) -> Iterator[Store]:
    """Yield a migrated Store of `kind` with its blobs under `tmp_path/blobs`; close it afterwards."""
    with backend_url(kind, tmp_path) as url:
        store = Store(url, blob_root=tmp_path / "blobs")
        try:
            store.migrate()
            yield store
        finally:
            store.close()


# -- synthetic reports ----------------------------------------------------------------------------
def synthetic_record(
    agency: str,
    year: int,
    *,
    variant: int = 0,
    region_code: str = "350128",
    published_at: str | None = None,
    carried_over: list[int] | None = None,
    carried_forward: list[int] | None = None,
    problems: str | None = None,
    proactive: dict[str, Any] | None = None,
    padding: int = 0,
) -> dict[str, Any]:
    """Return a record shaped like the extractor's (2021 format) whose text differs with `variant`.

    `padding` adds that many characters to part 六, to make large documents. `text_sha256` is set
    from the rebuilt text, as storage would compute it.
    """
    new = 10 + variant
    co = carried_over or [0] * 7
    cf = carried_forward or [0] * 7
    granted = [new + co[6] - cf[6], 0, 0, 0, 0, 0, new + co[6] - cf[6]]
    title = f"{agency}{year}年度政府信息公开工作年度报告"
    rows3 = (("本年新收", [new, 0, 0, 0, 0, 0, new]), ("上年结转", co), ("予以公开", granted), ("结转", cf))
    table3 = "\n".join(f"{row}\t" + "\t".join(str(v) for v in vals) for row, vals in rows3)
    record: dict[str, Any] = {
        "title": title,
        "year": year,
        "format": "2021",
        "agency": agency,
        "sections": {
            "overview": f"{title}\n一、总体情况\n{year}年，{agency}收到申请{new}件。",
            "proactive": "二、主动公开政府信息情况\n规章\t0\t0\t0",
            "requests": f"三、收到和处理政府信息公开申请情况\n{table3}",
            "review_litigation": "四、政府信息公开行政复议、行政诉讼情况\n0\t0\t0\t0\t0",
            "problems": problems or _problems(agency, year, variant),
            "other": "六、其他需要报告的事项\n无。" + "各项工作稳步推进。" * (padding // 9),
        },
        "proactive": proactive
        or {
            "regulations": {"issued": 0, "repealed": 0, "in_force": 0},
            "normative_documents": {"issued": 2, "repealed": 1, "in_force": 10 + year - 2021},
        },
        "requests": {
            "new_received": [new, 0, 0, 0, 0, 0, new],
            "carried_over": co,
            "granted": granted,
            "total_processed": granted,
            "carried_forward": cf,
        },
        "review_litigation": {"review": {"upheld": 0, "corrected": 0, "other": 0, "pending": 0, "total": 0}},
        "checks": [{"rule": "TXT-01", "where": "政府信息管理", "severity": "W"}],
        "ambiguous": [],
        "carrier": "txt",
        "region_code": region_code,
        "published_at": published_at,
    }
    assert len(co) == len(cf) == len(REQUEST_COLUMNS)
    record["text_sha256"] = text_sha256(record_text(record))
    return record


_PROBLEMS = (
    "网站栏目更新不够及时，部分信息发布滞后",
    "政策解读形式单一，图解视频偏少",
    "依申请公开答复说理不够充分",
    "基层政务公开标准化规范化水平不高",
    "政务新媒体互动回应偏慢",
    "业务培训覆盖面不广，人员变动频繁",
    "考核评议机制有待健全",
)


def _problems(agency: str, year: int, variant: int) -> str:
    """Return a part 五 that shares no sentence with the years next to it (so XY-04 stays quiet)."""
    picked = f"{_PROBLEMS[year % 7]}；{_PROBLEMS[(year + 3) % 7]}"
    return f"五、存在的主要问题及改进情况\n{agency}{year}年（第{variant}版）：{picked}。"


def raw_bytes(record: dict[str, Any], style: str = "utf-8") -> bytes:
    """Return a document holding the record's text: `utf-8`, `gb18030` or `crlf` (UTF-8, CRLF lines).

    The three styles are different bytes with the same normalized text, like a re-saved file.
    """
    body = record_text(record)
    if style == "crlf":
        return body.replace("\n", "\r\n").encode("utf-8")
    return body.encode(style)


@dataclass(frozen=True)
class Item:
    """One thing to add: bytes, record (None: not a report), and the source dict."""

    raw: bytes
    record: dict[str, Any] | None
    source: dict[str, Any]


def overlap_dataset(writer: str, n_reports: int = 12) -> list[Item]:
    """Return 20 documents as writer `a` or `b` adds them: each at a URL both writers share and one of its own.

    Documents 0…11 are distinct reports; 12…15 re-save 0…3 (same text, GB18030 bytes); 16…19 are
    re-publications of 4…7 with changed numbers (a new version, published later). So: 20 documents,
    3 URLs each across both writers (60 sources), 16 reports, 12 latest.
    """
    originals = [synthetic_record(f"测试县第{i}局", 2023, published_at="2024-01-20") for i in range(n_reports)]
    docs: list[tuple[bytes, dict[str, Any]]] = [(raw_bytes(r), r) for r in originals]
    docs += [(raw_bytes(r, "gb18030"), r) for r in originals[:4]]
    for i in range(4, 8):
        revised = synthetic_record(f"测试县第{i}局", 2023, variant=5, published_at="2024-03-01")
        docs.append((raw_bytes(revised), revised))
    items = []
    for n, (raw, record) in enumerate(docs):
        for url in (f"https://example.gov.cn/shared/{n}.html", f"https://example.gov.cn/{writer}/{n}.html"):
            items.append(Item(raw, record, {"url": url, "site": "test", "etag": f'"{n}"', "region_code": "350128"}))
    return items


def crash_dataset(n: int = 40, padding: int = 200_000) -> list[Item]:
    """Return `n` large documents (about `padding` characters each), every 5th also at a second URL."""
    items = []
    for i in range(n):
        record = synthetic_record(f"崩溃测试第{i}局", 2022, padding=padding)
        raw = raw_bytes(record)
        items.append(Item(raw, record, {"url": f"https://crash.example/{i}.html", "site": "crash"}))
        if i % 5 == 0:
            items.append(Item(raw, record, {"url": f"https://crash.example/mirror/{i}.html", "site": "crash"}))
    return items


# -- writer processes (targets for multiprocessing "spawn") ---------------------------------------
def add_items(
    url: str,
    blob_root: str,
    items: list[Item],
    barrier: Any = None,
    progress: str | None = None,
    shuffle_seed: int | None = None,
    results: Any = None,
) -> None:
    """Add `items` to the store at `url`.

    Waits at `barrier` first; after each add writes the count done to the file `progress`; at the end
    puts the list of (document, source, report) statuses on the queue `results`.
    """
    store = Store(url, blob_root=blob_root)
    order = list(items)
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(order)
    if barrier is not None:
        barrier.wait(timeout=60)
    statuses = []
    for done, item in enumerate(order, 1):
        r = store.add(item.raw, item.record, item.source)
        statuses.append((r.document, r.source, r.report))
        if progress:  # atomically, so that a reader never sees a truncated count after a kill
            Path(f"{progress}.tmp").write_text(str(done))
            os.replace(f"{progress}.tmp", progress)
    store.close()
    if os.environ.get("NIANBAO_DEBUG_RETRIES"):
        print(f"writer {os.getpid()}: {store.retries} retries", flush=True)
    if results is not None:
        results.put(statuses)
