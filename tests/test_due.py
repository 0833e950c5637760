"""Scheduled revisits (issue 11 item 5): the visit policy kept in the store, each site's last visit from the crawl
runs, `nianbao due`, `nianbao crawl --due`, and the README's cron recipe (`flock`, so runs never overlap)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from nianbao.demo.server import FixtureWeb
from storage import Store
from storage.visits import VisitPolicy, check_policy, last_visits, policy, set_policy, visits

from . import clirun
from .conftest import ROOT
from .test_budgets import _one_site_registry

JAN = datetime(2026, 1, 10, 2, 0, tzinfo=UTC)
JUNE = datetime(2026, 6, 10, 2, 0, tzinfo=UTC)


def test_the_default_policy_is_daily_in_the_season_and_monthly_otherwise() -> None:
    rule = VisitPolicy()
    assert rule.interval(JAN) == timedelta(days=1) and rule.interval(JUNE) == timedelta(days=30)
    assert rule.interval(datetime(2026, 4, 15, tzinfo=UTC)) == timedelta(days=1)
    assert rule.interval(datetime(2026, 4, 16, tzinfo=UTC)) == timedelta(days=30)
    assert rule.due(None, JUNE)
    assert rule.due(JAN - timedelta(hours=23, minutes=30), JAN)  # yesterday's 02:30 run: due at 02:00
    assert not rule.due(JAN - timedelta(hours=20), JAN)
    assert not rule.due(JUNE - timedelta(days=20), JUNE) and rule.due(JUNE - timedelta(days=30), JUNE)
    across = check_policy({"busy_from": "1101", "busy_to": "0415"})  # a season across the new year
    assert across.interval(datetime(2026, 12, 1, tzinfo=UTC)) == timedelta(days=1)
    assert across.interval(JUNE) == timedelta(days=30)
    for bad in ({"busy_to": "1340"}, {"quiet_days": "0"}, {"weekly": "1"}):
        with pytest.raises(ValueError):
            check_policy(bad)


def test_the_policy_and_the_last_visits_live_in_the_store(backend_db_url: str) -> None:
    with Store(backend_db_url) as store:
        store.migrate()
        assert store.write(policy) == VisitPolicy()
        store.write(lambda s: set_policy(s, VisitPolicy(quiet_days=14)))
        store.write(lambda s: set_policy(s, VisitPolicy(busy_days=2, quiet_days=14)))
        assert store.write(policy) == VisitPolicy(busy_days=2, quiet_days=14)
        a = store.start_run(["a", "b"])
        store.finish_run(a, {"site/a/pages": 3, "site/b/pages": 1}, "finished")
        b = store.start_run(["a"])
        store.finish_run(b, {"site/a/pages": 3}, "finished")
        c = store.start_run(["b"])
        store.finish_run(c, {"site/b/pages": 3}, "interrupted")  # not a visit
        runs = {r["id"]: datetime.fromisoformat(r["finished_at"]) for r in store.runs()}
        assert store.write(lambda s: last_visits(s, ["a", "b", "c"])) == {"a": runs[b], "b": runs[a]}
        now = runs[b] + timedelta(hours=1)
        got = {v.site: v for v in store.write(lambda s: visits(s, ["a", "b", "c"], now))}
    assert got["c"].due and got["c"].last is None
    assert got["a"].last == runs[b] and not got["a"].due and got["a"].next_due is not None and got["a"].next_due > now


def test_due_lists_the_sites_due_and_crawl_due_crawls_only_those(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'nianbao.sqlite'}"
    registry = tmp_path / "sites.csv"
    registry.write_text("site_id,name,region_code,start_urls,allowed_hosts\n"
                        "a,甲,320800,http://127.0.0.1:9/a/,127.0.0.1\n"
                        "b,乙,330523,http://127.0.0.1:9/b/,127.0.0.1\n", encoding="utf-8")  # fmt: skip
    with Store(db) as store:
        store.migrate()
        run = store.start_run(["a"])
        store.finish_run(run, {"site/a/pages": 4, "site/a/reports_new": 2}, "finished")
    proc = clirun.run(["due", "--sites", str(registry), "--db", db, "--format", "json"], cwd=ROOT, text=True)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert [s["site"] for s in out["sites"]] == ["b"] and out["policy"]["busy_to"] == 415
    proc = clirun.run(["due", "--sites", str(registry), "--db", db, "--all"], cwd=ROOT, text=True)
    assert proc.returncode == 0 and "never" in proc.stdout and "1 of 2 site(s) due" in proc.stderr
    proc = clirun.run(["due", "--sites", str(registry), "--db", db, "--region", "32"], cwd=ROOT, text=True)
    assert proc.returncode == 0 and "0 of 1 site(s) in region" in proc.stderr
    proc = clirun.run(["due", "--db", db, "--set-policy", "quiet_days=x"], cwd=ROOT, text=True)
    assert proc.returncode == 2 and "--set-policy" in proc.stderr
    # Only `a` was visited, and it is not due: `crawl --due` of region 32 has nothing to do, and records no run.
    argv = ["crawl", "--due", "--sites", str(registry), "--region", "32", "--db", db, "--feed", "", "--summary",
            str(tmp_path / "summary.json")]  # fmt: skip
    proc = clirun.run(argv, cwd=ROOT, text=True)
    assert proc.returncode == 0 and "nothing due" in proc.stderr, proc.stderr
    with Store(db) as store:
        assert len(store.runs()) == 1


CRON_LINE = "flock -n -E 75 {lock} nianbao crawl --due --sites {registry} --db {db} --quiet"
"""The README's cron line (`flock -n`: a run still going makes the next one exit 75 at once, crawling nothing)."""


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("flock") is None, reason="flock (util-linux) is not installed here")
def test_the_cron_recipe_never_runs_two_crawls_at_once(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'nianbao.sqlite'}"
    lock = tmp_path / "crawl.lock"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    with FixtureWeb() as web:
        registry = _one_site_registry(web, tmp_path / "sites.csv", "trs", {})
        extra = " --fast --blobs {} --feed '' --summary {} -s DOWNLOAD_DELAY=0.3".format(
            tmp_path / "blobs", tmp_path / "summary.json"
        )
        line = CRON_LINE.format(lock=lock, registry=registry, db=db) + extra
        first = subprocess.Popen(line, shell=True, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)  # fmt: skip
        deadline = time.monotonic() + 30
        while not (tmp_path / "nianbao.sqlite").exists():  # the first run holds the lock: its crawl has begun
            assert first.poll() is None and time.monotonic() < deadline, "the first run never started its crawl"
            time.sleep(0.02)
        second = subprocess.run(line, shell=True, cwd=tmp_path, env=env, capture_output=True, timeout=30)
        _out, err = first.communicate(timeout=300)
    assert second.returncode == 75, second.stderr
    assert first.returncode == 0, err.decode("utf-8", "replace")[-2000:]
    with Store(db) as store:
        assert [r["status"] for r in store.runs()] == ["finished"]  # one crawl, not two
    # A third run the next minute: the lock is free, and the site was just visited: nothing due, nothing crawled.
    third = subprocess.run(line, shell=True, cwd=tmp_path, env=env, capture_output=True, timeout=60)
    assert third.returncode == 0 and b"nothing due" in third.stderr
    with Store(db) as store:
        assert len(store.runs()) == 1


SCRAPYD_CFG = """[settings]
default = crawler.settings

[deploy]
url = http://127.0.0.1:{port}/
project = nianbao
"""
SCRAPYD_SETUP = """from setuptools import setup

setup(name="nianbao-scrapyd", version="1.0", packages=[], entry_points={"scrapy": ["settings = crawler.settings"]})
"""
"""The README's scrapyd recipe: nianbao is installed where scrapyd runs; the egg deployed carries the settings."""


def _scrapyd_bin() -> Path | None:
    """Return the folder of `scrapyd` and `scrapyd-deploy` whose Python imports nianbao's crawler, or None.

    NIANBAO_SCRAPYD_BIN names it (scrapyd is no dependency of nianbao: it installs with pip into the venv of the
    scrapyd host, beside nianbao); else this interpreter's folder (the test extra installs scrapyd there), else the
    folder of a `scrapyd` on PATH."""
    beside = Path(sys.executable).parent  # the test venv: `pip install -e '.[test]'` brings scrapyd
    where = os.environ.get("NIANBAO_SCRAPYD_BIN") or (beside.as_posix() if (beside / "scrapyd").exists() else None)
    where = where or Path(shutil.which("scrapyd") or "").parent.as_posix()
    folder = Path(where) if where and where != "." else None
    if folder is None or not (folder / "scrapyd").exists() or not (folder / "scrapyd-deploy").exists():
        return None
    python = folder / "python"
    ok = python.exists() and subprocess.run([str(python), "-c", "import crawler.settings"], cwd="/",
                                            capture_output=True).returncode == 0  # fmt: skip
    return folder if ok else None


def _get(url: str, data: dict[str, str | list[str]] | None = None) -> dict:
    from urllib.parse import urlencode
    from urllib.request import urlopen

    body = urlencode(data, doseq=True).encode() if data is not None else None
    with urlopen(url, body, timeout=10) as answer:
        return json.loads(answer.read())


@pytest.mark.slow
def test_the_scrapyd_recipe_deploys_and_schedules_a_crawl(tmp_path: Path) -> None:
    folder = _scrapyd_bin()
    if folder is None:
        pytest.skip("scrapyd is not installed beside nianbao here: pip install scrapyd scrapyd-client into the venv "
                    "that has nianbao (or set NIANBAO_SCRAPYD_BIN to that venv's bin folder)")  # fmt: skip
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server, project = tmp_path / "server", tmp_path / "project"
    server.mkdir()
    project.mkdir()
    (server / "scrapyd.conf").write_text(f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\n"
                                         "eggs_dir = eggs\nlogs_dir = logs\nitems_dir =\ndbs_dir = dbs\n")  # fmt: skip
    (project / "scrapy.cfg").write_text(SCRAPYD_CFG.format(port=port))
    (project / "setup.py").write_text(SCRAPYD_SETUP)
    base = f"http://127.0.0.1:{port}"
    daemon = subprocess.Popen([str(folder / "scrapyd")], cwd=server, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert _get(f"{base}/daemonstatus.json")["status"] == "ok"
                break
            except OSError:
                assert daemon.poll() is None and time.monotonic() < deadline, "scrapyd did not start"
                time.sleep(0.2)
        deploy = subprocess.run([str(folder / "scrapyd-deploy")], cwd=project, capture_output=True, timeout=120)
        assert deploy.returncode == 0, deploy.stderr
        assert _get(f"{base}/listspiders.json?project=nianbao")["spiders"] == ["annual_reports"]
        db = f"sqlite:///{tmp_path / 'store.sqlite'}"
        with FixtureWeb() as web:
            registry = _one_site_registry(web, tmp_path / "sites.csv", "trs", {})
            settings = [f"NIANBAO_DB={db}", f"NIANBAO_BLOBS={tmp_path / 'blobs'}", "AUTOTHROTTLE_ENABLED=False",
                        "DOWNLOAD_DELAY=0", f"NIANBAO_SUMMARY={tmp_path / 'summary.json'}"]  # fmt: skip
            job = _get(f"{base}/schedule.json", {"project": "nianbao", "spider": "annual_reports",
                                                 "sites": str(registry), "setting": settings})  # fmt: skip
            assert job["status"] == "ok", job
            deadline = time.monotonic() + 180
            while not any(j["id"] == job["jobid"] for j in _get(f"{base}/listjobs.json?project=nianbao")["finished"]):
                assert time.monotonic() < deadline, "the scheduled crawl did not finish in 3 minutes"
                time.sleep(0.5)
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)
    [row] = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))["sites"]
    assert row["reports_new"] > 0
    with Store(db) as store:
        [run] = store.runs()
    assert run["status"] == "finished" and run["stats"]["site/trs/reports_new"] == row["reports_new"]
