"""The site registry: loading, region prefixes, and the shipped registry of real sites."""

from __future__ import annotations

import csv

import pytest

from crawler.registry import RegistryError, load_sites, sites_from_urls

from .conftest import ROOT, SHARED


def test_shipped_registry_region_codes_are_real_gbt2260_codes():
    regions = SHARED / "data" / "regions"
    if not regions.is_dir():
        pytest.skip(f"region tables not found at {regions}")
    names = {}
    for name, pad in (("provinces.csv", 4), ("cities.csv", 2), ("areas.csv", 0)):
        with (regions / name).open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                names[row["code"] + "0" * pad] = row["name"]
    sites = load_sites(ROOT / "crawler" / "sites.csv")
    assert len(sites) >= 20
    for site in sites:
        assert site.region_code in names, site.site_id
        assert names[site.region_code] in site.region_name, site.site_id
        assert all(site.allows(u) for u in site.start_urls), site.site_id


def test_region_prefix_selects_sites():
    jiangsu = load_sites(ROOT / "crawler" / "sites.csv", region="32")
    assert jiangsu and all(s.region_code.startswith("32") for s in jiangsu)
    assert {s.site_id for s in load_sites(ROOT / "crawler" / "sites.csv", region="3208")} == {"huaian", "hongze"}


def test_bad_registries_are_refused(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("site_id,name\nx,y\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="start_urls"):
        load_sites(bad)
    bad.write_text("site_id,start_urls\nx,ftp://a/\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="http"):
        load_sites(bad)
    bad.write_text("site_id,start_urls\nx,http://a/\nx,http://b/\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="duplicate"):
        load_sites(bad)


def test_urls_become_sites_by_host():
    sites = sites_from_urls(["http://a.gov.cn/x", "http://a.gov.cn/y", "http://127.0.0.5:8099/"])
    assert [s.site_id for s in sites] == ["a.gov.cn", "127.0.0.5:8099"]
    assert sites[0].start_urls == ("http://a.gov.cn/x", "http://a.gov.cn/y")
    assert sites[1].allows("http://127.0.0.5:8099/z") and not sites[1].allows("http://127.0.0.5:8100/z")
    assert not sites[0].allows("http://evil.example/a.gov.cn")


def test_a_government_site_reaches_its_bodys_other_hosts_and_nothing_else():
    [portal] = sites_from_urls(["http://www.sxgp.gov.cn/"])
    # The portal's own domain: the bare domain it redirects to, its 信息公开 platform, a department, a file host.
    for url in ("http://sxgp.gov.cn/", "http://xxgk.sxgp.gov.cn/gzbm/zfbgs/zfxxgknb/", "https://jyj.sxgp.gov.cn/a",
                "http://file.sxgp.gov.cn/P020230118.pdf"):  # fmt: skip
        assert portal.allows(url), url
    # Another body's domain, a look-alike, a mirror carrying the host in its name, another port, the central portal.
    for url in ("http://www.jcgp.gov.cn/", "http://evilsxgp.gov.cn/", "http://www.sxgp.gov.cn.mirror.com/",
                "http://xxgk.sxgp.gov.cn:8080/", "http://www.gov.cn/zhengce/"):  # fmt: skip
        assert not portal.allows(url), url
    # A platform host reaches its own subdomains, not its parent's other hosts.
    [platform] = sites_from_urls(["http://xxgk.sxgp.gov.cn/"])
    assert platform.allows("http://file.xxgk.sxgp.gov.cn/a.pdf") and not platform.allows("http://www.sxgp.gov.cn/")
    # Hosts outside .gov.cn stay as named: a mirror's subdomains are not the site's.
    [mirror] = sites_from_urls(["http://www.example.com/"])
    assert not mirror.allows("http://cdn.example.com/a.pdf")
    [central] = sites_from_urls(["http://www.gov.cn/"])
    assert not central.allows("http://www.bjdch.gov.cn/") and central.gov_domains == frozenset()


@pytest.mark.parametrize(
    ("overrides", "says"),
    [('{"max_pages": "lots"}', "max_pages must be a whole number"), ('{"pages_per_report": -1}', "pages_per_report"),
     ('{"max_depth": 2.5}', "max_depth"), ('{"max_list_pages": "10"}', "max_list_pages"), ('{"max_pages": true}', "max_pages"), ('{"skip": "("}', "skip is not a regular"),
     ('{"follow": 3}', "follow is not a regular")],
)  # fmt: skip
def test_overrides_a_crawl_would_trip_on_are_refused_when_the_registry_is_read(tmp_path, overrides, says):
    # Read when the first request of the site is made, an override like these raised in the crawl's callback.
    bad = tmp_path / "bad.csv"
    with bad.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["site_id", "start_urls", "overrides"], ["x", "http://a/", overrides]])
    with pytest.raises(RegistryError, match=f"row 2: overrides {says}"):
        load_sites(bad)
    with bad.open("w", newline="", encoding="utf-8") as fh:
        good = '{"max_pages": 5, "max_depth": 0, "pages_per_report": 0, "skip": "/print/", "follow": "xxgk"}'
        csv.writer(fh).writerows([["site_id", "start_urls", "overrides"], ["x", "http://a/", good]])
    assert load_sites(bad)[0].overrides["max_pages"] == 5
