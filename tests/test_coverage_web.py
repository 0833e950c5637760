"""Coverage on a web with a known answer (issue 10, item 5): the real crawler on web2's 安吉县 platform (site 43),
then `nianbao coverage --region 330523 --year 2024 --format json`, compared body by body with the oracle
fixtures/web2/coverage-330523-2024.json (written by `python -m fixtures.web2.sites_c --write-coverage`).

The county lists 15 units on its 信息公开 platform and names a 16th only in its 2024 公布情况 notice; for 2024 some
published on time, some late, some never, one only as a PDF attachment, one on a page without any date, one under
a name changed since 2023; 乡镇/街道 have no deadline. `failed_checks` (rule ids at severity E)
and `ambiguous_cells` are what `extractors.extract` gives the served documents with the page's publication date.
"""

from __future__ import annotations

import csv
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fixtures.web2 import Web2
from fixtures.web2.sites_c import COVERAGE_FILE, REGION, YEAR

from . import clirun

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("coverage_web")]

ROOT = Path(__file__).resolve().parents[1]
SITE = "aj-units"
ORACLE: list[dict[str, Any]] = json.loads(COVERAGE_FILE.read_text(encoding="utf-8"))
KEYS = ("body", "body_key", "level", "region_code", "status", "published_at", "deadline", "days_late", "urls",
        "format", "failed_checks", "ambiguous_cells")  # fmt: skip


def _cli(args: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    return clirun.run(args, cwd=cwd, timeout=timeout, text=True)


def _tail(text: str, n: int = 1500) -> str:
    return text[-n:].strip()


@pytest.fixture(scope="module")
def coverage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[dict[str, Any]] | str, int]]:
    """(the coverage rows, or why there are none, as one line; the web's port)."""
    tmp = tmp_path_factory.mktemp("coverage_web")
    with Web2() as web:
        rows = list(csv.reader(web.write_registry(tmp / "all.csv").open(encoding="utf-8")))
        registry = tmp / "sites.csv"
        with registry.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([rows[0], *(r for r in rows[1:] if r[0] == SITE)])
        db = f"sqlite:///{tmp / 'store.sqlite'}"
        crawl = _cli(["crawl", "--sites", str(registry), "--fast", "--db", db, "--feed", str(tmp / "feed.jsonl"),
                      "--summary", str(tmp / "summary.json"), "--quiet"], tmp, 600)  # fmt: skip
        if crawl.returncode not in (0, 1):
            yield f"the crawl of {SITE} failed (exit {crawl.returncode}): {_tail(crawl.stderr)}", web.port
            return
        helped = _cli(["coverage", "--help"], tmp, 120)
        if helped.returncode != 0:
            yield f"coverage command not available (`nianbao coverage --help` exit {helped.returncode}: " \
                  f"{_tail(helped.stderr, 300)})", web.port  # fmt: skip
            return
        out = _cli(["coverage", "--region", REGION, "--year", str(YEAR), "--format", "json", "--db", db], tmp, 300)
        if out.returncode not in (0, 1):  # 1: some obliged body is missing or late (this county has both)
            yield f"`nianbao coverage` exit {out.returncode}: {_tail(out.stderr or out.stdout)}", web.port
            return
        try:
            data = json.loads(out.stdout)
        except json.JSONDecodeError as exc:
            yield f"`nianbao coverage --format json` printed no JSON ({exc}): {out.stdout[:300]!r}", web.port
            return
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            yield f"`nianbao coverage --format json` printed no array of objects: {out.stdout[:300]!r}", web.port
            return
        yield data, web.port


def _rows(coverage: tuple[list[dict[str, Any]] | str, int]) -> tuple[list[dict[str, Any]], int]:
    got, port = coverage
    if isinstance(got, str):
        pytest.fail(got, pytrace=False)
    return got, port


def _norm(key: str, value: Any, port: int) -> Any:
    """A field in comparable form: dates as YYYY-MM-DD, URL and id lists as sorted lists, the port filled."""
    if key in ("published_at", "deadline") and isinstance(value, str):
        return value[:10]
    if key == "urls" and isinstance(value, list):
        return sorted(str(u).replace("{port}", str(port)) for u in value)
    if key == "failed_checks" and isinstance(value, list):
        return sorted({c.get("rule") if isinstance(c, dict) else c for c in value})
    if key == "ambiguous_cells" and isinstance(value, list):
        return sorted(c.get("path", c) if isinstance(c, dict) else c for c in value)
    return value


def test_the_obliged_bodies_are_the_oracles(coverage: tuple[list[dict[str, Any]] | str, int]) -> None:
    got, _port = _rows(coverage)
    keys = [r.get("body_key") for r in got]
    dup = sorted({k for k in keys if keys.count(k) > 1}, key=str)
    assert not dup, f"body keys listed more than once: {dup}"
    want = {r["body_key"] for r in ORACLE}
    missing = sorted(want - set(keys))
    extra = sorted({f"{r.get('body_key')} ({r.get('status')})" for r in got if r.get("body_key") not in want})
    assert not missing and not extra, f"bodies not in the coverage: {missing}; bodies not in the oracle: {extra}"


@pytest.mark.parametrize("want", ORACLE, ids=[f"{i:02d}-{r['level']}-{r['status']}" for i, r in enumerate(ORACLE)])
def test_body(coverage: tuple[list[dict[str, Any]] | str, int], want: dict[str, Any]) -> None:
    got, port = _rows(coverage)
    row = next((r for r in got if r.get("body_key") == want["body_key"]), None)
    assert row is not None, f"{want['body']} ({want['body_key']}, expected {want['status']}): no coverage row"
    diff = {
        k: (_norm(k, row.get(k, "<absent>"), port), _norm(k, want[k], port))
        for k in KEYS
        if _norm(k, row.get(k, "<absent>"), port) != _norm(k, want[k], port)
    }
    lines = "\n".join(f"  {k}: got {g!r}, expected {w!r}" for k, (g, w) in diff.items())
    assert not diff, f"{want['body']} ({want['body_key']}):\n{lines}"
