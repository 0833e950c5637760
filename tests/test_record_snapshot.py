"""The JSON a consumer reads is what it was before the record became typed: every bundled document's record,
and the JSONL and CSV exports of a store filled with them, compared field by field with the snapshot the
untyped code wrote (tests/data/records_before.jsonl.gz, see tests/records_snapshot.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from extractors import soffice

from .records_snapshot import golden, snapshot

OFFICE = (".doc", ".wps")


def differences(before: Any, after: Any, where: str = "") -> Iterator[str]:
    """Yield one line per difference between two JSON values: a value, a type, a key, a key's order, a length."""
    if type(before) is not type(after):
        yield f"{where}: {before!r} became {after!r}"
    elif isinstance(before, dict):
        for key in before.keys() | after.keys():
            if key not in after:
                yield f"{where}.{key}: gone"
            elif key not in before:
                yield f"{where}.{key}: new"
            else:
                yield from differences(before[key], after[key], f"{where}.{key}")
        if before.keys() == after.keys() and list(before) != list(after):
            yield f"{where}: keys reordered {list(before)} → {list(after)}"
    elif isinstance(before, list):
        if len(before) != len(after):
            yield f"{where}: {len(before)} items became {len(after)}"
        for i, (a, b) in enumerate(zip(before, after, strict=False)):
            yield from differences(a, b, f"{where}[{i}]")
    elif before != after:
        yield f"{where}: {before!r} became {after!r}"


@pytest.fixture(scope="module")
def snapshots() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return golden(), snapshot()


def test_differences_sees_values_keys_order_and_types():
    assert list(differences({"a": 1, "b": [1, 2]}, {"a": 1, "b": [1, 2]})) == []
    assert len(list(differences({"a": 1, "b": 2}, {"b": 2, "a": 1}))) == 1  # order
    assert len(list(differences({"a": 1}, {"a": 1.0}))) == 1  # int → float
    assert len(list(differences({"a": [1, None]}, {"a": [1, 0]}))) == 1  # null is not 0
    assert len(list(differences({"a": 1}, {"a": 1, "a_raw": "1件"}))) == 1  # a new key


@pytest.mark.slow  # every fixture document extracted again
def test_every_record_is_as_before(snapshots):
    before, after = snapshots
    documents = [line for line in before if "path" in line]
    assert len(documents) >= 50 and any("error" in line for line in documents)
    now = {line["path"]: line for line in after if "path" in line}
    assert set(now) == {line["path"] for line in documents}, "the bundled documents changed: regenerate the snapshot"
    found = []
    for line in documents:
        if soffice() is None and line["path"].endswith(OFFICE):
            continue  # read through LibreOffice, which is not installed here
        found += differences(line, now[line["path"]], line["path"])
    assert not found, "\n".join(found[:40])


@pytest.mark.slow  # every fixture document extracted and stored
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_exports_of_a_store_filled_with_them_are_as_before(snapshots, fmt):
    if soffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed: the DOC/WPS records are not in the store")
    before, after = ({line["export"]: line["rows"] for line in s if "export" in line}[fmt] for s in snapshots)
    assert len(before) > (10 if fmt == "jsonl" else 1000)
    found = list(differences(before, _without_attribution(before, after, fmt), fmt))
    assert not found, "\n".join(found[:40])


ATTRIBUTED = ("body", "body_key", "attribution", "region_code", "region_name")
"""Keys the store's attribution (issue 9) adds: a record stored without a region now carries its body's."""


def _without_attribution(before: list[Any], after: list[Any], fmt: str) -> list[Any]:
    """Return the exported rows with only what the attribution added left out: the attribution's keys a record
    did not have before (JSONL), a region code the CSV row had empty before. Every other change still shows."""
    out = []
    if fmt == "jsonl":
        for b, a in zip(before, after, strict=False):
            out.append({k: v for k, v in a.items() if k not in ATTRIBUTED or k in b})
        return out + after[len(before) :]
    column = before[0].index("region_code") if before and "region_code" in before[0] else None
    for b, a in zip(before, after, strict=False):
        if column is not None and b[column] == "" and len(a) > column:
            a = [*a[:column], "", *a[column + 1 :]]
        out.append(a)
    return out + after[len(before) :]
