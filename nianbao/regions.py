"""China's administrative divisions (GB/T 2260 codes and names), shipped as package data.

`data/regions/` holds the provinces (2-digit codes), cities (4), counties and districts (6) and
townships (9) of the National Bureau of Statistics' division codes (see its README for the source).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

_LEVELS = (("provinces.csv", 2), ("cities.csv", 4), ("areas.csv", 6), ("streets.csv", 9))
_CODE = re.compile(r"\d{2}(?:\d{2}){0,2}|\d{9}")


@dataclass(frozen=True)
class Region:
    """One division."""

    code: str
    """Its code as the table writes it: 2 digits (province), 4 (city), 6 (county) or 9 (township)."""
    name: str
    """Its name, e.g. 淮安市 or 洪泽区."""


@cache
def regions(with_townships: bool = False) -> dict[str, Region]:
    """Return every division by code; townships (about 40,000 rows) only when asked for."""
    out: dict[str, Region] = {}
    folder = resources.files("nianbao") / "data" / "regions"
    for name, width in _LEVELS:
        if width == 9 and not with_townships:
            continue
        with (folder / name).open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                out[row["code"]] = Region(row["code"], row["name"])
    return out


def canonical_code(prefix: str) -> str:
    """Return a region prefix as the table writes it: `320800` and `3208` both give `3208`."""
    prefix = prefix.strip()
    if len(prefix) == 6:
        for cut in (2, 4):
            if prefix[cut:] == "0" * (6 - cut):
                return prefix[:cut]
    return prefix


def lookup(prefix: str) -> Region | None:
    """Return the division a GB/T 2260 code or prefix names (`32`, `3208`, `320800`, `320813`), or None."""
    if not _CODE.fullmatch(prefix.strip()):
        return None
    code = canonical_code(prefix)
    return regions(with_townships=len(code) == 9).get(code)


def describe(prefix: str) -> str:
    """Return `code name` for a known prefix (with its parents), for messages; the prefix alone if unknown."""
    code = canonical_code(prefix)
    names = [r.name for cut in (2, 4, 6, 9) if cut <= len(code) and (r := lookup(code[:cut])) is not None]
    return f"{prefix} ({''.join(names)})" if names else prefix
