"""The records and exports of every bundled document, as a comparable snapshot.

`tests/data/records_before.jsonl.gz` was written by this module from the code before the record became
typed (`python -m tests.records_snapshot`); tests/test_record_snapshot.py recomputes the snapshot and
compares it field by field, so a change to the JSON a consumer reads cannot pass unnoticed.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "data" / "records_before.jsonl.gz"
FOLDERS = (
    ROOT / "fixtures" / "documents",
    ROOT / "nianbao" / "demo" / "documents",
    ROOT / "nianbao" / "demo" / "corpus",
)
FETCHED_AT = "2025-01-01T00:00:00+00:00"
# Keys whose value is the time of the run, not a property of the record.
VOLATILE = ("first_seen",)


def documents() -> list[Path]:
    """Return every bundled document: fixture inputs, the demo web's documents and its real corpus."""
    found: list[Path] = []
    for folder in FOLDERS:
        found += sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix not in (".json", ".md"))
    return found


def _converted(paths: list[Path]) -> dict[Path, Any]:
    """Return the DOCX LibreOffice makes of each DOC/WPS file, in one batch (None where it is not installed)."""
    from extractors.readers.office import to_docx
    from extractors.sniff import sniff

    office = {str(p): p.read_bytes() for p in paths if sniff(p.read_bytes(), p.name) in ("doc", "wps", "rtf")}
    if not office:
        return {}
    try:
        got = to_docx(office)
    except Exception:  # no LibreOffice: each file converts (and fails) on its own
        return {}
    return {Path(k): v for k, v in got.items() if isinstance(v, bytes)}


def records() -> Iterator[dict[str, Any]]:
    """Yield `{"path", "record"}` per document, or `{"path", "error"}` where extraction refused it."""
    from extractors import ExtractionError, extract

    paths = documents()
    converted = _converted(paths)
    cache: dict[bytes, dict[str, Any]] = {}
    for path in paths:
        rel = path.relative_to(ROOT).as_posix()
        data = path.read_bytes()
        if data not in cache:
            try:
                cache[data] = {"record": extract(data, name=path.name, converted=converted.get(path))}
            except ExtractionError as exc:
                cache[data] = {"error": exc.reason}
        yield {"path": rel, **json.loads(json.dumps(cache[data], ensure_ascii=False))}


def exports(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the JSONL (parsed, without `first_seen`) and the CSV text of a store filled with `rows`."""
    from storage import Store, export

    with tempfile.TemporaryDirectory() as tmp, Store(f"sqlite:///{tmp}/s.sqlite") as store:
        store.migrate()
        for row in rows:
            source = {"url": f"https://demo.invalid/{row['path']}", "fetched_at": FETCHED_AT, "site": "demo"}
            store.add((ROOT / row["path"]).read_bytes(), row.get("record"), source)
        jsonl, table = io.StringIO(), io.StringIO()
        export(store, "jsonl", jsonl, latest_only=False)
        export(store, "csv", table, latest_only=False)
    lines = [json.loads(line) for line in jsonl.getvalue().splitlines()]
    for line in lines:
        for key in VOLATILE:
            line.pop(key, None)
    return {"jsonl": lines, "csv": list(csv.reader(io.StringIO(table.getvalue())))}


def snapshot() -> list[dict[str, Any]]:
    """Return the snapshot: one line per document, then `{"export": "jsonl"|"csv", "rows": …}`."""
    rows = list(records())
    made = exports(rows)
    return [*rows, {"export": "jsonl", "rows": made["jsonl"]}, {"export": "csv", "rows": made["csv"]}]


def main() -> int:
    """Write the snapshot to GOLDEN (or the path given); return 0."""
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else GOLDEN
    target.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in snapshot())
    # mtime=0: the same snapshot gives the same bytes, so a regenerated file shows no spurious diff.
    target.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))
    return 0


def golden() -> list[dict[str, Any]]:
    """Return the committed snapshot, one dict per line."""
    return [json.loads(line) for line in gzip.decompress(GOLDEN.read_bytes()).decode("utf-8").splitlines()]


if __name__ == "__main__":
    sys.exit(main())
