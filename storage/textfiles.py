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
import multiprocessing
import os
import re
import tempfile
from collections import deque
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from extractors import ExtractionError, sniff_carrier, text_sha256

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
SERIAL_FIRST = 16
"""Documents a text export reads again in its own process before it starts worker processes for the rest."""
_EXPORTED = re.compile(r"(\d{3,})_[0-9a-f]{16}\.(?:txt|json)")


def stem(seq: int, digest: str) -> str:
    """Return `NNN_<hash16>`: seq zero-padded to 3+ digits, the first 16 hex digits of `digest`."""
    return f"{int(seq):03d}_{digest[:16]}"


def stored_documents(store: Any, record: Mapping[str, Any]) -> list[bytes]:
    """Return the bytes of the report's stored documents that can still be read, cheapest to read first."""
    blobs = []
    for sha in record.get("documents") or ():
        try:
            data = store.blob(sha)
            blobs.append((READ_COST.get(sniff_carrier(data), len(READ_COST)), len(blobs), data))
        except (ExtractionError, OSError, KeyError, ValueError):
            continue
    return [data for _, _, data in sorted(blobs)]


def text_of(documents: list[bytes], want: str | None) -> str | None:
    """Return the extracted text of the first of `documents` whose hash is `want`; None where none gives it."""
    from extractors import read  # here, not at the top: a crawl's store writer imports this module (storage's)

    for data in documents:
        try:
            text = read(data).text()
        except (ExtractionError, OSError, KeyError, ValueError):
            continue
        if text_sha256(text) == want:
            return text
    return None


def document_text(store: Any, record: Mapping[str, Any]) -> str | None:
    """Return the extracted text of one of the report's stored documents whose hash is the record's
    `text_sha256`; None where no stored document gives that text again."""
    return text_of(stored_documents(store, record), record.get("text_sha256"))


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


def export_workers(value: str | None = None) -> int:
    """Return how many processes read documents again for a text export: `value` or $NIANBAO_EXPORT_WORKERS, else
    one a core. Raises ValueError for anything but a whole number of at least 1."""
    raw = value if value is not None else os.environ.get("NIANBAO_EXPORT_WORKERS")
    workers = int(raw) if raw not in (None, "") else (os.cpu_count() or 1)
    if workers < 1:
        raise ValueError(f"export workers: {workers}")
    return workers


def write_text_files(store: Any, records: Iterable[Mapping[str, Any]], folder: Path, workers: int | None = None,
                     serial_first: int = SERIAL_FIRST) -> int:  # fmt: skip
    """Write `NNN_<hash16>.txt` and `.json` per record into `folder`; return how many reports were written.

    Documents are read again in `workers` processes (default `export_workers()`) once more than `serial_first` of
    them needed reading (a small export is not worth their start), a bounded number at a time."""
    folder.mkdir(parents=True, exist_ok=True)
    earlier = _by_seq(folder)
    workers = export_workers() if workers is None else workers
    pending: deque[tuple[Mapping[str, Any], Future[str | None] | None]] = deque()
    pool: ProcessPoolExecutor | None = None
    reads = n = 0

    def finish(rec: Mapping[str, Any], future: Future[str | None] | None) -> None:
        seq, want = int(rec["seq"]), str(rec["text_sha256"])
        if future is None:
            text, digest, hashed = None, want, "document"
        else:
            try:
                text = future.result()
            except Exception:  # a worker that died (killed, out of memory): read here, as without workers
                text = document_text(store, rec)
            if text is not None:  # its hash is the one `text_of` matched: no need to normalise it again
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

    try:
        for rec in records:
            future: Future[str | None] | None = None
            if not _kept(folder, int(rec["seq"]), str(rec["text_sha256"])):
                reads += 1
                if pool is None and workers > 1 and reads > serial_first:
                    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
                documents = stored_documents(store, rec)
                if pool is not None:
                    try:
                        future = pool.submit(text_of, documents, rec.get("text_sha256"))
                    except (BrokenProcessPool, RuntimeError):  # the pool lost a worker: the rest is read here
                        pool.shutdown(cancel_futures=False)
                        pool, workers = None, 1
                if future is None:
                    future = Future()
                    future.set_result(text_of(documents, rec.get("text_sha256")))
            pending.append((rec, future))
            # At most two reads a worker in flight: memory holds their documents, not the whole export's.
            while pending and (len(pending) > 2 * workers or pending[0][1] is None or pending[0][1].done()):
                finish(*pending.popleft())
                n += 1
        while pending:
            finish(*pending.popleft())
            n += 1
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
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
