"""The XML and geometry an OFD page is read with: element names in any namespace, OFD number lists, and the
affine transforms that place a graphic object's own space on the page."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

from lxml import etree

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")

Affine = tuple[float, float, float, float, float, float]
"""(a, b, c, d, e, f): x' = a·x + c·y + e, y' = b·x + d·y + f."""
IDENTITY: Affine = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def local(node: Any) -> str:
    """Return the element's name without its namespace ("" for comments and processing instructions)."""
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def children(node: Any, name: str) -> Iterator[Any]:
    """Yield the child elements called `name`, in any namespace (producers disagree on it)."""
    return (c for c in node if local(c) == name)


def child_text(node: Any, name: str) -> str:
    """Return the stripped text of the first child called `name`, or ""."""
    found = next(children(node, name), None) if node is not None else None
    return (found.text or "").strip() if found is not None else ""


def numbers(text: str | None, limit: int = 1 << 20) -> list[float]:
    """Return the finite numbers of a space-separated OFD list (at most `limit`)."""
    out: list[float] = []
    for m in _NUMBER.finditer(text or ""):
        value = float(m.group(0))
        out.append(value if math.isfinite(value) else 0.0)
        if len(out) >= limit:
            break
    return out


def deltas(text: str | None, limit: int) -> list[float]:
    """Return a DeltaX/DeltaY list with its ``g <count> <value>`` repeats expanded, at most `limit` values."""
    tokens = (text or "").split()
    out: list[float] = []
    i = 0
    while i < len(tokens) and len(out) < limit:
        if tokens[i] == "g" and i + 2 < len(tokens):
            count, value = numbers(tokens[i + 1]), numbers(tokens[i + 2])
            out.extend(value[:1] * min(int(count[0]) if count else 0, limit - len(out)))
            i += 3
        else:
            out.extend(numbers(tokens[i], 1))
            i += 1
    return out


def compose(outer: Affine, inner: Affine) -> Affine:
    """Return the transform applying `inner` first, then `outer`."""
    a, b, c, d, e, f = inner
    x, y = apply(outer, e, f)
    return (*apply_linear(outer, a, b), *apply_linear(outer, c, d), x, y)


def apply(t: Affine, x: float, y: float) -> tuple[float, float]:
    """Return the point (x, y) under `t`."""
    return t[0] * x + t[2] * y + t[4], t[1] * x + t[3] * y + t[5]


def apply_linear(t: Affine, x: float, y: float) -> tuple[float, float]:
    """Return the vector (x, y) under `t` without its translation."""
    return t[0] * x + t[2] * y, t[1] * x + t[3] * y


def object_space(node: Any, outer: Affine) -> Affine:
    """Return the transform from a graphic object's own space to the page: its CTM, then its Boundary's origin."""
    box = numbers(node.get("Boundary"), 4)
    ctm = numbers(node.get("CTM"), 6)
    a, b, c, d, e, f = ctm if len(ctm) == 6 else IDENTITY
    x, y = (box[0], box[1]) if len(box) >= 2 else (0.0, 0.0)
    return compose(outer, (a, b, c, d, e + x, f + y))
