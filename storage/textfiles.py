"""The text export: `NNN_<hash16>.txt`, each named by the hash of the text it holds, and its `.json` sidecar.

The recipe anyone can run on an exported file (README, "Checking an exported file's name"): read the
`.txt` as UTF-8, NFKC-normalise it, collapse every run of whitespace to one space, strip the ends, take
the SHA-256 of the UTF-8; `<hash16>` is its first 16 hex digits, NNN the report's `seq` zero-padded to 3.

The file holds the document's extracted text: the text whose hash is the report's `text_sha256` (the
report's identity, format-spec's content hash), read again from the stored document. So `<hash16>` is
also the first 16 hex digits of `text_sha256`. Where that text cannot be had again (the document's blob
is gone, or a newer extractor reads it differently) the file holds the record's title and six parts
instead and is named by their hash; the sidecar's `export` block says which text was hashed.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from extractors import ExtractionError, read, sniff_carrier, text_sha256

from .records import record_text

RECIPE = ("SHA-256 of the UTF-8 of this .txt file's text after NFKC normalisation, every run of whitespace "
          "collapsed to one space and the ends stripped; the name's hash16 is its first 16 hex digits")  # fmt: skip
"""The recipe, as the sidecar states it."""


@dataclass(frozen=True, slots=True)
class ExportedText:
    """What the sidecar's `export` block says about its `.txt` file."""

    file: str
    """The `.txt` file's name, `NNN_<hash16>.txt`."""
    text_sha256: str
    """The hash the name's hash16 starts: the recipe applied to the file."""
    hashed: str
    """`document`: the file holds the document's extracted text (its hash is the report's `text_sha256`);
    `sections`: the record's title and six parts (the document's text could not be read again)."""
    recipe: str
    """How to recompute `text_sha256` from the file."""


READ_COST = {c: i for i, c in enumerate(("text", "markdown", "html", "docx", "xlsx", "xls", "pdf", "ofd", "doc", "wps",
                                         "rtf"))}  # fmt: skip
"""Carriers in the order their documents are read again: cheapest first (DOC/WPS/RTF need LibreOffice)."""
_EXPORTED = re.compile(r"(\d{3,})_[0-9a-f]{16}\.(?:txt|json)")


def stem(seq: int, digest: str) -> str:
    """Return `NNN_<hash16>`: seq zero-padded to 3+ digits, the first 16 hex digits of `digest`."""
    return f"{int(seq):03d}_{digest[:16]}"


def document_text(store: Any, record: Mapping[str, Any]) -> str | None:
    """Return the extracted text of one of the report's stored documents whose hash is the record's
    `text_sha256`; None where no stored document gives that text again."""
    want = record.get("text_sha256")
    blobs = []
    for sha in record.get("documents") or ():
        try:
            data = store.blob(sha)
            blobs.append((READ_COST.get(sniff_carrier(data), len(READ_COST)), len(blobs), data))
        except (ExtractionError, OSError, KeyError, ValueError):
            continue
    for _, _, data in sorted(blobs):
        try:
            text = read(data).text()
        except (ExtractionError, OSError, KeyError, ValueError):
            continue
        if text_sha256(text) == want:
            return text
    return None


def _kept(folder: Path, seq: int, want: str) -> bool:
    """True where the folder already holds the report's document text under its name (a re-export)."""
    path = folder / f"{stem(seq, want)}.txt"
    try:
        return path.is_file() and text_sha256(path.read_text(encoding="utf-8")) == want
    except (OSError, UnicodeDecodeError):
        return False


def _by_seq(folder: Path) -> dict[int, list[Path]]:
    """Return the folder's exported files (`NNN_<hash16>.txt|json`) by seq, read once for the whole export."""
    found: dict[int, list[Path]] = {}
    for path in folder.iterdir():
        m = _EXPORTED.fullmatch(path.name)
        if m:
            found.setdefault(int(m.group(1)), []).append(path)
    return found


def _drop_stale(files: list[Path], keep: str) -> None:
    """Remove a seq's files under another hash (left by an export of other text)."""
    for path in files:
        if path.stem != keep:
            path.unlink(missing_ok=True)


def write_text_files(store: Any, records: Iterable[Mapping[str, Any]], folder: Path) -> int:
    """Write `NNN_<hash16>.txt` and `.json` per record into `folder`; return how many reports were written."""
    folder.mkdir(parents=True, exist_ok=True)
    earlier = _by_seq(folder)
    n = 0
    for rec in records:
        seq, want = int(rec["seq"]), str(rec["text_sha256"])
        if _kept(folder, seq, want):
            text, digest, hashed = None, want, "document"
        else:
            text = document_text(store, rec)
            if text is not None:  # its hash is the one `document_text` matched: no need to normalise it again
                hashed, digest = "document", want
            else:
                text = record_text(dict(rec))
                hashed, digest = "sections", text_sha256(text)
        name = stem(seq, digest)
        if text is not None:
            atomic_write(folder / f"{name}.txt", text if text.endswith("\n") else text + "\n")
        block = ExportedText(f"{name}.txt", digest, hashed, RECIPE)
        atomic_write(folder / f"{name}.json", json.dumps({**rec, "export": asdict(block)}, ensure_ascii=False,
                                                         indent=1) + "\n")  # fmt: skip
        _drop_stale(earlier.get(seq, []), name)
        n += 1
    return n


_UMASK = os.umask(0o022)
os.umask(_UMASK)
"""The process's umask, read once (os.umask can only be read by setting it)."""


def atomic_write(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file and a rename (a re-export never leaves half a file), with
    the permissions a plain `open(path, "w")` would give (mkstemp's file is private to its owner)."""
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
