"""PDFs whose pages are drawn turned and shown upright by /Rotate read as the upright originals do.

fixtures/rotated/ (build_pdfs.py): two bundled reports' PDFs with every page's content turned a quarter and the page
rotated back; `_turned` by the matrix a tool computes (cos 90° = 6.1e-17), `_square` by the exact one. The gold is
the seed's. Before the path points were snapped to a thousandth of a point, the computed turn left the table rules a
hair off vertical and two tables were read as loose text (316/396 cells, the rest null).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractors import extract
from extractors.readers.pdf_layer import _snapped

from .ocr_score import cell_scores
from .variants import read_kept

ROOT = Path(__file__).resolve().parents[1]
CASES = sorted((ROOT / "fixtures" / "rotated").glob("seed*_*"))


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_a_turned_page_shown_upright_reads_as_the_upright_page(case: Path) -> None:
    record = extract(case / "input.pdf")
    cells, right, _, wrong = cell_scores(record, json.loads((case / "expected.json").read_text("utf-8")))
    assert right == cells and not wrong, (right, cells, wrong[:5])
    upright = ROOT / "fixtures" / "documents" / f"{case.name.split('_')[0]}_pdf" / "input.pdf"
    assert read_kept((case / "input.pdf").read_bytes(), "x.pdf") == read_kept(upright.read_bytes(), "x.pdf")


def test_points_are_snapped_to_a_thousandth_of_a_point() -> None:
    assert len(CASES) == 4
    assert _snapped((56.69999694824219, 6.123233995736766e-17)) == (56.7, 0.0)
    assert _snapped((-0.0000001, 100.0004)) == (0.0, 100.0)
    assert str(_snapped((-0.0001, 1.0))[0]) == "0.0"  # never -0.0
