"""Blob store against database: remove what interrupted writes left, list what is missing or corrupt."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from .blobs import BlobStore
from .models import Document


@dataclass
class FsckResult:
    """What `Store.fsck` found and did; `ok` is True where nothing is missing or corrupt."""

    removed_temp: list[str] = field(default_factory=list)
    removed_orphans: list[str] = field(default_factory=list)
    missing_blobs: list[str] = field(default_factory=list)
    corrupt_blobs: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing_blobs and not self.corrupt_blobs


def fsck(engine: Engine, blobs: BlobStore, grace_seconds: float = 3600, verify: bool = False) -> FsckResult:
    """Check blobs against documents; remove leftovers of interrupted writes. Returns an `FsckResult`.

    Removes temporary files and orphan blobs (no documents row) older than `grace_seconds`: a
    writer still running has written its blob but not yet committed its row, so keep the grace
    above the longest `add` while writers run (0 is safe only with no writer). Lists documents
    whose blob is missing and, with `verify`, blobs whose bytes no longer hash to their name.
    """
    result = FsckResult()
    cutoff = time.time() - grace_seconds
    for tmp in blobs.temp_files():
        try:
            if tmp.stat().st_mtime <= cutoff:
                tmp.unlink()
                result.removed_temp.append(str(tmp))
        except FileNotFoundError:
            continue
    with Session(engine) as s:
        known = set(s.scalars(select(Document.sha256)))
    on_disk = set()
    for sha in blobs:
        on_disk.add(sha)
        if sha in known:
            if verify and not blobs.verify(sha):
                result.corrupt_blobs.append(sha)
            continue
        try:
            if blobs.mtime(sha) <= cutoff and blobs.remove(sha):
                result.removed_orphans.append(sha)
        except FileNotFoundError:
            continue
    result.missing_blobs = sorted(known - on_disk)
    return result
