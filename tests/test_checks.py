"""Single-report rules of format-spec §8: each failure carries its id, severity and where."""

from __future__ import annotations

import copy
import json

from extractors import Check, Proactive2019, Proactive2021, Requests, ReviewLitigation, Sections, extract
from extractors.checks import check_proactive, check_requests, check_review, check_text, check_time

from .conftest import CORPUS, need_shared


def _gold(name):
    need_shared()
    return json.loads((CORPUS / "gold" / f"{name}.json").read_text(encoding="utf-8"))


def _ids(checks, severity=None):
    checks = [c.to_dict() if isinstance(c, Check) else c for c in checks]
    return {f"{c['rule']}:{c['where']}" for c in checks if severity is None or c["severity"] == severity}


def _req(table, fmt="2021"):
    return Requests.from_dict(table, fmt)


def test_seed_001_reports_exactly_its_two_errors():
    need_shared()
    record = extract(CORPUS / "seeds" / "001_ff3c35068f44430d.txt")
    assert _ids(record["checks"], "E") == {"T3-02:granted", "T3-03:total"}
    granted = next(c for c in record["checks"] if c["rule"] == "T3-02")
    assert (granted["expected"], granted["found"], granted["severity"]) == (5, 0, "E")


def test_balanced_table_passes_and_each_identity_breaks_alone():
    req = _gold("pingtan_zone_2024_html_2021fmt_article")["requests"]
    assert check_requests(_req(req), set(), None) == []
    broken = copy.deepcopy(req)
    broken["carried_forward"][0] += 1
    broken["carried_forward"][6] += 1
    assert {"T3-01:natural_person", "T3-01:total"} <= _ids(check_requests(_req(broken), set(), None))
    broken = copy.deepcopy(req)
    broken["granted"][6] += 1
    assert _ids(check_requests(_req(broken), set(), None)) == {"T3-02:granted", "T3-03:total"}


def test_t3_04_flags_a_separate_other_handling_cell_that_disagrees():
    req = copy.deepcopy(_gold("pingtan_zone_2021_txt_2021fmt")["requests"])
    req["other_handling"] = [9, 0, 0, 0, 0, 0, 9]
    assert "T3-04:other_handling" in _ids(check_requests(_req(req), set(), None))


def test_ambiguous_cells_are_not_checked():
    req = copy.deepcopy(_gold("pingtan_zone_2024_html_2021fmt_article")["requests"])
    req["granted"][0] = None
    assert "T3-02:granted" in _ids(check_requests(_req(req), set(), None))
    amb = {"requests.granted.natural_person"}
    assert "T3-02:granted" not in _ids(check_requests(_req(req), amb, None))


def test_prose_numbers_are_compared_with_the_table():
    req = _gold("pingtan_zone_2024_html_2021fmt_article")["requests"]
    checks = check_requests(_req(req), set(), "全年共收到政府信息公开申请300件。")
    t306 = [c for c in checks if c.rule == "T3-06"]
    assert t306 and t306[0].severity == "W" and t306[0].found == 300


def test_review_group_totals():
    rl = _gold("pingtan_zone_2024_html_2021fmt_article")["review_litigation"]
    assert check_review(ReviewLitigation.from_dict(rl), set(), None) == []
    bad = copy.deepcopy(rl)
    bad["litigation_direct"]["total"] = 5
    assert _ids(check_review(ReviewLitigation.from_dict(bad), set(), None)) == {"T4-02:litigation_direct"}


def test_real_inconsistency_of_hongze_2023_is_reported():
    need_shared()
    record = extract(CORPUS / "real" / "huaian_hongze_district_gov_2023_pdf_hybrid_2021t2_2019t3.pdf")
    assert record["review_litigation"]["review"] == {"upheld": 10, "corrected": 1, "other": 0, "pending": 0, "total": 0}
    assert _ids(record["checks"], "E") == {"T4-01:review", "T4-03:litigation_after_review"}
    assert record["format"] == "mixed"
    assert record["table_formats"] == {"proactive": "2021", "requests": "2019"}


def test_proactive_rules():
    pro = {"regulations": {"issued": 2, "repealed": 0, "in_force": 2}, "fees": {"amount_wan_yuan": 20000.0}}
    ids = _ids(check_proactive(Proactive2021.from_dict(pro), "松木塘镇人民政府"))
    assert {"T2-02:regulations", "T2-01:fees"} <= ids
    assert _ids(check_proactive(Proactive2021.from_dict(pro), "某某市人民政府")) == set()
    pro19 = {"licensing": {"prior_year_items": 421, "items_change": 1423, "decisions": 1844}}
    assert "T2-05:licensing" in _ids(check_proactive(Proactive2019.from_dict(pro19), None))
    pro19 = {"licensing": {"prior_year_items": 1, "items_change": -5, "decisions": 0}}
    assert "T2-04:licensing" in _ids(check_proactive(Proactive2019.from_dict(pro19), None))


def test_timeliness_uses_the_publication_date_given():
    assert _ids(check_time(2024, "2025-03-10", "平潭综合实验区管委会办公室", None)) == {"TIME-01:published_at"}
    assert check_time(2024, "2025-03-10", "淮安市人民政府", None) == []
    assert _ids(check_time(2024, "2025-04-01", "淮安市人民政府", None)) == {"TIME-02:published_at"}
    assert _ids(check_time(2018, "2019-04-01", "某局", None)) == {"TIME-03:published_at"}
    assert check_time(2024, None, "某局", None) == []
    text = "本报告所列数据的统计期限自2020年1月1日起至202020年12月31日止。"
    assert _ids(check_time(2020, None, None, text)) == {"TIME-04:period"}


def test_text_rules():
    sections = Sections(overview="一、总体情况 主动公开工作", problems="五、存在的主要问题及改进情况\n无", other="六、其他需要报告的事项 无")
    ids = _ids(check_text(sections, "2021"))
    assert {"TXT-01:依申请公开", "TXT-02:other", "TXT-03:problems"} <= ids
    assert "TXT-01:主动公开" not in ids


def test_the_ambiguous_cells_of_table_three_are_told_by_row_and_column_as_their_keys_say() -> None:
    from extractors.checks import _doubtful_cells
    from extractors.typed_tables import REQUEST_COLUMNS

    rows = ["new_received", "granted", "", "a.b"]
    ambiguous = {"requests.granted.total", "requests.new_received.natural_person", "requests.total",
                 "requests..other_org", "requests.a.b.total", "review.granted.total", "requests.granted.nope"}  # fmt: skip
    doubtful = _doubtful_cells(ambiguous, "requests.", REQUEST_COLUMNS)
    for row in rows:
        for c, col in enumerate(REQUEST_COLUMNS):
            assert ((row, c) in doubtful) == (f"requests.{row}.{col}" in ambiguous), (row, col)
