"""`nianbao show REF`: a stored report's tables in the official layout, failing cells marked; REF as a seq, a
hash prefix, an export name or a URL; and the terminal tables of every command drawn by rich."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.cells import cell_len

from extractors import attribute_record, extract
from extractors.layout import failing_cells, layout
from nianbao.cli import main
from nianbao.output import table
from storage import Store

from .conftest import ROOT

REAL = ROOT / "nianbao" / "demo" / "corpus" / "real"
DOCS = ("pingtan_zone_2019_txt_2019fmt.txt", "pingtan_zone_2022_txt_2021fmt.txt")


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("show") / "nianbao.sqlite"
    store = Store(f"sqlite:///{path}")
    store.migrate()
    for n, name in enumerate(DOCS):
        doc = REAL / name
        store.add(doc.read_bytes(), attribute_record(extract(doc)), {"url": f"https://example.gov.cn/nb/{n}.html"})
    yield store, {r["seq"]: r for r in store.reports()}
    store.close()


def _show(capsys, store: Store, ref: str) -> str:
    assert main(["show", ref, "--db", store.url]) == 0
    return capsys.readouterr().out


def _lines_of(out: str, title: str) -> list[str]:
    """Return the lines of one table's part of the output (from its title to the next 表 title)."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("表")), len(lines))
    return lines[start:end]


@pytest.mark.parametrize("seq", [1, 2])
def test_table_three_is_drawn_in_the_official_order_of_its_format(stored, capsys, seq: int) -> None:
    store, records = stored
    record = records[seq]
    out = _show(capsys, store, str(seq))
    assert out.splitlines()[0] == record["title"]
    part = "\n".join(_lines_of(out, "表三"))
    rows = layout("requests", record["table_formats"]["requests"]).blocks[0].rows
    positions = [part.index(row.label[:12]) for row in rows]
    assert positions == sorted(positions), "rows out of the official order"
    for row in rows:  # every row's seven values, blanks as ·, in column order
        values = record["requests"].get(row.key) or [None] * 7
        line = next(line for line in part.splitlines() if row.label[:12] in line)
        shown = [c.strip().rstrip("!?") for c in line.split("│")[2:9]]
        assert shown == ["·" if v is None else str(v) for v in values], row.key
    has_2021_rows = "1.申请人无正当理由逾期不补正" in part
    assert has_2021_rows == (record["table_formats"]["requests"] == "2021")


def test_failing_cells_and_only_they_are_marked(stored, capsys) -> None:
    store, records = stored
    for seq, record in records.items():
        out = _show(capsys, store, str(seq))
        marked = failing_cells(record)
        in_three = [n for n in marked if n.startswith("requests.")]
        part = _lines_of(out, "表三")
        assert sum(line.count("!") for line in part) == len(in_three)
        for check in record["checks"]:
            assert f"{check['severity']} {check['rule']} {check['where']}" in out
    assert any(failing_cells(r) for r in records.values()), "the fixture must have a failing cell to mark"


def test_ref_by_hash_prefix_export_name_and_url(stored, capsys) -> None:
    store, records = stored
    record = records[2]
    sha = record["text_sha256"]
    by_seq = _show(capsys, store, "2")
    assert _show(capsys, store, sha[:8]) == by_seq
    assert _show(capsys, store, f"002_{sha[:16]}.txt") == by_seq
    assert _show(capsys, store, record["sources"][0]) == by_seq


@pytest.mark.parametrize("ref, said", [("99", "no stored report has the seq 99"),
                                       ("zz", "not a seq, a text-hash prefix"),
                                       ("https://nowhere.example/x", "no stored report has the URL")])  # fmt: skip
def test_a_ref_that_names_no_report_is_one_line_and_exit_2(stored, capsys, ref: str, said: str) -> None:
    store, _ = stored
    assert main(["show", ref, "--db", store.url]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and said in err[0]


def test_plain_tables_align_chinese_by_display_width() -> None:
    rows = [("site", "blocked", "errors"), ("瑞数", "412 $_ts (瑞数 challenge)", "0"), ("trs", "-", "12")]
    lines = table(rows).splitlines()
    assert set(lines[1]) <= {"-", " "}
    starts = {cell_len(line[: line.index(cell)]) for line, cell in zip([lines[0], lines[2], lines[3]],
                                                                       ["blocked", "412", "-"], strict=True)}
    assert len(starts) == 1  # the second column starts at one display column on every line
    assert not any(line.endswith(" ") for line in lines)


def test_show_of_a_store_that_does_not_exist_is_bad_usage(tmp_path: Path, capsys) -> None:
    assert main(["show", "1", "--db", f"sqlite:///{tmp_path}/none.sqlite"]) == 2
