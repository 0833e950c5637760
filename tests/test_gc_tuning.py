"""The crawl process's garbage collector: start-up frozen, young collections rarer, cycles still collected."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import ROOT

PROBE = """
import gc, json, weakref
from crawler.run import YOUNG_GC_THRESHOLD, tune_gc
before = gc.get_threshold()
tune_gc()
class Node:
    pass
a, b = Node(), Node()
a.other, b.other = b, a  # a cycle: only the collector frees it
gone = weakref.ref(a)
del a, b
alive_before = gone() is not None
kept = [[] for _ in range(3 * YOUNG_GC_THRESHOLD)]  # containers enough for young collections to run by themselves
print(json.dumps({"before": before, "after": gc.get_threshold(), "frozen": gc.get_freeze_count(),
                  "young": YOUNG_GC_THRESHOLD, "alive_before": alive_before, "freed": gone() is None}))
"""


def test_the_crawl_process_freezes_start_up_and_collects_young_cycles_less_often_but_still() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout)
    assert got["before"][0] == 700 and got["after"][0] == got["young"] > 700
    assert got["frozen"] > 1000  # the modules, classes and functions loaded at start
    assert got["alive_before"] and got["freed"], "a cycle made during the crawl was never collected"
