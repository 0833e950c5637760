"""The OCR matrix (slow): every seed PDF rendered as an image-only PDF at 150, 200 and 300 dpi, read by each engine.

The scans are made here from fixtures/documents/seedNNN_pdf (fixtures/ocr/build_scans.py) and scored
cell by cell against the seed's expected.json. Every engine must leave no wrong cell unflagged; the
engine the reader picks first must also get 99% of the cells right. Minutes per engine and dpi:
bench/ocr.py has the figures.
"""

from __future__ import annotations

import json
import os
import sys

import pytest

from extractors.ocr_confirm import confirm
from extractors.readers.image import read_pages
from extractors.readers.ocr import ENGINES, engine
from extractors.record import build_record

from .conftest import CORPUS, DOCUMENTS, ROOT, need_shared
from .ocr_score import cell_scores

sys.path.insert(0, str(ROOT / "fixtures" / "ocr"))
from build_scans import raster_pages

# About 20-30 CPU seconds a page with RapidOCR: the matrix is an hour of CPU, so it runs when asked for.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.environ.get("NIANBAO_OCR_MATRIX"), reason="the OCR matrix (every seed x engine x dpi, "
                       "the real PDFs rasterised) takes about an hour of CPU: run it with NIANBAO_OCR_MATRIX=1"),
]  # fmt: skip
SEEDS = sorted(p.name.removesuffix("_pdf") for p in DOCUMENTS.glob("seed*_pdf"))
BEST = ENGINES[0]
TARGET = 0.99


@pytest.mark.parametrize("dpi", [150, 200, 300])
@pytest.mark.parametrize("name", ENGINES)
def test_every_seed_scan_reads_with_no_wrong_cell_unflagged(name, dpi):
    ocr = engine(name)
    if ocr is None:
        reason = "RapidOCR not installed (pip install 'nianbao[ocr]')" if name == "rapid" else (
            "tesseract with chi_sim not installed (apt-get install tesseract-ocr tesseract-ocr-chi-sim)")  # fmt: skip
        pytest.skip(reason)
    cells = right = 0
    wrong: list[list[str]] = []
    for seed in SEEDS:
        case = DOCUMENTS / f"{seed}_pdf"
        pages = ((image, 72.0 / dpi) for image in raster_pages((case / "input.pdf").read_bytes(), dpi))
        doc = read_pages(pages, "pdf", ocr)
        record = confirm(build_record(doc), doc).to_dict()
        n, ok, _, bad = cell_scores(record, json.loads((case / "expected.json").read_text()))
        cells, right = cells + n, right + ok
        wrong += [[seed, *w] for w in bad]
    print(f"\n{name} {dpi} dpi: {right}/{cells} cells right, {len(wrong)} wrong and not flagged")
    assert not wrong, wrong[:10]
    if name == BEST:
        assert right >= TARGET * cells, f"{right}/{cells} right, under {TARGET:.0%}"


def _real_pdfs() -> list[str]:
    """Return the stems of the shared corpus's PDFs that have a gold record."""
    real = CORPUS / "real"
    return sorted(p.stem for p in real.glob("*.pdf") if (CORPUS / "gold" / f"{p.stem}.json").is_file())


def test_real_pdfs_rasterised_leave_no_wrong_cell_unflagged():
    need_shared()
    ocr = engine(BEST)
    if ocr is None:
        pytest.skip(f"{BEST} OCR engine not installed (pip install 'nianbao[ocr]')")
    names = _real_pdfs()
    if not names:
        pytest.skip("the shared corpus has no PDF with a gold record")
    for stem in names:
        pdf = (CORPUS / "real" / f"{stem}.pdf").read_bytes()
        doc = read_pages(((image, 72.0 / 200) for image in raster_pages(pdf, 200)), "pdf", ocr)
        record = confirm(build_record(doc), doc).to_dict()
        cells, right, flagged, wrong = cell_scores(record, json.loads((CORPUS / "gold" / f"{stem}.json").read_text()))
        print(f"\n{stem}: {right}/{cells} right, {flagged} flagged, {len(wrong)} wrong and not flagged")
        assert not wrong, (stem, wrong[:10])


def test_the_image_only_ofd_reads_with_no_wrong_cell_unflagged():
    from extractors import extract

    if engine(BEST) is None:
        pytest.skip(f"{BEST} OCR engine not installed (pip install 'nianbao[ocr]')")
    case = ROOT / "fixtures" / "ocr" / "seed002_scan_ofd"
    record = extract(case / "input.ofd")
    cells, right, flagged, wrong = cell_scores(record, json.loads((case / "expected.json").read_text()))
    print(f"\nseed002 as OFD pictures: {right}/{cells} right, {flagged} flagged, {len(wrong)} wrong and not flagged")
    assert record["carrier"] == "ofd" and not wrong, wrong[:10]
