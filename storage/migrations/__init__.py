"""Alembic migrations, run programmatically (no alembic.ini): `upgrade(engine)` or `Store.migrate()`.

To write a new revision after changing `storage/models.py`::

    from alembic import command
    from storage.migrations import config
    command.revision(config("sqlite:///data/nianbao.sqlite"), message="what changed", autogenerate=True)
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

HERE = Path(__file__).resolve().parent
PG_LOCK = 0x6E69616E62616F  # "nianbao": one migration at a time per PostgreSQL database


def config(url: str | None = None) -> Config:
    """Return an Alembic Config pointing at these migrations (and at `url`, for command-line style use)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("path_separator", "os")
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database behind `engine` to `revision` (default: the newest) in one transaction."""
    cfg = config()
    with engine.connect().execution_options(nianbao_write=True) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            # Two processes migrating at once: the second waits, then finds nothing left to do.
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_LOCK})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current(engine: Engine) -> str | None:
    """Return the revision the database is at, or None where it was never migrated."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
