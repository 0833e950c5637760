"""A table's cells and rows as typed classes, and how a cell is written in the record's JSON.

A cell is its number and, where it was not written as a plain number, its text; in the JSON the text
is the sibling key `<column>_raw`. What a column holds (count, signed, money) is its field's `kind`.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar, TypeVar

from .values import Kind

Number = int | float
RAW_SUFFIX = "_raw"
SINCE_2021 = {"since": "2021"}
"""Field metadata of a table 三 row that only the 2021 format has."""
SIGNED = {"kind": Kind.SIGNED}
"""Field metadata of a column that may be negative and worded (2019 本年增/减)."""
MONEY = {"kind": Kind.MONEY}
"""Field metadata of a column of money, in 万元."""

T = TypeVar("T")


def raw_key(column: str) -> str:
    """Return the key under which a table 二 or 四 row keeps a cell's raw text: `<column>_raw`."""
    return column + RAW_SUFFIX


def is_raw_key(key: str) -> bool:
    """Return True for a `<column>_raw` key (a cell's raw text), False for a column key."""
    return key.endswith(RAW_SUFFIX)


def field_names(cls: type) -> tuple[str, ...]:
    """Return the field names of a dataclass, in declaration order."""
    return tuple(f.name for f in fields(cls))


def column_kind(cls: type, column: str) -> Kind:
    """Return what the column `column` of the row class `cls` holds (count unless its field says otherwise)."""
    return next(f.metadata.get("kind", Kind.COUNT) for f in fields(cls) if f.name == column)


# -- cells and rows ---------------------------------------------------------------------------------
@dataclass(slots=True)
class Cell:
    """One cell of a table: the number it holds and, where it was not written as a plain number, its text."""

    value: Number | None = None
    """The number; None for a blank, unreadable or ambiguous cell (a blank is never 0)."""
    raw: str | None = None
    """The cell's text where it was not simply the number (a unit, a sign word, an annotation), else None."""


class _Row:
    """A row of table 二 or a group of table 四: one `Cell` per column, written `{column: value, column_raw: text}`."""

    __slots__ = ()
    COLUMNS: ClassVar[tuple[str, ...]] = ()

    def cells(self) -> Iterator[tuple[str, Cell]]:
        """Yield (column key, cell) in column order."""
        for name in self.COLUMNS:
            yield name, getattr(self, name)

    def to_dict(self) -> dict[str, Any]:
        """Return the row as JSON: each column's value, followed by `<column>_raw` where the cell kept its text."""
        out: dict[str, Any] = {}
        for name in self.COLUMNS:
            cell = getattr(self, name)
            out[name] = cell.value
            if cell.raw is not None:
                out[name + RAW_SUFFIX] = cell.raw
        return out

    @classmethod
    def from_dict(cls: type[T], data: Mapping[str, Any]) -> T:
        """Return the row read from its JSON (a missing column is a blank cell)."""
        return cls(*(Cell(data.get(c), data.get(c + RAW_SUFFIX)) for c in cls.COLUMNS))  # type: ignore[attr-defined]


def _row(cls: type[T]) -> type[T]:
    """Record the dataclass's field names as its COLUMNS."""
    cls.COLUMNS = field_names(cls)  # type: ignore[attr-defined]
    return cls
