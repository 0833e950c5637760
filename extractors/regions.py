"""China's administrative divisions (GB/T 2260 codes and names), shipped as package data.

`data/regions/` holds the provinces (2-digit codes), cities (4), counties and districts (6) and
townships (9) of the National Bureau of Statistics' division codes (see its README for the source).
`lookup` reads a code, `named` finds the divisions a name may mean (resolve it within a parent: names
repeat across the country). `nianbao.regions` re-exports these for the command line.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from importlib import resources

_LEVELS = (("provinces.csv", 2), ("cities.csv", 4), ("areas.csv", 6), ("streets.csv", 9))
_CODE = re.compile(r"\d{2}(?:\d{2}){0,2}|\d{9}")
# Table rows that are groupings, not divisions a body can be named after.
_NOT_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划", "直辖县级行政区划", "街道"})
# A township row is a name a body can carry only where it ends like one (not 龙井市林业局, 农科所, 社区建设办公室).
_TOWNSHIP = re.compile(r"(?:镇|乡|街道|苏木|区|园|场|办事处)$")


@dataclass(frozen=True)
class Region:
    """One division."""

    code: str
    """Its code as the table writes it: 2 digits (province), 4 (city), 6 (county) or 9 (township)."""
    name: str
    """Its name, e.g. 淮安市 or 洪泽区."""

    @property
    def full_code(self) -> str:
        """The code as a record carries it: 6 digits (`320800`, `320813`), or 9 for a township."""
        return self.code if len(self.code) == 9 else self.code.ljust(6, "0")

    def contains(self, other: Region) -> bool:
        """True where `other` is this division or lies inside it."""
        return other.code.startswith(self.code)


@cache
def regions(with_townships: bool = False) -> dict[str, Region]:
    """Return every division by code; townships (about 40,000 rows) only when asked for."""
    out: dict[str, Region] = {}
    folder = resources.files("extractors") / "data" / "regions"
    for name, width in _LEVELS:
        if width == 9 and not with_townships:
            continue
        with (folder / name).open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                out[row["code"]] = Region(row["code"], row["name"])
    return out


@cache
def _by_name() -> dict[str, tuple[Region, ...]]:
    """Return name → every division of that name (townships included), also under a few written forms."""
    out: dict[str, list[Region]] = defaultdict(list)
    for region in regions(with_townships=True).values():
        if region.name in _NOT_NAMES or (len(region.code) == 9 and not _TOWNSHIP.search(region.name)):
            continue
        out[region.name].append(region)
        if region.name.endswith("园"):  # 蒲纺工业园 is written 蒲纺工业园区
            out[region.name + "区"].append(region)
    return {name: tuple(found) for name, found in out.items()}


@cache
def longest_name() -> int:
    """Return the length of the longest division name `named` knows."""
    return max(len(n) for n in _by_name())


def named(name: str) -> tuple[Region, ...]:
    """Return every division called `name` exactly (empty where none is), in code order."""
    return _by_name().get(name, ())


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
