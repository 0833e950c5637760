"""The store in Datasette: the shipped metadata loads through Datasette's own API, describes every table and
column the store has, and its facets and queries answer over a real store."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from extractors import RULES, attribute_record, extract
from nianbao.cli import main
from nianbao.commands.browse import metadata_for, metadata_path
from storage import Store

from .conftest import ROOT

datasette_app = pytest.importorskip("datasette.app", reason="Datasette is not installed: pip install 'nianbao[browse]'")

REAL = ROOT / "nianbao" / "demo" / "corpus" / "real"


@pytest.fixture(scope="module")
def store_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("browse") / "nianbao.sqlite"
    store = Store(f"sqlite:///{path}")
    store.migrate()
    for n, doc in enumerate(sorted(REAL.glob("pingtan_zone_20*_txt_*.txt"))):
        record = attribute_record(extract(doc))
        store.add(doc.read_bytes(), record, {"url": f"https://example.gov.cn/{n}.html", "site": "example"})
    store.close()
    return path


def _get(ds, path: str) -> dict:
    async def go():
        await ds.invoke_startup()
        response = await ds.client.get(path)
        assert response.status_code == 200, (path, response.text[:300])
        return response.json()

    return asyncio.run(go())


def test_the_metadata_describes_every_table_and_column_of_the_store(store_file: Path) -> None:
    import sqlite3

    tables = metadata_for("nianbao")["databases"]["nianbao"]["tables"]
    with sqlite3.connect(store_file) as db:
        names = [r[0] for r in db.execute("select name from sqlite_master where type in ('table', 'view')")]
        assert set(names) == set(tables), "a table without a description, or a description of no table"
        for name, table in tables.items():
            columns = {r[1] for r in db.execute(f"pragma table_info({name})")}
            assert set(table.get("columns", {})) <= columns, name
        described = tables["reports"]["columns"]
        assert set(described) == {r[1] for r in db.execute("pragma table_info(reports)")}


def test_datasette_loads_the_metadata_and_facets_reports_by_region_year_and_body(store_file: Path) -> None:
    ds = datasette_app.Datasette([str(store_file)], metadata=json.loads(metadata_path().read_text(encoding="utf-8")))
    assert ds.metadata("description", database="nianbao", table="reports").startswith("One row per report")
    assert "region_code" in ds.table_metadata("nianbao", "reports")["facets"]
    data = _get(ds, "/nianbao/reports.json?_shape=objects&_extra=facet_results")
    facets = data["facet_results"]
    results = facets.get("results", facets)
    assert {"region_code", "year", "body"} <= set(results)
    years = {f["value"] for f in results["year"]["results"]}
    assert years == {r["year"] for r in data["rows"]} and len(years) > 1


def test_the_queries_list_failed_checks_by_rule_and_every_rule(store_file: Path) -> None:
    ds = datasette_app.Datasette([str(store_file)], metadata=metadata_for("nianbao"))
    stored = Store(f"sqlite:///{store_file}")
    expected = {(c["rule"], r["seq"]) for r in stored.reports() for c in r["checks"]}
    stored.close()
    rows = _get(ds, "/nianbao/failed_checks.json?_shape=objects&rule=&severity=&region=&year=")["rows"]
    assert {(r["rule"], r["seq"]) for r in rows} == expected
    some = next(iter(expected))[0]
    only = _get(ds, f"/nianbao/failed_checks.json?_shape=objects&rule={some}&severity=&region=&year=")["rows"]
    assert only and {r["rule"] for r in only} == {some}
    per_rule = _get(ds, "/nianbao/checks_by_rule.json?_shape=objects&region=&year=")["rows"]
    assert {r["rule"] for r in per_rule} == {rule for rule, _ in expected}
    rules = _get(ds, "/nianbao/rules.json?_shape=objects")["rows"]
    assert [r["rule"] for r in rules] == list(RULES), "rules changed: regenerate the rules query of the metadata"


def test_the_report_checks_view_facets_failed_checks_by_rule(store_file: Path) -> None:
    ds = datasette_app.Datasette([str(store_file)], metadata=metadata_for("nianbao"))
    stored = Store(f"sqlite:///{store_file}")
    checks = [(c["rule"], c["severity"], r["seq"]) for r in stored.reports(latest_only=False) for c in r["checks"]]
    stored.close()
    assert checks, "the sample store must fail some checks for this test to mean anything"
    data = _get(ds, "/nianbao/report_checks.json?_shape=objects&_size=max&_extra=facet_results")
    assert sorted((r["rule"], r["severity"], r["seq"]) for r in data["rows"]) == sorted(checks)
    facets = data["facet_results"]
    by_rule = {f["value"]: f["count"] for f in facets.get("results", facets)["rule"]["results"]}
    assert by_rule == {rule: sum(1 for c in checks if c[0] == rule) for rule, _, _ in checks}


def test_browse_prints_the_metadata_path_and_refuses_what_datasette_cannot_open(tmp_path, capsys) -> None:
    assert main(["browse", "--metadata-path"]) == 0
    assert Path(capsys.readouterr().out.strip()) == metadata_path()
    assert main(["browse", "--db", "postgresql+psycopg://u@h/db"]) == 2
    assert "SQLite files only" in capsys.readouterr().err
    assert main(["browse", "--db", f"sqlite:///{tmp_path}/none.sqlite"]) == 2


def test_nianbao_browse_serves_the_store_with_its_metadata(store_file: Path, tmp_path: Path) -> None:
    import shutil
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    copy = tmp_path / "other-name.sqlite"  # any file name: the metadata follows the database's name
    shutil.copy(store_file, copy)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "nianbao.cli", "browse", "--db", f"sqlite:///{copy}", "--port",
                             str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    try:
        deadline, body = time.monotonic() + 60, None
        while body is None and time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/other-name/reports.json?_shape=objects") as r:
                    body = json.load(r)
            except OSError:
                time.sleep(0.5)
        assert body is not None, proc.stderr.read().decode() if proc.poll() is not None else "no answer in 60 s"
        facets = body.get("facet_results") or {}
        assert body["rows"] and "region_code" in facets.get("results", facets)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/metadata.json") as r:
            served = json.load(r)
        assert served["databases"]["other-name"]["tables"]["reports"]["facets"][:3] == ["region_code", "year", "body"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
