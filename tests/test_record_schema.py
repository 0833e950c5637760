"""`nianbao schema`: the JSON Schema generated from the typed classes holds every record extracted from the
bundled documents and every record a store exports, and refuses records that break the documented shape."""

from __future__ import annotations

import copy
import io
import json
import tempfile
from pathlib import Path

import pytest

from extractors import ExtractionError, extract, record_schema
from nianbao.cli import main
from storage import Store, export

from .records_snapshot import ROOT, documents

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed: pip install -e '.[test]'")

DOCUMENTS = ROOT / "fixtures" / "documents"


@pytest.fixture(scope="module")
def validator():
    schema = record_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="module")
def extracted() -> list[tuple[Path, dict]]:
    """Return (path, record) for every fixture document LibreOffice is not needed for, and the demo corpus's."""
    found = []
    for path in documents():
        if path.suffix in (".doc", ".wps"):
            continue  # read through LibreOffice: tests/test_record_snapshot.py holds their records to the snapshot
        try:
            found.append((path, extract(path)))
        except ExtractionError:
            continue
    return found


def _errors(validator, record) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message[:160]}" for e in validator.iter_errors(record)]


def test_every_fixture_document_record_is_valid(validator, extracted):
    assert sum(1 for p, _ in extracted if DOCUMENTS in p.parents) >= 20
    bad = {str(p.relative_to(ROOT)): _errors(validator, r) for p, r in extracted if _errors(validator, r)}
    assert not bad, bad


def test_a_record_with_the_crawl_context_is_valid(validator):
    context = {"source_url": "https://x.gov.cn/1.html", "published_at": "2021-01-20", "site": "x",
               "region_code": "350128", "region_name": "平潭", "list_title": "年报", "column": "年报"}  # fmt: skip
    record = extract(DOCUMENTS / "seed000_html" / "input.html", context=context)
    assert _errors(validator, record) == []


def test_every_record_a_store_exports_is_valid(validator, extracted):
    with tempfile.TemporaryDirectory() as tmp, Store(f"sqlite:///{tmp}/s.sqlite") as store:
        store.migrate()
        for i, (path, record) in enumerate(extracted):
            store.add(path.read_bytes(), record, {"url": f"https://demo.invalid/{i}", "site": "demo"})
        out = io.StringIO()
        export(store, "jsonl", out, latest_only=False)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(rows) >= 10 and all("report_id" in r and r["source_details"] for r in rows)
    bad = {r["report_id"]: _errors(validator, r) for r in rows if _errors(validator, r)}
    assert not bad, bad


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda r: r.update(surprise=1), id="unknown top-level key"),
        pytest.param(lambda r: r.pop("checks"), id="missing checks"),
        pytest.param(lambda r: r["requests"]["new_received"].append(0), id="table 三 row of 8"),
        pytest.param(lambda r: r["requests"].update(granted=["5件"] * 7), id="text in a cell"),
        pytest.param(lambda r: r["proactive"]["regulations"].update(issued=1), id="2021 column in a 2019 row"),
        pytest.param(lambda r: r["review_litigation"].pop("review"), id="table 四 without a group"),
        pytest.param(lambda r: r["checks"].append({"rule": "T9-99", "where": "x", "severity": "E"}), id="unknown rule"),
        pytest.param(lambda r: r["checks"].append({"rule": "T3-01", "where": "x", "severity": "X"}), id="severity"),
        pytest.param(lambda r: r.update(format="2020"), id="unknown format"),
        pytest.param(lambda r: r.update(carrier="ppt"), id="unknown carrier"),
        pytest.param(lambda r: r.update(source_url=None), id="context key null instead of absent"),
        pytest.param(lambda r: r["sections"].pop("other"), id="a part key missing"),
    ],
)
def test_the_schema_refuses_a_record_that_breaks_the_shape(validator, change):
    record = extract(DOCUMENTS / "seed003_html" / "input.html")
    assert record["table_formats"]["proactive"] == "2019" and _errors(validator, record) == []
    broken = copy.deepcopy(record)
    change(broken)
    assert _errors(validator, broken)


def test_every_property_is_described():
    schema = record_schema()
    undescribed = []

    def walk(node, where):
        if isinstance(node, dict):
            for key, sub in (node.get("properties") or {}).items():
                if not sub.get("description"):
                    undescribed.append(f"{where}.{key}")
            for key, sub in node.items():
                walk(sub, f"{where}.{key}")
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                walk(sub, f"{where}[{i}]")

    walk(schema, "$")
    assert not undescribed, undescribed
    assert schema["properties"]["year"]["description"].startswith("The report year")
    assert schema["$defs"]["Matters2019"]["properties"]["items_change"]["type"] == ["integer", "null"]
    assert schema["$defs"]["Procurement2019"]["properties"]["amount_wan_yuan"]["type"] == ["number", "null"]


def test_nianbao_schema_prints_it(capsys):
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == record_schema()
    assert main(["schema", "--compact"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "政府信息公开" in out  # one line, CJK not escaped
