"""Content-addressed blob store on disk: `<root>/ab/cd/<sha256>`.

A blob is written to a temporary file in its final folder, flushed, fsync'd and then renamed into
place, and the folder is fsync'd: a crash leaves at worst a temporary file (`.tmp-*`, removed by
`Store.fsck`), never a half-written blob under its final name.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TEMP_PREFIX = ".tmp-"
SYNC_THREADS = 16
"""Files flushed to disk at once by `put_many`: the file system commits their journal entries together."""
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
_temp_numbers = itertools.count()
"""Numbers the temporary files of this process (their names need no random letters: the process id is in them)."""


def sha256_hex(data: bytes) -> str:
    """Return the SHA-256 of `data` as 64 lowercase hex digits."""
    return hashlib.sha256(data).hexdigest()


class BlobStore:
    """Raw document bytes under their SHA-256, sharded two levels deep."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._root = str(self.root)
        self._pool: ThreadPoolExecutor | None = None
        self._pool_pid = 0

    def _syncers(self) -> ThreadPoolExecutor:
        """Return the threads `put_many` flushes files from, started once per process (not once per batch)."""
        if self._pool is None or self._pool_pid != os.getpid():  # a forked child has none of its parent's threads
            self._pool = ThreadPoolExecutor(SYNC_THREADS, thread_name_prefix="blob-fsync")
            self._pool_pid = os.getpid()
        return self._pool

    def close(self) -> None:
        """Stop the flushing threads (idle between batches); a later `put_many` starts them again."""
        pool, self._pool = self._pool, None
        if pool is not None and self._pool_pid == os.getpid():
            pool.shutdown(wait=True)

    def path(self, sha256: str) -> Path:
        """Return the path a blob of this hash lives at (whether or not it exists)."""
        return Path(self._file(sha256))

    def _file(self, sha256: str) -> str:
        """Return `path` as text (a batch's thousands of blobs spend less on `os.path` than on `pathlib`)."""
        if not _HEX64.match(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return os.path.join(self._root, sha256[:2], sha256[2:4], sha256)

    def exists(self, sha256: str) -> bool:
        """Return True where the blob is on disk."""
        return self.path(sha256).is_file()

    def put(self, data: bytes, sha256: str | None = None) -> tuple[str, bool]:
        """Store `data` durably; return (its SHA-256, True if it was written now, False if already there)."""
        sha = sha256 or sha256_hex(data)
        final = self.path(sha)
        if final.is_file() and final.stat().st_size == len(data):
            return sha, False
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=final.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, final)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        _fsync_dir(final.parent)
        return sha, True

    def put_many(self, blobs: Iterable[tuple[bytes, str]]) -> int:
        """Store many (data, SHA-256) blobs durably, as `put` does one; return how many were written now.

        Every file is written under a temporary name first, then all are fsync'd at once from several threads
        (one journal commit serves many: a disk that takes 10 ms a flush stores hundreds a second), then renamed
        into place, then their folders are fsync'd. A crash leaves temporary files, never a torn blob.
        """
        todo: dict[str, tuple[str, bytes]] = {}
        for data, sha in blobs:
            if sha in todo:
                continue
            final = self._file(sha)
            if not _stored(final, len(data)):
                todo[sha] = (final, data)
        if not todo:
            return 0
        temps: list[tuple[str, str]] = []
        try:
            for final, data in todo.values():
                temps.append((_write_temp(os.path.dirname(final), data), final))
            pool = self._syncers()
            list(pool.map(_fsync_file, (tmp for tmp, _ in temps)))
            for tmp, final in temps:
                os.replace(tmp, final)
            list(pool.map(_fsync_dir, {os.path.dirname(final) for _, final in temps}))
        except BaseException:
            for tmp, _ in temps:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
            raise
        return len(todo)

    def get(self, sha256: str) -> bytes:
        """Return the blob's bytes; raise FileNotFoundError where it is absent."""
        return self.path(sha256).read_bytes()

    def remove(self, sha256: str) -> bool:
        """Delete a blob; return True if there was one."""
        try:
            self.path(sha256).unlink()
        except FileNotFoundError:
            return False
        return True

    def verify(self, sha256: str) -> bool:
        """Return True where the blob exists and its bytes hash to its name."""
        try:
            return sha256_hex(self.get(sha256)) == sha256
        except FileNotFoundError:
            return False

    def __iter__(self) -> Iterator[str]:
        """Yield the hash of every blob under its final name (temporary files are skipped)."""
        if not self.root.is_dir():
            return
        for first in sorted(self.root.iterdir()):
            if not first.is_dir():
                continue
            for second in sorted(first.iterdir()):
                if not second.is_dir():
                    continue
                for f in sorted(second.iterdir()):
                    if _HEX64.match(f.name):
                        yield f.name

    def temp_files(self) -> list[Path]:
        """Return the temporary files left by interrupted writes."""
        if not self.root.is_dir():
            return []
        return sorted(self.root.glob(f"*/*/{TEMP_PREFIX}*"))

    def mtime(self, sha256: str) -> float:
        """Return the blob file's modification time (seconds since the epoch)."""
        return self.path(sha256).stat().st_mtime


def _stored(path: str, size: int) -> bool:
    """Return True where a regular file of `size` bytes is at `path` (a blob stored before)."""
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    return stat.S_ISREG(st.st_mode) and st.st_size == size


def _write_temp(folder: str, data: bytes) -> str:
    """Return the name of a new temporary file in `folder` (created where missing) holding `data`, not yet fsync'd."""
    try:
        fd, tmp = _new_temp(folder)
    except FileNotFoundError:  # the folder's first blob; most folders exist once a store holds thousands
        os.makedirs(folder, exist_ok=True)
        fd, tmp = _new_temp(folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return tmp


def _new_temp(folder: str) -> tuple[str, str]:
    """Return an open descriptor and the name of a new, empty, owner-only temporary file in `folder`, as mkstemp
    makes one but named by the process id and a counter (mkstemp's random names cost more than the write)."""
    tmp = os.path.join(folder, f"{TEMP_PREFIX}{os.getpid()}-{next(_temp_numbers)}")
    try:
        return os.open(tmp, _TEMP_FLAGS, 0o600), tmp
    except FileExistsError:  # left by an earlier process of the same id
        fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=folder)
        return fd, tmp


def _fsync_file(path: str) -> None:
    """Flush a written file's bytes to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: str | Path) -> None:
    """Flush a folder's entries (the rename) to disk, where the platform allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
