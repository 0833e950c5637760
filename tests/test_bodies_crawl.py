"""A crawl keeps the bodies it meets: the units a 集约化 platform lists (with their 年报 columns) and those a
公布情况 notice names, on the second fixture web's platform site, in a real store."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from fixtures.web2 import Web2
from storage import Store

from . import clirun
from .conftest import ROOT

pytestmark = pytest.mark.slow


def test_a_crawl_of_a_platform_keeps_its_units_with_their_columns(tmp_path: Path) -> None:
    with Web2() as web:
        rows = list(csv.DictReader(web.write_registry(tmp_path / "all.csv").open(encoding="utf-8")))
        families = {s["id"]: s["family"] for s in web.expected()["sites"]}
        platform = next(r for r in rows if "集约化" in families[r["site_id"]])
        with (tmp_path / "sites.csv").open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerow(platform)
        db = f"sqlite:///{tmp_path / 'db.sqlite'}"
        run = clirun.run(["crawl", "--sites", str(tmp_path / "sites.csv"), "--fast", "--db", db, "--blobs",
                          str(tmp_path / "blobs"), "--quiet", "--feed", str(tmp_path / "feed.jsonl"), "--summary",
                          str(tmp_path / "s.json")], cwd=ROOT, timeout=600, text=True)  # fmt: skip
        assert run.returncode == 0, run.stderr[-2000:]
        listed = {r["agency"] for r in web.expected()["reports"] if r["site"] == platform["site_id"]}
    with Store(db) as store:
        bodies = list(store.bodies())
        stored = {r["body_key"] for r in store.reports(latest_only=False)}
    assert len(bodies) >= 10, [b.body_key for b in bodies]
    assert all(b.column_url and "platform" in {e["kind"] for e in b.evidence} for b in bodies)
    assert {b.level for b in bodies} >= {"government", "department", "township"}
    keys = {b.body_key for b in bodies}
    assert stored <= keys, f"reports whose body the platform did not list: {sorted(stored - keys)}"
    assert len(listed) >= len(stored) > 0
