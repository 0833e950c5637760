"""A record's three tables as the report page draws them: values in the shared layout's cell order, the failed
checks placed on the cells they are about, the ambiguous cells with their source text.

The layout (rows, columns, headers, merged cells) and the cells a failed check reads are `extractors.layout`'s
(`table_layout`, `check_cells`); this module puts them together in the form the page's script draws.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from extractors import TABLES, TableLayout, check_cells
from extractors import table_layout as layout
from extractors.typed_tables import REQUEST_COLUMNS


@dataclass(slots=True)
class DrawnTables:
    """One record's tables for the page: formats, values in layout order, marks and ambiguities by cell name."""

    formats: dict[str, str] = field(default_factory=dict)
    """Table key → the layout format it is drawn in (`2019` or `2021`); absent where the table was not found."""
    values: dict[str, list[Any]] = field(default_factory=dict)
    """Table key → its cells' values in the layout's reading order (null for a blank or unread cell)."""
    raw: dict[str, str] = field(default_factory=dict)
    """Cell name → the cell's text where it was not simply the number (`COLUMN_raw`, `requests_raw`)."""
    marks: dict[str, list[int]] = field(default_factory=dict)
    """Cell name → the failed checks shown on it, as indexes in the record's `checks` (a check on many cells is
    written once)."""
    ambiguous: dict[str, list[Any]] = field(default_factory=dict)
    """Cell name → `[source_text, candidates, reason]` of a cell the document does not settle."""
    placed: list[int] = field(default_factory=list)
    """Indexes (in the record's `checks`) of the checks shown on at least one cell."""


@cache
def _plan(table: str, fmt: str) -> tuple[tuple[str, str, str, int | None], ...]:
    """Return (name, row, column, index in a table 三 row or None) of every cell of a layout, in reading order."""
    return tuple((c.name, c.row, c.column, REQUEST_COLUMNS.index(c.column) if c.table == "requests" else None)
                 for c in layout(table, fmt).cells())  # fmt: skip


def _read(record: Mapping[str, Any], table: str, fmt: str, raws: dict[str, str]) -> list[Any]:
    """Return a table's values in a layout's reading order, noting in `raws` each cell's text where it was not
    simply the number.

    What `CellSpec.value` and `CellSpec.raw` read, a row at a time: those, cell by cell, took most of the time of a
    page of thousands of reports (the tests compare the two for every cell).
    """
    rows = record.get(table) or {}
    texts = (record.get("requests_raw") or {}) if table == "requests" else {}
    out: list[Any] = []
    for name, row_key, column, index in _plan(table, fmt):
        row = rows.get(row_key)
        if index is not None:
            value = row[index] if isinstance(row, list) and index < len(row) else None
            texts_of = texts.get(row_key)
            raw = texts_of[index] if isinstance(texts_of, list) and index < len(texts_of) else None
        elif isinstance(row, Mapping):
            value, raw = row.get(column), row.get(column + "_raw")
        else:
            value = raw = None
        out.append(value)
        if raw is not None and str(raw) != str(value):
            raws[name] = str(raw)
    return out


@cache
def _names(table: str, fmt: str) -> frozenset[str]:
    """Return the names of the cells a table's layout in a format draws."""
    return frozenset(c.name for c in layout(table, fmt).cells())


def _ambiguity(entry: Any) -> tuple[str, list[Any]] | None:
    """Return (cell name, [source_text, candidates, reason]) of an `ambiguous` entry (a dict or a bare path)."""
    if isinstance(entry, str):
        return entry, [None, [], "legacy"]
    if isinstance(entry, Mapping) and entry.get("cell"):
        return str(entry["cell"]), [entry.get("source_text"), list(entry.get("candidates") or []),
                                    entry.get("reason") or "legacy"]  # fmt: skip
    return None


def draw_tables(record: Mapping[str, Any]) -> DrawnTables:
    """Return a record's tables in the layout of the format each was found in, with its checks on their cells."""
    out = DrawnTables()
    formats = record.get("table_formats") or {}
    layouts: dict[str, TableLayout] = {}
    for table in TABLES:
        if record.get(table) is None:
            continue
        fmt = formats.get(table) or record.get("format")
        layouts[table] = drawn = layout(table, fmt if fmt in ("2019", "2021") else None)
        out.formats[table] = drawn.format
        out.values[table] = _read(record, table, drawn.format, out.raw)
    drawn_cells = {name for t in layouts.values() for name in _names(t.table, t.format)}
    for i, check in enumerate(record.get("checks") or []):
        names = [n for n in check_cells(check) if n in drawn_cells] if isinstance(check, Mapping) else []
        for name in names:
            out.marks.setdefault(name, []).append(i)
        if names:
            out.placed.append(i)
    for entry in record.get("ambiguous") or []:
        found = _ambiguity(entry)
        if found is not None:
            out.ambiguous[found[0]] = found[1]
    return out


def layouts_json() -> dict[str, dict[str, Any]]:
    """Return every table's layout in both formats as the page's script draws them: table → format → blocks of
    `{title, labels, header: [[text, colspan, rowspan]…], rows: [{key, label, groups, derived, cells}]}`."""
    out: dict[str, dict[str, Any]] = {}
    for table in TABLES:
        for fmt in ("2019", "2021"):
            drawn = layout(table, fmt)
            blocks = []
            for block in drawn.blocks:
                header = [[[h.text, h.colspan, h.rowspan] for h in row] for row in block.header]
                rows = [{"key": r.key, "label": r.label, "groups": list(r.groups), "derived": r.derived,
                         "cells": [c.name for c in r.cells], "labels": [c.label for c in r.cells]}
                        for r in block.rows]  # fmt: skip
                blocks.append({"title": block.title, "labels": block.label_columns, "header": header, "rows": rows})
            out.setdefault(table, {})[fmt] = {"numeral": drawn.numeral, "title": drawn.title, "blocks": blocks}
    return out
