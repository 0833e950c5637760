"""The trim between reading a document and building its record reads /proc only once the process has held enough."""

from __future__ import annotations

import sys

import pytest

from extractors import limits


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and ru_maxrss in KiB (Linux)")
def test_a_process_that_never_held_the_threshold_is_not_read_and_one_that_did_is_trimmed(monkeypatch):
    peak = limits._peak_mb()
    assert peak >= (limits._rss_mb() or 0) - 1  # the peak bounds the resident size (whole MiB from /proc)

    def unread() -> None:
        raise AssertionError("/proc read below the threshold")

    monkeypatch.setattr(limits, "_trimmed_at", 0)
    monkeypatch.setattr(limits, "TRIM_ABOVE_MB", int(peak) + 64)
    monkeypatch.setattr(limits, "_rss_mb", unread)
    limits._release_freed_memory()
    assert limits._trimmed_at == 0

    monkeypatch.undo()
    monkeypatch.setattr(limits, "_trimmed_at", 0)
    monkeypatch.setattr(limits, "TRIM_ABOVE_MB", 1)
    limits._release_freed_memory()
    assert limits._trimmed_at > 0  # over the threshold: collected, trimmed, and the size after it noted
