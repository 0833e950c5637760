"""Open the store named by `--db`, turning every way that can fail into one clear line."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from .exits import StartError, UsageError

URL_HINT = "give a SQLAlchemy URL such as sqlite:///data/nianbao.sqlite or postgresql+psycopg://user@host/db"
POSTGRES_HINT = "pip install 'nianbao[postgres]'"


def parse_db_url(url: str) -> Any:
    """Return the parsed SQLAlchemy URL of `--db`, with `postgresql://` using psycopg 3 where only it is installed.

    Raises UsageError for anything that is not a database URL (a bare path, a typo).
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    if "://" not in url:
        hint = f"; for a SQLite file write sqlite:///{url}" if url.endswith((".sqlite", ".db", ".sqlite3")) else ""
        raise UsageError(f"--db {url!r} is not a database URL: {URL_HINT}{hint}")
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UsageError(f"--db {url!r} is not a database URL: {URL_HINT}") from None
    if parsed.drivername == "postgresql" and importlib.util.find_spec("psycopg2") is None:
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        parsed.get_dialect()
    except NoSuchModuleError:
        raise UsageError(f"--db {url}: unknown database kind {parsed.drivername!r}: {URL_HINT}") from None
    return parsed


def open_store(url: str, *, create: bool, blobs: str | None = None) -> Any:
    """Return a migrated `storage.Store` for `url`.

    `create` False refuses a SQLite file that does not exist (only `crawl` creates a database).
    Raises UsageError (a bad URL, a missing file) or StartError (driver missing, server unreachable,
    folder not writable), each with one line that says what to do.
    """
    from sqlalchemy.exc import NoSuchModuleError, SQLAlchemyError

    parsed = parse_db_url(url)
    shown = parsed.render_as_string(hide_password=True)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            path = Path(database).expanduser()
            if not create and not path.is_file():
                raise UsageError(
                    f"no database at {path} (`nianbao crawl` and `nianbao sites import` create one): check --db"
                )
            if path.is_dir():
                raise UsageError(f"--db {shown}: {path} is a folder, not a database file")
    from storage import Store
    from storage.sql import error_line

    try:
        store = Store(parsed.render_as_string(hide_password=False), blobs)
    except NoSuchModuleError:
        raise UsageError(f"--db {shown}: unknown database kind {parsed.drivername!r}: {URL_HINT}") from None
    except ModuleNotFoundError as exc:
        if backend != "postgresql":
            extra = f"install the Python module {exc.name}"
        elif exc.name == "psycopg2":
            extra = f"{POSTGRES_HINT} and write the URL as postgresql+psycopg://…"
        else:
            extra = POSTGRES_HINT
        raise StartError(f"cannot open {shown}: the {backend} driver ({exc.name}) is not installed: {extra}") from None
    except OSError as exc:
        raise StartError(f"cannot open {shown}: {exc.strerror or exc}") from None
    try:
        store.migrate()
    except (SQLAlchemyError, OSError) as exc:
        store.close()
        raise StartError(f"cannot open {shown}: {error_line(exc)}") from None
    return store
