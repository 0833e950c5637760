"""Row labels garbled as real PDFs and converters garble them (format-spec §9.1: "2.其他法律行政止公开").

Each official label of four characters or more loses one character (first, middle or last) in a real
fixture page; the record must still equal the gold, cell for cell.
"""

from __future__ import annotations

import json

import pytest

from extractors import extract
from extractors.labels import OFFICIAL_LABELS

from .conftest import CORPUS, DOCUMENTS, need_shared
from .goldcmp import compare

CASES = ("seed000_html", "seed004_html")
LABELS = sorted({one for label in OFFICIAL_LABELS.values() for one in label.split("|")})


def _garblings(html: str) -> list[tuple[str, str]]:
    """Return (label, garbled) for every official label the page spells out, one character dropped."""
    out = []
    for label in LABELS:
        if label not in html:
            continue
        for at in (0, len(label) // 2, len(label) - 1):
            out.append((label, label[:at] + label[at + 1 :]))
    return out


@pytest.mark.parametrize("case", CASES)
def test_a_label_missing_a_character_is_still_its_row(case):
    html = (DOCUMENTS / case / "input.html").read_text(encoding="utf-8")
    gold = json.loads((DOCUMENTS / case / "expected.json").read_text(encoding="utf-8"))
    garblings = _garblings(html)
    assert len(garblings) >= 60, "the fixture should spell out most official labels"
    failures = []
    for label, garbled in garblings:
        score = compare(extract(html.replace(label, garbled).encode("utf-8"), name="page.html"), gold)
        if score.diffs:
            failures.append(f"{label} → {garbled}: {score.diffs[:2]}")
    assert not failures, "\n".join(failures)


def test_a_cell_near_two_labels_is_taken_for_neither():
    """A cell equally like 行政许可 and 行政处罚 must not be read as either."""
    html = (DOCUMENTS / "seed004_html" / "input.html").read_text(encoding="utf-8")
    record = extract(html.replace(">行政许可<", ">行政许罚<").replace(">行政处罚<", ">行政许罚<").encode("utf-8"))
    assert "licensing" not in record["proactive"] and "punishment" not in record["proactive"]
    assert {"STR-03:proactive.licensing", "STR-03:proactive.punishment"} <= {
        f"{c['rule']}:{c['where']}" for c in record["checks"]
    }
    assert record["proactive"]["coercion"] == {"prior_year_items": 0, "items_change": 0, "decisions": 0}


@pytest.mark.parametrize("name", ["pingtan_zone_2020_txt_2019fmt", "pingtan_zone_2023_txt_2021fmt"])
def test_a_garbled_label_in_a_text_dump_does_not_shift_numbers(name):
    """Real dumps glue each label to its digits ("4.保护第三方合法权益1000001"): a garbled label must
    still end the row above, or that row swallows the next row's digits."""
    need_shared()
    text = (CORPUS / "real" / f"{name}.txt").read_text(encoding="utf-8")
    gold = json.loads((CORPUS / "gold" / f"{name}.json").read_text(encoding="utf-8"))
    cut = text.index("第二十条")
    prose, tables = text[:cut], text[cut:]
    failures, tried = [], 0
    for label in LABELS:
        if label not in tables:
            continue
        tried += 1
        garbled = label[: len(label) // 2] + label[len(label) // 2 + 1 :]
        score = compare(extract((prose + tables.replace(label, garbled)).encode("utf-8"), name="dump.txt"), gold)
        if score.diffs:
            failures.append(f"{label} → {garbled}: {score.diffs[:2]}")
    assert tried >= 25
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("garbled", ["（七）总", "（七）计"])
def test_a_two_character_label_is_found_by_its_own_enumerator(garbled):
    """"（七）总计" losing a character is too short to match by likeness: its enumerator names the row."""
    gold = json.loads((DOCUMENTS / "seed004_html" / "expected.json").read_text(encoding="utf-8"))
    page = (DOCUMENTS / "seed004_html" / "input.html").read_text(encoding="utf-8")
    assert "（七）总计" in page
    score = compare(extract(page.replace("（七）总计", garbled).encode("utf-8"), name="page.html"), gold)
    assert not score.diffs, score.diffs[:5]
    # An enumerator alone is not enough: "（七）" before an unrelated label is no total row.
    record = extract(page.replace("（七）总计", "（七）附注").encode("utf-8"), name="page.html")
    assert "total_processed" not in record["requests"] or record["requests"]["total_processed"][0] is None
