"""Text normalisation shared by label matching, hashing and value parsing."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_WS = re.compile(r"\s+")


def nfkc(text: str) -> str:
    """Return `text` NFKC-normalised (full-width forms folded to ASCII)."""
    # The quick check is nearly free, and most text reaches here already folded.
    if unicodedata.is_normalized("NFKC", text):
        return text
    return unicodedata.normalize("NFKC", text)


_KEEP = re.compile(r"[^\s“”\"‘’']+")
_DROP = re.compile(r"[\s“”\"‘’']")
_ENUM_AFTER_DIGIT = re.compile(r"(?<=\d)[、．]")


def compact_with_map(text: str, folded: str | None = None) -> tuple[str, list[int]]:
    """Return the label-matching form of `text` and, for each of its chars, the index in `text`.

    The form is NFKC, with whitespace and quotes dropped and "1、" written "1."; the map lets a
    caller find a label in a text dump and cut the original text (spaces kept) at its ends.
    `folded` is `nfkc(text)` where the caller has it (folding a long text is not cheap).
    """
    folded = nfkc(text) if folded is None else folded
    if len(folded) != len(text):
        # Rare chars whose NFKC form changes length: fold one by one so the map stays exact.
        pairs = [(f, i) for i, ch in enumerate(text) for f in nfkc(ch)]
        folded = "".join(f for f, _ in pairs)
        origin = [i for _, i in pairs]
    else:
        origin = None
    if origin is None and not _DROP.search(folded):  # most cells: nothing to drop, the map is the identity
        return _ENUM_AFTER_DIGIT.sub(".", folded), list(range(len(folded)))
    parts: list[str] = []
    index: list[int] = []
    for m in _KEEP.finditer(folded):
        parts.append(m.group())
        index.extend(range(m.start(), m.end()))
    if origin is not None:
        index = [origin[i] for i in index]
    return _ENUM_AFTER_DIGIT.sub(".", "".join(parts)), index


def compact(text: str) -> str:
    """Return the label-matching form: NFKC, no whitespace, no quotes, "1、" written "1."."""
    return compact_with_map(text)[0]


def normalized_text(text: str) -> str:
    """Return the text that `text_sha256` hashes: NFKC, whitespace runs collapsed, ends stripped."""
    return _WS.sub(" ", nfkc(text)).strip()


def text_sha256(text: str) -> str:
    """Return the SHA-256 hex digest of `normalized_text(text)` in UTF-8."""
    return hashlib.sha256(normalized_text(text).encode("utf-8")).hexdigest()
