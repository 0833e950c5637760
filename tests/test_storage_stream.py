"""Reading at scale: `validate` region by region (`storage.validate_stream`) finds exactly what `validate` finds,
and lets each region go before reading the next; exports read the store a batch at a time. `sorted_findings` (runs
sorted on disk and merged) gives `validate`'s findings in its order, and `nianbao validate --json`, written a finding
at a time, prints exactly what the whole list printed.

Every store test runs against SQLite and PostgreSQL (skipped with the reason where the server is unreachable).
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest

from nianbao.cli import main
from storage import Addition, Store, export, validate
from storage.bodies import aliases
from storage.validate import Compared, _order, validate_records
from storage.validate_sorted import sorted_findings, write_json
from storage.validate_stream import Unordered, findings_by_region, iter_findings

from .databases import raw_bytes, synthetic_record

REGIONS = ("350128", "350102", "110101", "320804")


def _records() -> list[dict[str, Any]]:
    """Return reports of three bodies in each of four regions over three years, with carry-over breaks (XY-01),
    late publications (TIME) and one report without agency or title (timeliness only)."""
    out = []
    for r, code in enumerate(REGIONS):
        for b, dept in enumerate(("教育局", "公安局", "人民政府办公室")):
            for year in (2021, 2022, 2023):
                broken = (r + b + year) % 3 == 0
                carried = [1, 0, 0, 0, 0, 0, 1] if broken else [0] * 7
                late = "2025-06-30" if (r + year) % 2 else f"{year + 1}-01-15"
                out.append(synthetic_record(f"第{r}区{dept}", year, region_code=code, published_at=late,
                                            carried_over=carried))  # fmt: skip
    lone = synthetic_record("无名", 2022, published_at="2024-09-01")
    lone.pop("agency"), lone.update(title=None)
    out.append(lone)
    return out


@pytest.fixture
def store(backend_db_url: str, tmp_path: Path):
    s = Store(backend_db_url, blob_root=tmp_path / "blobs")
    s.migrate()
    s.add_many([Addition(raw_bytes(r), r, {"url": f"https://v.example/{i}"}) for i, r in enumerate(_records())])
    yield s
    s.close()


def test_region_by_region_finds_exactly_what_all_at_once_finds(store: Store) -> None:
    whole, streamed, listed = Compared(), Compared(), Compared()
    known = {alias: body.body_key for body in store.bodies() for alias in aliases(body)}
    expected = [f.as_dict() for f in validate_records(store.reports(latest_only=True), known, whole)]
    got = sorted(iter_findings(store, compared=streamed), key=lambda f: (f.region_code or "", f.agency or "",
                                                                        f.years, f.rule, f.where))  # fmt: skip
    assert [f.as_dict() for f in got] == expected
    assert [f.as_dict() for f in validate(store, compared=listed)] == expected
    assert {f["rule"] for f in expected} >= {"XY-01", "TIME-01"}, "the data must trip the rules compared"
    assert (streamed.reports, streamed.bodies, streamed.pairs) == (whole.reports, whole.bodies, whole.pairs)
    assert (listed.reports, listed.bodies, listed.pairs) == (whole.reports, whole.bodies, whole.pairs)
    assert whole.reports == len(REGIONS) * 9 + 1 and whole.pairs == len(REGIONS) * 6


def test_each_region_is_checked_before_the_next_is_read(store: Store) -> None:
    records = list(store.reports(latest_only=True, by_body=True))
    pulled = 0

    def feed():
        nonlocal pulled
        for rec in records:
            pulled += 1
            yield rec

    last: dict[str, int] = {}
    for n, rec in enumerate(records, 1):
        if rec.get("body_key"):
            last[rec["body_key"].partition("|")[0]] = n
    first_seen: dict[str, int] = {}
    for finding in findings_by_region(feed()):
        if finding.rule.startswith("XY"):  # the report without a body has its timeliness finding at once
            first_seen.setdefault(finding.region_code or "", pulled)
    assert set(REGIONS) <= set(first_seen) and set(REGIONS) == set(last)
    # A region's findings come out as soon as the reading has moved one report past it, not at the end.
    for code in REGIONS:
        assert first_seen[code] == min(last[code] + 1, len(records)), code
    assert sorted(last.values())[0] < len(records) - 9


def test_reports_out_of_region_order_are_refused_not_misjudged() -> None:
    def rec(region: str, year: int) -> dict[str, Any]:
        r = synthetic_record("教育局", year, region_code=region)
        return {**r, "body_key": f"{region}|教育局", "report_id": year}

    with pytest.raises(Unordered):
        list(findings_by_region([rec("350128", 2021), rec("110101", 2021), rec("350128", 2022)]))


# -- sorted findings streamed (validate --json, the workbook's cross_year sheet) ------------------------------
AGENCIES = ("甲局", "乙局", "丙局", "丁局", "戊局")


@pytest.fixture
def many(sqlite_store: Store) -> Store:
    """Five bodies in three regions over four years, each year's carry-over off by its year, every other report
    published late: more findings than `nianbao validate` prints, in every region."""
    n = 0
    for region in REGIONS[1:]:
        for a, agency in enumerate(AGENCIES):
            for year in (2020, 2021, 2022, 2023):
                k = year - 2019 + a
                rec = synthetic_record(agency, year, region_code=region, variant=n, published_at=f"{year + 1}-"
                                       f"{'12' if n % 2 else '01'}-10", carried_over=[k, 0, 0, 0, 0, 1, k + 1],
                                       carried_forward=[k + 2, 0, 0, 0, 0, 1, k + 3])  # fmt: skip
                sqlite_store.add(raw_bytes(rec), rec, {"url": f"https://v{region}.example/{n}.html"})
                n += 1
    return sqlite_store


def whole_list(store: Store, region: str | None = None) -> tuple[list[Any], Compared]:
    """Return the findings as `validate` made them before it streamed (every one held, then sorted)."""
    tally = Compared()
    found = list(iter_findings(store, region, tally))
    found.sort(key=_order)
    return found, tally


def test_runs_sorted_on_disk_and_merged_give_validates_order_exactly(store: Store, many: Store) -> None:
    for s in (store, many):
        expected, tally = whole_list(s)
        assert len({f.region_code for f in expected}) >= 3 and {f.rule for f in expected} >= {"XY-01", "TIME-01"}
        for run in (1, 7, len(expected) + 1):  # spilled one finding a file, a few a file, and held in memory
            compared = Compared()
            assert list(sorted_findings(s, compared=compared, run=run)) == expected, run
            assert (compared.reports, compared.bodies, compared.pairs) == (tally.reports, tally.bodies, tally.pairs)
        assert tally.pairs > 0


def test_sorted_findings_of_one_region(many: Store) -> None:
    found = list(sorted_findings(many, region="110101", run=5))
    assert len(found) > 5 and {f.region_code for f in found} == {"110101"}
    assert found == whole_list(many, "110101")[0]


def test_write_json_writes_the_whole_lists_json(many: Store) -> None:
    import io

    expected = whole_list(many)[0]
    for findings in ([], expected[:1], expected):
        out = io.StringIO()
        assert write_json(iter(findings), out) == len(findings)
        assert out.getvalue() == json.dumps([f.as_dict() for f in findings], ensure_ascii=False, indent=1)


def test_cli_validate_json_prints_what_the_whole_list_printed(many: Store, capsys: pytest.CaptureFixture) -> None:
    expected = whole_list(many)[0]
    status = main(["validate", "--db", many.url, "--json"])
    assert capsys.readouterr().out == json.dumps([f.as_dict() for f in expected], ensure_ascii=False, indent=1) + "\n"
    assert any(f.severity == "E" for f in expected) and status == 1


def test_cli_validate_table_counts_every_finding(many: Store, capsys: pytest.CaptureFixture) -> None:
    expected = whole_list(many)[0]
    main(["validate", "--db", many.url])
    printed = capsys.readouterr().out
    assert len(expected) > 50 and f"… and {len(expected) - 50} more (--json for all)" in printed
    first = expected[0]
    assert f"{first.severity} {first.rule} {first.agency} {list(first.years)} {first.where}:" in printed


@pytest.mark.parametrize("chunk", [1000, 7])
def test_xlsx_cross_year_sheet_lists_the_sorted_findings(many: Store, tmp_path: Path, monkeypatch, chunk: int) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    monkeypatch.setattr(
        importlib.import_module("storage.export"), "FINDING_CHUNK", chunk
    )  # 7: the findings reach the workbook in many chunks
    expected = whole_list(many)[0]
    assert len(expected) > 3 * chunk or chunk == 1000
    out = tmp_path / "r.xlsx"
    export(many, "xlsx", out)
    rows = list(openpyxl.load_workbook(out, read_only=True)["cross_year"].iter_rows(values_only=True))[1:]
    assert [(r[1], r[4], r[6]) for r in rows] == [(f.agency, f.rule, f.where) for f in expected]
    seq_of = {r["report_id"]: r["seq"] for r in many.reports(latest_only=False)}
    assert [r[0] for r in rows] == [" ".join(str(seq_of[i]) for i in f.report_ids) for f in expected]
    assert all("id" not in r[0] for r in rows)  # every report a finding names has its seq
