"""Readers of site registry files, one small module per format, all giving `storage.registry.SiteImport` rows:

- `official`: the official registry download (全国政府网站基本信息数据库): zips of CSVs, or a CSV;
- `crawlcsv`: the crawler's registry CSV (the bundled `crawler/sites.csv` and users' `--sites` files);
- `text`: encodings and CSV rows; `places`: URLs, hosts, 网站标识码 and regions.

`read_site_file(path)` picks the format from the file itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..registry import Refused, SiteImport
from .crawlcsv import is_crawler_csv, read_crawler_csv
from .official import read_official
from .text import SiteFileError, csv_rows, decode

__all__ = ["SiteFile", "SiteFileError", "read_site_file"]


@dataclass(slots=True)
class SiteFile:
    """What one registry file holds."""

    path: str
    """The file as named."""
    kind: str
    """`registry` (the official download) or `crawler` (the crawler's CSV format)."""
    sites: list[SiteImport] = field(default_factory=list)
    """The rows to import."""
    refused: list[Refused] = field(default_factory=list)
    """The rows that cannot be imported, with the reason."""


def read_site_file(path: str | Path, origin: str | None = None) -> SiteFile:
    """Return the sites of a registry file: a zip or CSV of the official download, or a crawler-format CSV
    (`origin` names its rows' origin, default `user:<file name>`). Raises SiteFileError (one line) where the
    file cannot be read, is an XLS(X), or has no usable header."""
    p = Path(path)
    where = str(path)
    if p.suffix.lower() in (".xls", ".xlsx", ".et"):
        raise SiteFileError(f"{where}: a spreadsheet; the registry download is zips of CSV files "
                            "(save the sheet as CSV to import it)")  # fmt: skip
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise SiteFileError(f"{where}: cannot read: {exc.strerror or exc}") from None
    if not raw.startswith(b"PK"):
        text = decode(raw, where)
        header, _rows = csv_rows(text, where)
        if is_crawler_csv(header):
            sites, refused = read_crawler_csv(text, where, origin or f"user:{p.name}")
            return SiteFile(where, "crawler", sites, refused)
    sites, refused = read_official(raw, where)
    return SiteFile(where, "registry", sites, refused)
