"""图片版 pages: a report page that shows its tables as pictures is read with those pictures read by OCR.

fixtures/pictures/seedNNN_html_tables/ (build_pages.py): each bundled HTML report with its three tables replaced by
screenshots of them (`<img src="table_N.png">`), the text kept as text. The gold is the seed's. As for scans
(tests/test_ocr_slow.py), every cell must be right or flagged, and the engine the reader picks first must get 99%
of them right.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractors import extract
from extractors.readers.ocr import ENGINES, engine

from .ocr_score import cell_scores

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
CASES = sorted((ROOT / "fixtures" / "pictures").glob("seed*_html_tables"))


def _need_ocr() -> None:
    if engine(ENGINES[0]) is None:
        pytest.skip(f"{ENGINES[0]} OCR engine not installed (pip install 'nianbao[ocr]')")


def test_a_saved_page_with_its_tables_as_pictures_reads_them_by_ocr() -> None:
    _need_ocr()
    cells = right = 0
    wrong: list[list[str]] = []
    for case in CASES:
        record = extract(case / "input.html")
        n, ok, _, bad = cell_scores(record, json.loads((case / "expected.json").read_text(encoding="utf-8")))
        cells, right = cells + n, right + ok
        wrong += [[case.name, *w] for w in bad]
    print(f"\npictured tables: {right}/{cells} cells right, {len(wrong)} wrong and not flagged")
    assert len(CASES) == 5 and not wrong, wrong[:10]
    assert right >= 0.99 * cells, f"{right}/{cells} right"
