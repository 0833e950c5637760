"""Recover cells from text dumps that glued them together ("713000074" is 71|3|0|0|0|0|74).

A run of digits is cut into the row's cells in every way that gives well-formed numbers; the row's
and the table's own arithmetic then pick among the cuts. Whatever the arithmetic cannot settle is
left null and reported as ambiguous: nothing is guessed silently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from .values import Kind, valid_part

MAX_CANDIDATES = 20000
MAX_CHUNK = 60

Candidate = tuple[str, ...]
T = TypeVar("T")


class TooMany(Exception):
    """Raised when a run has more cuts than are worth enumerating."""


def cuts(chunks: Sequence[str], kinds: Sequence[Kind], limit: int = MAX_CANDIDATES) -> list[Candidate]:
    """Return every way to cut `chunks` (whitespace-separated pieces) into len(kinds) valid parts.

    Each chunk is cut into one or more consecutive parts; a part never spans two chunks.
    Raises TooMany past `limit` candidates.
    """
    if any(len(c) > MAX_CHUNK for c in chunks):
        raise TooMany
    out: list[Candidate] = []
    n = len(kinds)

    def walk(ci: int, pos: int, k: int, acc: list[str]) -> None:
        if ci == len(chunks):
            if k == n:
                out.append(tuple(acc))
                if len(out) > limit:
                    raise TooMany
            return
        if k == n:
            return
        chunk = chunks[ci]
        rest_chars = len(chunk) - pos + sum(len(c) for c in chunks[ci + 1 :])
        if rest_chars < n - k:
            return
        for end in range(pos + 1, len(chunk) + 1):
            part = chunk[pos:end]
            if not valid_part(part, kinds[k]):
                continue
            acc.append(part)
            if end == len(chunk):
                walk(ci + 1, 0, k + 1, acc)
            else:
                walk(ci, end, k + 1, acc)
            acc.pop()

    walk(0, 0, 0, [])
    return out


def consensus(candidates: Sequence[Sequence[object]], width: int) -> list[object | None]:
    """Return, per position, the value all candidates agree on, else None."""
    if not candidates:
        return [None] * width
    first = candidates[0]
    return [first[i] if all(c[i] == first[i] for c in candidates) else None for i in range(width)]


def choose(
    options: dict[str, list[T]],
    score: Callable[[dict[str, T]], int],
    limit: int = MAX_CANDIDATES,
) -> dict[str, list[T]]:
    """Return, per row, the candidates that appear in a best-scoring combination of all rows' candidates.

    `options` maps a row key to its candidate value lists (rows with one candidate are fixed).
    `score` rates a full assignment {row: values}. Past `limit` combinations nothing is narrowed.
    """
    keys = [k for k, v in options.items() if len(v) > 1]
    total = 1
    for k in keys:
        total *= len(options[k])
    if not keys or total > limit:
        return options
    fixed = {k: v[0] for k, v in options.items() if len(v) == 1}
    best = -1
    winners: list[dict[str, T]] = []

    def walk(i: int, assign: dict[str, T]) -> None:
        nonlocal best, winners
        if i == len(keys):
            s = score({**fixed, **assign})
            if s > best:
                best, winners = s, [dict(assign)]
            elif s == best:
                winners.append(dict(assign))
            return
        for cand in options[keys[i]]:
            assign[keys[i]] = cand
            walk(i + 1, assign)
        del assign[keys[i]]

    walk(0, {})
    narrowed = dict(options)
    for k in keys:
        seen: list[T] = []
        for w in winners:
            if w[k] not in seen:
                seen.append(w[k])
        narrowed[k] = seen
    return narrowed
