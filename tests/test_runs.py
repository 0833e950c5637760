"""`nianbao runs`: the store's crawl runs listed, and one summary of several (the workers of a distributed crawl)."""

from __future__ import annotations

import json
from pathlib import Path

from crawler.distributed.keys import run_note
from nianbao import exits
from storage import Store

from . import clirun


def run(*args: str, cwd: Path) -> object:
    return clirun.run(list(args), cwd=cwd, timeout=120, text=True)


def _store(tmp_path: Path) -> tuple[str, dict[str, int]]:
    """Return the URL of a store holding two overlapping worker runs of queue q (one round), an earlier round of q
    and a plain crawl run, and their ids."""
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    store = Store(url)
    store.migrate()
    ids = {}
    ids["old"] = store.start_run(["s1"], run_note("q"))
    store.finish_run(ids["old"], {"site/s1/pages": 50, "site/s1/reports_new": 40})
    ids["plain"] = store.start_run(["s9"])
    store.finish_run(ids["plain"], {"site/s9/pages": 7, "site/s9/reports_new": 1})
    ids["a"] = store.start_run(["s1", "s2"], run_note("q"))
    ids["b"] = store.start_run(["s1", "s2"], run_note("q"))  # started while a runs: the same round
    store.finish_run(ids["a"], {"site/s1/pages": 5, "site/s1/reports_new": 2, "site/s2/pages": 3,
                                "site/s2/blocked_reason": "403 ×3", "site/s1/reports_last_run": 9})  # fmt: skip
    store.finish_run(ids["b"], {"site/s1/pages": 4, "site/s1/reports_known": 1, "site/s2/pages": 1,
                                "site/s2/blocked_reason": "403 ×3", "site/s1/reports_last_run": 9})  # fmt: skip
    store.close()
    return url, ids


def test_a_queue_s_latest_round_is_summed_into_one_summary(tmp_path: Path) -> None:
    url, ids = _store(tmp_path)
    proc = run("runs", "--db", url, "--queue", "q", "--format", "json", cwd=tmp_path)
    summary = json.loads(proc.stdout)
    assert summary["runs"] == [ids["a"], ids["b"]], "the earlier round or the plain crawl was taken in"
    s1, s2 = summary["sites"]
    assert (s1["site"], s1["pages"], s1["reports_new"], s1["reports_known"]) == ("s1", 9, 2, 1)
    assert (s2["site"], s2["pages"], s2["blocked"]) == ("s2", 4, "403 ×3"), "a reason both workers gave, kept once"
    assert s1["reports_last_run"] is None, "a share of last run's figure would judge a drop"
    # s2 is blocked: the same attention line and exit status as `nianbao crawl`; s1 (3 < 9 / 2) is no drop
    assert proc.returncode == exits.ATTENTION
    lines = [x for x in proc.stderr.splitlines() if x.startswith("nianbao:")]
    assert lines == ["nianbao: s2: blocked (403 ×3)"], proc.stderr


def test_runs_named_are_combined_and_the_list_shows_each_run(tmp_path: Path) -> None:
    url, ids = _store(tmp_path)
    proc = run("runs", "--db", url, "--combine", str(ids["old"]), str(ids["plain"]), cwd=tmp_path)
    assert proc.returncode == exits.OK, proc.stderr
    assert f"runs {ids['old']}, {ids['plain']} together (finished)" in proc.stdout
    assert [line.split()[:2] for line in proc.stdout.splitlines() if line.startswith(("s1 ", "s9 "))] == [
        ["s1", "50"], ["s9", "7"]]  # fmt: skip
    listing = run("runs", "--db", url, "--last", "2", cwd=tmp_path)
    rows = [line.split() for line in listing.stdout.splitlines()[2:]]
    assert [r[0] for r in rows] == [str(ids["a"]), str(ids["b"])]
    assert rows[0][-4:] == ["8", "2", "0", "0"] and rows[1][-4:] == ["5", "0", "1", "0"]


def test_an_unknown_run_or_queue_is_refused_in_one_line(tmp_path: Path) -> None:
    url, _ = _store(tmp_path)
    for args in (["--combine", "999"], ["--queue", "other"]):
        proc = run("runs", "--db", url, *args, cwd=tmp_path)
        lines = [x for x in proc.stderr.splitlines() if x.startswith("nianbao:")]
        assert proc.returncode == exits.USAGE and len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
