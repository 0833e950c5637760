"""China's administrative divisions (GB/T 2260 codes and names), for the command line.

The table and its lookup live in `extractors.regions` (package data `extractors/data/regions/`), where
the attribution of reports to regions reads them too; this module keeps the names the CLI imports.
"""

from __future__ import annotations

from extractors.regions import Region, canonical_code, describe, lookup, named, regions

__all__ = ["Region", "canonical_code", "describe", "lookup", "named", "regions"]
