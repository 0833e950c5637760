"""What the metamorphic tests (tests/test_*_variants.py) compare: a record's tables, format and table-rule failures.

A variant of a document changes how it is written, not what it says; its record must keep `kept(record)`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from extractors import extract

from .goldcmp import TABLES, failed_checks


def _values(table: Any) -> Any:
    """Return a table's values without the `_raw` texts kept beside unclean cells (a full-width "１２" is kept)."""
    if isinstance(table, dict):
        return {k: _values(v) for k, v in table.items() if not k.endswith("_raw")}
    return table


def kept(record: dict[str, Any]) -> dict[str, Any]:
    """Return what a variant must keep: the three tables' values, the format and the table-rule failures."""
    return {**{t: _values(record.get(t)) for t in TABLES}, "format": record.get("format"),
            "checks": failed_checks(record)}  # fmt: skip


def read_kept(data: bytes, name: str) -> dict[str, Any]:
    """Return `kept` of the record extracted from `data` (a file called `name`)."""
    return kept(extract(data, name=name))


def differing(cases: dict[str, tuple[Any, dict[str, Any]]], change: Callable[[Any], bytes], name: str
              ) -> dict[str, list[str]]:  # fmt: skip
    """Return, per case whose variant reads otherwise, the keys of `kept` that differ: each case is (its source,
    what it keeps as written), `change` turns a source into the variant's bytes, read as a file called `name`. A case
    the variant leaves as written (nothing of the kind in it) is passed over; the variant must change some case."""
    out: dict[str, list[str]] = {}
    changed_any = False
    for case, (source, want) in cases.items():
        changed = change(source)
        if changed == (source.encode("utf-8") if isinstance(source, str) else source):
            continue
        changed_any = True
        got = read_kept(changed, name)
        if got != want:
            out[case] = sorted(k for k in want if got[k] != want[k])
    assert changed_any, "the variant changed no case"
    return out
