"""Doubt what OCR read and the table's own arithmetic does not confirm.

A scanned table's numbers are readings, not text. Table 三 and table 四 check themselves: every row
sums to its total (总计), every column's outcomes sum to 三、本年度办理结果 总计, 本年新收 + 上年结转 equals
办理结果 + 结转下年度继续办理, and a 2021 （六） row is the sum of its sub-rows. A number in at least
one such identity that holds is confirmed; a number whose identities all fail, or a blank in a failing
one, becomes null and an `ambiguous` entry (reason ``ocr``) with the engine's reading and alternatives
as candidates. Table 二 has no arithmetic, so none of its numbers is confirmed: a number the engine was
unsure of (confidence under SURE, or another likely reading) is null and listed (reason ``ocr``); one it
was sure of keeps its reading and is listed too (reason ``unconfirmed``: the reading, then the engine's
alternatives), so no number stands unchecked and unflagged. The table 三/四 checks are then run again
on the confirmed cells; a failed check that reads a doubted or unconfirmed cell, or a row the parser
placed by inference, says `"cause": "parse"` and is lowered to W (the error may be the OCR's, not the
report's).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from . import checks as C
from .model import Table
from .normalize import nfkc
from .prose import proactive_numbers, request_numbers
from .readers.image import OcrDocument
from .readers.ocr import OcrWord
from .tables import parse_tables
from .typed_ambiguity import Ambiguity, clip
from .typed_cells import Cell
from .typed_record import Check, Record
from .typed_tables import OUTCOME_ROWS, REQUEST_COLUMNS, REQUEST_ROWS_2021, REVIEW_COLUMNS

SURE = 0.9
"""The engine confidence under which a number no arithmetic checks (table 二) is null, not only listed."""


@dataclass(slots=True)
class _Slot:
    """One number cell of the record: its path, the cell and where the OCR read it."""

    path: str
    cell: Cell
    word: OcrWord | None = None
    source: str | None = None


def _request_slots(record: Record) -> dict[str, _Slot]:
    """Return table 三's cells by path."""
    out: dict[str, _Slot] = {}
    if record.requests is None:
        return out
    for row, cells in record.requests.rows():
        if cells is None:
            continue
        for col in REQUEST_COLUMNS:
            out[f"requests.{row}.{col}"] = _Slot(f"requests.{row}.{col}", getattr(cells, col))
    return out


def _review_slots(record: Record) -> dict[str, _Slot]:
    """Return table 四's cells by path."""
    out: dict[str, _Slot] = {}
    if record.review_litigation is None:
        return out
    for group, cells in record.review_litigation.groups():
        for col, cell in cells.cells():
            out[f"review_litigation.{group}.{col}"] = _Slot(f"review_litigation.{group}.{col}", cell)
    return out


def _proactive_slots(record: Record) -> dict[str, _Slot]:
    """Return table 二's cells by path."""
    out: dict[str, _Slot] = {}
    if record.proactive is None:
        return out
    for name, row in record.proactive.rows():
        if row is None:
            continue
        for col, cell in row.cells():
            out[f"proactive.{name}.{col}"] = _Slot(f"proactive.{name}.{col}", cell)
    return out


def identities(record: Record) -> Iterator[tuple[list[str], list[str]]]:
    """Yield the table 三 and 四 identities as (cells summed on the left, cells summed on the right)."""
    req = dict(record.requests.rows()) if record.requests is not None else {}
    present = [r for r, cells in req.items() if cells is not None]

    def path(row: str, col: str) -> str:
        return f"requests.{row}.{col}"

    if present:
        for col in REQUEST_COLUMNS:
            sides = (["new_received", "carried_over"], ["total_processed", "carried_forward"])
            if all(r in present for r in sides[0] + sides[1]):
                yield [path(r, col) for r in sides[0]], [path(r, col) for r in sides[1]]
            outcome = [r for r in OUTCOME_ROWS if r in present]
            if outcome and "total_processed" in present:
                yield [path(r, col) for r in outcome], [path("total_processed", col)]
            subs = [r for r in REQUEST_ROWS_2021 if r in present]
            if record.requests.format == "2021" and subs and "other_handling" in present:
                yield [path(r, col) for r in subs], [path("other_handling", col)]
        for row in present:
            yield [path(row, c) for c in REQUEST_COLUMNS[:-1]], [path(row, REQUEST_COLUMNS[-1])]
    if record.review_litigation is not None:
        for group, _ in record.review_litigation.groups():
            cols = [f"review_litigation.{group}.{c}" for c in REVIEW_COLUMNS]
            yield cols[:-1], cols[-1:]


def _number(slot: _Slot) -> float:
    return 0 if slot.cell.value is None else slot.cell.value


def _locate(slots: list[_Slot], doc: OcrDocument, taken: dict[int, int]) -> None:
    """Give each slot of one record row the OCR word it was read from.

    The row's numbers, in order, are found as the next run of number words of a table block: a row of
    its own, or a part of one (table 四's three groups share one printed row). `taken` is how many of
    each block's number words earlier rows took.
    """
    want = [s.cell.value for s in slots if s.cell.value is not None]
    if not want:
        return
    for index, words in doc.readings.items():
        read = [w for w in words if w is not None]
        start = taken.get(index, 0)
        run = read[start : start + len(want)]
        if len(run) < len(want) or [_value(w.text) for w in run] != want:
            continue
        taken[index] = start + len(want)
        block = doc.blocks[index]
        source = clip(" | ".join(c or "" for c in block.rows[0]) if isinstance(block, Table) else block.text)
        it = iter(run)
        for s in slots:
            s.source = source
            if s.cell.value is not None:
                s.word = next(it)
        return


_LEADING = re.compile(r"^[+-]?\d+(?:\.\d+)?")


def _value(text: str) -> int | float | None:
    """Return the number an OCR word starts with ("0万元" reads 0), or None."""
    m = _LEADING.match(text.replace(",", ""))
    if m is None:
        return None
    number = float(m.group(0))
    return int(number) if number.is_integer() else number


def _rows(slots: dict[str, _Slot]) -> list[list[_Slot]]:
    """Return the slots grouped by record row (table, row), in record order."""
    groups: dict[str, list[_Slot]] = {}
    for path, slot in slots.items():
        groups.setdefault(path.rsplit(".", 1)[0], []).append(slot)
    return list(groups.values())


def _candidates(slot: _Slot) -> list[int | float | None]:
    """Return the readings of a doubted cell: the engine's, then its alternatives (None: blank)."""
    if slot.word is None:
        return [slot.cell.value]
    out: list[int | float | None] = []
    for text in (slot.word.text, *slot.word.alternatives):
        value = _value(text)
        if value not in out:
            out.append(value)
    return out


def doubted(record: Record, doc: OcrDocument) -> tuple[list[_Slot], list[_Slot], set[str]]:
    """Return the cells of an OCR-read record to make null (numbers its tables' arithmetic does not confirm, and
    table 二 numbers the engine was unsure of), table 二's numbers the engine was sure of (unconfirmed: no
    arithmetic checks them), and the cells of the identities that fail.

    A blank cell is never confirmed: a faint number the OCR missed leaves a blank too.
    """
    checked = {**_request_slots(record), **_review_slots(record)}
    proactive = _proactive_slots(record)
    taken: dict[int, int] = {}
    for row in _rows(proactive) + _rows(checked):
        _locate(row, doc, taken)
    holds: dict[str, bool] = {}
    failing: list[list[str]] = []
    for left, right in identities(record):
        ok = sum(_number(checked[p]) for p in left) == sum(_number(checked[p]) for p in right)
        for p in left + right:
            holds[p] = holds.get(p, False) or ok
        if not ok:
            failing.append(left + right)
    fails = {p for cells in failing for p in cells}
    times = {p: sum(p in cells for cells in failing) for p in fails}
    # A failure is explained by a number all of whose identities fail, or a blank (a missed number) in two.
    suspects = {p for p in fails if (checked[p].cell.value is None and times[p] >= 2) or not holds.get(p, False)}
    # A number not read as one OCR word (cut from glued text, whose cuts the arithmetic chose) proves nothing.
    doubt = {p for p, s in checked.items() if s.cell.value is None or s.word is None or not holds.get(p, False)}
    for cells in failing:
        if not suspects.intersection(cells):
            doubt.update(cells)  # nothing explains the failure (errors that offset in a row): doubt every cell
    out = [checked[p] for p in checked if p in doubt]
    sure: list[_Slot] = []
    for slot in proactive.values():
        w = slot.word
        unsure = slot.cell.value is None or w is None or w.confidence < SURE or bool(w.alternatives)
        (out if unsure else sure).append(slot)
    return out, sure, fails


def blank_candidates(slot: _Slot, fails: set[str]) -> list[int | float | None]:
    """Return the readings of a blank OCR cell: 0 or blank where its arithmetic holds with it as 0, else unknown."""
    return [] if slot.path in fails else [0, None]


def missing_cells(record: Record) -> list[str]:
    """Return the cells of the official rows the record's tables lack (STR-03): rows the OCR did not read."""
    out: list[str] = []
    for check in record.checks:
        if check.rule != "STR-03":
            continue
        table, _, row = check.where.partition(".")
        if table == "requests":
            out += [f"{check.where}.{c}" for c in REQUEST_COLUMNS]
        elif table == "proactive" and record.proactive is not None and row in record.proactive.ROWS:
            out += [f"{check.where}.{c}" for c in record.proactive.ROWS[row].COLUMNS]
    return out


def _reads(check: Check) -> set[str]:
    """Return the cells (as `table.row.column` paths) a failed table check reads; empty for other rules."""
    rule, where = check.rule, check.where
    if rule.startswith("T3-"):
        if where in REQUEST_COLUMNS:  # a rule over a column: the rows checks.blame_parse knows it reads
            return {f"requests.{row}.{where}" for row in C.ROWS_READ.get(rule, ())}
        rows = (where, *REQUEST_ROWS_2021) if rule == "T3-04" else (where,)
        cols = ("total",) if rule == "T3-06" else REQUEST_COLUMNS
        return {f"requests.{row}.{col}" for row in rows for col in cols}
    if rule.startswith("T4-"):
        if rule == "T4-05":
            groups = ("review",) if where == "review" else ("litigation_direct", "litigation_after_review")
            return {f"review_litigation.{g}.total" for g in groups}
        group, _, col = where.partition(".")
        return {f"review_litigation.{group}.{c}" for c in ((col,) if col else REVIEW_COLUMNS)}
    if rule.startswith(("T2-", "NUM-")):
        prefix = "proactive" if where == "proactive" else f"proactive.{where}"
        return {prefix + (f".{check.column}" if check.column else "")}
    return set()


def blame_doubt(checks: list[Check], doubt: set[str]) -> list[Check]:
    """Return `checks` with each failure that reads a doubted cell (a path in `doubt`, or under one) marked
    `cause="parse"` and lowered from E to W: the OCR's reading, not the report, may be wrong."""
    for check in checks:
        reads = _reads(check)
        if any(p == d or d.startswith(p + ".") for p in reads for d in doubt):
            C.mark_parse(check)
    return checks


def _placed(doc: OcrDocument, prose: str) -> tuple[set[str], bool]:
    """Return the rows of tables 三 and 四 the parser placed in the document (`Tables.placed`)."""
    return parse_tables(doc.blocks, request_numbers(prose), proactive_numbers(prose)).placed()


def confirm(record: Record, doc: OcrDocument) -> Record:
    """Return `record` with every OCR number its arithmetic does not confirm listed in `ambiguous`: null (reason
    `ocr`) where doubted, its reading kept (reason `unconfirmed`) where no arithmetic checks it and the engine
    was sure.

    The table 三/四 checks are run again on what is left, as the record builder runs them; every failure
    that reads a listed cell or an inferred row says cause parse (severity W).
    """
    known = {a.cell for a in record.ambiguous}
    slots, sure, fails = doubted(record, doc)
    for slot in sure:
        if slot.path not in known:
            record.ambiguous.append(Ambiguity(slot.path, slot.source, _candidates(slot), "unconfirmed"))
            known.add(slot.path)
    for slot in slots:
        if slot.path not in known:
            readings = _candidates(slot) if slot.cell.value is not None else blank_candidates(slot, fails)
            record.ambiguous.append(Ambiguity(slot.path, slot.source, readings, "ocr"))
            known.add(slot.path)
        slot.cell.value = None
    for path in missing_cells(record):
        if path not in known:
            record.ambiguous.append(Ambiguity(path, None, [], "ocr"))
            known.add(path)
    amb = {a.cell for a in record.ambiguous}
    prose = nfkc(record.sections.overview or doc.text()[:6000])
    kept = [c for c in record.checks if not c.rule.startswith(("T3-", "T4-"))]
    kept += C.check_tables_three_four(record.requests, record.review_litigation, amb, prose, *_placed(doc, prose))
    record.checks = blame_doubt(kept, {a.cell for a in record.ambiguous if a.reason in ("ocr", "unconfirmed")})
    return record
