"""Assemble the report record (spec/record-schema.md) from a read document."""

from __future__ import annotations

from typing import Any

from . import checks as C
from .labels import (
    PROACTIVE_ROWS_2019,
    PROACTIVE_ROWS_2021,
    REQUEST_COLUMNS,
    REQUEST_ROWS,
    REQUEST_ROWS_2021,
    REVIEW_COLUMNS,
    REVIEW_GROUPS,
)
from .metadata import find_agency, find_title, find_year
from .model import Document, Paragraph
from .normalize import nfkc, text_sha256
from .prose import proactive_numbers, request_numbers
from .sections import find_sections
from .tables import TableResult, parse_tables
from .values import Cell

Record = dict[str, Any]


def _value(cell: Cell | None) -> int | float | None:
    return None if cell is None else cell.value


def _raw_if_unclean(cell: Cell | None) -> str | None:
    """Return the raw text where it was not simply the number (a unit, a sign word, an annotation)."""
    if cell is None or cell.value is None or not cell.raw:
        return None
    plain = cell.raw.replace(",", "").strip()
    if plain == str(cell.value):
        return None
    try:
        if float(plain) == cell.value and "." in plain:
            return None
    except ValueError:
        pass
    return cell.raw


def _proactive(t: TableResult, specs: dict[str, list[str]]) -> tuple[dict[str, Any], list[str]]:
    out: dict[str, Any] = {}
    ambiguous = [f"proactive.{row}.{specs[row][i]}" for row, i in t.ambiguous]
    for row, cells in t.rows.items():
        cols: dict[str, Any] = {}
        for name, cell in zip(specs[row], cells, strict=True):
            cols[name] = _value(cell)
            raw = _raw_if_unclean(cell)
            if raw is not None:
                cols[f"{name}_raw"] = raw
        out[row] = cols
    return out, ambiguous


def _requests(t: TableResult) -> tuple[dict[str, list[Any]], dict[str, list[str | None]], list[str]]:
    rows: dict[str, list[Any]] = {}
    raws: dict[str, list[str | None]] = {}
    order = [s.key for s in REQUEST_ROWS]
    if t.format == "2021":
        subs = [[_value(c) for c in t.rows[k]] for k in REQUEST_ROWS_2021 if k in t.rows]
        if "other_handling" not in t.rows and subs:
            derived = [None if all(s[i] is None for s in subs) else sum(s[i] or 0 for s in subs) for i in range(7)]
            t.rows["other_handling"] = [Cell(v, "", True) for v in derived]
    else:
        order = [k for k in order if k not in REQUEST_ROWS_2021]
    for key in order:
        if key not in t.rows:
            continue
        cells = t.rows[key]
        rows[key] = [_value(c) for c in cells]
        raw = [_raw_if_unclean(c) for c in cells]
        if any(raw):
            raws[key] = raw
    ambiguous = [f"requests.{row}.{REQUEST_COLUMNS[i]}" for row, i in t.ambiguous]
    return rows, raws, ambiguous


def _review(t: TableResult) -> tuple[dict[str, dict[str, Any]], list[str]]:
    cells = t.rows["review_litigation"]
    out: dict[str, dict[str, Any]] = {}
    for g, group in enumerate(REVIEW_GROUPS):
        out[group] = {}
        for c, col in enumerate(REVIEW_COLUMNS):
            cell = cells[g * 5 + c]
            out[group][col] = _value(cell)
            raw = _raw_if_unclean(cell)
            if raw is not None:
                out[group][f"{col}_raw"] = raw
    ambiguous = [f"review_litigation.{REVIEW_GROUPS[i // 5]}.{REVIEW_COLUMNS[i % 5]}" for _, i in t.ambiguous]
    return out, ambiguous


def _format(*formats: str | None) -> str | None:
    seen = {f for f in formats if f}
    if not seen:
        return None
    return seen.pop() if len(seen) == 1 else "mixed"


def build_record(doc: Document, *, published_at: str | None = None) -> Record:
    """Return the record of a read document: metadata, sections, the three tables and failed checks."""
    text = doc.text()
    folded = nfkc(text)
    lines = [b.text for b in doc.blocks[:60] if isinstance(b, Paragraph)]
    title = find_title(lines, doc.title)
    year = find_year(title, folded)
    agency = find_agency(title, lines, folded)
    sections = find_sections(text)
    prose_text = nfkc(sections.get("overview") or text[:6000])
    tables = parse_tables(doc.blocks, request_numbers(prose_text), proactive_numbers(prose_text))

    ambiguous: list[str] = []
    missing: dict[str, list[str]] = {}
    proactive = requests = review = None
    requests_raw: dict[str, list[str | None]] = {}
    if tables.proactive is not None:
        specs = PROACTIVE_ROWS_2021 if tables.proactive.format == "2021" else PROACTIVE_ROWS_2019
        proactive, amb = _proactive(tables.proactive, {s.key: [c for c, _ in s.columns] for s in specs})
        ambiguous += amb
        missing["proactive"] = tables.proactive.missing
    if tables.requests is not None:
        requests, requests_raw, amb = _requests(tables.requests)
        ambiguous += amb
        missing["requests"] = tables.requests.missing
    if tables.review is not None:
        review, amb = _review(tables.review)
        ambiguous += amb
    fmt = _format(
        tables.proactive.format if tables.proactive else None,
        tables.requests.format if tables.requests else None,
    )
    record: Record = {
        "title": title,
        "year": year,
        "format": fmt,
        "agency": agency,
        "sections": sections,
        "proactive": proactive,
        "requests": requests,
        "review_litigation": review,
        "table_formats": {
            "proactive": tables.proactive.format if tables.proactive else None,
            "requests": tables.requests.format if tables.requests else None,
        },
        "ambiguous": ambiguous,
        "carrier": doc.carrier,
        "text_sha256": text_sha256(folded),
    }
    if requests_raw:
        record["requests_raw"] = requests_raw
    amb_set = set(ambiguous)
    found: list[C.Check] = []
    found += C.check_structure(record, missing)
    if proactive:
        found += C.check_proactive(proactive, tables.proactive.format if tables.proactive else None, agency)
    if requests:
        found += C.check_requests(requests, tables.requests.format if tables.requests else None, amb_set, prose_text)
    if review:
        found += C.check_review(review, amb_set, prose_text)
    found += C.check_text(record)
    found += C.check_time(year, published_at, agency, folded[:6000])
    record["checks"] = found
    return record
