"""Who owns a crawl run, and whether a run still marked `running` is really still running."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

SILENCE = timedelta(minutes=30)
"""A run on another host that has not shown life for this long is taken as interrupted."""


def this_owner() -> str:
    """Return `host:pid` of this process, as stored in a run's `owner`."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive
    return True


def abandoned(owner: str | None, last_sign: datetime, now: datetime) -> bool:
    """True where a `running` run's process is gone (same host) or it has been silent for `SILENCE`."""
    host, _, pid = (owner or "").rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        return not _alive(int(pid))
    return now - last_sign > SILENCE
