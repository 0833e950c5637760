"""The demo government web (nianbao/demo) behaves like the real sites it models."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
import urllib.robotparser
from collections.abc import Iterator
from pathlib import Path

import pytest

from nianbao.demo.server import HERE as DEMO_DIR
from nianbao.demo.server import FixtureWeb, corpus_root
from nianbao.regions import lookup

OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, data: bytes | None = None, headers: dict[str, str] | None = None,
          timeout: float = 5) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with _opener.open(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers.items()), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers.items()), e.read()


def source_bytes(source: str) -> bytes:
    if source.startswith("corpus/"):
        return (corpus_root() / source.removeprefix("corpus/")).read_bytes()
    return (DEMO_DIR / source).read_bytes()


def shared_available() -> bool:
    return (corpus_root() / "real" / "pingtan_zone_2024_html_2021fmt_article.html").is_file()


needs_shared = pytest.mark.skipif(not shared_available(), reason="shared corpus (../shared/corpus) not checked out")


@pytest.fixture(scope="module")
def web() -> Iterator[FixtureWeb]:
    with FixtureWeb() as w:
        yield w


@pytest.fixture(scope="module")
def expected(web: FixtureWeb) -> dict:
    return web.expected()


def test_expected_covers_the_carriers(expected: dict) -> None:
    carriers = {r["carrier"] for r in expected["reports"]}
    assert {"html", "pdf", "docx", "doc", "wps"} <= carriers
    if shared_available():
        assert 15 <= len(expected["reports"]) <= 25
        assert {r["format"] for r in expected["reports"] if r["carrier"] == "html"} >= {"2019", "2021"}
        assert expected["missing_sources"] == []
    assert all(r["phase"] == 1 for r in expected["reports"])
    assert any(r.get("media_type") == "application/octet-stream" and r["carrier"] == "pdf" for r in expected["reports"])


def test_every_expected_report_is_served_with_its_bytes(expected: dict) -> None:
    digests = set()
    for rep in expected["reports"]:
        bodies = []
        for url in rep["urls"]:
            status, headers, body = fetch(url)
            assert status == 200, url
            assert "ETag" in headers and "Last-Modified" in headers, url
            if "media_type" in rep:
                assert headers["Content-Type"].startswith(rep["media_type"]), url
            bodies.append(body)
        assert all(b == bodies[0] for b in bodies), f"{rep['id']}: URLs of one document differ"
        body = bodies[0]
        assert hashlib.sha256(body).hexdigest() == rep["sha256"]
        digests.add(rep["sha256"])
        carrier = rep["carrier"]
        if carrier == "pdf":
            assert body.startswith(b"%PDF"), rep["id"]
        elif carrier == "docx":
            assert body.startswith(b"PK") and b"word/document.xml" in body, rep["id"]
        elif carrier in ("doc", "wps"):
            assert body.startswith(OLE_MAGIC), rep["id"]
        else:
            text = body.decode(rep.get("encoding", "utf-8"))
            assert "<html" in text[:600].lower(), rep["id"]
            assert rep["title"] in text, rep["id"]
        if rep["verbatim"]:
            assert body == source_bytes(rep["source"]), rep["id"]
    assert len(digests) == len(expected["reports"]), "two report entries serve the same bytes"


def test_every_report_url_is_linked_from_a_served_page(web: FixtureWeb, expected: dict) -> None:
    pages = [u for urls in expected["columns"].values() for u in urls]
    pages += expected["wrappers"] + [u for r in expected["reports"] if r["carrier"] == "html" for u in r["urls"]]
    pages += expected["negatives"]
    seen = []
    for url in pages:
        status, _, body = fetch(url)
        if status == 500:  # the fail-once page: a retry gets it
            status, _, body = fetch(url)
        assert status == 200, url
        seen.append(body.decode("utf-8", "replace"))
    _, _, api = fetch(web.url("gkmlpt", "/gkmlpt/api/all/2629?page=1&sid=175"))
    form = urllib.parse.urlencode({"columnid": "1229325036", "page": "2"}).encode()
    _, _, proxy = fetch(web.url("hanweb", "/module/web/jpage/dataproxy.jsp"), data=form)
    seen += [api.decode(), proxy.decode()]
    corpus = "\n".join(seen).replace("&amp;", "&")
    for rep in expected["reports"]:
        for url in rep["urls"]:
            parts = urllib.parse.urlsplit(url)
            tail = parts.path.rsplit("/", 1)[1] + (("?" + parts.query) if parts.query else "")
            assert tail in corpus, f"{url} is linked from no page"


def test_robots_disallows_the_draft_report(web: FixtureWeb, expected: dict) -> None:
    rp = urllib.robotparser.RobotFileParser()
    status, _, body = fetch(web.url("trs", "/robots.txt"))
    assert status == 200
    rp.parse(body.decode().splitlines())
    draft = next(u for u in expected["must_not_request"] if "/nbsh/" in u)
    assert not rp.can_fetch("nianbao", draft)
    assert rp.can_fetch("nianbao", web.url("trs", "/zfxxgk/zfxxgknb/index.html"))
    _, _, page = fetch(web.url("trs", "/zfxxgk/zfxxgknb/index.html"))
    assert "nbsh/t20250305_97700.html" in page.decode()  # linked, so only robots keeps a crawler out


def test_challenge_hosts(web: FixtureWeb) -> None:
    status, headers, body = fetch(web.url("waf412", "/zwgk/zfxxgknb/index.html"))
    assert status == 412 and b"$_ts=window['$_ts']" in body and "Set-Cookie" in headers
    status, _, body = fetch(web.url("waf412", "/robots.txt"))
    assert status == 200 and body.startswith(b"User-agent")
    status, headers, body = fetch(web.url("waf521", "/"))
    assert status == 521 and b"document.cookie=" in body and "__jsluid" in headers["Set-Cookie"]
    cookie_js = re.sub(r"\)\+\(", "", body.decode())
    assert "__jsl_clearance" in cookie_js.replace("'", "")


@needs_shared
def test_lying_charset_header(expected: dict) -> None:
    rep = next(r for r in expected["reports"] if r["id"] == "trs-2022-pingtan-html-gbk-lying-header")
    _, headers, body = fetch(rep["urls"][0])
    assert headers["Content-Type"].lower().replace(" ", "") == "text/html;charset=utf-8"
    assert b'content="text/html; charset=gbk"' in body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert rep["title"] in body.decode("gbk")
    honest = next(r for r in expected["reports"] if r["id"] == "trs-2021-pingtan-html-gbk")
    _, headers, body = fetch(honest["urls"][0])
    assert headers["Content-Type"] == "text/html; charset=GBK" and honest["title"] in body.decode("gbk")


@needs_shared
def test_big5_gateway_copy(expected: dict) -> None:
    url = next(u for u in expected["negatives"] if "/gate/big5/" in u)
    _, headers, body = fetch(url)
    assert "big5" in headers["Content-Type"]
    text = body.decode("big5")
    assert "政府信息公開工作年度報告" in text and "平潭綜合實驗區" in text


def test_conditional_get(web: FixtureWeb) -> None:
    url = web.url("trs", "/zfxxgk/zfxxgknb/index.html")
    _, headers, body = fetch(url)
    assert body
    status, _, body = fetch(url, headers={"If-None-Match": headers["ETag"]})
    assert status == 304 and body == b""
    status, _, _ = fetch(url, headers={"If-Modified-Since": headers["Last-Modified"]})
    assert status == 304
    status, _, _ = fetch(url, headers={"If-None-Match": '"stale"'})
    assert status == 200


def test_fail_once_then_succeed() -> None:
    with FixtureWeb() as w:
        url = w.expected()["flaky"]["retry_500"]
        assert fetch(url)[0] == 500
        assert fetch(url)[0] == 200
        assert fetch(url)[0] == 200
    with FixtureWeb() as w:  # per server instance
        assert fetch(w.expected()["flaky"]["retry_500"])[0] == 500


def test_timeout_page_times_out_and_stops_fast() -> None:
    w = FixtureWeb()
    w.start()
    try:
        with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
            fetch(w.expected()["flaky"]["timeout"], timeout=0.5)
    finally:
        stopper = threading.Thread(target=w.stop)
        stopper.start()
        # The timeout page sleeps far longer: a stop that waited for it would still be running here.
        stopper.join(timeout=15)
    assert not stopper.is_alive(), "stop() waited for a request still sleeping"


def test_hanweb_dataproxy_page_two(web: FixtureWeb) -> None:
    col = web.url("hanweb", "/col/col1229325036/index.html")
    _, _, page = fetch(col)
    text = page.decode()
    assert "<datastore>" in text and "<totalrecord>7</totalrecord>" in text and "<totalpage>2</totalpage>" in text
    assert "art_1229325036_3701234" not in text  # the report is on page 2 only
    form = {"col": "1", "appid": "1", "webid": "3", "path": "/", "columnid": "1229325036", "sourceContentType": "1",
            "unitid": "4481231", "webname": "宁波市鄞州区人民政府", "permissiontype": "0"}
    proxy = web.url("hanweb", "/module/web/jpage/dataproxy.jsp?startrecord=6&endrecord=10&perpage=5")
    status, headers, body = fetch(proxy, data=urllib.parse.urlencode({**form, "page": "2"}).encode())
    assert status == 200 and headers["Content-Type"].startswith("text/xml")
    assert "art_1229325036_3701234.html" in body.decode() and body.decode().count("<record>") == 2
    _, _, body = fetch(proxy, data=urllib.parse.urlencode(form).encode())  # startrecord alone is ignored
    assert "art_1229325036_3701234.html" not in body.decode()
    assert fetch(web.url("hanweb", "/col/col1229325036/index_1.html"))[0] == 404
    _, headers, _ = fetch(web.url("hanweb", "/module/download/downfile.jsp?classid=0&filename=2101261530123456.doc"))
    name = urllib.parse.unquote(headers["Content-Disposition"].split("UTF-8''", 1)[1])
    assert name == "鄞州区人民政府办公室2020年政府信息公开工作年度报告.doc"


def test_gkmlpt_api(web: FixtureWeb) -> None:
    _, _, shell = fetch(web.url("gkmlpt", "/gkmlpt/annualreport"))
    text = shell.decode()
    assert "SID:'175'" in text and "window._CONFIG" in text and "var TREE = [" in text
    assert "post_4123456" not in text  # a JS shell: the list comes from the API
    status, headers, body = fetch(web.url("gkmlpt", "/gkmlpt/api/all/2629?page=1&sid=175"))
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    data = json.loads(body)
    assert data["classify"]["post_count"] == len(data["articles"]) == 3
    assert any(a["url"].endswith("/gkmlpt/content/4/4123/post_4123456.html") for a in data["articles"])
    assert fetch(web.url("gkmlpt", "/gkmlpt/api/all/2629?page=2&sid=175"))[0] == 404


@needs_shared
def test_phase_two_publishes_a_report() -> None:
    with FixtureWeb() as w:
        new = w.url("trs", "/zfxxgk/zfxxgknb/202603/t20260313_105587.html")
        column = w.url("trs", "/zfxxgk/zfxxgknb/index.html")
        assert fetch(new)[0] == 404
        _, headers1, body1 = fetch(column)
        assert "t20260313_105587" not in body1.decode()
        assert all(r["phase"] == 1 for r in w.expected()["reports"])
        w.set_phase(2)
        _, headers2, body2 = fetch(column)
        assert "./202603/t20260313_105587.html" in body2.decode()
        assert headers2["ETag"] != headers1["ETag"]
        assert fetch(column, headers={"If-None-Match": headers1["ETag"]})[0] == 200
        assert fetch(new)[0] == 200
        assert any(r["id"] == "trs-2025-pingtan-html" for r in w.expected()["reports"])


def test_requests_are_logged_and_mirror_untouched(web: FixtureWeb, expected: dict) -> None:
    fetch(web.url("vsb", "/xxgk/zfxxgknb/2.htm?x=1"), headers={"User-Agent": "fixture-test"})
    entry = next(e for e in reversed(web.requests) if e["path"] == "/xxgk/zfxxgknb/2.htm")
    assert entry["site"] == "vsb" and entry["method"] == "GET" and entry["status"] == 200 and entry["query"] == "x=1"
    assert entry["host"] == web.host("vsb") and entry["headers"]["User-Agent"] == "fixture-test"
    assert not [e for e in web.requests if e["site"] == "mirror"]
    _, _, page = fetch(web.url("trs", "/zfxxgk/zfxxgknb/index.html"))
    assert web.host("mirror") in page.decode()  # the off-site link exists
    assert all(web.host("mirror") in u or "/nbsh/" in u for u in expected["must_not_request"])


def test_registry(web: FixtureWeb, tmp_path: Path) -> None:
    path = web.write_registry(tmp_path / "sites.csv")
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert list(rows[0]) == ["site_id", "name", "region_code", "region_name", "level", "start_urls", "allowed_hosts",
                             "platform", "overrides"]
    ids = {r["site_id"] for r in rows}
    assert {"trs", "hanweb", "gkmlpt", "lonsun", "vsb", "hub", "waf412", "waf521"} <= ids and "mirror" not in ids
    portal_only = [r for r in rows if all(urllib.parse.urlsplit(u).path == "/" for u in r["start_urls"].split())]
    assert len(portal_only) >= 2
    for r in rows:
        assert r["allowed_hosts"] == web.host(r["site_id"])
        assert re.fullmatch(r"\d{6}", r["region_code"])
        assert lookup(r["region_code"]) is not None, r
        for url in r["start_urls"].split():
            status = fetch(url)[0]
            assert status == (200 if not r["site_id"].startswith("waf") else int(r["site_id"][3:])), url


def test_missing_corpus_is_tolerated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NIANBAO_CORPUS", str(tmp_path))
    with FixtureWeb() as w:
        exp = w.expected()
        assert exp["missing_sources"] and all(s.startswith("shared:") for s in exp["missing_sources"])
        assert all(not r["source"].startswith("corpus/") for r in exp["reports"])
        assert any(r["carrier"] == "wps" for r in exp["reports"])
        _, _, page = fetch(w.url("trs", "/zfxxgk/zfxxgknb/index.html"))
        assert "./202503/t20250310_97791.html" not in page.decode() and "./202101/t20210128_80590.html" in page.decode()
        assert fetch(w.url("trs", "/zfxxgk/zfxxgknb/202503/t20250310_97791.html"))[0] == 404
