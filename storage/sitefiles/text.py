"""Registry files as text: the encoding detected (UTF-8 with or without BOM, UTF-16 with BOM, else GB18030,
which reads GBK and GB2312), and CSV rows read with their header."""

from __future__ import annotations

import csv
import io


class SiteFileError(ValueError):
    """A registry file that cannot be read at all (not a zip or CSV, no usable header): one line, with the file."""


def decode(raw: bytes, where: str) -> str:
    """Return the text of a registry file's bytes; raise SiteFileError where no encoding reads them.

    A UTF-8 or UTF-16 byte-order mark decides; else strict UTF-8; else GB18030 (the registry's own
    downloads are GBK, which GB18030 reads)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        raise SiteFileError(f"{where}: neither UTF-8 nor GBK/GB18030 text") from None


def csv_rows(text: str, where: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Return the header (cells stripped) and the rows as (line number, header → stripped cell) of a CSV text;
    the delimiter is a comma, or a tab where the header has tabs and no commas. Blank rows are left out."""
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    try:
        table = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as exc:
        raise SiteFileError(f"{where}: not a CSV file: {exc}") from None
    if not table:
        raise SiteFileError(f"{where}: empty file")
    header = [cell.strip().lstrip("\ufeff") for cell in table[0]]
    rows: list[tuple[int, dict[str, str]]] = []
    for n, cells in enumerate(table[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        rows.append((n, {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)}))
    return header, rows
