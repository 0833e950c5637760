"""Text normalisation shared by label matching, hashing and value parsing."""

from __future__ import annotations

import hashlib
import inspect
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache, wraps
from itertools import accumulate
from typing import ParamSpec, TypeVar, overload

_P = ParamSpec("_P")
_R = TypeVar("_R")
SHORT = 64
"""Texts up to this many chars are memoised by `memo_short`: cells and labels, not a page's prose."""

_WS = re.compile(r"\s+")


def nfkc(text: str) -> str:
    """Return `text` NFKC-normalised (full-width forms folded to ASCII)."""
    # The quick check is nearly free, and most text reaches here already folded.
    if unicodedata.is_normalized("NFKC", text):
        return text
    fold = _char_folds()
    if fold.interacting.search(text) is None:
        # No char of it composes or reorders with a neighbour: NFKC is each char's own NFKC (3x faster on 年报 text).
        return fold.changed.sub(fold.replace, text)
    return unicodedata.normalize("NFKC", text)


@dataclass(frozen=True, slots=True)
class CharFolds:
    """What `nfkc` needs to fold a text char by char where that gives unicodedata's NFKC exactly.

    NFKC is decomposition (NFKD), canonical reordering of combining marks, then canonical composition. Where no
    char's NFKD holds a combining mark (ccc ≠ 0) or a char that composes with the one before it (the second of a
    canonical pair, Hangul vowel and final jamo), nothing reorders or composes, so the NFKC of a text is the
    concatenation of its chars' NFKC. Only the Basic Multilingual Plane is tabled (built in milliseconds).
    """

    interacting: re.Pattern[str]
    """Matches a char that may reorder or compose with a neighbour, or any char beyond the BMP (not tabled)."""
    changed: re.Pattern[str]
    """Matches a char (of the others) whose NFKC differs from it."""
    folds: dict[str, str]
    """Each char `changed` matches → its NFKC."""

    def replace(self, m: re.Match[str]) -> str:
        """Return the NFKC of the char matched."""
        return self.folds[m.group()]


@lru_cache(maxsize=1)
def _char_folds() -> CharFolds:
    """Return the BMP's char folds for the running Python's Unicode version (built once per process)."""
    # Hangul syllables compose algorithmically (no decomposition() entry): their vowel and final jamo.
    seconds = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))
    marks: set[int] = set()
    decomposing: list[str] = []
    for cp in range(0x10000):
        ch = chr(cp)
        if unicodedata.combining(ch):
            marks.add(cp)
            continue
        d = unicodedata.decomposition(ch)
        if d:
            decomposing.append(ch)
            parts = d.split()
            if d[0] != "<" and len(parts) == 2:
                seconds.add(int(parts[1], 16))
    bad = marks | seconds
    interacting = set(bad) | set(range(0xAC00, 0xD7A4)) | set(range(0xD800, 0xE000))
    folds: dict[str, str] = {}
    for ch in decomposing:
        if any(ord(x) in bad for x in unicodedata.normalize("NFKD", ch)):
            interacting.add(ord(ch))
        else:
            folds[ch] = unicodedata.normalize("NFKC", ch)
    # Chars beyond the BMP are not tabled: a text holding one is normalised whole.
    return CharFolds(
        interacting=re.compile(f"[{_char_class(interacting)}\U00010000-\U0010ffff]"),
        changed=re.compile(f"[{_char_class({ord(ch) for ch in folds})}]"),
        folds=folds,
    )


def _char_class(codes: set[int]) -> str:
    """Return the inside of a regex char class matching the code points `codes`, as ranges."""
    spans: list[list[int]] = []
    for cp in sorted(codes):
        if spans and spans[-1][1] == cp - 1:
            spans[-1][1] = cp
        else:
            spans.append([cp, cp])
    return "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in spans)


def memo_short(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """Return `fn`, a pure function of a text (and hashable arguments), with its results for short texts cached.

    The standard tables' labels and most of their numbers recur in every report, so a worker reading report after
    report meets the same cell texts again; 4,096 entries of at most SHORT chars bound the cache's memory.
    Results are shared between callers: `fn` must return values nobody changes.
    """
    cached = lru_cache(maxsize=4096, typed=True)(fn)  # typed: a Kind and the plain string equal to it stay apart
    if list(inspect.signature(fn).parameters) == ["text"]:
        # A function of its text alone: a wrapper of one argument (called for every cell) costs a third less.
        @wraps(fn)
        def call_text(text: str) -> _R:
            if isinstance(text, str) and len(text) <= SHORT:
                return cached(text)
            return fn(text)

        call_text.cache_info = cached.cache_info  # type: ignore[attr-defined]
        return call_text  # type: ignore[return-value]

    @wraps(fn)
    def call(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        if kwargs or not args or not isinstance(args[0], str) or len(args[0]) > SHORT:
            return fn(*args, **kwargs)
        return cached(*args)

    call.cache_info = cached.cache_info  # type: ignore[attr-defined]
    return call


_KEEP = re.compile(r"[^\s“”\"‘’']+")
_DROP = re.compile(r"[\s“”\"‘’']")
_DROP_RUNS = re.compile(r"([\s“”\"‘’']+)")
_ENUM_AFTER_DIGIT = re.compile(r"(?<=\d)[、．]")


class RunMap(Sequence[int]):
    """A compact form's map to its text, kept as runs: for each run of kept chars, where it starts in the compact
    form and in the text (a page's text has hundreds of runs and thousands of chars; callers look up a few)."""

    __slots__ = ("_at", "_len", "_to")

    def __init__(self, at: list[int], to: list[int], length: int) -> None:
        self._at = at
        """Where each run starts in the compact form (ascending)."""
        self._to = to
        """Where each run starts in the text."""
        self._len = length
        """The compact form's length."""

    def __len__(self) -> int:
        return self._len

    def __eq__(self, other: object) -> bool:
        """Return True where `other` is a sequence of the same indices (a tuple map of the same text, say)."""
        return isinstance(other, Sequence) and not isinstance(other, str) and tuple(self) == tuple(other)

    def __hash__(self) -> int:
        return hash(tuple(self))

    @overload
    def __getitem__(self, i: int) -> int: ...
    @overload
    def __getitem__(self, i: slice) -> tuple[int, ...]: ...
    def __getitem__(self, i: int | slice) -> int | tuple[int, ...]:
        """Return the index in the text of the compact form's char `i` (a tuple of them for a slice)."""
        if isinstance(i, slice):
            return tuple(self[k] for k in range(*i.indices(self._len)))
        if i < 0:
            i += self._len
        if not 0 <= i < self._len:
            raise IndexError("compact map index out of range")
        j = bisect_right(self._at, i) - 1
        return self._to[j] + i - self._at[j]


def compact_with_map(text: str, folded: str | None = None) -> tuple[str, Sequence[int]]:
    """Return the label-matching form of `text` and, for each of its chars, the index in `text` (read-only).

    The form is NFKC, with whitespace and quotes dropped and "1、" written "1."; the map lets a
    caller find a label in a text dump and cut the original text (spaces kept) at its ends.
    `folded` is `nfkc(text)` where the caller has it (folding a long text is not cheap).
    """
    folded, origin = _fold_mapped(text, folded)
    if origin is None and not _DROP.search(folded):  # most cells: nothing to drop, the map is the identity
        return _ENUM_AFTER_DIGIT.sub(".", folded), range(len(folded))
    if origin is not None:
        index = [origin[m] for run in _KEEP.finditer(folded) for m in range(run.start(), run.end())]
        return _ENUM_AFTER_DIGIT.sub(".", "".join(_KEEP.findall(folded))), tuple(index)
    pieces = _DROP_RUNS.split(folded)  # kept, dropped, kept, …, kept (the first and last may be empty)
    kept = pieces[0::2]
    ends = list(accumulate(map(len, pieces)))
    to = [0, *ends[1::2]]
    at = [0, *accumulate(map(len, kept))]
    form = "".join(kept)
    return _ENUM_AFTER_DIGIT.sub(".", form), RunMap(at[:-1], to, len(form))


def _fold_mapped(text: str, folded: str | None) -> tuple[str, list[int] | None]:
    """Return `text` folded (`folded` where the caller has it) and, where folding changed its length, the index in
    `text` of each folded char (then folded one char at a time, so each char's index is known; else None)."""
    folded = nfkc(text) if folded is None else folded
    if len(folded) == len(text):
        return folded, None
    # Rare chars whose NFKC form changes length: fold one by one so the map stays exact.
    pairs = [(f, i) for i, ch in enumerate(text) for f in nfkc(ch)]
    return "".join(f for f, _ in pairs), [i for _, i in pairs]


@memo_short
def compact_cell(text: str) -> tuple[str, Sequence[int]]:
    """Return `compact_with_map` of one cell's text (memoised for short cells)."""
    return compact_with_map(text)


def compact(text: str) -> str:
    """Return the label-matching form: NFKC, no whitespace, no quotes, "1、" written "1." (`compact_with_map`'s)."""
    return _ENUM_AFTER_DIGIT.sub(".", _DROP_RUNS.sub("", _fold_mapped(text, None)[0]))


def normalized_text(text: str) -> str:
    """Return the text that `text_sha256` hashes: NFKC, whitespace runs collapsed, ends stripped."""
    return _WS.sub(" ", nfkc(text)).strip()


def text_sha256(text: str) -> str:
    """Return the SHA-256 hex digest of `normalized_text(text)` in UTF-8."""
    return hashlib.sha256(normalized_text(text).encode("utf-8")).hexdigest()
