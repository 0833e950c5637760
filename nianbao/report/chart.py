"""The chart of publication dates against the deadlines, drawn as inline SVG (no script, no network).

One chart per report year: a bar per day or per week (wide spans) counting the reports that went online in
it, stacked by coverage status, and a dashed line at each deadline with the levels it applies to.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

COLOURS = {"on_time": "#2e7d32", "late": "#c62828", "unlisted": "#757575"}
"""Status → bar colour (the statuses that have a publication date; `undated` and `missing` have none)."""
LEVEL_NAMES = {"government": "本级政府", "department": "部门", "township": "乡镇/街道", "other": "其他"}
"""Level → its Chinese name on a deadline's label."""
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 760, 260, 44, 16, 40, 48


MAX_BARS = 160
"""The most bars a chart draws: a longer span is binned by week, then by as many days as keep it under this."""


def _bins(first: dt.date, last: dt.date) -> tuple[dt.date, int]:
    """Return the first bin's day and the bin width in days: a day where the span allows, else a week or more."""
    span = (last - first).days + 1
    if span <= MAX_BARS:
        return first, 1
    width = max(7, -(-span // MAX_BARS))
    return first - dt.timedelta(days=first.weekday()), width


def year_chart(year: int, rows: Iterable[Mapping[str, Any]]) -> str:
    """Return the SVG of one year's coverage rows (dicts with `status`, `published_at`, `deadline`, `level`), or
    "" where no row has a publication date."""
    rows = list(rows)
    dated = [(dt.date.fromisoformat(r["published_at"][:10]), r["status"]) for r in rows
             if r.get("published_at") and r.get("status") in COLOURS]  # fmt: skip
    if not dated:
        return ""
    lines: dict[dt.date, set[str]] = defaultdict(set)
    for r in rows:
        if r.get("deadline"):
            lines[dt.date.fromisoformat(r["deadline"][:10])].add(LEVEL_NAMES.get(r.get("level"), r.get("level") or ""))
    days = [d for d, _ in dated] + list(lines)
    start, width = _bins(min(days), max(days))
    count = (max(days) - start).days // width + 1
    stacks: dict[int, Counter[str]] = defaultdict(Counter)
    for day, status in dated:
        stacks[(day - start).days // width][status] += 1
    top = max(sum(c.values()) for c in stacks.values())
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    bar = plot_w / count

    def x(day: dt.date) -> float:
        return LEFT + (day - start).days / width * bar

    def y(n: float) -> float:
        return TOP + plot_h - n / top * plot_h

    unit = "day" if width == 1 else ("week" if width == 7 else f"{width} days")
    out = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" xmlns="http://www.w3.org/2000/svg" '
           f'aria-label="reports of {year} published per {unit}, with deadlines">',
           f'<title>Reports of {year}: publication dates per {unit} against the deadlines</title>',
           f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" stroke="#444"/>',
           f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#444"/>']  # fmt: skip
    for tick in sorted({0, top // 2, top}):
        out.append(f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" class="tick">{tick}</text>')
    for index, per in sorted(stacks.items()):
        base = 0
        day = start + dt.timedelta(days=index * width)
        for status in COLOURS:
            n = per.get(status, 0)
            if not n:
                continue
            out.append(f'<rect class="bar {status}" x="{LEFT + index * bar + 0.5:.1f}" y="{y(base + n):.1f}" '
                       f'width="{max(bar - 1, 1):.1f}" height="{y(base) - y(base + n):.1f}" fill="{COLOURS[status]}">'
                       f'<title>{day.isoformat()}: {n} {status}</title></rect>')  # fmt: skip
            base += n
    for index, (day, levels) in enumerate(sorted(lines.items())):
        at = x(day) + bar / 2
        label = escape(f"{day.isoformat()} {'、'.join(sorted(levels))}")
        out.append(f'<line class="deadline" x1="{at:.1f}" y1="{TOP - 4}" x2="{at:.1f}" y2="{TOP + plot_h}" '
                   f'stroke="#1565c0" stroke-dasharray="4 3"/>'
                   f'<text x="{at:.1f}" y="{TOP - 8 - 12 * (index % 2)}" text-anchor="middle" class="deadline-label">'
                   f'{label}</text>')  # fmt: skip
    step = max(1, count // 6)
    for index in range(0, count, step):
        day = start + dt.timedelta(days=index * width)
        out.append(f'<text x="{LEFT + index * bar:.1f}" y="{TOP + plot_h + 16}" class="tick">{day.isoformat()}</text>')
    legend_x = LEFT
    for status, colour in COLOURS.items():
        out.append(f'<rect x="{legend_x}" y="{HEIGHT - 18}" width="10" height="10" fill="{colour}"/>'
                   f'<text x="{legend_x + 14}" y="{HEIGHT - 9}" class="tick">{status}</text>')  # fmt: skip
        legend_x += 90
    out.append(f'<line x1="{legend_x}" y1="{HEIGHT - 13}" x2="{legend_x + 16}" y2="{HEIGHT - 13}" stroke="#1565c0" '
               f'stroke-dasharray="4 3"/><text x="{legend_x + 20}" y="{HEIGHT - 9}" class="tick">deadline</text>')
    out.append("</svg>")
    return "".join(out)


def charts(coverage: Iterable[Mapping[str, Any]], years: Iterable[int]) -> str:
    """Return one `<figure>` per year with a chart (see `year_chart`), newest year first."""
    by_year: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
    for row in coverage:
        by_year[row["year"]].append(row)
    out = []
    for year in sorted(years, reverse=True):
        svg = year_chart(year, by_year.get(year, []))
        caption = f"Reports of {year}: when they went online, against the deadlines"
        body = svg or '<p class="empty">No report of this year has a publication date.</p>'
        out.append(f'<figure class="chart-year" data-year="{year}">{body}<figcaption>{escape(caption)}</figcaption>'
                   f"</figure>")  # fmt: skip
    return "".join(out)
