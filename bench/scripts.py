"""Reading a page's inline scripts for list calls: CPU time against script size (run by hand).

    .venv/bin/python bench/scripts.py [--out bench/results/scripts-after.json]

Builds inline scripts of growing size from one chunk written as libraries are (a variable holding an array of
functions, a comment with an apostrophe in it, a nested variable), followed by one list call, and times
`crawler.scripts.variables` and `calls` on each in this process (CPU seconds, best of three). Cost must grow
linearly with the script; the list call after the chunks must be found at every size.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHUNK = "var m{k} = [ function(a) {{\n  // Don't keep it\n  if (a) {{ return a; }}\n  var q{k} = 1;\n}} ];\n"
CALL = "$.ajax({url: '/api/getArticleList', data: {channelId: '9', pageNo: 1}});"


def measure(chunks: int) -> dict[str, float | int | bool]:
    """Return the script's size, the CPU seconds to read it (best of three) and whether the list call was found."""
    sys.path.insert(0, str(ROOT))
    from crawler.scripts import calls, variables

    text = "".join(CHUNK.format(k=k) for k in range(chunks)) + CALL
    best, found = float("inf"), []
    for _ in range(3):
        start = time.process_time()
        found = calls(text, variables(text))
        best = min(best, time.process_time() - start)
    return {"chars": len(text), "cpu_s": round(best, 4), "found": any(c.url == "/api/getArticleList" for c in found)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, nargs="*", default=[500, 1000, 2000, 4000])
    parser.add_argument("--out", help="write the rows to this JSON file")
    args = parser.parse_args()
    rows = []
    for n in args.chunks:
        row = measure(n)
        rows.append(row)
        print(json.dumps(row), flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps({"rows": rows}, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
