"""Checks across reports: XY-01…XY-05 (format-spec §8.5) and TIME-01…03 (§8.6)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from extractors import extract
from storage import Store, summary, validate
from storage.validate import RULES, problems_text, title_issuer, validate_records

from .databases import raw_bytes, synthetic_record

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real"



@pytest.fixture
def store(sqlite_store):
    return sqlite_store


def add(store: Store, *records: dict) -> list[int]:
    return [store.add(raw_bytes(r), r, {"url": f"https://v/{r['text_sha256']}"}).report_id for r in records]


def rules(findings) -> list[tuple[str, str, str]]:
    return [(f.rule, f.severity, f.where) for f in findings]


def test_xy01_carry_over_per_column_error_only_where_the_total_differs(store: Store) -> None:
    a22 = synthetic_record("甲局", 2022, carried_forward=[2, 1, 0, 0, 0, 0, 3])
    a23 = synthetic_record("甲局", 2023, carried_over=[2, 0, 0, 0, 0, 1, 3])  # columns differ, total agrees
    b22 = synthetic_record("乙局", 2022, carried_forward=[4, 0, 0, 0, 0, 0, 4])
    b23 = synthetic_record("乙局", 2023, carried_over=[3, 0, 0, 0, 0, 0, 3])
    c22 = synthetic_record("丙局", 2022, carried_forward=[5, 0, 0, 0, 0, 0, 5])
    c23 = synthetic_record("丙局", 2023, carried_over=[5, 0, 0, 0, 0, 0, 5])
    ids = add(store, a22, a23, b22, b23, c22, c23)
    found = [f for f in validate(store) if f.rule == "XY-01"]
    assert [(f.agency, f.severity, f.where, f.expected, f.found) for f in found] == [
        ("乙局", "W", "carried_over.natural_person", 4, 3),
        ("乙局", "E", "carried_over.total", 4, 3),
        ("甲局", "W", "carried_over.commercial_enterprise", 1, 0),
        ("甲局", "W", "carried_over.other_org", 0, 1),
    ]
    assert found[1].years == (2022, 2023) and found[1].report_ids == (ids[2], ids[3])


def test_xy02_in_force_continuity_for_2021_format(store: Store) -> None:
    ok = [synthetic_record("丁局", y) for y in (2021, 2022, 2023)]  # in_force 10, 11, 12 with +2 −1 a year
    broken = synthetic_record(
        "戊局",
        2022,
        proactive={
            "regulations": {"issued": 0, "repealed": 0, "in_force": 0},
            "normative_documents": {"issued": 3, "repealed": 0, "in_force": 8},
        },
    )
    before = synthetic_record(
        "戊局",
        2021,
        proactive={
            "regulations": {"issued": 0, "repealed": 0, "in_force": 1},
            "normative_documents": {"issued": 5, "repealed": 0, "in_force": 5},
        },
    )
    add(store, *ok, before, broken)
    found = [(f.agency, f.where, f.expected, f.found) for f in validate(store) if f.rule == "XY-02"]
    assert found == [("戊局", "proactive.regulations.in_force", 1, 0)]  # 5 + 3 − 0 = 8 passes, as S7 does


def test_xy03_prior_year_items_continuity_for_2019_format(store: Store) -> None:
    def t2(prior: int, change: int) -> dict:
        return {
            "licensing": {"prior_year_items": prior, "items_change": change, "decisions": 5},
            "fees": {"prior_year_items": 3, "items_change": 0},
        }

    y19 = synthetic_record("己局", 2019, proactive=t2(100, -8))
    y20 = synthetic_record("己局", 2020, proactive=t2(95, 2))  # expected 100 − 8 = 92
    for r in (y19, y20):
        r["format"] = "2019"
    add(store, y19, y20)
    found = [(f.where, f.expected, f.found, f.severity) for f in validate(store) if f.rule == "XY-03"]
    assert found == [("proactive.licensing.prior_year_items", 92, 95, "W")]


def test_xy04_flags_a_near_copy_of_last_years_part_five(store: Store) -> None:
    text = (
        "五、存在的主要问题及改进情况\n一是政策解读形式不够丰富，图解视频较少；二是依申请公开答复质量有待提高，"
        "个别答复说理不充分；三是基层政务公开标准化规范化水平不高。下一步，我们将加强培训，完善制度，提升质量。"
    )
    copied = text.replace("下一步", "今后").replace("较少", "偏少")
    fresh = (
        "五、存在的主要问题及改进情况\n本年度网站栏目更新不够及时，新媒体互动回应偏慢。"
        "改进措施：建立栏目责任清单，每月通报，年底考核。"
    )
    add(
        store,
        synthetic_record("庚局", 2022, problems=text),
        synthetic_record("庚局", 2023, problems=copied),
        synthetic_record("辛局", 2022, problems=text),
        synthetic_record("辛局", 2023, problems=fresh),
    )
    found = [f for f in validate(store) if f.rule == "XY-04"]
    assert [(f.agency, f.years) for f in found] == [("庚局", (2022, 2023))]
    assert found[0].found > 0.9 and found[0].expected == "<= 0.5"
    assert problems_text({"sections": {"problems": "五、存在的主要问题及改进情况 一是 无"}}) == "一是无"


def test_xy05_mixing_a_government_and_its_office_is_flagged(store: Store) -> None:
    office = synthetic_record("鄞州区人民政府办公室", 2022)
    government = synthetic_record("鄞州区人民政府", 2023)
    add(store, office, government)
    found = [(f.where, f.expected, f.found) for f in validate(store) if f.rule == "XY-05"]
    assert found == [
        ("agency", "鄞州区人民政府办公室", "鄞州区人民政府"),
        ("title", "鄞州区人民政府办公室", "鄞州区人民政府"),
    ]
    assert title_issuer({"title": "平潭综合实验区2024年度政府信息公开工作年度报告"}) == "平潭综合实验区"


def test_a_region_named_with_and_without_its_governing_body_is_one_entity(store: Store) -> None:
    """平潭综合实验区管委会 one year and 平潭综合实验区 the next: one body, so its years are compared."""
    before = synthetic_record("平潭综合实验区管委会", 2022, region_code="350128", carried_forward=[4, 0, 0, 0, 0, 0, 4])
    after = synthetic_record("平潭综合实验区", 2023, region_code="350128", carried_over=[1, 0, 0, 0, 0, 0, 1])
    other = synthetic_record("平潭综合实验区财政金融局", 2023, region_code="350128", carried_over=[9, 0, 0, 0, 0, 0, 9])
    add(store, before, after, other)
    findings = validate(store)
    found = [(f.agency, f.years, f.expected, f.found) for f in findings if f.where == "carried_over.total"]
    assert found == [("平潭综合实验区", (2022, 2023), 4, 1)]
    assert {f.found for f in findings if f.rule == "XY-05"} == {"平潭综合实验区"}  # the name change is noted


def test_timeliness_deadlines(store: Store) -> None:
    cases = {
        ("某局", 2023, "2024-01-31"): None,  # on the day
        ("某局二", 2023, "2024-02-01 09:00"): ("TIME-01", "<= 2024-01-31"),
        ("某县人民政府", 2023, "2024-03-31"): None,
        ("某县人民政府办公室", 2022, "2023-04-01"): ("TIME-02", "<= 2023-03-31"),
        ("某市人民政府办公厅", 2021, "2022-02-20"): None,  # 本级政府: March 31
        ("旧局", 2018, "2019-03-31"): None,
        ("旧局二", 2017, "2018-04-02"): ("TIME-03", "<= 2018-03-31"),
        ("无日期局", 2023, None): None,
    }
    for i, (agency, year, published) in enumerate(cases):
        add(store, synthetic_record(agency, year, variant=i, published_at=published))
    found = {f.agency: (f.rule, f.expected) for f in validate(store) if f.rule.startswith("TIME")}
    assert found == {agency: want for (agency, _, _), want in cases.items() if want}


def test_only_consecutive_years_same_entity_latest_versions_are_compared(store: Store) -> None:
    add(
        store,
        synthetic_record("壬局", 2021, carried_forward=[9, 0, 0, 0, 0, 0, 9]),
        synthetic_record("壬局", 2023),  # 2022 missing: nothing to compare
        synthetic_record("壬局", 2022, carried_forward=[1, 0, 0, 0, 0, 0, 1], region_code="110101"),  # other region
        synthetic_record("癸局", 2022, carried_forward=[7, 0, 0, 0, 0, 0, 7]),
        synthetic_record("癸局", 2023, carried_over=[0, 0, 0, 0, 0, 0, 0]),
    )
    assert [f.agency for f in validate(store) if f.rule == "XY-01"] == ["癸局", "癸局"]
    # A re-publication of 癸局 2022 that corrects the carry-forward: the old version is no longer compared.
    add(store, synthetic_record("癸局", 2022, variant=1, carried_forward=[0] * 7, published_at="2023-06-01"))
    assert [f for f in validate(store) if f.rule == "XY-01"] == []
    assert [f.region_code for f in validate(store, region="110101")] == []


def test_summary_counts_every_rule() -> None:
    recs = [
        synthetic_record("子局", 2022, carried_forward=[4, 0, 0, 0, 0, 0, 4], published_at="2023-05-01"),
        synthetic_record("子局", 2023, carried_over=[3, 0, 0, 0, 0, 0, 3]),
    ]
    for i, r in enumerate(recs):
        r["report_id"] = i + 1
    findings = validate_records(recs)
    table = summary(findings)
    assert set(RULES) <= set(table)
    assert (table["XY-01"]["findings"], table["XY-01"]["E"], table["XY-01"]["W"]) == (2, 1, 1)
    assert table["TIME-01"]["findings"] == 1 and table["XY-04"]["findings"] == 0
    assert table["XY-01"]["entities"] == 1
    assert findings[0].as_dict()["years"] in ([2022, 2023], [2022])


def test_real_pingtan_series_carry_over_holds_and_late_years_are_flagged(store: Store) -> None:
    """平潭综合实验区 2018–2025 as published: the 2021→2022 carry-over of 1 application is continuous."""
    paths = sorted(CORPUS.glob("pingtan_zone_20*_txt_*.txt"))
    if len(paths) < 8:
        pytest.skip(f"the real corpus is not at {CORPUS}")
    for p in paths:
        raw = p.read_bytes()
        published = re.search(r"发布时间:\s*(\S+)", raw.decode("utf-8")).group(1)
        record = extract(raw, name=p.name)
        store.add(
            raw,
            record,
            {"url": f"https://www.pingtan.gov.cn/{p.name}", "region_code": "350128", "published_at": published},
        )
    findings = validate(store)
    assert [f for f in findings if f.rule == "XY-01"] == []
    # 平潭综合实验区 reports for the whole zone (本级政府): due by 3月31日, and every year met that.
    assert not any(f.rule.startswith("TIME-") for f in findings)
    department = [dict(r, agency="平潭综合实验区财政金融局") for r in store.reports()]
    late = sorted(f.years[0] for f in validate_records(department) if f.rule == "TIME-01")
    assert late == [2020, 2021, 2022, 2023, 2024, 2025]  # as a department's: 2018 and 2019 were in January


def test_a_renamed_body_is_compared_across_its_names_once_the_store_knows_the_rename(store: Store) -> None:
    from storage.bodies import BodySighting

    old = synthetic_record("平潭综合实验区卫生和计划生育局", 2022, carried_forward=[4, 0, 0, 0, 0, 0, 4])
    new = synthetic_record("平潭综合实验区卫生健康委员会", 2023, carried_over=[3, 0, 0, 0, 0, 0, 3])
    add(store, old, new)
    assert not [f for f in validate(store) if f.rule == "XY-01"]  # two names, two bodies: nothing compared
    column = "https://v/wjw/nb/index.html"
    store.learn_bodies([BodySighting("平潭综合实验区卫生和计划生育局", "platform", site_region_code="350128",
                                     column_url=column),
                        BodySighting("平潭综合实验区卫生健康委员会", "platform", site_region_code="350128",
                                     column_url=column)])  # fmt: skip
    found = [f for f in validate(store) if f.rule == "XY-01" and f.severity == "E"]
    assert [(f.where, f.expected, f.found, f.years) for f in found] == [("carried_over.total", 4, 3, (2022, 2023))]
