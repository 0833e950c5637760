"""The `nianbao` command: JSON for a file, JSON lines for a folder, clean errors."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from extractors.readers.office import soffice

from . import clirun
from .conftest import CORPUS, DOCUMENTS, ROOT, need_shared


def _run(*args, cwd=ROOT, env=None):
    """Run `nianbao ARGS` (a child forked from the test process's fork server, see tests/clirun.py)."""
    return clirun.run(list(args), cwd=cwd, env=env, timeout=300)


def test_extract_prints_utf8_json_not_ascii_escaped():
    need_shared()
    proc = _run("extract", str(CORPUS / "seeds" / "004_ffb7cb016be5db93.txt"))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode("utf-8")
    assert "鄞州区人民政府办公室" in out and "\\u" not in out
    record = json.loads(out)
    assert record["year"] == 2020 and record["requests"]["new_received"][6] == 48


def test_extract_folder_gives_json_lines_and_goes_on_after_errors(tmp_path):
    need_shared()
    shutil.copy(CORPUS / "seeds" / "003_b1632cd7fd96cc49.txt", tmp_path / "a.txt")
    shutil.copy(CORPUS / "real" / "huaian_city_gov_2024_pdf_2021fmt.pdf", tmp_path / "b.pdf")
    (tmp_path / "c.pdf").write_bytes(b"%PDF-1.4 broken")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.html").write_text("<html><body><p>新闻</p></body></html>", encoding="utf-8")
    proc = _run("extract", str(tmp_path), "--quiet")
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(x) for x in proc.stdout.decode("utf-8").splitlines()]
    by_path = {x["path"]: x for x in lines}
    assert set(by_path) == {"a.txt", "b.pdf", "c.pdf", "sub/d.html"}
    assert by_path["a.txt"]["agency"] == "蒲纺工业园区"
    assert by_path["b.pdf"]["carrier"] == "pdf"
    assert "error" in by_path["c.pdf"] and "error" in by_path["sub/d.html"]


@pytest.mark.slow
def test_summary_prints_a_table_of_the_bundled_documents():
    proc = _run("summary", "fixtures/documents")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode("utf-8")
    assert "carrier" in out and "鄞州区人民政府办公室" in out
    header = out.splitlines()[0]
    assert all(name in header for name in ("errors (E)", "warnings (W)", "ambiguous", "rules failed (E, W)"))
    assert "ambiguous cells (`nianbao rules` explains each rule id)" in out
    n = len(list(DOCUMENTS.glob("*/input.*")))
    if soffice() is not None:
        assert f"{n} of {n} documents extracted" in out
    else:
        assert "LibreOffice" in out


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_demo_crawls_stores_exports_and_adds_nothing_the_second_time(tmp_path):
    port = str(_free_port())
    first = _run("demo", "--data", str(tmp_path), "--port", port)
    assert first.returncode == 0, first.stderr.decode()[-2000:]
    out = first.stdout.decode("utf-8")
    assert "this run added" in out and "new report(s)" in out
    texts = sorted((tmp_path / "export" / "text").glob("*.txt"))
    assert texts and all(len(p.stem.split("_")[1]) == 16 for p in texts)
    assert texts[0].name.startswith("001_")
    lines = (tmp_path / "export" / "reports.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(texts)
    second = _run("demo", "--data", str(tmp_path), "--port", port)
    assert second.returncode == 0, second.stderr.decode()[-2000:]
    assert "this run added nothing new" in second.stdout.decode("utf-8")
    assert sorted((tmp_path / "export" / "text").glob("*.txt")) == texts


def test_export_and_validate_commands(tmp_path):
    need_shared()
    import csv as csvmod

    from extractors import extract
    from storage import Store

    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    with Store(db) as store:
        store.migrate()
        for year in (2021, 2022, 2023):
            path = CORPUS / "real" / f"pingtan_zone_{year}_txt_2021fmt.txt"
            record = extract(path) | {"region_code": "350128", "published_at": f"{year + 1}-04-15"}
            store.add(path.read_bytes(), record, {"url": f"https://www.pingtan.gov.cn/nb/{year}.htm"})
    proc = _run("export", "--db", db, "--format", "text", "--out", str(tmp_path / "text"))
    assert proc.returncode == 0, proc.stderr
    names = sorted(p.name for p in (tmp_path / "text").glob("*.txt"))
    assert [n[:4] for n in names] == ["001_", "002_", "003_"]
    proc = _run("export", "--db", db, "--format", "csv", "--out", str(tmp_path / "cells.csv"), "--year", "2022")
    assert proc.returncode == 0, proc.stderr
    with (tmp_path / "cells.csv").open(encoding="utf-8-sig") as f:
        rows = list(csvmod.DictReader(f))
    assert rows and {r["year"] for r in rows} == {"2022"}
    proc = _run("validate", "--db", db, "--json")
    findings = json.loads(proc.stdout.decode("utf-8"))
    assert {f["rule"] for f in findings} >= {"TIME-02"}  # a zone-wide report is due by 3月31日
    assert proc.returncode == (1 if any(f["severity"] == "E" for f in findings) else 0)
    table = _run("validate", "--db", db).stdout.decode("utf-8")
    # one body, three consecutive years: 2022 and 2023 are each compared with the year before
    assert "compared 2 body-year pair(s) with the year before" in table and "3 latest report(s) of 1 body" in table


@pytest.mark.slow
def test_a_demo_missing_documents_says_so_and_exits_1(tmp_path):
    """Without the real reports its web serves, the demo stores fewer reports and says which, loudly."""
    env = {**os.environ, "NIANBAO_CORPUS": str(tmp_path / "empty")}
    proc = _run("demo", "--data", str(tmp_path), "--port", str(_free_port()), cwd=tmp_path, env=env)
    err = proc.stderr.decode("utf-8")
    assert proc.returncode == 1, err[-2000:]
    assert "DEMO INCOMPLETE" in err and "not even served, their files are missing" in err
    assert "Traceback" not in err
