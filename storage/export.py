"""Exports: `NNN_<hash16>.txt` + `.json` sidecars, JSONL, a tidy long CSV and the same table as Parquet,
and the wide table (one row per report, every cell a column) as an XLSX workbook or a CSV.

Every exported record carries `sources` (all URLs it was found at), `raw_sha256` (the document the
record was read from), `documents` (the hashes of every document that carries it) and `text_sha256`.
NNN is the report's `seq`, zero-padded to at least 3 digits: the order of first discovery, so names
stay the same across re-exports; `<hash16>` is the hash of the text the file holds (`textfiles.py`).
The CSVs are UTF-8 with a BOM so that Excel opens the Chinese text correctly; pandas reads them as
they are (`pandas.read_csv(path)`); the workbook's sheets are described in `workbook.py`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import IO, Any

from .records import TIDY_COLUMNS, tidy_tuples
from .store import Store
from .textfiles import export_workers, stem, write_text_files
from .workbook import FindingChunk, key_path, write_key_csv, write_wide_csv, write_xlsx

FORMATS = ("text", "jsonl", "csv", "parquet", "xlsx", "wide-csv")
FILE_SUFFIXES = {"jsonl": "jsonl", "csv": "csv", "parquet": "parquet", "xlsx": "xlsx", "wide-csv": "csv"}
"""The usual file suffix of each format that writes one file."""
PARQUET_ROW_GROUP = 100_000
"""Tidy rows per Parquet row group (about 500 reports): the most an export holds in memory at once."""
FINDING_CHUNK = 1000
"""Cross-year findings the workbook gets at once, with the seqs of the reports they name."""
PARQUET_HINT = "pip install 'nianbao[parquet]'"


class ExportError(RuntimeError):
    """An export that cannot be made (unknown format, missing optional dependency)."""


class MissingDependency(ExportError):
    """An export whose optional dependency is not installed (the message names the extra to install)."""


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote: the format, where, how many reports and how many rows or files."""

    fmt: str
    out: str
    reports: int
    rows: int


def file_stem(record: dict[str, Any]) -> str:
    """Return `NNN_<hash16>` for a stored record whose text file holds its document's text (16 hex of text_sha256)."""
    return stem(record["seq"], record["text_sha256"])


def export(
    store: Store,
    fmt: str,
    out: str | Path | IO[str],
    region: str | None = None,
    year: int | None = None,
    latest_only: bool = True,
) -> ExportResult:
    """Write the store's reports (filtered by `region` and `year`) as `fmt`; return an `ExportResult`.

    `text` writes into the folder `out`; `jsonl`, `csv` and `wide-csv` write the file `out` (or an open
    text stream; `wide-csv` writes its column key beside a file, `<name>.columns.csv`); `xlsx` writes the
    workbook `out` (a file or a binary stream); `parquet` writes the file `out` and needs pyarrow
    (`pip install 'nianbao[parquet]'`).
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    if fmt == "text":
        try:
            workers = export_workers()
        except ValueError as exc:
            raise ExportError(f"NIANBAO_EXPORT_WORKERS: {exc}") from None
    records = store.reports(region=region, year=year, latest_only=latest_only)
    if fmt == "text":
        n = write_text_files(store, records, Path(out), workers)  # type: ignore[arg-type]
        return ExportResult("text", str(out), n, 2 * n)
    if fmt == "xlsx":

        def cross_year() -> Iterator[FindingChunk]:
            from .validate_sorted import sorted_findings

            # As `validate` lists them, streamed: memory holds one sorted run and a chunk's seqs, not every finding.
            found = (f for f in sorted_findings(store, region=region) if year is None or int(year) in f.years)
            while chunk := list(islice(found, FINDING_CHUNK)):
                yield chunk, store.seqs(i for f in chunk for i in f.report_ids)

        n, rows = write_xlsx(records, out, cross_year)  # type: ignore[arg-type]
        return ExportResult("xlsx", _name(out), n, rows)
    if fmt == "wide-csv":
        with _open(out, encoding="utf-8-sig") as fh:
            n = write_wide_csv(records, fh)
        if isinstance(out, str | Path):
            write_key_csv(key_path(out))
        return ExportResult("wide-csv", _name(out), n, n)
    if fmt == "jsonl":
        return _jsonl(records, out)
    if fmt == "csv":
        return _csv(records, out)
    return _parquet(records, out)


def _jsonl(records: Iterator[dict[str, Any]], out: str | Path | IO[str]) -> ExportResult:
    n = 0
    with _open(out, encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n += 1
    return ExportResult("jsonl", _name(out), n, n)


def _csv(records: Iterator[dict[str, Any]], out: str | Path | IO[str]) -> ExportResult:
    n = rows = 0
    with _open(out, encoding="utf-8-sig") as fh:
        # A report's ~200 rows go to the file in one write: encoding row by row cost as much as making the rows.
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(TIDY_COLUMNS)
        for rec in records:
            n += 1
            cells = list(tidy_tuples(rec))
            writer.writerows(cells)
            rows += len(cells)
            fh.write(buffer.getvalue())
            buffer.seek(0)
            buffer.truncate()
        fh.write(buffer.getvalue())
    return ExportResult("csv", _name(out), n, rows)


def _parquet(records: Iterator[dict[str, Any]], out: str | Path | IO[str]) -> ExportResult:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise MissingDependency(f"Parquet export needs pyarrow: {PARQUET_HINT}") from exc
    schema = pa.schema(
        [
            ("report_id", pa.int64()),
            ("seq", pa.int64()),
            ("agency", pa.string()),
            ("year", pa.int64()),
            ("region_code", pa.string()),
            ("format", pa.string()),
            ("table", pa.string()),
            ("row", pa.string()),
            ("column", pa.string()),
            ("value", pa.float64()),
            ("raw", pa.string()),
        ]
    )
    if isinstance(out, str | Path):
        Path(out).parent.mkdir(parents=True, exist_ok=True)
    target = out if not isinstance(out, str | Path) else str(out)
    n = rows = 0
    # Written a row group at a time: memory holds one group, whatever the number of reports.
    with pq.ParquetWriter(target, schema) as writer:
        columns: dict[str, list[Any]] = {name: [] for name in TIDY_COLUMNS}
        lists = list(columns.values())
        for rec in records:
            n += 1
            cells = list(tidy_tuples(rec))
            if cells:
                for values, column in zip(lists, zip(*cells, strict=True), strict=True):
                    values.extend(column)
            if len(columns["seq"]) >= PARQUET_ROW_GROUP:
                rows += _row_group(writer, columns, schema)
        if columns["seq"] or rows == 0:
            rows += _row_group(writer, columns, schema)
    return ExportResult("parquet", _name(out), n, rows)


def _row_group(writer: Any, columns: dict[str, list[Any]], schema: Any) -> int:
    """Write the gathered tidy rows as one row group, empty `columns`, and return how many rows were written."""
    import pyarrow as pa

    values = [None if v is None else float(v) for v in columns["value"]]
    table = pa.Table.from_pydict({**columns, "value": values}, schema=schema)
    writer.write_table(table)
    for values in columns.values():
        values.clear()
    return table.num_rows


class _open:
    """Open `out` for writing text (creating its folder), or pass an open stream through unclosed."""

    def __init__(self, out: str | Path | IO[str], encoding: str) -> None:
        self.out, self.encoding, self.fh = out, encoding, None

    def __enter__(self) -> IO[str]:
        if not isinstance(self.out, str | Path):
            return self.out
        path = Path(self.out)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = path.open("w", encoding=self.encoding, newline="")
        return self.fh

    def __exit__(self, *exc: object) -> None:
        if self.fh is not None:
            self.fh.close()


def _name(out: str | Path | IO[str]) -> str:
    return str(out) if isinstance(out, str | Path) else getattr(out, "name", "<stream>")
