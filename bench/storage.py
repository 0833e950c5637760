"""Storage at national scale (run by hand: `python bench/storage.py run --backend sqlite --sizes 1000,10000`).

Synthetic reports are made from the records the extractors read from `fixtures/documents` (HTML, DOCX and PDF
inputs): each is given another body (a county-level region of the GB/T 2260 table and a department), another
year, shifted table numbers and its own sentence, so every report has its own text, and its document holds that
text as an HTML page. Every 20th document is also found at a second URL and every 100th is re-saved as other
bytes of the same text, so dedup has work to do.

Each step runs in its own process (`fill`, `export`, `validate`) and prints one JSON line with its time and its
peak resident memory; `run` builds a fresh database per size, runs the steps and writes the figures as JSON.
`--code DIR` runs the steps against another checkout (the code before a change); `--fill-code DIR` fills the
databases with another checkout's code (fill fast with the batch writer, then export with the old code).
"""

from __future__ import annotations

import argparse
import csv
import html
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# This file is named like the package it measures: import the package, not this script's folder.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
DOCS = ROOT / "fixtures" / "documents"
AREAS = ROOT / "extractors" / "data" / "regions" / "areas.csv"
PG_ADMIN = os.environ.get("NIANBAO_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
DEPARTMENTS = ("人民政府", "人民政府办公室", "教育局", "公安局", "民政局", "财政局", "自然资源局", "生态环境局",
               "住房和城乡建设局", "交通运输局", "水利局", "农业农村局", "商务局", "文化和旅游局", "卫生健康委员会",
               "应急管理局", "审计局", "市场监督管理局", "统计局", "医疗保障局")  # fmt: skip
YEARS = (2019, 2020, 2021, 2022, 2023, 2024)
FORMATS = ("jsonl", "csv", "parquet", "text", "xlsx", "wide-csv")


# -- synthetic reports ------------------------------------------------------------------------------
def templates() -> list[dict[str, Any]]:
    """Return the records the extractors read from the fixture documents' HTML, DOCX and PDF inputs."""
    from extractors import extract

    paths = sorted(p for p in DOCS.glob("*/input.*") if p.suffix in (".html", ".docx", ".pdf"))
    return [extract(p) for p in paths]


def areas() -> list[tuple[str, str]]:
    """Return (code, name) of every county-level region in the GB/T 2260 table."""
    with AREAS.open(encoding="utf-8") as fh:
        return [(row["code"], row["name"]) for row in csv.DictReader(fh)]


def _shift(value: Any, k: int) -> Any:
    """Return a table with every integer cell moved by `k` (booleans and other values kept)."""
    if isinstance(value, dict):
        return {key: _shift(v, k) for key, v in value.items()}
    if isinstance(value, list):
        return [_shift(v, k) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return value + k
    return value


def synthetic(i: int, base: list[dict[str, Any]], regions: list[tuple[str, str]]) -> dict[str, Any]:
    """Return report number `i`: a template record with its own body, year, numbers and sentence, attributed."""
    from extractors import attribute_record, text_sha256
    from storage.records import record_text

    t = base[i % len(base)]
    body = i // len(YEARS)
    code, area = regions[(body // len(DEPARTMENTS)) % len(regions)]
    agency = f"{area}{DEPARTMENTS[body % len(DEPARTMENTS)]}"
    year = YEARS[i % len(YEARS)]
    old_agency, old_year = t.get("agency") or "", str(t.get("year") or "")

    def text(s: str) -> str:
        s = s.replace(old_agency, agency) if old_agency else s
        return s.replace(old_year, str(year)) if old_year else s

    k = (i * 7919) % 13
    rec = {key: _shift(v, k) for key, v in t.items() if key in ("proactive", "requests", "review_litigation")}
    rec.update({key: v for key, v in t.items() if key not in rec})
    sections = {key: text(v) if isinstance(v, str) else v for key, v in (t.get("sections") or {}).items()}
    sections["other"] = (sections.get("other") or "") + f"\n本报告第{i}号，{agency}{year}年度。"
    rec.update(sections=sections, agency=agency, year=year, region_code=code,
               title=text(t["title"]) if t.get("title") else f"{agency}{year}年政府信息公开工作年度报告",
               published_at=f"{year + 1}-{1 + i % 3:02d}-{1 + i % 28:02d}")  # fmt: skip
    rec["text_sha256"] = text_sha256(record_text(rec))
    return _attributed(rec, attribute_record)  # as the crawl's extract step hands records to the store


_LAST: dict[str, Any] = {}
ATTRIBUTED = ("body", "body_key", "region_code", "region_name", "attribution")


def _attributed(rec: dict[str, Any], attribute_record: Any) -> dict[str, Any]:
    """Return the record attributed; a body's later years reuse its first year's attribution (the agency and the
    site region decide it here), which keeps making 150,000 reports to minutes."""
    key = (rec.get("agency"), rec.get("region_code"))
    if _LAST.get("key") != key:
        done = attribute_record(rec)
        _LAST.update(key=key, fields={k: done.get(k) for k in ATTRIBUTED})
    return {**rec, **_LAST["fields"]}


def page(record: dict[str, Any], variant: int = 0) -> bytes:
    """Return an HTML page holding the record's text (`variant` makes other bytes of the same text)."""
    from storage.records import record_text

    body = "".join(f"<p>{html.escape(line)}</p>\n" for line in record_text(record).splitlines())
    head = f"<!-- {variant} -->" if variant else ""
    title = html.escape(record.get("title") or "")
    return f"<html>{head}<head><meta charset='utf-8'><title>{title}</title></head><body>\n{body}</body></html>".encode()


def items(start: int, n: int) -> Iterator[tuple[bytes, dict[str, Any], dict[str, Any]]]:
    """Yield (raw, record, source) for reports `start` … `start + n - 1`, with the mirrors and re-saves."""
    base, regions = templates(), areas()
    for i in range(start, start + n):
        rec = synthetic(i, base, regions)
        raw = page(rec)
        host = f"https://www.r{rec['region_code']}.gov.cn"
        src = {"url": f"{host}/zfxxgk/ndbg/{rec['year']}/{i}.html", "site": f"r{rec['region_code']}",
               "region_code": rec["region_code"], "list_title": rec.get("title"), "list_date": rec["published_at"],
               "column": "政府信息公开年报", "etag": f'"{i:x}"', "status": 200,
               "content_type": "text/html; charset=utf-8"}  # fmt: skip
        yield raw, rec, src
        if i % 20 == 0:
            yield raw, rec, {**src, "url": f"{host}/mirror/{i}.html"}
        if i % 100 == 0:
            yield page(rec, 1), rec, {**src, "url": f"{host}/resave/{i}.html"}


def chunks(stream: Iterator[Any], size: int) -> Iterator[list[Any]]:
    """Yield lists of up to `size` items of `stream`."""
    chunk: list[Any] = []
    for item in stream:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# -- steps (each in its own process) ----------------------------------------------------------------
def peak_mb() -> float:
    """Return this process's peak resident memory in MB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def step_fill(url: str, blobs: str, start: int, n: int, api: str, batch: int) -> dict[str, Any]:
    """Return the figures of adding reports `start` … `start + n - 1` with `Store.add` or the batch writer: store
    time in seconds of the clock and of this process's CPU (its threads included; a PostgreSQL server's not)."""
    from storage import Store

    store = Store(url, blob_root=blobs)
    store.migrate()
    # Reports are made a chunk at a time outside the clock: only the store's work is timed.
    stream = items(start, n)
    seconds = cpu = 0.0
    added = 0
    wall = time.perf_counter()
    for chunk in chunks(stream, max(batch, 1)):
        t, c = time.perf_counter(), time.process_time()
        if api == "add":
            for raw, rec, src in chunk:
                store.add(raw, rec, src)
        else:
            from storage import Addition

            store.add_many([Addition(raw, rec, src) for raw, rec, src in chunk])
        seconds += time.perf_counter() - t
        cpu += time.process_time() - c
        added += len(chunk)
    wall = time.perf_counter() - wall
    counts = store.counts()
    store.close()
    return {"step": "fill", "api": api, "batch": batch if api != "add" else 1, "reports": n, "adds": added,
            "seconds": round(seconds, 2), "reports_per_s": round(n / seconds, 1), "cpu_seconds": round(cpu, 2),
            "reports_per_cpu_s": round(n / cpu, 1), "adds_per_s": round(added / seconds, 1),
            "wall_seconds": round(wall, 2), "peak_mb": peak_mb(), "counts": counts}  # fmt: skip


def step_export(url: str, blobs: str, fmt: str, out: str) -> dict[str, Any]:
    """Return the figures of exporting every latest report as `fmt` into `out` (seconds of the clock and of CPU)."""
    from storage import Store, export

    store = Store(url, blob_root=blobs)
    t, c = time.perf_counter(), time.process_time()
    result = export(store, fmt, out)
    seconds, cpu = time.perf_counter() - t, time.process_time() - c
    store.close()
    return {"step": "export", "fmt": fmt, "reports": result.reports, "rows": result.rows,
            "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "peak_mb": peak_mb()}  # fmt: skip


def step_validate(url: str, blobs: str) -> dict[str, Any]:
    """Return the figures of checking the store as `nianbao validate --json` does (every finding, in order, written
    to a scratch file as it comes) where the code can; else region by region, else `validate` (the whole list)."""
    from storage import Store, summary

    store = Store(url, blob_root=blobs)
    t, c = time.perf_counter(), time.process_time()
    try:
        from storage.validate_sorted import sorted_findings, write_json
    except ImportError:
        try:
            from storage.validate_stream import iter_findings
        except ImportError:
            from storage import validate

            way, per_rule = "validate", summary(validate(store))
        else:
            way, per_rule = "iter_findings", summary(iter_findings(store))
    else:
        per_rule = {}

        def noted(findings: Iterator[Any]) -> Iterator[Any]:
            for f in findings:
                per_rule.setdefault(f.rule, {"findings": 0})["findings"] += 1
                yield f

        with tempfile.TemporaryFile("w+", encoding="utf-8") as fh:
            write_json(noted(sorted_findings(store)), fh)
            way = f"sorted_findings to JSON ({fh.tell()} bytes)"
    seconds, cpu = time.perf_counter() - t, time.process_time() - c
    store.close()
    by_rule = {rule: row["findings"] for rule, row in per_rule.items() if row["findings"]}
    return {"step": "validate", "way": way, "findings": sum(by_rule.values()), "by_rule": by_rule,
            "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "peak_mb": peak_mb()}  # fmt: skip


def child(code: Path, *args: str) -> dict[str, Any]:
    """Return the JSON line a step printed, run in a new process on the checkout `code`."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    done = subprocess.run([sys.executable, __file__, *args], env=env, capture_output=True, text=True, cwd=code)
    if done.returncode:
        raise SystemExit(f"step {args[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- databases ----------------------------------------------------------------------------------------
class Scratch:
    """A fresh database of one backend (a SQLite file, or a PostgreSQL database) and its blob folder."""

    def __init__(self, backend: str, folder: Path) -> None:
        self.backend, self.folder = backend, folder
        self.blobs = str(folder / "blobs")
        if backend == "sqlite":
            self.url = f"sqlite:///{folder / 'bench.sqlite'}"
            self.name = None
        else:
            from sqlalchemy.engine import make_url

            self.name = f"nianbao_bench_{uuid.uuid4().hex[:10]}"
            self._admin("CREATE DATABASE")
            self.url = make_url(PG_ADMIN).set(database=self.name).render_as_string(hide_password=False)

    def _admin(self, verb: str) -> None:
        from sqlalchemy import create_engine, text

        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            extra = " WITH (FORCE)" if verb.startswith("DROP") else ""
            conn.execute(text(f'{verb} "{self.name}"{extra}'))
        admin.dispose()

    def drop(self) -> None:
        """Remove the database and its blobs."""
        if self.name:
            self._admin("DROP DATABASE IF EXISTS")
        shutil.rmtree(self.folder, ignore_errors=True)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Return the figures of every size: fill a fresh database, then with each checkout of `--code` export in
    each format and validate."""
    codes = [Path(c).resolve() for c in (args.code or str(ROOT)).split(",")]
    fill_code = Path(args.fill_code or codes[0]).resolve()
    sizes = [int(s) for s in args.sizes.split(",")]
    formats = [f for f in args.formats.split(",") if f]
    out: dict[str, Any] = {"backend": args.backend, "codes": [c.name for c in codes], "fill_code": fill_code.name,
                           "api": args.api, "batch": args.batch, "sizes": {}}  # fmt: skip
    for size in sizes:
        folder = Path(tempfile.mkdtemp(prefix="nianbao-bench-", dir=args.work))
        db = Scratch(args.backend, folder)
        try:
            row: dict[str, Any] = {"fill": child(fill_code, "fill", db.url, db.blobs, "0", str(size), args.api,
                                                 str(args.batch))}  # fmt: skip
            print(json.dumps({size: row["fill"]}), flush=True)
            for code in codes:
                figures = row.setdefault(code.name, {})
                for fmt in formats:
                    target = folder / _target_name(fmt)
                    figures[fmt] = child(code, "export", db.url, db.blobs, fmt, str(target))
                    figures[fmt]["bytes"] = _size(target)
                    print(json.dumps({size: {code.name: figures[fmt]}}), flush=True)
                    shutil.rmtree(target, ignore_errors=True) if target.is_dir() else target.unlink(missing_ok=True)
                if args.validate:
                    figures["validate"] = child(code, "validate", db.url, db.blobs)
                    print(json.dumps({size: {code.name: figures["validate"]}}), flush=True)
            out["sizes"][str(size)] = row
            _save(args, out)
        finally:
            db.drop()
    return out


# -- one database grown in stages (national scale) -----------------------------------------------------
def grow(args: argparse.Namespace) -> dict[str, Any]:
    """Return the fill figures of one database filled to each size in turn, with a snapshot at every size but the
    last (a SQLite backup or a PostgreSQL template copy; the blob folder, content-addressed, is shared), and write
    them to `--manifest` after every stage so `measure` can export and validate each size later."""
    sizes = [int(s) for s in args.sizes.split(",")]
    folder = Path(args.work).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "grow").mkdir(exist_ok=True)
    db = Scratch(args.backend, folder / "grow")
    out: dict[str, Any] = {"backend": args.backend, "api": "batch", "batch": args.batch, "blobs": db.blobs,
                           "sizes": {}}  # fmt: skip
    done = 0
    for size in sizes:
        fig = child(ROOT, "fill", db.url, db.blobs, str(done), str(size - done), "batch", str(args.batch))
        fig.update(start=done, total=size)
        done = size
        url = db.url if size == sizes[-1] else _snapshot(db, folder, size)
        out["sizes"][str(size)] = {"url": url, "fill": fig}
        print(json.dumps({size: fig}), flush=True)
        Path(args.manifest).write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n")
    return out


def _snapshot(db: Scratch, folder: Path, size: int) -> str:
    """Return the URL of a copy of the database as it is now."""
    if db.backend == "sqlite":
        import sqlite3

        target = folder / f"at-{size}.sqlite"
        src, dst = sqlite3.connect(folder / "grow" / "bench.sqlite"), sqlite3.connect(target)
        src.backup(dst)
        src.close(), dst.close()
        return f"sqlite:///{target}"
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"{db.name}_at_{size}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{db.name}"'))
    admin.dispose()
    return make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Return the manifest's figures with each size's exports (seconds, peak MB, bytes) and validate added,
    saved back after every step."""
    path = Path(args.manifest)
    figures = json.loads(path.read_text())
    formats = [f for f in args.formats.split(",") if f]
    for size in [s for s in args.sizes.split(",") if s] or list(figures["sizes"]):
        row = figures["sizes"][size]
        scratch = Path(tempfile.mkdtemp(prefix="nianbao-export-", dir=args.work))
        for fmt in formats:
            target = scratch / _target_name(fmt)
            row[fmt] = child(ROOT, "export", row["url"], figures["blobs"], fmt, str(target))
            row[fmt]["bytes"] = _size(target)
            print(json.dumps({size: row[fmt]}), flush=True)
            shutil.rmtree(target, ignore_errors=True) if target.is_dir() else target.unlink(missing_ok=True)
            path.write_text(json.dumps(figures, ensure_ascii=False, indent=1) + "\n")
        if args.validate:
            row["validate"] = child(ROOT, "validate", row["url"], figures["blobs"])
            print(json.dumps({size: row["validate"]}), flush=True)
            path.write_text(json.dumps(figures, ensure_ascii=False, indent=1) + "\n")
        shutil.rmtree(scratch, ignore_errors=True)
    return figures


def collect(args: argparse.Namespace) -> None:
    """Merge `grow` and `measure` manifests (of one backend each; several measured parts of one run may be given)
    into `--out` under `--label`: per backend and size, the fill and every export's and validate's figures."""
    merged: dict[str, Any] = {}
    for name in args.manifests:
        part = json.loads(Path(name).read_text())
        backend = merged.setdefault(part["backend"], {})
        for size, row in part["sizes"].items():
            kept = backend.setdefault(size, {})
            kept.update({k: v for k, v in row.items() if k not in ("url", "fill") or k not in kept})
            kept.pop("url", None)
    path = Path(args.out)
    kept = json.loads(path.read_text()) if path.exists() else {}
    kept[args.label] = merged
    path.write_text(json.dumps(kept, ensure_ascii=False, indent=1) + "\n")


def _target_name(fmt: str) -> str:
    """Return the file (or folder, for text) name an export of `fmt` writes to."""
    return {"text": "text", "wide-csv": "wide.csv"}.get(fmt, f"reports.{fmt}")


def _save(args: argparse.Namespace, figures: dict[str, Any]) -> None:
    """Merge the figures so far into the `--out` file under the run's label."""
    if not args.out:
        return
    path = Path(args.out)
    kept = json.loads(path.read_text()) if path.exists() else {}
    kept[args.label or re.sub(r"\W+", "-", f"{args.backend}-{args.api}")] = figures
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(kept, ensure_ascii=False, indent=1) + "\n")


def _size(path: Path) -> int:
    """Return the bytes of a file, or of every file in a folder."""
    if path.is_dir():
        return sum(p.stat().st_size for p in path.iterdir())
    return path.stat().st_size if path.exists() else 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="fill fresh databases of each size, export and validate them")
    r.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    r.add_argument("--sizes", default="1000,10000")
    r.add_argument("--formats", default=",".join(FORMATS), help="comma-separated; empty for none")
    r.add_argument("--no-validate", dest="validate", action="store_false")
    r.add_argument("--api", choices=("add", "batch"), default="batch")
    r.add_argument("--batch", type=int, default=500)
    r.add_argument("--code", help="checkouts (comma-separated) whose storage exports and validates (default: this)")
    r.add_argument("--fill-code", help="checkout whose storage fills the databases (default: --code)")
    r.add_argument("--work", default=None, help="folder for the scratch databases (default: the system's)")
    r.add_argument("--out", help="write the figures as JSON here (merged into what the file holds)")
    r.add_argument("--label", default=None, help="key of this run in --out (default: backend-api)")
    f = sub.add_parser("fill")
    f.add_argument("url"), f.add_argument("blobs"), f.add_argument("start", type=int), f.add_argument("n", type=int)
    f.add_argument("api"), f.add_argument("batch", type=int)
    e = sub.add_parser("export")
    e.add_argument("url"), e.add_argument("blobs"), e.add_argument("fmt"), e.add_argument("out")
    ff = sub.add_parser("fill-fresh", help="fill a scratch database of one backend, then drop it (for A/B timing)")
    (
        ff.add_argument("backend"),
        ff.add_argument("n", type=int),
        ff.add_argument("api"),
        ff.add_argument("batch", type=int),
    )
    ff.add_argument("--work", default=None)
    g = sub.add_parser("grow", help="fill one database to each size in turn, keeping a copy at each size")
    g.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    g.add_argument("--sizes", default="10000,30000,60000,150000")
    g.add_argument("--batch", type=int, default=500)
    g.add_argument("--work", required=True, help="folder for the database, its copies and the blobs (kept)")
    g.add_argument("--manifest", required=True, help="JSON file of the fill figures and each size's database")
    m = sub.add_parser("measure", help="export in each format and validate every size a `grow` manifest lists")
    m.add_argument("--manifest", required=True)
    m.add_argument("--sizes", default="", help="comma-separated sizes of the manifest (default: all)")
    m.add_argument("--formats", default=",".join(FORMATS), help="comma-separated; empty for none")
    m.add_argument("--no-validate", dest="validate", action="store_false")
    m.add_argument("--work", default=None, help="folder for the exported files (removed after each size)")
    c = sub.add_parser("collect", help="merge grow and measure manifests into one results file")
    c.add_argument("manifests", nargs="+")
    c.add_argument("--out", required=True)
    c.add_argument("--label", required=True)
    v = sub.add_parser("validate")
    v.add_argument("url"), v.add_argument("blobs")
    args = parser.parse_args(argv)
    if args.cmd == "fill":
        print(json.dumps(step_fill(args.url, args.blobs, args.start, args.n, args.api, args.batch)))
    elif args.cmd == "fill-fresh":
        db = Scratch(args.backend, Path(tempfile.mkdtemp(prefix="nianbao-bench-", dir=args.work)))
        try:
            print(json.dumps(step_fill(db.url, db.blobs, 0, args.n, args.api, args.batch)))
        finally:
            db.drop()
    elif args.cmd == "export":
        print(json.dumps(step_export(args.url, args.blobs, args.fmt, args.out)))
    elif args.cmd == "validate":
        print(json.dumps(step_validate(args.url, args.blobs)))
    elif args.cmd == "grow":
        grow(args)
    elif args.cmd == "measure":
        measure(args)
    elif args.cmd == "collect":
        collect(args)
    else:
        _save(args, run(args))


if __name__ == "__main__":
    main()
