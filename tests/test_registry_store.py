"""The site registry in the store: `nianbao sites import` of the official download's layout (README, "Site
registry in the store") and of the crawler's CSV, `sites list --region`, and `crawl --region` choosing the
store's sites; on SQLite and PostgreSQL."""

from __future__ import annotations

import argparse
import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from nianbao import exits
from nianbao.cli import main
from nianbao.commands.crawl import load
from storage import Store
from storage.registry import sites_in_region
from storage.sitefiles import SiteFileError, read_site_file
from storage.sitefiles.official import _member_name, map_header
from storage.sitefiles.text import decode

HEADER = ["网站名称", "网站标识码", "主办单位", "首页网址", "网站类别"]
"""The download's columns as the tests write them (the address 4th, as public code reading it finds it)."""

PROVINCE = [["江苏省人民政府", "3200000001", "江苏省人民政府办公厅", "www.jiangsu.gov.cn", "政府门户网站"]]
COUNTY = [
    ["淮安市洪泽区人民政府", "3208130001", "淮安市洪泽区人民政府办公室", "www.hongze.gov.cn", "政府门户网站"],
    # no 网站标识码: keyed by host, placed by the organiser's name
    ["清江浦区政务网", "", "淮安市清江浦区人民政府", "http://www.qjp.gov.cn/;https://qjp.gov.cn", "政府门户网站"],
    # neither a 标识码 nor a usable host: refused
    ["某某网", "", "淮安市某某局", "无", "部门网站"],
    # a ministry's code (bm…) and an organiser naming no region: stored without a region
    ["生态环境部", "bm17000009", "生态环境部", "https://www.mee.gov.cn/", "部门网站"],
]
LOCAL = [
    ["淮安市人民政府", "3208000001", "淮安市人民政府办公室", "www.huaian.gov.cn", "政府门户网站"],
    ["淮安市洪泽区人民政府", "3208130001", "淮安市洪泽区人民政府办公室", "www.hongze.gov.cn", "政府门户网站"],  # dup
    ["", "", "", "", ""],  # a blank row is skipped
    ["无地址", "", "无名单位", "", "部门网站"],  # refused
]


def _csv(rows: list[list[str]], encoding: str) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([HEADER, *rows])
    return out.getvalue().encode(encoding)


def registry_zip(path: Path) -> Path:
    """Write a download-style zip: per-level CSVs in GBK (one under a sub-folder, as an unpacked city zip)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("省级门户.csv", _csv(PROVINCE, "gbk"))
        z.writestr("江苏省_淮安市/江苏省_淮安市_区县级单位.csv", _csv(COUNTY, "gbk"))
        z.writestr("readme.txt", "not a CSV: left alone")
    return path


def local_csv(path: Path, rows: list[list[str]] = LOCAL) -> Path:
    """Write a bare download CSV in UTF-8 with a BOM."""
    path.write_bytes(b"\xef\xbb\xbf" + _csv(rows, "utf-8"))
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run `nianbao ARGV` in process; return (status, stdout, stderr)."""
    status = main(list(argv))
    out = capsys.readouterr()
    return status, out.out, out.err


def stored(url: str, region: str | None = None) -> dict[str, object]:
    """Return the store's registry rows (of `region`) by key."""
    store = Store(url)
    try:
        with Session(store.engine) as s:
            return {r.site_key: r for r in sites_in_region(s, region)}
    finally:
        store.close()


# -- readers --------------------------------------------------------------------------------------------------


def test_header_names_are_mapped_by_meaning():
    cols = map_header(["序号", "网站标识码", "网站主管单位", "网站名称", "网站域名", "网站类型", "所属省份", "所属地市"])
    assert cols == {"code": "网站标识码", "organiser": "网站主管单位", "name": "网站名称", "url": "网站域名",
                    "level": "网站类型", "province": "所属省份", "city": "所属地市"}  # fmt: skip
    assert map_header(["主管单位", "主办单位", "首页网址"])["organiser"] == "主办单位"  # 主办 preferred


def test_encodings_are_detected():
    text = "网站标识码,网站名称\n3208000001,淮安市人民政府\n"
    assert decode(text.encode("gbk"), "x") == text
    assert decode(text.encode("gb18030"), "x") == text
    assert decode(b"\xef\xbb\xbf" + text.encode(), "x") == text
    assert decode(text.encode(), "x") == text
    assert decode(text.encode("utf-16"), "x") == text


def test_a_gbk_member_name_without_the_utf8_flag_is_read_as_gbk():
    info = zipfile.ZipInfo("省级门户.csv".encode("gbk").decode("cp437"))
    info.flag_bits = 0
    assert _member_name(info) == "省级门户.csv"


def test_the_download_zip_is_read_with_regions_and_refusals(tmp_path):
    read = read_site_file(registry_zip(tmp_path / "江苏省_淮安市.zip"))
    assert read.kind == "registry"
    by_key = {s.site_key: s for s in read.sites}
    assert set(by_key) == {"3200000001", "3208130001", "www.qjp.gov.cn", "bm17000009"}
    hongze = by_key["3208130001"]
    assert (hongze.region_code, hongze.region_name) == ("320813", "江苏省淮安市洪泽区")  # from the 标识码
    assert hongze.start_urls == ("http://www.hongze.gov.cn/",) and hongze.allowed_hosts == ("www.hongze.gov.cn",)
    assert hongze.level == "政府门户网站" and hongze.organiser == "淮安市洪泽区人民政府办公室"
    qjp = by_key["www.qjp.gov.cn"]
    assert qjp.region_code == "320812" and qjp.site_code is None  # from the organiser's name
    assert qjp.allowed_hosts == ("www.qjp.gov.cn", "qjp.gov.cn")
    assert by_key["bm17000009"].region_code is None
    assert by_key["3200000001"].region_code == "320000"
    assert [r.reason for r in read.refused] == ["某某网: no 网站标识码 and no usable host in '无'"]
    assert read.refused[0].where.endswith("江苏省_淮安市_区县级单位.csv:4")


def test_a_level_comes_from_the_file_name_where_no_column_gives_it(tmp_path):
    path = tmp_path / "省级门户.csv"
    path.write_bytes("网站标识码,网站名称,首页网址\n3200000001,江苏省人民政府,www.jiangsu.gov.cn\n".encode("gbk"))
    (site,) = read_site_file(path).sites
    assert site.level == "省级门户" and site.region_code == "320000"


def test_files_that_cannot_be_read_say_why(tmp_path):
    cases = {"x.xlsx": b"PK\x03\x04", "broken.zip": b"PK\x03\x04broken", "empty.zip": b"", "nohead.csv": b"a,b\n1,2\n"}
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as z:
        z.writestr("a.txt", "x")
    for name, data in cases.items():
        path = tmp_path / name
        if name != "empty.zip":
            path.write_bytes(data)
        with pytest.raises(SiteFileError) as err:
            read_site_file(path)
        assert str(path) in str(err.value) and "\n" not in str(err.value)


# -- import, list, crawl selection on both backends -----------------------------------------------------------


def test_import_twice_changes_nothing_and_a_changed_row_is_updated(backend_db_url, tmp_path, capsys):
    zipped, local = registry_zip(tmp_path / "download.zip"), local_csv(tmp_path / "地方所属网站.csv")
    status, out, err = run(capsys, "sites", "import", str(zipped), str(local), "--db", backend_db_url)
    assert status == exits.ATTENTION  # rows were refused
    assert "added 5, updated 0, unchanged 0, refused 2, duplicates 1, without region 1" in out
    assert err.count("refused: ") == 2 and "无地址: no 网站标识码 and no 首页网址" in err and "地方所属网站.csv:5" in err
    status, out, _err = run(capsys, "sites", "import", str(zipped), str(local), "--db", backend_db_url)
    assert "added 0, updated 0, unchanged 5, refused 2" in out

    changed = [row[:] for row in LOCAL]
    changed[0][0] = "淮安市人民政府门户网站"
    local_csv(local, changed)
    status, out, _err = run(capsys, "sites", "import", str(local), "--db", backend_db_url)
    assert "added 0, updated 1, unchanged 1, refused 1" in out
    rows = stored(backend_db_url)
    assert rows["3208000001"].name == "淮安市人民政府门户网站"
    assert rows["3208000001"].origin == "registry" and len(rows) == 5


def test_sites_list_shows_what_a_region_selects(backend_db_url, tmp_path, capsys):
    run(capsys, "sites", "import", str(registry_zip(tmp_path / "d.zip")), str(local_csv(tmp_path / "l.csv")),
        "--db", backend_db_url)  # fmt: skip
    status, out, _err = run(capsys, "sites", "list", "--region", "3208", "--db", backend_db_url, "--format", "csv")
    assert status == exits.OK
    table = list(csv.reader(io.StringIO(out)))
    assert table[0] == ["site", "name", "organiser", "region", "level", "start URLs", "origin"]
    assert [r[0] for r in table[1:]] == ["3208000001", "www.qjp.gov.cn", "3208130001"]
    status, out, _err = run(capsys, "sites", "list", "--region", "320813", "--db", backend_db_url, "--format", "json")
    assert [r["site_key"] for r in json.loads(out)] == ["3208130001"]
    status, out, _err = run(capsys, "sites", "list", "--region", "32", "--db", backend_db_url)
    assert "4 site(s) in region 32 (江苏省) in the store's registry" in out
    status, _out, err = run(capsys, "sites", "list", "--region", "99", "--db", backend_db_url)
    assert status == exits.USAGE and "no such GB/T 2260 region code" in err


def test_the_bundled_csv_imports_and_merges_into_the_registry_row_of_its_host(backend_db_url, tmp_path, capsys):
    status, out, _err = run(capsys, "sites", "import", "bundled", "--db", backend_db_url)
    assert status == exits.OK and "added 28, updated 0, unchanged 0, refused 0" in out
    assert stored(backend_db_url, "3208")["www.huaian.gov.cn"].origin == "bundled"
    run(capsys, "sites", "import", str(local_csv(tmp_path / "l.csv")), "--db", backend_db_url)
    rows = stored(backend_db_url, "3208")
    assert set(rows) == {"3208000001", "3208130001"}  # the host-keyed rows took the 标识码 as key
    assert rows["3208000001"].allowed_hosts == ("www.huaian.gov.cn",)
    status, out, _err = run(capsys, "sites", "import", "bundled", "--db", backend_db_url)
    assert "added 0" in out and len(stored(backend_db_url)) == 28
    # The registry's bodies are learnt with it: a portal named as a government is that government.
    with Store(backend_db_url) as store:
        bodies = {b.body_key: b for b in store.bodies("3208")}
    assert bodies["320813|洪泽区"].level == "government" and "registry" in {e["kind"] for e in bodies["320813|洪泽区"].evidence}


def test_crawl_region_picks_the_stores_sites_else_the_bundled_ones(backend_db_url, tmp_path, capsys):
    def crawl_sites(**given: object) -> list[str]:
        args = argparse.Namespace(**{"sites": None, "region": "3208", "urls": [], "db": backend_db_url, **given})
        return sorted(site.site_id for site in load(args))

    assert crawl_sites() == ["hongze", "huaian"]  # no registry in the store: the bundled CSV, as before
    run(capsys, "sites", "import", str(registry_zip(tmp_path / "d.zip")), str(local_csv(tmp_path / "l.csv")),
        "--db", backend_db_url)  # fmt: skip
    assert crawl_sites() == ["3208000001", "3208130001", "www.qjp.gov.cn"]
    assert crawl_sites(region="320812") == ["www.qjp.gov.cn"]
    assert crawl_sites(sites="bundled") == ["hongze", "huaian"]  # --sites FILE keeps working
    sites = {s.site_id: s for s in load(argparse.Namespace(sites=None, region="3208", urls=[], db=backend_db_url))}
    assert sites["www.qjp.gov.cn"].allows("https://qjp.gov.cn/x") and sites["3208130001"].region_code == "320813"
    with pytest.raises(exits.UsageError, match="no site to crawl in region 3301"):
        crawl_sites(region="3301")


def test_an_unreadable_file_stores_nothing(backend_db_url, tmp_path, capsys):
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04 not really")
    status, _out, err = run(capsys, "sites", "import", str(local_csv(tmp_path / "l.csv")), str(bad),
                            "--db", backend_db_url)  # fmt: skip
    assert status == exits.USAGE and "not a readable zip file" in err and "Traceback" not in err
    if backend_db_url.startswith("sqlite"):
        assert not Path(backend_db_url.removeprefix("sqlite:///")).exists()
    else:
        assert stored_count(backend_db_url) == 0


def stored_count(url: str) -> int:
    """Return how many registry rows the store holds (migrating it first)."""
    store = Store(url)
    try:
        store.migrate()
        return len(stored(url))
    finally:
        store.close()


def test_sites_without_an_action_lists_the_bundled_csv_as_before(capsys):
    status, out, _err = run(capsys, "sites", "--region", "3208")
    assert status == exits.OK and "huaian" in out and "hongze" in out and "2 site(s)" in out
