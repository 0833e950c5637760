"""Extraction speed on the bundled documents (run by hand: `make bench` or `python bench/extract.py`).

Prints documents per second per carrier, PDF time per page, our HTML path beside
`trafilatura.extract` alone on the same pages, and how time grows with document size.
`--json FILE` also writes the per-carrier figures (bench/results/extract-*.json); `--corpus DIR`
reads the real corpus from DIR (default: shared/corpus beside the checkout); `--only pdf,docx`
times just those carriers; `--cpu` times CPU seconds instead of wall seconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from extractors import extract, to_docx  # noqa: E402
from extractors import sniff_carrier as sniff  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
DOCS = ROOT / "fixtures" / "documents"
REPEAT = 5


def documents(corpus: Path = CORPUS) -> list[Path]:
    """Return the bundled documents: fixture inputs and the real corpus beside the checkout."""
    found = sorted(DOCS.glob("*/input.*"))
    real = corpus / "real"
    if real.is_dir():
        found += sorted(p for p in real.iterdir() if p.name != "SOURCES.md" and "NEGATIVE" not in p.name)
    return found


CLOCK = time.perf_counter  # --cpu: time.process_time, which a loaded shared machine disturbs less


def best_of(fn, n: int = REPEAT) -> float:
    """Return the fastest of n runs of fn(), in seconds of CLOCK."""
    times = []
    for _ in range(n):
        t = CLOCK()
        fn()
        times.append(CLOCK() - t)
    return min(times)


def page_count(path: Path) -> int:
    """Return the pages of a PDF (PDFium's count: the reader's own is not what is timed)."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(path))
    try:
        return len(pdf)
    finally:
        pdf.close()


def per_carrier(paths: list[Path], only: set[str] | None = None) -> dict[str, dict[str, float]]:
    """Print and return, per carrier, the documents, the median ms a document and documents/s (PDF: pages/s)."""
    by: dict[str, list[tuple[Path, float]]] = defaultdict(list)
    if only:
        paths = [p for p in paths if sniff(p.read_bytes(), p.name) in only]
    office = {str(p): p.read_bytes() for p in paths if sniff(p.read_bytes(), p.name) in ("doc", "wps")}
    t = time.perf_counter()
    converted = to_docx(office) if office else {}
    convert_s = time.perf_counter() - t
    for p in paths:
        data = p.read_bytes()
        carrier = sniff(data, p.name)
        conv = converted.get(str(p))
        by[carrier].append((p, best_of(lambda d=data, n=p.name, c=conv: extract(d, name=n, converted=c))))
    print("carrier   docs  median ms/doc  docs/s")
    figures: dict[str, dict[str, float]] = {}
    for carrier, rows in sorted(by.items()):
        med = statistics.median(s for _, s in rows)
        print(f"{carrier:<9} {len(rows):>4}  {med * 1000:>13.1f}  {1 / med:>6.1f}")
        figures[carrier] = {"documents": len(rows), "median_ms_per_document": round(med * 1000, 2),
                            "documents_per_s": round(1 / med, 2)}  # fmt: skip
    if office:
        print(f"DOC/WPS → DOCX with one LibreOffice batch: {len(office)} files in {convert_s:.2f} s "
              f"({convert_s / len(office) * 1000:.0f} ms a file, included in no row above)")  # fmt: skip
    pages = secs = 0.0
    for p, s in by.get("pdf", []):
        pages += page_count(p)
        secs += s
    if pages:
        print(f"PDF: {secs / pages * 1000:.1f} ms a page over {int(pages)} pages ({pages / secs:.1f} pages/s)")
        figures["pdf"].update(pages=int(pages), ms_per_page=round(secs / pages * 1000, 2),
                              pages_per_s=round(pages / secs, 2))  # fmt: skip
    return figures


def html_vs_trafilatura(paths: list[Path]) -> None:
    import trafilatura

    pages = [p for p in paths if sniff(p.read_bytes(), p.name) == "html"]
    blobs = [p.read_bytes() for p in pages]
    ours = [best_of(lambda d=d: extract(d)) for d in blobs]
    texts = [b.decode("utf-8", errors="replace") for b in blobs]
    theirs = [best_of(lambda t=t: trafilatura.extract(t)) for t in texts]
    print(f"HTML, {len(pages)} pages: nianbao {statistics.median(ours) * 1000:.1f} ms/page (record with tables "
          f"and checks) vs trafilatura.extract {statistics.median(theirs) * 1000:.1f} ms/page (text only)")  # fmt: skip


def scaling(corpus: Path = CORPUS) -> None:
    """Time a text report padded with more and more prose: cost per KB should stay flat."""
    seed = corpus / "seeds" / "001_ff3c35068f44430d.txt"
    if not seed.exists():
        return
    base = seed.read_text(encoding="utf-8")
    head, _, rest = base.partition("二、主动公开政府信息情况")
    print("text size   ms     µs/KB   peak MB")
    for factor in (1, 4, 16, 64):
        text = (head * factor) + "二、主动公开政府信息情况" + rest
        data = text.encode("utf-8")
        secs = best_of(lambda d=data: extract(d), 3)
        tracemalloc.start()
        extract(data)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        kb = len(data) / 1024
        print(f"{kb:>7.0f} KB {secs * 1000:>6.1f} {secs * 1e6 / kb:>8.1f} {peak / 1e6:>8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the per-carrier figures to this file")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="the shared corpus (real/, seeds/)")
    parser.add_argument("--only", help="comma-separated carriers to time (skips the HTML and scaling parts)")
    parser.add_argument("--cpu", action="store_true", help="time CPU seconds of this process, not wall seconds")
    args = parser.parse_args()
    global CLOCK
    if args.cpu:
        CLOCK = time.process_time
    only = set(args.only.split(",")) if args.only else None
    paths = documents(args.corpus)
    figures = per_carrier(paths, only)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        clock = "cpu" if args.cpu else "wall"
        report = {"repeat": REPEAT, "clock": clock, "carriers": figures}
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if not only:
        html_vs_trafilatura(paths)
        scaling(args.corpus)


if __name__ == "__main__":
    main()
