"""OCR engines compared on scans with gold: cells right, cells flagged, wrong cells not flagged, s/page, peak RSS.

Run by hand (slow: tens of seconds a page on a shared machine)::

    .venv/bin/python bench/ocr.py --engines rapid,tesseract --dpi 150,200,300 --json bench/results/ocr.json

The scans are made here: each seed PDF (fixtures/documents/seedNNN_pdf, gold its expected.json) and,
with --corpus, each real PDF with a gold record, rasterised at each dpi (fixtures/ocr/build_scans.py).
Every (engine, dpi) runs in a child process, so its peak RSS is its own. The words each page gave are
kept in --words DIR; `--score-only` scores them again (after a change to the row rebuilder or to
ocr_confirm) without running OCR. ``--page N --only seed000 --engines rapid --dpi 200`` times one
page alone (CPU seconds, peak RSS of the process). Seconds are CPU seconds (process and children: Tesseract runs as a
command) and wall seconds; on a loaded machine only the CPU figure compares.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "fixtures" / "ocr"))

CORPUS = ROOT.parent / "shared" / "corpus"


def cases(corpus: Path | None, only: list[str] | None) -> list[tuple[str, Path, Path]]:
    """Return (name, pdf, gold) of the seed PDFs and, where a corpus is given, its real PDFs with gold."""
    from build_scans import seeds

    found = [(c.name.removesuffix("_pdf"), c / "input.pdf", c / "expected.json") for c in seeds()]
    if corpus is not None and (corpus / "real").is_dir():
        for pdf in sorted((corpus / "real").glob("*.pdf")):
            gold = corpus / "gold" / f"{pdf.stem}.json"
            if gold.is_file():
                found.append((pdf.stem, pdf, gold))
    return [c for c in found if not only or c[0] in only]


def _cpu() -> float:
    """Return CPU seconds used so far by this process and its finished children."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run_child(engine_name: str, dpi: int, docs: list[tuple[str, Path, Path]], words: Path) -> dict[str, Any]:
    """Return the timing of one engine at one dpi over `docs`, writing each page's words under `words`."""
    from build_scans import raster_pages

    from extractors.readers.ocr import engine

    ocr = engine(engine_name)
    if ocr is None:
        return {"engine": engine_name, "dpi": dpi, "skipped": "engine not installed"}
    pages, cpu, wall = 0, 0.0, 0.0
    for name, pdf, _ in docs:
        dump = []
        for image in raster_pages(pdf.read_bytes(), dpi):
            c, t = _cpu(), time.perf_counter()
            got = ocr.words(image, 72.0 / dpi)
            cpu += _cpu() - c
            wall += time.perf_counter() - t
            pages += 1
            dump.append([asdict(w) for w in got])
        (words / f"{engine_name}_{dpi}_{name}.json").write_text(json.dumps(dump, ensure_ascii=False))
    return {
        "engine": engine_name, "dpi": dpi, "pages": pages,
        "cpu_s_per_page": round(cpu / max(pages, 1), 2), "wall_s_per_page": round(wall / max(pages, 1), 2),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }  # fmt: skip


def one_page(engine_name: str, pdf: Path, page: int, dpi: int) -> dict[str, Any]:
    """Return CPU seconds and peak RSS of one engine reading one page of `pdf` rendered at `dpi` (a fresh process)."""
    from build_scans import raster_pages

    from extractors.readers.ocr import engine

    image = raster_pages(pdf.read_bytes(), dpi)[page]
    ocr = engine(engine_name)
    if ocr is None:
        return {"engine": engine_name, "skipped": "engine not installed"}
    c, t = _cpu(), time.perf_counter()
    words = ocr.words(image, 72.0 / dpi)
    return {
        "engine": engine_name, "dpi": dpi, "pdf": pdf.name, "page": page, "words": len(words),
        "cpu_s": round(_cpu() - c, 1), "wall_s": round(time.perf_counter() - t, 1),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }  # fmt: skip


def score(engine_name: str, dpi: int, docs: list[tuple[str, Path, Path]], words: Path) -> dict[str, Any]:
    """Return the gold score of the kept words of one engine at one dpi: cells right, flagged, wrong unflagged."""
    from ocr_score import cell_scores

    from extractors.ocr_confirm import confirm
    from extractors.readers.image import OcrDocument, page_blocks
    from extractors.readers.ocr import OcrWord
    from extractors.record import build_record

    out: dict[str, Any] = {"cells": 0, "right": 0, "flagged": 0, "wrong_unflagged": 0, "documents": {}}
    for name, _, gold_path in docs:
        path = words / f"{engine_name}_{dpi}_{name}.json"
        if not path.is_file():
            continue
        doc = OcrDocument([], carrier="pdf", engine=engine_name)
        for page in json.loads(path.read_text()):
            blocks, cells = page_blocks([OcrWord(**{**w, "alternatives": tuple(w["alternatives"])}) for w in page])
            for block, ws in zip(blocks, cells, strict=True):
                if ws is not None:
                    doc.readings[len(doc.blocks)] = ws
                doc.blocks.append(block)
        record = build_record(doc)
        confirm(record, doc)
        cells, right, flagged, wrong = cell_scores(record.to_dict(), json.loads(gold_path.read_text()))
        out["cells"] += cells
        out["right"] += right
        out["flagged"] += flagged
        out["wrong_unflagged"] += len(wrong)
        out["documents"][name] = {"cells": cells, "right": right, "flagged": flagged, "wrong_unflagged": wrong[:20]}
    out["right_share"] = round(out["right"] / out["cells"], 4) if out["cells"] else None
    return out


def merge_timings(paths: list[Path], name: str, dpi: int) -> dict[str, Any]:
    """Return the timing of one engine at one dpi over the child runs in `paths`, weighted by their pages."""
    runs = [json.loads(line) for p in paths for line in p.read_text().splitlines() if line.strip()]
    runs = [r for r in runs if r.get("engine") == name and r.get("dpi") == dpi and r.get("pages")]
    pages = sum(r["pages"] for r in runs)
    if not pages:
        return {}
    return {
        "pages": pages,
        "cpu_s_per_page": round(sum(r["cpu_s_per_page"] * r["pages"] for r in runs) / pages, 2),
        "wall_s_per_page": round(sum(r["wall_s_per_page"] * r["pages"] for r in runs) / pages, 2),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
    }


def main(argv: list[str] | None = None) -> int:
    """Run (or, with --score-only, only score) every engine at every dpi; print and optionally write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="rapid,tesseract")
    parser.add_argument("--dpi", default="150,200,300")
    parser.add_argument("--only", help="comma-separated case names (seed000, a real PDF's stem, …)")
    parser.add_argument("--corpus", type=Path, help="also the real PDFs with gold of this corpus folder")
    parser.add_argument("--words", type=Path, default=Path("/tmp/nianbao-ocr-words"))
    parser.add_argument("--score-only", action="store_true")
    parser.add_argument(
        "--timings", type=Path, nargs="*", default=[], help="with --score-only: JSON lines of earlier child runs"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--page", type=int, help="only time this page (from 0) of the first case, then stop")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    only = args.only.split(",") if args.only else None
    docs = cases(args.corpus, only)
    args.words.mkdir(parents=True, exist_ok=True)
    engines, dpis = args.engines.split(","), [int(d) for d in args.dpi.split(",")]
    if args.page is not None:
        print(json.dumps(one_page(engines[0], docs[0][1], args.page, dpis[0])))
        return 0
    if args.child:
        print(json.dumps(run_child(engines[0], dpis[0], docs, args.words)))
        return 0
    rows = []
    for name in engines:
        for dpi in dpis:
            row: dict[str, Any] = {"engine": name, "dpi": dpi}
            if not args.score_only:
                cmd = [sys.executable, __file__, "--child", "--engines", name, "--dpi", str(dpi),
                       "--words", str(args.words)] + (["--only", args.only] if args.only else []) + (
                       ["--corpus", str(args.corpus)] if args.corpus else [])  # fmt: skip
                done = subprocess.run(cmd, capture_output=True, text=True, check=False)
                lines = done.stdout.strip().splitlines()
                row = json.loads(lines[-1]) if done.returncode == 0 and lines else {**row, "error": done.stderr[-400:]}
            if args.score_only:
                row.update(merge_timings(args.timings, name, dpi))
            if "skipped" not in row and "error" not in row:
                row.update(score(name, dpi, docs, args.words))
            rows.append(row)
            brief = {k: v for k, v in row.items() if k != "documents"}
            print(json.dumps(brief, ensure_ascii=False), flush=True)
    if args.json:
        old = json.loads(args.json.read_text()) if args.json.is_file() and args.score_only else {}
        keep = {(r["engine"], r["dpi"]): r for r in old.get("runs", [])}
        for r in rows:
            keep[(r["engine"], r["dpi"])] = {**keep.get((r["engine"], r["dpi"]), {}), **r}
        args.json.write_text(json.dumps({"cases": [c[0] for c in docs], "runs": list(keep.values())},
                                        ensure_ascii=False, indent=1) + "\n")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
