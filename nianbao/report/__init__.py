"""`nianbao report`: the harvest report, one self-contained HTML page (coverage, timeliness, failed checks, and
every report's three tables in the official layout). `gather` reads a store, `render` writes the page."""

from __future__ import annotations

from .data import ReportData, gather
from .page import render

__all__ = ["ReportData", "gather", "render"]
