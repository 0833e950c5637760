"""Cell values: placeholders to null, worded signs to signed ints, money to 万元."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from .normalize import memo_short, nfkc


class Kind(StrEnum):
    """What a table column holds."""

    COUNT = "count"  # non-negative int
    SIGNED = "signed"  # 2019 本年增/减: may be negative, may be worded (增/减)
    MONEY = "money"  # 万元; a value in 元 is converted


NULLS = frozenset({"", "-", "--", "—", "——", "–", "/", "无", "空", "－", "―", "─", "\\", "*"})
_UNIT_SUFFIX = r"(?:件|个|项|条|次|起|宗|人次)?"
_COUNT = re.compile(rf"^(\d{{1,3}}(?:,\d{{3}})+|\d+){_UNIT_SUFFIX}$")
_SIGNED = re.compile(rf"^([+\-增减]|增加|减少)?(\d{{1,3}}(?:,\d{{3}})+|\d+){_UNIT_SUFFIX}$")
_MONEY = re.compile(r"^(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)\(?(万元|元|万)?\)?$")
# An annotation after a value: "22(其中修订16件)", "55(含自然失效29件)".
_ANNOTATED = re.compile(r"^([+\-增减]?[\d.,]+(?:\(?万?元\)?)?)\s*[(\[].*[)\]]$")


@dataclass(slots=True, frozen=True)
class Cell:
    """A parsed cell: `value` (None for a blank or unreadable cell), the raw text, and whether it parsed."""

    value: int | float | None
    raw: str
    ok: bool


@memo_short
def squash(text: str) -> str:
    """Return a cell's text NFKC-folded with all whitespace removed."""
    return "".join(nfkc(text).split())


@memo_short
def is_blank(text: str) -> bool:
    """True where the cell text is a placeholder that means 'nothing entered'."""
    return squash(text) in NULLS


@memo_short
def parse(text: str, kind: Kind) -> Cell:
    """Return the cell's value parsed as `kind`; `ok` is False where the text is no number of that kind."""
    raw = text.strip().strip("\u00a0\u3000")
    s = squash(text)
    if s in NULLS:
        return Cell(None, raw, True)
    m = _ANNOTATED.match(s)
    if m:
        s = m.group(1)
    if kind is Kind.MONEY:
        mm = _MONEY.match(s)
        if not mm:
            return Cell(None, raw, False)
        number, unit = mm.group(1).replace(",", ""), mm.group(2)
        value = float(number)
        if unit == "元":
            value = round(value / 10000, 6)
        elif "." not in number:
            value = int(number)
        if isinstance(value, float) and value.is_integer() and unit != "元" and "." not in number:
            value = int(value)
        return Cell(value, raw, True)
    ms = _SIGNED.match(s)
    if not ms:
        return Cell(None, raw, False)
    sign, digits = ms.group(1), ms.group(2).replace(",", "")
    if sign and kind is Kind.COUNT and sign not in "+增增加":
        return Cell(None, raw, False)
    value_i = int(digits)
    if sign in ("-", "减", "减少"):
        value_i = -value_i
    return Cell(value_i, raw, True)


@memo_short
def is_number_like(text: str) -> bool:
    """True where the cell text is a number of any kind (used to tell value cells from labels)."""
    s = squash(text)
    if not s:
        return False
    m = _ANNOTATED.match(s)
    if m:
        s = m.group(1)
    return bool(_SIGNED.match(s) or _MONEY.match(s))


def valid_part(part: str, kind: Kind) -> bool:
    """True where `part`, a piece cut from glued digits, is a well-formed number of `kind`.

    Leading zeros are refused ("07" is never a cell), which is what makes glued digits splittable.
    """
    body = part
    if kind is Kind.SIGNED and body[:1] in "+-":
        body = body[1:]
        if body == "0":
            return False
    elif kind is Kind.MONEY:
        body = re.sub(r"\(?万?元\)?$", "", body)
        if body.count(".") == 1:
            whole, frac = body.split(".")
            return bool(whole) and whole.isdigit() and (whole == "0" or whole[0] != "0") and frac.isdigit()
    if not body.isdigit():
        return False
    return body == "0" or body[0] != "0"
