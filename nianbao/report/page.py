"""The harvest report as one self-contained HTML file: the template, its style and script (package data), the
charts drawn in Python and the data as JSON in the page; nothing is fetched when it opens."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import re
from html import escape
from importlib.resources import files
from typing import Any

from .chart import charts
from .data import ReportData

ASSETS = files(__package__) / "assets"


def _asset(name: str) -> str:
    """Return the text of a file of `assets/`."""
    return (ASSETS / name).read_text(encoding="utf-8")


def packed(data: Any) -> str:
    """Return `data` as gzip-compressed JSON in base64: what the page's script inflates (text that cannot end the
    `<script>` element it is written into)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return base64.b64encode(gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)).decode("ascii")


def render(data: ReportData, generated: dt.datetime | None = None, version: str = "") -> str:
    """Return the report page of `data`: one HTML document with its CSS, script, charts and data inline."""
    when = (generated or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    parts = {
        "TITLE": escape(data.title),
        "GENERATED": escape(f"generated {when} by nianbao {version}".strip()),
        "CSS": _asset("report.css"),
        "CHARTS": charts(data.coverage, data.years),
        "DATA": packed(data.to_json()),
        "SCRIPT": _asset("report.js"),
    }
    return re.sub(r"<!--([A-Z]+)-->", lambda m: parts.get(m.group(1), m.group(0)), _asset("report.html"))
