"""The obliged bodies (issue 10, item 2): sightings placed, classified and merged into `bodies` (storage/bodies.py),
the user's CSV (`nianbao bodies import`), the registry's organisers (`sightings_from_sites`)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from nianbao.cli import main
from storage import Store
from storage.bodies import BodySighting, UserRow, apply_user_rows, classify, place, sightings_from_sites

NOW = datetime(2025, 5, 1, tzinfo=UTC)
HZ = "320813"  # 淮安市洪泽区


@pytest.fixture
def store(backend_store):
    return backend_store


def seen(name: str, kind: str = "platform", **kw) -> BodySighting:
    return BodySighting(name, kind, site="hz", site_region_code=kw.pop("region", HZ), **kw)


def by_key(store: Store) -> dict:
    return {b.body_key: b for b in store.bodies()}


@pytest.mark.parametrize(("name", "key", "level"), [
    ("洪泽区人民政府", "320813|洪泽区", "government"),
    ("淮安市洪泽区人民政府办公室", "320813|洪泽区", "government"),  # the office's report is the government's
    ("区统计局", "320813|洪泽区统计局", "department"),
    ("高良涧街道办事处", "320813001|高良涧街道", "township"),
    ("岔河镇人民政府", "320813103|岔河镇", "township"),
])  # fmt: skip
def test_a_sighting_is_placed_keyed_and_classified(name: str, key: str, level: str) -> None:
    placed = place(name, HZ)
    assert placed is not None and (placed.body_key, placed.level) == (key, level)


def test_classify_names_without_a_region() -> None:
    assert classify("某某中心", None) == "department"
    assert classify("某某协会筹备组", None) == "other"


def test_learn_adds_bodies_with_parents_and_evidence_once(store: Store) -> None:
    sightings = [seen("区统计局", column_url="http://hz/tjj/nb/"), seen("洪泽区人民政府", "registry")]
    assert store.learn_bodies(sightings) == 2
    assert store.learn_bodies(sightings) == 0  # the same sightings again change nothing
    bodies = by_key(store)
    tj = bodies["320813|洪泽区统计局"]
    assert (tj.level, tj.parent_key, tj.column_url, tj.site_key) == (
        "department",
        "320813|洪泽区",
        "http://hz/tjj/nb/",
        "hz",
    )
    assert len(tj.evidence) == 1 and tj.evidence[0]["kind"] == "platform"
    assert bodies["320813|洪泽区"].parent_key == "320800|淮安市"


def test_a_rename_at_the_same_column_keeps_one_key(store: Store) -> None:
    store.learn_bodies([seen("区文体广电局", column_url="http://hz/wt/nb/")])
    store.learn_bodies([seen("区文化和旅游局", column_url="http://hz/wt/nb/")])
    bodies = by_key(store)
    assert list(bodies) == ["320813|洪泽区文体广电局"]
    body = bodies["320813|洪泽区文体广电局"]
    assert body.name == "洪泽区文化和旅游局"
    assert {"洪泽区文体广电局", "洪泽区文化和旅游局"} <= set(body.names)


def test_a_body_only_in_an_earlier_notice_under_its_former_name_is_the_same_body(store: Store) -> None:
    notice = seen("区文体广电局", "notice", url="http://hz/gbqk2023.html", year=2023, date="2024-04-02",
                  report_url="http://hz/wt/2023.html")  # fmt: skip
    store.learn_bodies([notice])
    store.learn_bodies([seen("区文化和旅游局（原区文体广电局）", column_url="http://hz/wt/nb/")])
    store.learn_bodies([notice])  # learnt again by a later crawl: still the same body
    bodies = by_key(store)
    assert len(bodies) == 1
    (body,) = bodies.values()
    assert body.name == "洪泽区文化和旅游局" and body.column_url == "http://hz/wt/nb/"
    notices = [e for e in body.evidence if e["kind"] == "notice"]
    assert notices == [{"kind": "notice", "url": "http://hz/gbqk2023.html", "year": 2023, "date": "2024-04-02",
                        "name": "区文体广电局", "report_url": "http://hz/wt/2023.html", "site": "hz"}]  # fmt: skip


def test_a_name_joining_two_known_bodies_merges_them_into_the_older(store: Store) -> None:
    store.learn_bodies([seen("区文体广电局", "notice", year=2023, date="2024-04-02")])
    store.learn_bodies([seen("区文化和旅游局", column_url="http://hz/wt/nb/")])
    assert len(by_key(store)) == 2
    store.learn_bodies([seen("区文化和旅游局（原区文体广电局）")])
    bodies = by_key(store)
    assert list(bodies) == ["320813|洪泽区文体广电局"]
    assert bodies["320813|洪泽区文体广电局"].column_url == "http://hz/wt/nb/"


def test_the_user_csv_adds_renames_and_retires(store: Store, tmp_path: Path, capsys) -> None:
    store.learn_bodies([seen("区统计局"), seen("区粮食局")])
    csv_file = tmp_path / "bodies.csv"
    csv_file.write_text(
        "action,name,new_name,level,region_code,year,column_url\n"
        "add,洪泽区数据局,,department,320813,,http://hz/sjj/nb/\n"
        "rename,洪泽区统计局,洪泽区统计和调查局,,320813,2024,\n"
        "retire,洪泽区粮食局,,,320813,2024,\n"
        "retire,洪泽区不存在局,,,320813,2024,\n",
        encoding="utf-8",
    )
    status = main(["bodies", "import", str(csv_file), "--db", store.url])
    out = capsys.readouterr()
    assert status == 1 and "3 of 4 row(s) applied" in out.out
    assert out.err.strip().splitlines() == [f"nianbao: {csv_file}: line 5: no known body '洪泽区不存在局' in 320813"]
    bodies = by_key(store)
    assert bodies["320813|洪泽区数据局"].level == "department"
    assert bodies["320813|洪泽区统计局"].name == "洪泽区统计和调查局"
    assert "320813|洪泽区统计和调查局" not in bodies
    assert bodies["320813|洪泽区粮食局"].retired_year == 2024
    assert main(["bodies", "list", "--region", "320813", "--db", store.url]) == 0
    listed = capsys.readouterr().out
    assert "洪泽区统计和调查局" in listed and "洪泽区统计局" in listed and "3 body(ies)" in listed


def test_user_rows_never_guess(store: Store) -> None:
    rows = [UserRow("merge", "洪泽区统计局", line=2), UserRow("add", "统计局", line=3),
            UserRow("rename", "洪泽区统计局", region_code=HZ, line=4)]  # fmt: skip
    problems = store.write(lambda s: apply_user_rows(s, rows, NOW))
    assert problems[0] == "line 2: unknown action 'merge' (add, rename or retire)"
    assert problems[1] == "line 3: '统计局' names no region: give region_code"
    assert problems[2].startswith("line 4: no known body")


def test_the_registrys_organisers_are_governments_or_departments(store: Store) -> None:
    rows = [
        {"site_key": "3208130001", "organiser": "淮安市洪泽区人民政府办公室", "region_code": HZ,
         "start_urls": ["http://hz/"]},
        {"site_key": "hz-tjj", "organiser": "洪泽区统计局", "region_code": HZ, "start_urls": []},
        {"site_key": "x", "organiser": "", "region_code": HZ, "start_urls": []},
    ]  # fmt: skip
    sightings = sightings_from_sites(rows)
    assert [(s.name, s.site, s.url) for s in sightings] == [
        ("淮安市洪泽区人民政府办公室", "3208130001", "http://hz/"), ("洪泽区统计局", "hz-tjj", None)]  # fmt: skip
    store.learn_bodies(sightings)
    bodies = by_key(store)
    assert bodies["320813|洪泽区"].level == "government" and bodies["320813|洪泽区"].site_key == "3208130001"
    assert bodies["320813|洪泽区"].name == "洪泽区人民政府"


def test_learning_reads_only_the_bodies_a_sighting_can_be(store: Store) -> None:
    # Each page's sightings loaded every body the store knew: with a platform's thousands, a crawl slowed with each
    # unit learnt. A body is found by a key or alias, both starting with its region code, or by its 年报 column.
    from sqlalchemy.orm import Session

    from storage.bodies import _load

    store.learn_bodies([seen("区统计局", column_url="http://hz/tjj/nb/"), seen("区教育局")])
    store.learn_bodies([BodySighting(name="淮阴区统计局", kind="platform", site_region_code="320804")])
    with Session(store.engine) as session:
        loaded = _load(session, [seen("区统计局")])
        assert {b.body_key for b in loaded.bodies.values()} == {"320813|洪泽区统计局", "320813|洪泽区教育局"}
        by_column = _load(session, [BodySighting(name="淮阴区统计局", kind="platform", site_region_code="320804",
                                                 column_url="http://hz/tjj/nb/")])  # fmt: skip
        assert {b.body_key for b in by_column.bodies.values()} == {"320813|洪泽区统计局", "320804|淮阴区统计局"}
        assert len(_load(session).bodies) == 3
    assert store.learn_bodies([seen("区统计局", column_url="http://hz/tjj/nb/")]) == 0, "found, not made again"
