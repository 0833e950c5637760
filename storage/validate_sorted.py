"""`validate`'s findings in its order, with memory bounded however many reports the store holds.

`validate_stream.iter_findings` yields the findings region by region, each region sorted; `validate` sorts them all
(by region, agency, years, rule, where). Here they are sorted in runs of at most `RUN` findings, each run past the
first spilled to a temporary file, and the runs merged (an external merge sort): the order is `validate`'s exactly,
ties included, and memory holds one run. `write_json` writes them as the JSON array `nianbao validate --json` prints.
"""

from __future__ import annotations

import heapq
import json
import pickle
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO

from .bodies import aliases
from .store import Store
from .validate import Compared, Finding, _order, validate_records
from .validate_stream import Unordered, iter_findings

RUN = 10_000
"""Findings sorted in memory at once (about 10 MB); 150,000 reports (~1.5 million findings) make 150 runs on disk."""


def sorted_findings(
    store: Store, region: str | None = None, compared: Compared | None = None, run: int = RUN
) -> Iterator[Finding]:
    """Yield the findings of `validate.validate` over the store's latest reports (optionally one region) in the
    order it returns them. `compared`, where given, is filled in once the store has been read (before the first
    finding is yielded)."""
    tally = Compared()
    try:
        runs = _runs(iter_findings(store, region, tally), run)
    except Unordered:  # reports of a region did not come together: check them all at once, as `validate` does
        tally = Compared()
        known = {alias: body.body_key for body in store.bodies(region) for alias in aliases(body)}
        runs = _runs(validate_records(store.reports(region=region, latest_only=True), known, tally), run)
    if compared is not None:
        compared.reports, compared.bodies, compared.pairs = tally.reports, tally.bodies, tally.pairs
    try:
        # heapq.merge keeps ties in the order of the runs, and each run is a stable sort: `validate`'s order exactly.
        yield from heapq.merge(*(_read(fh) if fh is not None else iter(kept) for fh, kept in runs), key=_order)
    finally:
        for fh, _ in runs:
            if fh is not None:
                fh.close()


def _runs(findings: Iterable[Finding], run: int) -> list[tuple[IO[bytes] | None, list[Finding]]]:
    """Return the findings sorted in runs of at most `run`: the last run kept in memory, the others each spilled
    to a temporary file (returned open, at its start)."""
    runs: list[tuple[IO[bytes] | None, list[Finding]]] = []
    batch: list[Finding] = []
    try:
        for finding in findings:
            batch.append(finding)
            if len(batch) >= run:
                runs.append((_spill(sorted(batch, key=_order)), []))
                batch = []
    except BaseException:
        for fh, _ in runs:
            fh.close() if fh is not None else None
        raise
    batch.sort(key=_order)
    runs.append((None, batch))
    return runs


def _spill(batch: list[Finding]) -> IO[bytes]:
    """Return a temporary file holding the findings pickled one after another, rewound to its start."""
    fh = tempfile.TemporaryFile(prefix="nianbao-findings-")  # noqa: SIM115 (returned open, closed by the merge)
    pickler = pickle.Pickler(fh, protocol=pickle.HIGHEST_PROTOCOL)
    for finding in batch:
        pickler.dump(finding)
        pickler.clear_memo()  # each finding stands alone: the memo would otherwise hold the whole run
    fh.seek(0)
    return fh


def _read(fh: IO[bytes]) -> Iterator[Finding]:
    """Yield the findings a spilled run holds, in order."""
    unpickler = pickle.Unpickler(fh)
    while True:
        try:
            yield unpickler.load()
        except EOFError:
            return


def write_json(findings: Iterable[Finding], out: IO[str]) -> int:
    """Write the findings to `out` as the text `json.dumps([f.as_dict() …], ensure_ascii=False, indent=1)` gives,
    one finding at a time (no newline after the closing bracket); return how many were written."""
    n = 0
    for finding in findings:
        item = json.dumps(finding.as_dict(), ensure_ascii=False, indent=1).replace("\n", "\n ")
        out.write(("[\n " if n == 0 else ",\n ") + item)
        n += 1
    out.write("\n]" if n else "[]")
    return n
