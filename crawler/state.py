"""What earlier crawls saw, in a small SQLite file: HTTP validators, list children, documents done.

It makes crawls incremental (conditional requests; lists answering 304 replay the links they had) and
resumable (a document counts as done only once its record has been written, so an interrupted crawl
run again fetches what it had not finished).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS urls (
  url TEXT PRIMARY KEY,
  etag TEXT, last_modified TEXT,
  kind TEXT,               -- 'list' or 'document'
  sha256 TEXT,
  done INTEGER NOT NULL DEFAULT 0,
  children TEXT,           -- JSON list of links a list page had
  fetched_at REAL
);
CREATE TABLE IF NOT EXISTS documents (sha256 TEXT PRIMARY KEY, first_url TEXT, report INTEGER, seen_at REAL);
"""


class CrawlState:
    """The crawl state file; safe to use from the reactor thread and extraction threads."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _one(self, sql: str, args: tuple[Any, ...]) -> Any:
        with self._lock:
            return self._db.execute(sql, args).fetchone()

    def _run(self, sql: str, args: tuple[Any, ...]) -> None:
        with self._lock:
            self._db.execute(sql, args)

    def validators(self, url: str) -> tuple[str | None, str | None] | None:
        """Return (ETag, Last-Modified) of a URL fully handled before, or None."""
        row = self._one("SELECT etag, last_modified FROM urls WHERE url = ? AND done = 1", (url,))
        return (row[0], row[1]) if row else None

    def list_done(
        self, url: str, etag: str | None, modified: str | None, children: list[dict[str, Any]], done: bool = True
    ) -> None:
        """Record a page parsed, with its validators and the links it held.

        `done` False is for a page that is itself a document: its links are kept, but it counts as done
        only once `document_done` says its record was written.
        """
        self._run(
            "INSERT INTO urls(url, etag, last_modified, kind, done, children, fetched_at) VALUES (?,?,?,?,?,?,?) "
            "ON CONFLICT(url) DO UPDATE SET etag=excluded.etag, last_modified=excluded.last_modified, "
            "kind=excluded.kind, done=excluded.done, children=excluded.children, fetched_at=excluded.fetched_at",
            (url, etag, modified, "list" if done else "document", int(done),
             json.dumps(children, ensure_ascii=False), time.time()),
        )  # fmt: skip

    def children(self, url: str) -> list[dict[str, Any]]:
        """Return the links a list page held when it was last parsed."""
        row = self._one("SELECT children FROM urls WHERE url = ?", (url,))
        return json.loads(row[0]) if row and row[0] else []

    def document_done(self, url: str, sha256: str, etag: str | None, modified: str | None, report: bool) -> None:
        """Record a document handled (its record written, or it was judged not a report)."""
        self._run(
            "INSERT INTO urls(url, etag, last_modified, kind, sha256, done, fetched_at) VALUES (?,?,?,?,?,1,?) "
            "ON CONFLICT(url) DO UPDATE SET etag=excluded.etag, last_modified=excluded.last_modified, "
            "kind='document', sha256=excluded.sha256, done=1, fetched_at=excluded.fetched_at",
            (url, etag, modified, "document", sha256, time.time()),
        )
        self._run(
            "INSERT OR IGNORE INTO documents(sha256, first_url, report, seen_at) VALUES (?,?,?,?)",
            (sha256, url, int(report), time.time()),
        )

    def kind(self, url: str) -> str | None:
        """Return 'list' or 'document' for a URL handled before."""
        row = self._one("SELECT kind FROM urls WHERE url = ? AND done = 1", (url,))
        return row[0] if row else None

    def known_document(self, sha256: str) -> bool:
        """True where a document with these bytes was handled by an earlier crawl."""
        return self._one("SELECT 1 FROM documents WHERE sha256 = ?", (sha256,)) is not None

    def is_report_url(self, url: str) -> bool:
        """True where the document last fetched from `url` was an annual report."""
        row = self._one("SELECT d.report FROM urls u JOIN documents d ON u.sha256 = d.sha256 WHERE u.url = ?", (url,))
        return bool(row and row[0])
