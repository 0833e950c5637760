"""The harvest report in a real browser (issue 12, item 2): Debian's Chromium, headless, driven by Playwright over
the DevTools protocol, opens the page `nianbao report` writes for the demo web's first crawl. It takes screenshots
at desktop and phone widths and asserts what a person sees through the DOM: the coverage counts, a report's cells,
a failing cell highlighted with its rule, sorting, filtering and paging, and no request to any network address.

Screenshots are kept under pytest's temporary folder (`report-screenshots/`) and copied to $NIANBAO_ARTIFACTS
where that is set. Skipped, saying why, where Playwright or Chromium is not installed (`make test` installs both).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from extractors.layout import check_cells, layout
from storage import Store
from storage.coverage import coverage_rows, online_date, totals

from .clirun import run
from .conftest import ROOT, FirstCrawl

pytestmark = pytest.mark.slow

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
LOCAL = ("file:", "data:", "about:")


def _chromium() -> str:
    """Return the Chromium binary to drive, or skip the module saying what is missing."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("playwright is not installed: pip install -e '.[test]' (it drives the system Chromium)")
    found = os.environ.get("NIANBAO_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.skip("Chromium is not installed: `make system-deps` (Debian: apt-get install chromium)")
    return found


class Harvest(NamedTuple):
    """The demo web's first crawl and the report page of it."""

    page: Path
    reports: list[dict[str, Any]]
    bodies: list[Any]
    db: str


@pytest.fixture(scope="module")
def harvest(first_crawl: FirstCrawl, tmp_path_factory: pytest.TempPathFactory) -> Harvest:
    """The report page of the demo web's first crawl, with the stored reports and obliged bodies it shows."""
    out = tmp_path_factory.mktemp("report_browser")
    db = f"sqlite:///{first_crawl.out / 'nianbao.sqlite'}"
    proc = run(["report", "--db", db, "--out", str(out / "report.html")], cwd=ROOT, text=True)
    assert proc.returncode == 0, proc.stderr
    store = Store(db)
    try:
        reports, bodies = list(store.reports()), store.bodies()
    finally:
        store.close()
    assert reports, "the first crawl stored no report"
    return Harvest(out / "report.html", reports, bodies, db)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    binary = _chromium()
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=binary, args=["--no-sandbox"])
        yield chromium
        chromium.close()


class Visit:
    """One page opened in a fresh browser context, every request it makes recorded (and any non-local one refused)."""

    def __init__(self, browser: Any, path: Path, fragment: str = "", viewport: dict[str, int] = DESKTOP) -> None:
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport=viewport, service_workers="block")
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.goto(path.as_uri() + fragment)
        self.page.wait_for_selector("body[data-ready]")

    def _route(self, route: Any) -> None:
        url = route.request.url
        self.requests.append(url)
        if url.startswith(LOCAL):
            route.continue_()
        else:
            route.abort()

    def close(self) -> None:
        """Close the context; fail where the page made a network request or raised a script error."""
        self.context.close()
        network = [u for u in self.requests if not u.startswith(LOCAL)]
        assert not network, f"the page requested network addresses: {network[:5]}"
        assert not self.errors, f"script errors: {self.errors[:3]}"


@pytest.fixture
def visit(browser: Any, harvest: Harvest) -> Iterator[Any]:
    opened: list[Visit] = []

    def open_(fragment: str = "", viewport: dict[str, int] = DESKTOP) -> Visit:
        opened.append(Visit(browser, harvest.page, fragment, viewport))
        return opened[-1]

    yield open_
    for v in opened:
        v.close()


def _keep(shot: Path) -> None:
    """Copy a screenshot to $NIANBAO_ARTIFACTS where that is set."""
    folder = os.environ.get("NIANBAO_ARTIFACTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy2(shot, Path(folder) / shot.name)


def _failing(reports: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any], str]:
    """Return (a report, an error-level check of it, a drawn cell the check is shown on)."""
    for report in reports:
        formats = report.get("table_formats") or {}
        drawn = {c.name for t in ("proactive", "requests", "review_litigation") if report.get(t) is not None
                 for c in layout(t, formats.get(t) or report.get("format")).cells()}  # fmt: skip
        for check in report.get("checks") or []:
            cells = [c for c in check_cells(check) if c in drawn]
            if check.get("severity") == "E" and cells:
                return report, check, cells[-1]
    pytest.fail("no report of the demo web fails an error-level check on a table cell")


def test_screenshots_at_desktop_and_phone_widths(visit: Any, harvest: Harvest,
                                                 tmp_path_factory: pytest.TempPathFactory) -> None:  # fmt: skip
    folder = tmp_path_factory.mktemp("report-screenshots")
    report, _, _ = _failing(harvest.reports)
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        for view, fragment in (("overview", ""), ("report", f"#report-{report['report_id']}")):
            v = visit(fragment, viewport)
            shot = folder / f"report-{view}-{name}.png"
            v.page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            _keep(shot)
            # The page itself never scrolls sideways: wide tables scroll inside their own frame.
            overflow = v.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{view} at {name} width is {overflow}px wider than the screen"


def test_the_coverage_counts_are_shown(visit: Any, harvest: Harvest) -> None:
    reports, bodies = harvest.reports, harvest.bodies
    v = visit("#coverage")
    shown = v.page.evaluate("""() => [...document.querySelectorAll('table[data-grid="coverage-summary"] tbody tr')]
        .filter((tr) => tr.dataset.region === '*').map((tr) => ({year: +tr.dataset.year, level: tr.dataset.level,
        counts: Object.fromEntries([...tr.cells].map((td) => [td.dataset.key, td.innerText.trim()]))}))""")
    years = sorted({r["year"] for r in reports if isinstance(r.get("year"), int)})
    checked = 0
    for year in years:
        want = totals(coverage_rows(bodies, [r for r in reports if r.get("year") == year], year))
        got = {s["level"]: s["counts"] for s in shown if s["year"] == year}
        assert sorted(got) == sorted(want), year
        for level, per in want.items():
            for status, n in per.items():
                assert got[level][status] == str(n), (year, level, status)
                checked += 1
            assert got[level]["total"] == str(sum(per.values()))
    assert checked


def test_a_region_s_counts_are_what_nianbao_coverage_prints(visit: Any, harvest: Harvest) -> None:
    v = visit("#coverage")
    row = v.page.locator('table[data-grid="coverage-summary"] tbody tr:not([data-region="*"]):not([data-region=""])')
    first = row.first
    region, year = first.get_attribute("data-region"), first.get_attribute("data-year")
    shown: dict[str, dict[str, str]] = {}
    for i in range(row.count()):
        tr = row.nth(i)
        if tr.get_attribute("data-region") == region and tr.get_attribute("data-year") == year:
            cells = tr.locator("td")
            shown[tr.get_attribute("data-level")] = {
                cells.nth(k).get_attribute("data-key"): cells.nth(k).inner_text().strip() for k in range(cells.count())}
    proc = run(["coverage", "--db", harvest.db, "--region", region, "--year", year, "--format", "json"], cwd=ROOT,
               text=True)  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    printed: dict[str, dict[str, int]] = {}
    for r in json.loads(proc.stdout):
        printed.setdefault(r["level"], {}).setdefault(r["status"], 0)
        printed[r["level"]][r["status"]] += 1
    assert sorted(shown) == sorted(printed)
    for level, per in printed.items():
        for status, n in per.items():
            assert shown[level][status] == str(n), (region, year, level, status)


def test_a_report_s_cells_are_drawn(visit: Any, harvest: Harvest) -> None:
    reports = harvest.reports
    report = max(reports, key=lambda r: sum(v is not None for row in (r.get("requests") or {}).values() for v in row))
    v = visit(f"#report-{report['report_id']}")
    shown = v.page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('#report-view td[data-cell]')]
        .filter((td) => td.offsetParent !== null)
        .map((td) => [td.dataset.cell, td.firstChild ? td.firstChild.textContent : '']))""")
    formats = report.get("table_formats") or {}
    compared = 0
    for table in ("proactive", "requests", "review_litigation"):
        if report.get(table) is None:
            continue
        drawn = layout(table, formats.get(table) or report.get("format"))
        for row in (r for b in drawn.blocks for r in b.rows if not r.derived):
            for spec in row.cells:
                value = spec.value(report)
                assert shown.get(spec.name) == ("" if value is None else str(value)), spec.name
                compared += 1
    assert compared >= 150
    assert v.page.locator("#report-title").inner_text() == (report.get("title") or report.get("body"))
    for url in report["sources"]:
        assert v.page.locator(f'#report-view a[href="{url}"]').count() == 1


def test_a_failing_cell_is_highlighted_with_its_rule(visit: Any, harvest: Harvest) -> None:
    report, check, cell = _failing(harvest.reports)
    v = visit(f"#report-{report['report_id']}")
    td = v.page.locator(f'#report-view td[data-cell="{cell}"]')
    assert td.is_visible()
    assert "fail" in (td.get_attribute("class") or "").split()
    assert check["rule"] in (td.get_attribute("data-rules") or "").split()
    assert check["rule"] in td.inner_text()
    colour = td.evaluate("(e) => getComputedStyle(e).backgroundColor")
    plain = v.page.locator('#report-view td[data-cell]:not(.fail):not(.warn):not(.info):not(.ambiguous)').first
    assert colour != plain.evaluate("(e) => getComputedStyle(e).backgroundColor")
    note = v.page.locator(f'#report-view li[data-cell="{cell}"][data-rule="{check["rule"]}"]').first.inner_text()
    for key in ("expected", "found"):
        if check.get(key) is not None:
            assert f"{key} {json.dumps(check[key], ensure_ascii=False) if isinstance(check[key], list | dict) else check[key]}" in note


def test_tables_sort_filter_and_page(visit: Any, harvest: Harvest) -> None:
    reports, bodies = harvest.reports, harvest.bodies
    v = visit("#reports")
    grid = v.page.locator('table[data-grid="reports"]')
    rows = grid.locator("tbody tr")
    assert rows.count() == min(len(reports), 50)
    grid.locator('th[data-key="published"]').click()
    dates = [d for d in rows.locator('td[data-key="published"]').all_inner_texts() if d]
    assert dates == sorted(dates) and dates
    grid.locator('th[data-key="published"]').click()
    newest = max(d.isoformat() for r in reports if (d := online_date(r)) is not None)
    assert next(d for d in rows.locator('td[data-key="published"]').all_inner_texts() if d) == newest
    failing = sorted({c["rule"] for r in reports for c in r.get("checks") or []})
    rule = failing[0]
    v.page.locator('#report-table select[data-filter="rules"]').select_option(rule)
    assert rows.count() == sum(any(c["rule"] == rule for c in r.get("checks") or []) for r in reports)
    for text in rows.locator('td[data-key="rules"]').all_inner_texts():
        assert rule in text.split()
    cover = v.page.locator('table[data-grid="coverage"] tbody tr')
    v.page.locator('#coverage-rows select[data-filter="status"]').select_option("missing")
    years = sorted({r["year"] for r in reports if isinstance(r.get("year"), int)})
    missing = sum(row.status == "missing" for y in years
                  for row in coverage_rows(bodies, [r for r in reports if r.get("year") == y], y))  # fmt: skip
    assert missing, "the demo web's harvest has no missing report"
    count = v.page.locator("#coverage-rows .count").inner_text()
    assert count.startswith(f"{missing} of ")
    assert set(cover.locator('td[data-key="status"]').all_inner_texts()) == {"missing"}
    if missing > 50:
        v.page.locator("#coverage-rows .pager button", has_text="next").click()
        assert cover.count() == min(50, missing - 50)
