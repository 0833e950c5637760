"""Cell values: placeholders, signs, units, raw text kept (issue: Values)."""

from __future__ import annotations

import pytest

from extractors.values import Kind, is_blank, parse, valid_part


@pytest.mark.parametrize("text", ["", " ", "\u00a0", "\u3000", "-", "—", "/", "无", "－", " \u00a0 "])
def test_placeholders_are_null(text):
    cell = parse(text, Kind.COUNT)
    assert cell.value is None and cell.ok
    assert is_blank(text)


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("减1237", Kind.SIGNED, -1237),
        ("\u3000减1237", Kind.SIGNED, -1237),
        ("+21", Kind.SIGNED, 21),
        ("增1423", Kind.SIGNED, 1423),
        ("-8", Kind.SIGNED, -8),
        ("0", Kind.COUNT, 0),
        ("1,234", Kind.COUNT, 1234),
        (" 6 ", Kind.COUNT, 6),
        ("251000元", Kind.MONEY, 25.1),
        ("1.795（万元）", Kind.MONEY, 1.795),
        ("3.27万元", Kind.MONEY, 3.27),
        ("96171.6", Kind.MONEY, 96171.6),
        ("7545", Kind.MONEY, 7545),
        ("22（其中修订 16 件）", Kind.COUNT, 22),
    ],
)
def test_numbers(text, kind, value):
    cell = parse(text, kind)
    assert cell.ok
    assert cell.value == value
    assert type(cell.value) is type(value)


def test_zero_stays_zero_and_blank_stays_null():
    assert parse("0", Kind.COUNT).value == 0
    assert parse("", Kind.COUNT).value is None


@pytest.mark.parametrize(("text", "kind"), [("-5", Kind.COUNT), ("abc", Kind.COUNT), ("1.5.6", Kind.MONEY)])
def test_not_numbers_are_flagged(text, kind):
    cell = parse(text, kind)
    assert not cell.ok and cell.value is None


def test_raw_text_is_kept_beside_unclean_values():
    from extractors import extract

    from .conftest import CORPUS, need_shared

    need_shared()
    record = extract(CORPUS / "seeds" / "001_ff3c35068f44430d.txt")
    licensing = record["proactive"]["licensing"]
    assert licensing["items_change"] == -1237
    assert licensing["items_change_raw"].strip() == "减1237"
    assert record["proactive"]["procurement"]["amount_wan_yuan_raw"] == "1.795（万元）"
    assert "newly_made_raw" not in record["proactive"]["regulations"]


@pytest.mark.parametrize(
    ("part", "kind", "ok"),
    [("07", Kind.COUNT, False), ("0", Kind.COUNT, True), ("-0", Kind.SIGNED, False), ("-185", Kind.SIGNED, True),
     ("895.90元", Kind.MONEY, True), ("01.5", Kind.MONEY, False)],
)  # fmt: skip
def test_valid_parts_of_glued_digits(part, kind, ok):
    assert valid_part(part, kind) is ok


def test_short_texts_are_memoised_and_long_ones_are_not() -> None:
    from extractors.normalize import SHORT, compact_cell, compact_with_map

    short, long = "（一）行政许可 ", "１２" * SHORT
    before = compact_cell.cache_info()
    assert compact_cell(short) == compact_with_map(short)
    assert compact_cell(short) is compact_cell(short)  # the second call answered from the cache
    assert compact_cell(long) == compact_with_map(long)
    after = compact_cell.cache_info()
    assert after.currsize - before.currsize <= 1, "a text over SHORT chars was kept in the cache"
    assert after.hits > before.hits
    assert [parse(t, Kind.COUNT).value for t in ("12件", "12件", "1,234")] == [12, 12, 1234]
    assert parse(text="12件", kind=Kind.COUNT).value == 12  # the text given by name: read, not cached


def test_prose_numbers_answered_twice_are_copies() -> None:
    from extractors.prose import request_numbers

    prose = "本年度共收到政府信息公开申请300件，办结290件，结转下年度继续办理10件。"
    first = request_numbers(prose)
    first["new_received"] = 0
    assert request_numbers(prose) == {"new_received": 300, "total_processed": 290, "carried_forward": 10}
