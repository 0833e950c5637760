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


# A report that gives the whole region's figures and the office's own (a real 区政府办公室 report's wording).
TWO_SCOPES = ("全区共收到政府信息依申请公开175件，答复175件，区本级收到48件，答复48件，全区因政府信息依申请公开引起"
              "行政复议结案4件，被纠错0件，区本级引起行政复议结案1件，引起行政诉讼结案10件，区本级引起行政诉讼0件。")  # fmt: skip


def test_a_text_of_two_scopes_states_each_row_twice_in_text_order():
    from extractors.prose import appeal_mentions, request_mentions

    assert request_mentions(TWO_SCOPES)["new_received"] == (48,)  # 175 is "依申请公开175件": no 申请 count
    assert request_mentions(TWO_SCOPES)["total_processed"] == (175, 48)
    assert appeal_mentions(TWO_SCOPES) == {"review": (4, 1), "litigation": (10, 0)}
    assert request_mentions("本机关共受理政府信息公开申请12件，全县受理30件。")["new_received"] == (12,)


def test_a_table_of_either_scope_agrees_with_such_a_text_and_another_figure_does_not():
    from extractors.checks import check_requests, check_review
    from extractors.typed_tables import Requests, ReviewLitigation

    def requests(total: int) -> Requests:
        rows = {key: [None] * 6 + [0] for key in ("new_received", "carried_over", "carried_forward")}
        return Requests.from_dict({**rows, "new_received": [total, 0, 0, 0, 0, 0, total],
                                   "total_processed": [total, 0, 0, 0, 0, 0, total]}, "2019")  # fmt: skip

    def t306(total: int) -> list[str]:
        return [c.where for c in check_requests(requests(total), set(), TWO_SCOPES) if c.rule == "T3-06"]

    assert t306(48) == [] and t306(175) == ["new_received"] and t306(50) == ["new_received", "total_processed"]
    groups = {"review": {"upheld": 4, "total": 4}, "litigation_direct": {"total": 0},
              "litigation_after_review": {"upheld": 10, "total": 10}}  # fmt: skip
    assert [c for c in check_review(ReviewLitigation.from_dict(groups), set(), TWO_SCOPES) if c.rule == "T4-05"] == []
    groups["review"] = {"upheld": 3, "total": 3}
    found = [(c.where, c.found) for c in check_review(ReviewLitigation.from_dict(groups), set(), TWO_SCOPES)
             if c.rule == "T4-05"]  # fmt: skip
    assert found == [("review", 4)]


def test_a_received_figure_that_counts_the_carried_over_requests_says_so():
    from extractors.checks import check_requests
    from extractors.typed_tables import Requests

    table = Requests.from_dict({"new_received": [74, 0, 0, 0, 0, 0, 74], "carried_over": [1, 0, 0, 0, 0, 0, 1],
                                "total_processed": [75, 0, 0, 0, 0, 0, 75]}, "2021")  # fmt: skip
    (check,) = [c for c in check_requests(table, set(), "2022年，全区收到政府信息公开申请75件。") if c.rule == "T3-06"]
    assert (check.where, check.expected, check.found) == ("new_received", 74, 75)
    assert "本年新收 plus 上年结转 (74 + 1)" in check.message
    (other,) = [c for c in check_requests(table, set(), "全区收到政府信息公开申请80件。") if c.rule == "T3-06"]
    assert other.message is None
