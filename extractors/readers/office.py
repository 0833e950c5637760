"""DOC and WPS through LibreOffice: converted to DOCX in batches by one headless soffice process.

Where `NIANBAO_OFFICE_CACHE` names a folder, each conversion is kept there under the SHA-256 of the file it
was made from, and a file converted before is not handed to LibreOffice again (re-extraction and the text
export read stored DOC/WPS documents again; one soffice start costs seconds).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import ConverterMissing, ExtractionError, Unreadable

TIMEOUT_BASE = 60
TIMEOUT_PER_FILE = 15
CACHE_ENV = "NIANBAO_OFFICE_CACHE"


def soffice() -> str | None:
    """Return the path of LibreOffice's soffice, or None where it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def _cache_dir() -> Path | None:
    """Return the folder conversions are kept in (`NIANBAO_OFFICE_CACHE`), or None where none is set."""
    where = os.environ.get(CACHE_ENV)
    return Path(where) if where else None


def _cached(cache: Path, data: bytes) -> bytes | None:
    """Return the DOCX kept for the file `data`, or None where it was not converted before."""
    with contextlib.suppress(OSError):
        return (cache / f"{hashlib.sha256(data).hexdigest()}.docx").read_bytes()
    return None


def _keep(cache: Path, data: bytes, docx: bytes) -> None:
    """Keep `docx` as the conversion of `data`; a cache that cannot be written is only not used."""
    tmp = None
    try:
        cache.mkdir(parents=True, exist_ok=True)
        # Written beside and renamed, so a concurrent reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=cache, suffix=".part")
        with os.fdopen(fd, "wb") as f:
            f.write(docx)
        os.replace(tmp, cache / f"{hashlib.sha256(data).hexdigest()}.docx")
    except OSError:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def to_docx(files: dict[str, bytes]) -> dict[str, bytes | ExtractionError]:
    """Return each named DOC/WPS file converted to DOCX bytes, or the error for that file.

    All files go through one soffice process with its own profile directory, so concurrent callers
    never share a LibreOffice profile. Files converted before are taken from `NIANBAO_OFFICE_CACHE` where set.
    """
    exe = soffice()
    if exe is None:
        err = ConverterMissing(
            "LibreOffice (soffice) is not installed: needed for DOC/WPS (apt install libreoffice-writer-nogui)"
        )
        return {name: err for name in files}
    cache = _cache_dir()
    out: dict[str, bytes | ExtractionError] = {}
    if cache is not None:
        for name, data in files.items():
            hit = _cached(cache, data)
            if hit is not None:
                out[name] = hit
        files = {name: data for name, data in files.items() if name not in out}
        if not files:
            return out
    with tempfile.TemporaryDirectory(prefix="nianbao-lo-") as tmp:
        root = Path(tmp)
        src, dst, profile = root / "in", root / "out", root / "profile"
        src.mkdir()
        dst.mkdir()
        paths = []
        for i, (name, data) in enumerate(files.items()):
            # Input names are ours, never the document's, so nothing unsafe reaches the file system.
            path = src / f"f{i:05d}.doc"
            path.write_bytes(data)
            paths.append((name, path))
        cmd = [exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore", "--nolockcheck",
               "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(dst), *(str(p) for _, p in paths)]  # fmt: skip
        env = {**os.environ, "HOME": str(root)}
        with contextlib.suppress(subprocess.TimeoutExpired):
            timeout = TIMEOUT_BASE + TIMEOUT_PER_FILE * len(paths)
            # Own session: a Ctrl-C meant for the crawl must not kill a conversion half-way.
            subprocess.run(cmd, capture_output=True, timeout=timeout, env=env, check=False, start_new_session=True)
        for name, path in paths:
            result = dst / (path.stem + ".docx")
            if result.exists() and result.stat().st_size > 0:
                out[name] = result.read_bytes()
                if cache is not None:
                    _keep(cache, files[name], out[name])
            else:
                out[name] = Unreadable("LibreOffice could not convert this DOC/WPS file (corrupt or unsupported)")
    return out
