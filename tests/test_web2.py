"""The second fixture web itself (fixtures/web2): it serves what its oracle says, and its reports are reports.

Not a crawler recall test: bench/discovery.py measures the crawler on this web.
"""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import lxml.html
import pytest

from crawler.article_parts import assemble, part_of, part_urls
from crawler.registry import load_sites
from extractors import extract
from fixtures.web2 import Web2
from fixtures.web2.server import EXPECTED_FILE, oracle
from fixtures.web2.sites_d import GATE_COOKIE


@pytest.fixture(scope="module")
def web() -> Iterator[Web2]:
    with Web2() as w:
        yield w


def get(url: str, headers: dict[str, str] | None = None, data: bytes | None = None) -> tuple[int, bytes, dict]:
    """Fetch `url` as a client that passed the WAF in front of a gated site (it sends the gate's cookie)."""
    req = urllib.request.Request(url, headers={"Cookie": f"{GATE_COOKIE}=passed", **(headers or {})}, data=data)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def test_a_gated_site_answers_its_challenge_until_its_cookie_is_sent(web: Web2) -> None:
    gated = next(s for s in web.sites.values() if getattr(s, "gate", None))
    home = f"http://{gated.ip}:{web.port}/"
    status, body, _ = urllib_get(home)
    assert status == 412 and b"$_ts" in body and GATE_COOKIE.encode() in body
    assert urllib_get(f"http://{gated.ip}:{web.port}/robots.txt")[0] == 200
    assert get(home)[0] == 200


def urllib_get(url: str) -> tuple[int, bytes, dict]:
    """Fetch `url` as a client that runs no script."""
    try:
        with urllib.request.urlopen(url, timeout=20) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def test_expected_json_is_current() -> None:
    written = json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))
    assert json.loads(json.dumps(oracle(), ensure_ascii=False)) == written


def test_shape_of_the_web(web: Web2) -> None:
    exp = web.expected()
    assert len(exp["sites"]) >= 8
    ips = [s["ip"] for s in exp["sites"]]
    assert len(set(ips)) == len(ips)
    kinds = {n["kind"] for n in exp["negatives"]}
    assert {"解读", "图解", "公布情况", "格式通知", "函", "预算决算"} <= kinds
    carriers = {r["carrier"] for r in exp["reports"]}
    assert {"html", "pdf", "docx", "doc", "wps"} <= carriers
    jyh = [r for r in exp["reports"] if r["site"] == "siy-jyh"]
    assert len({r["body"] for r in jyh}) >= 10
    assert len({r["sha256"] for r in exp["reports"]}) == len(exp["reports"])


def test_every_report_url_serves_its_bytes(web: Web2) -> None:
    for rep in web.expected()["reports"]:
        for url in rep["urls"]:
            status, body, _ = get(url)
            assert status == 200, url
            assert hashlib.sha256(body).hexdigest() == rep["sha256"], url


def test_negatives_and_lists_are_served(web: Web2) -> None:
    exp = web.expected()
    for neg in exp["negatives"]:
        assert get(neg["url"])[0] == 200, neg["url"]
    for entry in exp["lists"]:
        if entry["match"] == "url":
            assert get(entry["url"])[0] == 200, entry["url"]


def _whole(url: str, body: bytes) -> bytes:
    """Return the report whose first page is `body` at `url` with the pages it was cut into (as a crawl assembles
    them); the page itself where it names none."""
    pages, queue, seen = {0: (url, body.decode("utf-8"))}, [url], {url}
    while queue:
        at = queue.pop(0)
        text = pages[part_of(at).index][1]  # type: ignore[union-attr]
        root = lxml.html.fromstring(text)
        root.make_links_absolute(at)
        for more in part_urls(at, text, [link for _, _, link, _ in root.iterlinks()]):
            if more not in seen:
                seen.add(more)
                status, data, _ = get(more)
                if status == 200:
                    pages[part_of(more).index] = (more, data.decode("utf-8"))  # type: ignore[union-attr]
                    queue.append(more)
    made = assemble([pages[k] for k in sorted(pages)]) if len(pages) > 1 else None
    return made[0] if made is not None else body


@pytest.mark.slow  # every document of the second web extracted
def test_every_report_is_read_as_a_report_of_its_year(web: Web2, tmp_path: Path) -> None:
    failures = []
    for rep in web.expected()["reports"]:
        _status, body, _ = get(rep["urls"][0])
        if part_of(rep["urls"][0]) is not None:
            body = _whole(rep["urls"][0], body)  # a report cut into pages is read whole (tests/test_split_reports.py)
        f = tmp_path / f"{rep['id']}.{rep['carrier']}"
        f.write_bytes(body)
        try:
            rec = extract(f)
        except Exception as exc:
            failures.append((rep["id"], type(exc).__name__))
            continue
        if (rec["year"], rec["agency"], rec["format"]) != (rep["year"], rep["agency"], rep["format"]):
            failures.append((rep["id"], rec["year"], rec["agency"], rec["format"]))
    assert not failures


def test_conditional_requests_answer_304(web: Web2) -> None:
    url = web.url("yc-trs", "/xxgk/zfxxgknb/index.htm")
    status, _, headers = get(url)
    assert status == 200 and headers.get("ETag") and headers.get("Last-Modified")
    assert get(url, {"If-None-Match": headers["ETag"]})[0] == 304
    assert get(url, {"If-Modified-Since": headers["Last-Modified"]})[0] == 304


def test_list_mechanisms_answer_as_described(web: Web2) -> None:
    # truecms: 404 without a same-site Referer, JSONP with it
    api = web.url(
        "rg-truecms",
        "/messageController/getMessage.do?startrecord=1&endrecord=10&perpage=10"
        "&columnId=8a8081e57f1b2c3d017f1b4e2a9c0012&callback=cb",
    )
    assert get(api)[0] == 404
    status, body, _ = get(api, {"Referer": web.url("rg-truecms", "/zfxxgk/zfxxgknb/index.html")})
    assert status == 200 and body.startswith(b"cb(")
    # hanweb v2: GET with camelCase names; POST refused
    proxy = web.url("sy-hanweb", "/module/web/jpage/dataproxy.jsp?page=2&columnId=1229100012&perPage=5")
    status, body, _ = get(proxy)
    assert status == 200 and body.count(b"<record>") == 5
    assert get(proxy, data=b"page=2")[0] == 405
    # epoint: the list needs the siteGuid from webBuilderCommon.js
    ep = web.url("ks-epoint", "/EWB-FRONT/rest/lightfrontaction/getgovinfolist")
    payload = {
        "siteGuid": "7eb5f7f1-9041-43ad-8e13-8fcb82ea831a",
        "deptcode": "",
        "categorynum": "003001",
        "pageIndex": 0,
        "pageSize": 6,
    }
    body = get(ep, {"Content-Type": "application/json"}, json.dumps({"params": json.dumps(payload)}).encode())[1]
    assert len(json.loads(body)["custom"]["infodata"]) == 6


def test_registry_is_readable_by_the_crawler(web: Web2, tmp_path: Path) -> None:
    sites = load_sites(web.write_registry(tmp_path / "sites.csv"))
    assert len(sites) == len([s for s in web.sites.values() if s.listed])
    assert any(not s.region_code for s in sites) and any(s.region_code for s in sites)
