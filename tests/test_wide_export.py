"""The wide table: `export --format xlsx` and `--format wide-csv` read back with openpyxl and pandas, cell by
cell against the stored records, with the checks, sources, ambiguous, columns and rules sheets."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from extractors import RULES, attribute_record, extract
from extractors.layout import wide_cells
from nianbao.cli import main
from storage import Store, export, validate

from .conftest import ROOT

openpyxl = pytest.importorskip("openpyxl")
pd = pytest.importorskip("pandas")

REAL = ROOT / "nianbao" / "demo" / "corpus" / "real"
DATES = {0: None, 1: "-01-10", 2: "-12-01"}
"""Per document (cycling): no date (undated), early in the next year (on time), December (late)."""


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, list[dict]]:
    path = tmp_path_factory.mktemp("wide") / "nianbao.sqlite"
    store = Store(f"sqlite:///{path}")
    store.migrate()
    docs = sorted(REAL.glob("pingtan_zone_20*_txt_*.txt")) + sorted(REAL.glob("*.html"))
    for n, doc in enumerate(docs):
        first = extract(doc)
        suffix = DATES[n % 3]
        context = {"published_at": f"{first['year'] + 1}{suffix}"} if suffix and first.get("year") else {}
        record = attribute_record(extract(doc, context=context))
        store.add(doc.read_bytes(), record, {"url": f"https://example.gov.cn/{n}.html", "site": "example"})
    yield store, list(store.reports())
    store.close()


def test_xlsx_reads_back_cell_by_cell_with_openpyxl(stored, tmp_path: Path) -> None:
    store, records = stored
    out = tmp_path / "reports.xlsx"
    result = export(store, "xlsx", out)
    assert result.reports == len(records) >= 8
    book = openpyxl.load_workbook(out, read_only=True)
    assert book.sheetnames == ["reports", "checks", "sources", "ambiguous", "cross_year", "columns", "rules"]
    rows = list(book["reports"].iter_rows(values_only=True))
    header = rows[0]
    body = [row + (None,) * (len(header) - len(row)) for row in rows[1:]]  # read-only mode drops trailing blanks
    assert len(set(header)) == len(header) and "表三 一、本年新收 自然人" in header
    assert len(body) == len(records)
    at = {h: i for i, h in enumerate(header)}
    formats = set()
    for record, row in zip(records, body, strict=True):
        assert row[at["序号"]] == record["seq"] and row[at["标题"]] == record["title"]
        assert row[at["年度"]] == record["year"] and row[at["发布机关"]] == record.get("body")
        assert row[at["错误数"]] == sum(c["severity"] == "E" for c in record["checks"])
        formats.add(record["format"])
        for cell in wide_cells():
            assert row[at[cell.header]] == cell.value(record), (record["seq"], cell.name)
    assert {"2019", "2021"} <= formats  # both forms' columns are filled somewhere
    key = list(book["columns"].iter_rows(values_only=True))
    assert [k[0] for k in key[1:]] == list(header)  # every header has its machine name in the key sheet
    names = {k[0]: k[1] for k in key[1:]}
    assert names["表三 一、本年新收 自然人"] == "requests.new_received.natural_person"
    checks = list(book["checks"].iter_rows(values_only=True))[1:]
    assert len(checks) == sum(len(r["checks"]) for r in records)
    assert all(c[10] == RULES[c[3]].meaning for c in checks)  # each failed check says what its rule means
    sources = list(book["sources"].iter_rows(values_only=True))[1:]
    assert sorted((s[0], s[1]) for s in sources) == sorted((r["seq"], u) for r in records for u in r["sources"])
    rules = list(book["rules"].iter_rows(values_only=True))[1:]
    assert [r[0] for r in rules] == list(RULES)
    failing = {r[0]: r[4] for r in rules}
    for rule in RULES:
        assert failing[rule] == sum(any(c["rule"] == rule for c in r["checks"]) for r in records), rule
    findings = validate(store)
    cross = list(book["cross_year"].iter_rows(values_only=True))[1:]
    assert findings and len(cross) == len(findings)  # the Pingtan series has years in a row to compare
    seq_of = {r["report_id"]: r["seq"] for r in records}
    assert sorted((c[4], c[0]) for c in cross) == sorted(
        (f.rule, " ".join(str(seq_of[i]) for i in f.report_ids)) for f in findings)
    full = openpyxl.load_workbook(out)  # not read-only: the filters are read
    assert full["reports"].auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(header))}{len(records) + 1}"


def test_status_says_on_time_late_or_undated(stored, tmp_path: Path) -> None:
    store, records = stored
    out = tmp_path / "reports.xlsx"
    export(store, "xlsx", out)
    df = pd.read_excel(out, sheet_name="reports")
    by_seq = dict(zip(df["序号"], df["是否按时"], strict=True))
    for r in records:
        date = r.get("published_at")
        if not date:
            assert by_seq[r["seq"]] == "undated"
        elif date.endswith("-12-01"):
            assert by_seq[r["seq"]] == "late"
        elif date.endswith("-01-10"):
            assert by_seq[r["seq"]] == "on_time"
    assert {"undated", "late", "on_time"} <= set(by_seq.values())


def test_wide_csv_is_the_reports_sheet_pandas_and_excel_read(stored, tmp_path: Path) -> None:
    store, records = stored
    out = tmp_path / "wide.csv"
    assert export(store, "wide-csv", out).reports == len(records)
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    df = pd.read_csv(out)
    xlsx = tmp_path / "reports.xlsx"
    export(store, "xlsx", xlsx)
    sheet = pd.read_excel(xlsx, sheet_name="reports")
    assert list(df.columns) == list(sheet.columns)
    column = "表三 （七）总计 总计"
    expected = [r["requests"]["total_processed"][6] if r.get("requests") and "total_processed" in r["requests"]
                else None for r in records]  # fmt: skip
    assert [None if pd.isna(v) else int(v) for v in df[column]] == expected
    with (tmp_path / "wide.columns.csv").open(encoding="utf-8-sig", newline="") as fh:
        key = list(csv.DictReader(fh))
    assert [k["header"] for k in key] == list(df.columns)


def test_the_cli_exports_xlsx_and_names_the_format_in_its_line(stored, tmp_path: Path, capsys) -> None:
    store, records = stored
    out = tmp_path / "x" / "reports.xlsx"
    assert main(["export", "--db", store.url, "--format", "xlsx", "--out", str(out)]) == 0
    assert f"exported {len(records)} reports as xlsx" in capsys.readouterr().out
    assert main(["export", "--db", store.url, "--format", "xlsx", "--out", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
