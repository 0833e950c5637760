"""Exports: NNN_<hash16>.txt + .json (stable names), JSONL, tidy CSV (UTF-8 with BOM), Parquet."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from extractors import extract, text_sha256
from storage import ExportError, Store, export
from storage.export import file_stem
from storage.records import TIDY_COLUMNS

from .databases import raw_bytes, synthetic_record

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures" / "documents"



@pytest.fixture
def store(sqlite_store):
    return sqlite_store


def fill(store: Store) -> list[dict]:
    """Add three reports; the first at two URLs. Returns the records in discovery order."""
    records = [
        synthetic_record("东城局", 2022, region_code="110101"),
        synthetic_record("西城局", 2023, region_code="110102", carried_forward=[1, 0, 0, 0, 0, 0, 1]),
        synthetic_record("平潭综合实验区", 2024, region_code="350128"),
    ]
    for i, r in enumerate(records):
        store.add(raw_bytes(r), r, {"url": f"https://x.gov.cn/{i}.html"})
    store.add(raw_bytes(records[0], "gb18030"), records[0], {"url": "https://mirror.gov.cn/0.txt"})
    return records


def test_text_export_writes_numbered_text_and_json_sidecars(store: Store, tmp_path: Path) -> None:
    records = fill(store)
    result = export(store, "text", tmp_path / "out")
    assert (result.reports, result.rows) == (3, 6)
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    stems = [f"{n:03d}_{r['text_sha256'][:16]}" for n, r in enumerate(records, 1)]
    assert names == sorted([f"{s}.json" for s in stems] + [f"{s}.txt" for s in stems])
    text = (tmp_path / "out" / f"{stems[0]}.txt").read_text(encoding="utf-8")
    assert text_sha256(text) == records[0]["text_sha256"]  # the document's text: the name is its hash
    assert text.startswith(records[0]["title"])
    assert "本年新收\t10\t0\t0\t0\t0\t0\t10" in text  # tables come through as tab-separated rows
    side = json.loads((tmp_path / "out" / f"{stems[0]}.json").read_text(encoding="utf-8"))
    assert side["sources"] == ["https://x.gov.cn/0.html", "https://mirror.gov.cn/0.txt"]
    assert side["raw_sha256"] == side["documents"][0]
    assert side["documents"] == [
        __import__("hashlib").sha256(raw_bytes(records[0], enc)).hexdigest() for enc in ("utf-8", "gb18030")
    ]
    assert side["text_sha256"] == records[0]["text_sha256"] and side["seq"] == 1
    assert side["agency"] == "东城局"


def test_text_names_are_stable_across_re_exports(store: Store, tmp_path: Path) -> None:
    records = fill(store)
    export(store, "text", tmp_path / "first")
    first = sorted(p.name for p in (tmp_path / "first").iterdir())
    # Later discoveries: a report of a new agency, and a revised version of 西城局 2023.
    later = synthetic_record("朝阳局", 2023, region_code="110105")
    revised = synthetic_record("西城局", 2023, variant=2, region_code="110102")
    store.add(raw_bytes(later), later, {"url": "https://x.gov.cn/3.html"})
    store.add(raw_bytes(revised), revised, {"url": "https://x.gov.cn/1.html"})
    export(store, "text", tmp_path / "second")
    second = sorted(p.name for p in (tmp_path / "second").iterdir())
    old_xicheng = f"002_{records[1]['text_sha256'][:16]}"
    assert set(first) - set(second) == {f"{old_xicheng}.txt", f"{old_xicheng}.json"}  # superseded
    assert set(second) - set(first) == {
        f"004_{later['text_sha256'][:16]}.txt",
        f"004_{later['text_sha256'][:16]}.json",
        f"005_{revised['text_sha256'][:16]}.txt",
        f"005_{revised['text_sha256'][:16]}.json",
    }
    export(store, "text", tmp_path / "first")  # re-export over the old folder: same content, same names
    assert (tmp_path / "first" / f"001_{records[0]['text_sha256'][:16]}.txt").read_text(encoding="utf-8") == (
        tmp_path / "second" / f"001_{records[0]['text_sha256'][:16]}.txt"
    ).read_text(encoding="utf-8")
    assert file_stem({"seq": 1234, "text_sha256": "ab" * 32}) == "1234_abababababababab"


def test_jsonl_has_one_record_per_line_with_provenance(store: Store, tmp_path: Path) -> None:
    records = fill(store)
    out = tmp_path / "r.jsonl"
    assert export(store, "jsonl", out).reports == 3
    lines = out.read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    assert [r["agency"] for r in rows] == [r["agency"] for r in records]
    assert all(r["sources"] and r["raw_sha256"] and len(r["text_sha256"]) == 64 for r in rows)
    assert len(rows[0]["sources"]) == 2 and len(rows[0]["documents"]) == 2
    assert "东城局" in lines[0]  # not \\u-escaped
    buf = io.StringIO()
    export(store, "jsonl", buf, region="350128")
    assert [json.loads(x)["agency"] for x in buf.getvalue().splitlines()] == ["平潭综合实验区"]


def test_csv_is_a_tidy_long_table_pandas_and_excel_read(store: Store, tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    records = fill(store)
    out = tmp_path / "cells.csv"
    result = export(store, "csv", out)
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to see UTF-8
    df = pd.read_csv(out)
    assert list(df.columns) == list(TIDY_COLUMNS)
    assert len(df) == result.rows
    cells_per_report = 6 + 5 * 7 + 5  # table 二 (2 rows x 3), table 三 (5 rows x 7), table 四 (1 group x 5)
    assert result.rows == 3 * cells_per_report
    xicheng = df[(df.agency == "西城局") & (df.table == "requests") & (df.row == "carried_forward")]
    assert dict(zip(xicheng.column, xicheng.value, strict=True))["total"] == 1
    assert set(df.year) == {2022, 2023, 2024}
    assert df[df.agency == "平潭综合实验区"].seq.unique().tolist() == [3]
    with out.open(encoding="utf-8-sig", newline="") as fh:  # the csv module agrees
        assert next(csv.reader(fh)) == list(TIDY_COLUMNS)
    assert records


def test_csv_keeps_raw_cell_text_and_blank_cells(store: Store, tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    r = synthetic_record(
        "荣昌区林业局",
        2019,
        proactive={
            "licensing": {
                "prior_year_items": 421,
                "items_change": 1423,
                "items_change_raw": "增1423",
                "decisions": None,
            }
        },
    )
    r["format"] = "2019"
    store.add(raw_bytes(r), r, {"url": "https://y/1"})
    out = tmp_path / "c.csv"
    export(store, "csv", out)
    df = pd.read_csv(out, dtype={"raw": "string"})
    lic = df[(df.table == "proactive") & (df.row == "licensing")].set_index("column")
    assert list(lic.index) == ["prior_year_items", "items_change", "decisions"]
    assert lic.loc["items_change", "value"] == 1423 and lic.loc["items_change", "raw"] == "增1423"
    assert pd.isna(lic.loc["decisions", "value"])  # blank stays blank, never 0


def test_parquet_holds_the_same_table_as_csv(store: Store, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    pd = pytest.importorskip("pandas")
    fill(store)
    export(store, "csv", tmp_path / "c.csv")
    result = export(store, "parquet", tmp_path / "p" / "c.parquet")
    table = pq.read_table(tmp_path / "p" / "c.parquet")
    assert table.num_rows == result.rows and table.column_names == list(TIDY_COLUMNS)
    assert str(table.schema.field("value").type) == "double"
    from_csv = pd.read_csv(tmp_path / "c.csv", dtype={"raw": "object"})
    from_parquet = table.to_pandas()
    for column in ("report_id", "seq", "agency", "year", "table", "row", "column"):
        assert from_csv[column].astype(str).tolist() == from_parquet[column].astype(str).tolist()
    assert from_csv["value"].fillna(-1).tolist() == from_parquet["value"].fillna(-1).tolist()


def test_parquet_without_pyarrow_names_the_extra(tmp_path: Path) -> None:
    """Run in a child Python in which pyarrow cannot be imported."""
    code = (
        "import sys; sys.modules['pyarrow'] = None\n"
        "from storage import Store, export, ExportError\n"
        f"s = Store('sqlite:///{tmp_path / 'db.sqlite'}', blob_root='{tmp_path / 'blobs'}'); s.migrate()\n"
        "try:\n"
        f"    export(s, 'parquet', '{tmp_path / 'x.parquet'}')\n"
        "except ExportError as e:\n"
        "    print(e)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "pip install 'nianbao[parquet]'" in done.stdout
    assert not (tmp_path / "x.parquet").exists()


def test_unknown_format_is_an_export_error(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="text, jsonl, csv, parquet, xlsx, wide-csv"):
        export(store, "ods", tmp_path / "x")


def test_year_filter_and_real_extraction_export(store: Store, tmp_path: Path) -> None:
    fill(store)
    html = (FIXTURES / "seed000_html" / "input.html").read_bytes()
    record = extract(html, name="input.html")
    store.add(html, record, {"url": "https://real.example/nb.html"})
    result = export(store, "text", tmp_path / "y2020", year=2020)
    [txt] = sorted((tmp_path / "y2020").glob("*.txt"))
    assert result.reports == 1 and txt.name == f"004_{record['text_sha256'][:16]}.txt"
    text = txt.read_text(encoding="utf-8")
    assert record["title"] is None and text.startswith(record["sections"]["overview"].strip())
    for part in record["sections"].values():
        if part:
            assert part.strip() in text


def test_written_exports_get_the_permissions_of_a_plain_open(tmp_path: Path) -> None:
    """mkstemp makes files private to their owner; an export and the report page are meant to be shared."""
    import os

    from storage.textfiles import atomic_write

    mask = os.umask(0o022)
    os.umask(mask)
    atomic_write(tmp_path / "a.txt", "年报")
    plain = tmp_path / "b.txt"
    plain.write_text("年报", encoding="utf-8")
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == plain.stat().st_mode & 0o777 == 0o666 & ~mask
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "年报" and not list(tmp_path.glob(".tmp-*"))
