"""The harvest report page (issue 12, item 1) without a browser: what `nianbao report` writes, read back from the
HTML: self-contained, the data of every stored report field by field in the shared layout, failed checks on their
cells, ambiguous cells with their source text, coverage counts equal to storage.coverage's, and its one-line
errors. tests/test_report_browser.py opens the page in Chromium."""

from __future__ import annotations

import base64
import gzip
import json
import re
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html

from extractors import extract
from extractors.layout import check_cells, layout
from nianbao.cli import main
from nianbao.report import gather, render
from nianbao.report.chart import year_chart
from storage import Store
from storage.bodies import BodySighting
from storage.coverage import coverage_rows, totals

from .conftest import ROOT
from .databases import raw_bytes, synthetic_record

DOCS = ROOT / "nianbao" / "demo"
SAMPLES = {
    # document → (its report year's publication date, what it shows: failed T3 checks or ambiguous cells)
    "documents/seed001_docx/input.docx": "2021-01-20",
    "documents/seed004_html/input.html": "2021-02-15",
    "corpus/real/pingtan_zone_2020_txt_2019fmt.txt": "2021-01-28",
    "corpus/real/pingtan_zone_2019_txt_2019fmt.txt": None,
}
REGION = "350128"


def _records() -> list[tuple[bytes, dict[str, Any], str]]:
    out = []
    for i, (name, published) in enumerate(SAMPLES.items()):
        raw = (DOCS / name).read_bytes()
        url = f"http://reports.example/{i}.html"
        context = {"source_url": url, "region_code": REGION, "site": "pt", "published_at": published}
        out.append((raw, extract(raw, context={k: v for k, v in context.items() if v}), url))
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[dict[str, Any]]]:
    """(the SQLite URL of a store holding the sample reports and a body without one, the stored records)."""
    tmp = tmp_path_factory.mktemp("report_html")
    url = f"sqlite:///{tmp / 'db.sqlite'}"
    store = Store(url, blob_root=tmp / "blobs")
    store.migrate()
    records = _records()
    sightings = [BodySighting(r["agency"], "registry", site="pt", site_region_code=REGION) for _, r, _ in records[:2]]
    sightings.append(BodySighting("平潭综合实验区审计局", "registry", site="pt", site_region_code=REGION))
    store.learn_bodies(sightings)
    for raw, record, source in records:
        store.add(raw, record, {"url": source, "site": "pt"})
    # two years of one body whose 上年结转 does not carry the year before's 结转下年度: a cross-year finding (XY-01)
    before = synthetic_record("平潭综合实验区统计局", 2022, region_code=REGION, carried_forward=[2, 0, 0, 0, 0, 0, 2])
    after = synthetic_record("平潭综合实验区统计局", 2023, region_code=REGION, carried_over=[0] * 7)
    for record in (before, after):
        store.add(raw_bytes(record), record, {"url": f"http://reports.example/{record['year']}.html", "site": "pt"})
    stored = list(store.reports())
    store.close()
    return url, stored


@pytest.fixture(scope="module")
def page(built: tuple[str, list[dict[str, Any]]], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """(the page `nianbao report` wrote for the store, its parsed HTML)."""
    url, _ = built
    out = tmp_path_factory.mktemp("report_page") / "report.html"
    assert main(["report", "--db", url, "--out", str(out)]) == 0
    return out, lxml_html.fromstring(out.read_bytes())


def _data(tree: Any) -> dict[str, Any]:
    (script,) = tree.xpath('//script[@id="nianbao-data"]')
    assert script.get("type") == "application/gzip+base64"
    return json.loads(gzip.decompress(base64.b64decode(script.text)))


def test_the_page_fetches_nothing(page: tuple[Path, Any]) -> None:
    path, tree = page
    assert tree.xpath("//*[@src]") == [], "an element loads a resource"
    assert tree.xpath("//link") == [] and tree.xpath("//iframe|//object|//embed") == []
    csp = tree.xpath('//meta[@http-equiv="Content-Security-Policy"]/@content')
    assert csp and "default-src 'none'" in csp[0]
    assert {h[:1] for h in tree.xpath("//a/@href")} <= {"#"}, "a static link leaves the page"
    scripts = tree.xpath("//script")
    assert len(scripts) == 2 and scripts[0].get("id") == "nianbao-data"
    outside = path.read_text(encoding="utf-8").replace(scripts[0].text, "")
    addresses = set(re.findall(r"https?://[^\s\"'<>]+", outside))
    assert addresses <= {"http://www.w3.org/2000/svg"}, addresses


def test_every_cell_of_every_report_is_in_the_page(page: tuple[Path, Any], built: tuple[str, list]) -> None:
    data = _data(page[1])
    _, stored = built
    entries = {e["id"]: e for e in data["reports"]}
    assert sorted(entries) == sorted(r["report_id"] for r in stored)
    compared = raws = 0
    for record in stored:
        entry = entries[record["report_id"]]
        for table in ("proactive", "requests", "review_litigation"):
            if record.get(table) is None:
                assert table not in entry["formats"]
                continue
            drawn = layout(table, entry["formats"][table])
            want = (record.get("table_formats") or {}).get(table) or record.get("format")
            assert drawn.format == (want if want == "2019" else "2021")
            for spec, got in zip(drawn.cells(), entry["values"][table], strict=True):
                assert got == spec.value(record), f"report {record['report_id']} {spec.name}"
                raw = spec.raw(record)
                if raw is not None and str(raw) != str(got):
                    assert entry["raw"][spec.name] == str(raw)
                    raws += 1
                else:
                    assert spec.name not in entry["raw"]
                compared += 1
        assert entry["urls"] == record["sources"]
        own = entry["checks"][: len(record["checks"])]  # then the cross-year findings (a test below)
        assert [c[0] for c in own] == [c["rule"] for c in record["checks"]]
    assert compared > 300 and raws, (compared, raws)


def test_failed_checks_are_on_their_cells(page: tuple[Path, Any], built: tuple[str, list]) -> None:
    data = _data(page[1])
    _, stored = built
    marked = 0
    for record in stored:
        entry = next(e for e in data["reports"] if e["id"] == record["report_id"])
        drawn = {c for t, f in entry["formats"].items() for c in (s.name for s in layout(t, f).cells())}
        for i, check in enumerate(record["checks"]):
            cells = [c for c in check_cells(check) if c in drawn]
            assert (i in entry["placed"]) == bool(cells)
            for cell in cells:
                assert i in entry["marks"][cell], f"{check['rule']} not on {cell}"
                shown = entry["checks"][i]
                assert shown[:6] == [check["rule"], check["severity"], check["where"], check.get("expected"),
                                     check.get("found"), check.get("message")]  # fmt: skip
                marked += 1
    assert marked, "no sample report has a failed check on a cell"
    assert any(e["checks"][i][0].startswith("T3") and e["checks"][i][1] == "E"
               for e in data["reports"] for ms in e["marks"].values() for i in ms)  # fmt: skip


def test_ambiguous_cells_carry_their_source_text(page: tuple[Path, Any], built: tuple[str, list]) -> None:
    data = _data(page[1])
    _, stored = built
    seen = 0
    for record in stored:
        entry = next(e for e in data["reports"] if e["id"] == record["report_id"])
        for amb in record.get("ambiguous") or []:
            cell = amb["cell"] if isinstance(amb, dict) else amb
            got = entry["ambiguous"][cell]
            if isinstance(amb, dict):
                assert got == [amb.get("source_text"), amb.get("candidates") or [], amb.get("reason") or "legacy"]
            seen += 1
    assert seen, "no sample report has an ambiguous cell"


def test_coverage_counts_are_storage_coverage_s(page: tuple[Path, Any], built: tuple[str, list]) -> None:
    data = _data(page[1])
    url, stored = built
    store = Store(url)
    try:
        bodies = store.bodies()
    finally:
        store.close()
    assert data["years"] == sorted({r["year"] for r in stored})
    for year in data["years"]:
        want = totals(coverage_rows(bodies, [r for r in stored if r["year"] == year], year))
        got = {r["level"]: {s: r[s] for s in data["statuses"]} for r in data["summary"]
               if r["year"] == year and r["region"] == "*"}  # fmt: skip
        assert got == want, year
    statuses = {r["status"] for r in data["coverage"]}
    assert "missing" in statuses and statuses & {"on_time", "late", "unlisted"}


def test_a_title_cannot_end_the_data_script(sqlite_store: Store, tmp_path: Path) -> None:
    raw, record, url = _records()[1]
    record["title"] = "</script><script>document.title='x'</script><!--"
    sqlite_store.add(raw, record, {"url": url})
    text = render(gather(sqlite_store, None, None))
    tree = lxml_html.fromstring(text)
    assert len(tree.xpath("//script")) == 2
    assert _data(tree)["reports"][0]["title"] == record["title"]


def test_the_chart_counts_every_dated_row_and_draws_each_deadline() -> None:
    rows = [{"status": "on_time", "published_at": "2025-01-10", "deadline": "2025-01-31", "level": "department"},
            {"status": "late", "published_at": "2025-02-10", "deadline": "2025-01-31", "level": "department"},
            {"status": "late", "published_at": "2025-02-10", "deadline": "2025-01-31", "level": "department"},
            {"status": "on_time", "published_at": "2025-03-02", "deadline": "2025-03-31", "level": "government"},
            {"status": "missing", "published_at": None, "deadline": "2025-03-31", "level": "government"},
            {"status": "unlisted", "published_at": "2025-05-01", "deadline": None, "level": "township"}]  # fmt: skip
    svg = lxml_html.fromstring(year_chart(2024, rows))
    bars = [t.text for t in svg.xpath("//rect/title")]
    counts = {s: sum(int(b.split(": ")[1].split()[0]) for b in bars if b.endswith(" " + s)) for s in ("on_time", "late", "unlisted")}
    assert counts == {"on_time": 2, "late": 2, "unlisted": 1}
    assert len(svg.xpath('//line[@class="deadline"]')) == 2
    assert year_chart(2024, [rows[4]]) == ""


@pytest.mark.parametrize(("args", "says"), [
    (["--out", "{tmp}"], "is a folder"),
    (["--out", "{tmp}/file/r.html"], "cannot write in"),
    (["--db", "sqlite:///{tmp}/none.sqlite"], "no database at"),
    (["--region", "99"], "--region 99"),
    (["--deadline", "county=2025-01-01"], "--deadline"),
])  # fmt: skip
def test_bad_usage_is_one_line(built: tuple[str, list], tmp_path: Path, capsys: pytest.CaptureFixture[str],
                               args: list[str], says: str) -> None:  # fmt: skip
    (tmp_path / "file").write_text("a file, not a folder")
    argv = ["report", "--db", built[0], "--out", str(tmp_path / "new" / "r.html"), *args]
    assert main([a.replace("{tmp}", str(tmp_path)) for a in argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("nianbao: ") and says in err and "\n" not in err
    assert not (tmp_path / "new").exists(), "a refused command created its --out folder"


def test_a_region_and_year_select(built: tuple[str, list], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, stored = built
    year = max(r["year"] for r in stored)
    out = tmp_path / "sub" / "r.html"
    assert main(["report", "--db", built[0], "--region", REGION, "--year", str(year), "--out", str(out)]) == 0
    data = _data(lxml_html.fromstring(out.read_bytes()))
    assert data["years"] == [year] and {r["year"] for r in data["reports"]} == {year}
    assert len(data["reports"]) == sum(r["year"] == year for r in stored)
    assert "wrote" in capsys.readouterr().out


def test_an_empty_selection_still_writes_the_page_and_says_so(built: tuple[str, list], tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    out = tmp_path / "r.html"
    assert main(["report", "--db", built[0], "--region", "11", "--out", str(out)]) == 1
    assert "nothing to show" in capsys.readouterr().err
    data = _data(lxml_html.fromstring(out.read_bytes()))
    assert data["reports"] == [] and data["coverage"] == []


def test_a_report_carries_its_coverage_status(page: tuple[Path, Any]) -> None:
    data = _data(page[1])
    entries = {e["id"]: e for e in data["reports"]}
    linked = [row for row in data["coverage"] if row["report"] is not None]
    assert linked
    for row in linked:
        entry = entries[row["report"]]
        assert (entry["status"], entry["level"], entry["deadline"]) == (row["status"], row["level"], row["deadline"])


def test_cross_year_findings_are_listed_with_the_later_report(page: tuple[Path, Any], built: tuple[str, list]) -> None:
    from extractors import lookup_rule
    from storage.validate import validate

    data = _data(page[1])
    store = Store(built[0])
    try:
        findings = [f for f in validate(store) if not lookup_rule(f.rule).in_record]
    finally:
        store.close()
    assert findings, "the sample reports give no cross-year finding"
    entries = {e["id"]: e for e in data["reports"]}
    for f in findings:
        listed = [c[:5] for c in entries[f.report_ids[-1]]["checks"]]
        assert [f.rule, f.severity, f.where, f.expected, f.found] in listed, f
    shown = {r["rule"] for r in data["rules"]}
    assert {f.rule for f in findings} <= shown
