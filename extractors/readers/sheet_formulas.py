"""The value of a workbook cell whose formula was saved without one.

Excel and WPS store each formula's last value beside it; a workbook written by a program (a reporting system's
export, openpyxl, …) may hold the formula alone (`=SUM(B7:G7)`), and a reader of values then sees an empty cell. The
formulas a report's tables use are sums and differences of its own cells: numbers, cell references and ranges on the
same sheet, SUM, + - * / and brackets are computed here; anything else is left uncomputed (None), as is a formula that
refers to itself or to a cell that is not a number.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_REF = r"\$?[A-Z]{1,3}\$?\d{1,7}"
_TOKEN = re.compile(rf"\s*(?:(\d+(?:\.\d+)?)|({_REF}(?::{_REF})?)|(SUM)\s*\(|([-+*/(),]))", re.I)
MAX_DEPTH = 64
"""Formulas a value may be computed through (a chain of totals of totals), past which it is left uncomputed."""

Lookup = Callable[[str], object]
"""Returns a cell's value by its coordinate ("B7"): a number, text, None, or a formula ("=…")."""


class _Uncomputed(Exception):
    """The formula uses what is not computed here."""


def _tokens(formula: str) -> list[tuple[str, str]]:
    """Return the formula's tokens as (kind, text): num, ref, sum, op; raise _Uncomputed at anything else."""
    out: list[tuple[str, str]] = []
    at = 0
    text = formula.strip()
    while at < len(text):
        m = _TOKEN.match(text, at)
        if m is None or m.end() == at:
            raise _Uncomputed
        kind = ("num", "ref", "sum", "op")[m.lastindex - 1]  # type: ignore[operator]
        out.append((kind, m.group(m.lastindex).upper().replace("$", "")))  # type: ignore[arg-type]
        at = m.end()
    return out


def _cells(ref: str) -> list[str]:
    """Return the coordinates of a reference ("B7" or "B7:G7"), row by row."""
    from openpyxl.utils.cell import get_column_letter, range_boundaries

    c0, r0, c1, r1 = range_boundaries(ref)
    if (c1 - c0 + 1) * (r1 - r0 + 1) > 10_000:
        raise _Uncomputed
    return [f"{get_column_letter(c)}{r}" for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]


def compute(formula: str, lookup: Lookup) -> float | None:
    """Return the value of `formula` ("=SUM(B7:G7)") on the sheet `lookup` reads, or None where it cannot be
    computed here. A blank cell counts 0 in it, as in Excel."""
    try:
        return _Computer(lookup, set(), 0).formula(formula)
    except (_Uncomputed, ZeroDivisionError, ValueError, RecursionError):
        return None


class _Computer:
    """Computes one formula of a sheet; a formula a cell of it holds is computed by another, one deeper, sharing the
    cells being computed (`busy`: a formula reaching itself is not computed)."""

    def __init__(self, lookup: Lookup, busy: set[str], depth: int) -> None:
        self.lookup, self.busy, self.depth = lookup, busy, depth
        self.tokens: list[tuple[str, str]] = []
        self.at = 0

    def formula(self, formula: str) -> float:
        if self.depth > MAX_DEPTH or not formula.startswith("="):
            raise _Uncomputed
        self.tokens, self.at = _tokens(formula[1:]), 0
        value = self.sum()
        if self.at != len(self.tokens):
            raise _Uncomputed
        return value

    def cell(self, coordinate: str) -> float:
        value = self.lookup(coordinate)
        if value is None or value == "":
            return 0.0
        if isinstance(value, bool):
            raise _Uncomputed
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str) and value.startswith("=") and coordinate not in self.busy:
            self.busy.add(coordinate)
            try:
                return _Computer(self.lookup, self.busy, self.depth + 1).formula(value)
            finally:
                self.busy.discard(coordinate)
        raise _Uncomputed  # text, or a formula reaching itself

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise _Uncomputed
        self.at += 1
        return token

    def sum(self) -> float:
        value = self.product()
        while self.peek() in (("op", "+"), ("op", "-")):
            op = self.take()[1]
            value = value + self.product() if op == "+" else value - self.product()
        return value

    def product(self) -> float:
        value = self.unary()
        while self.peek() in (("op", "*"), ("op", "/")):
            op = self.take()[1]
            value = value * self.unary() if op == "*" else value / self.unary()
        return value

    def unary(self) -> float:
        if self.peek() in (("op", "-"), ("op", "+")):
            return -self.unary() if self.take()[1] == "-" else self.unary()
        kind, text = self.take()
        if kind == "num":
            return float(text)
        if kind == "ref":
            if ":" in text:
                raise _Uncomputed  # a range outside SUM
            return self.cell(text)
        if kind == "sum":
            total = 0.0
            while True:
                token = self.peek()
                if token is not None and token[0] == "ref" and ":" in token[1]:
                    total += sum(self.cell(c) for c in _cells(self.take()[1]))
                else:
                    total += self.sum()
                if self.take() == ("op", ")"):
                    return total
                if self.tokens[self.at - 1] != ("op", ","):
                    raise _Uncomputed
        if (kind, text) == ("op", "("):
            value = self.sum()
            if self.take() != ("op", ")"):
                raise _Uncomputed
            return value
        raise _Uncomputed


__all__ = ["compute"]
