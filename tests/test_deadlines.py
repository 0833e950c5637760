"""When a report is due (extractors/deadlines.py): one rule for a record's TIME checks and for coverage."""

from __future__ import annotations

import datetime as dt

import pytest

from extractors.deadlines import is_township, level_deadline, publication_deadline


@pytest.mark.parametrize(("agency", "level", "expected"), [
    ("淮安市人民政府", "government", ("TIME-02", dt.date(2025, 3, 31))),
    ("淮安市教育局", "department", ("TIME-01", dt.date(2025, 1, 31))),
    ("安吉县递铺街道办事处", "township", None),
    ("孝丰镇人民政府", "township", None),
    ("某乡人民政府办公室", "township", None),
])  # fmt: skip
def test_a_record_and_coverage_agree_on_the_day(agency: str, level: str, expected: object) -> None:
    assert publication_deadline(2024, agency) == expected == level_deadline(2024, level)


def test_townships_have_no_statutory_day_and_old_years_keep_theirs() -> None:
    assert is_township("递铺街道") and not is_township("淮安市镇江路管理处局") and not is_township(None)
    assert publication_deadline(2018, "淮安市教育局") == ("TIME-03", dt.date(2019, 3, 31))
    assert publication_deadline(None, "淮安市教育局") is None
