"""OFD reports whose text pages are text and whose table pages are pictures (a typed report with its tables scanned
in): the pictures are read by OCR where they stand, as a PDF's wide pictures are.

fixtures/ofd_mixed/ (`python -m fixtures.ofd_mixed.build`): two bundled reports as OFD, every page drawing a table
replaced by its picture. Before, each read its text pages only: every table "not found", no word of the pictures.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extractors import extract
from extractors.readers import ocr as ocr_module
from extractors.readers.ofd import read_ofd

from .ocr_score import no_engine, read_as_gold

ROOT = Path(__file__).resolve().parents[1]
CASES = sorted((ROOT / "fixtures" / "ofd_mixed").glob("seed*_mixed"))


def test_the_cases_are_built() -> None:
    assert len(CASES) == 2


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_the_pictures_of_a_mixed_ofd_are_counted_when_read_as_text(case: Path) -> None:
    doc = read_ofd((case / "input.ofd").read_bytes())
    assert doc.pictures == 2 and doc.blocks  # its two table pages are pictures; its other pages are text


def test_without_ocr_the_record_says_its_tables_may_be_pictures(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr_module, "choose", no_engine)
    record = extract(CASES[0] / "input.ofd")
    assert record["proactive"] is None
    assert any("2 picture(s) not read" in (c.get("message") or "") for c in record["checks"]), record["checks"]


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_a_mixed_ofd_has_its_pictures_read_where_they_stand(case: Path) -> None:
    record = read_as_gold(case, "input.ofd")
    assert record["year"] == 2020 and record["carrier"] == "ofd"
