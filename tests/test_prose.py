"""The numbers a report's prose states about table 三 (format-spec T3-06): a count of one outcome is no total."""

from __future__ import annotations

import pytest

from extractors.prose import request_numbers


@pytest.mark.parametrize(
    ("text", "total"),
    [
        ("本年度共办结政府信息公开申请 40 件。", 40),
        ("全年已答复 12 件，均在法定期限内。", 12),
        ("依法答复 30 件，其中予以公开答复 10 件。", 30),
        ("全年依申请公开答复 25 件。", 25),
    ],
)
def test_the_number_of_requests_handled_is_read_as_the_total(text, total):
    assert request_numbers(text)["total_processed"] == total


@pytest.mark.parametrize(
    "text",
    [
        "所有办结的申请中同意公开答复 7 件，部分公开答复 1 件，不予公开答复 2 件。",
        "本年无法提供答复 5 件，不予处理答复 3 件。",
        "经审查，予以公开答复 11 件。",
    ],
)
def test_a_count_of_one_outcome_is_not_the_total(text):
    assert "total_processed" not in request_numbers(text)


def test_the_first_total_after_outcome_counts_is_still_read():
    text = "同意公开答复 7 件，部分公开答复 1 件。全年共办结 8 件。"
    assert request_numbers(text)["total_processed"] == 8
