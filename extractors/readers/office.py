"""DOC and WPS through LibreOffice: converted to DOCX in batches by one headless soffice process."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import ConverterMissing, ExtractionError, Unreadable

TIMEOUT_BASE = 60
TIMEOUT_PER_FILE = 15


def soffice() -> str | None:
    """Return the path of LibreOffice's soffice, or None where it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_docx(files: dict[str, bytes]) -> dict[str, bytes | ExtractionError]:
    """Return each named DOC/WPS file converted to DOCX bytes, or the error for that file.

    All files go through one soffice process with its own profile directory, so concurrent callers
    never share a LibreOffice profile.
    """
    exe = soffice()
    if exe is None:
        err = ConverterMissing(
            "LibreOffice (soffice) is not installed: needed for DOC/WPS (apt install libreoffice-writer-nogui)"
        )
        return {name: err for name in files}
    out: dict[str, bytes | ExtractionError] = {}
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
            else:
                out[name] = Unreadable("LibreOffice could not convert this DOC/WPS file (corrupt or unsupported)")
    return out
