"""Engine set-up: SQLite in WAL mode with a busy timeout and `BEGIN IMMEDIATE` for writers; any other URL as is."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

BUSY_TIMEOUT_S = 60
WRITE = {"nianbao_write": True}
"""Execution options of a writing connection: on SQLite it begins with `BEGIN IMMEDIATE`."""


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str)


def make_engine(url: str) -> Engine:
    """Return an Engine for `url`; for SQLite, create the file's folder and set WAL, busy timeout, foreign keys."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, json_serializer=_dumps, pool_pre_ping=True)
    database = parsed.database or ""
    memory = database in ("", ":memory:") or database.startswith("file::memory:")
    if not memory:
        Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {"json_serializer": _dumps, "connect_args": {"timeout": BUSY_TIMEOUT_S}}
    if memory:
        kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN itself (pysqlite would emit a deferred one).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A writer takes the write lock up front: a deferred transaction that reads and then writes can
        # fail at once with SQLITE_BUSY in WAL mode, whatever the busy timeout.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("nianbao_write") else "BEGIN")

    return engine


def aware(value: datetime) -> datetime:
    """Return `value` with its time zone: SQLite gives `DateTime(timezone=True)` columns back naive (in UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
