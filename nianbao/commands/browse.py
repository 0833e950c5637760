"""`nianbao browse`: the store in Datasette, with the shipped metadata (descriptions, facets, queries)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import make_url

from ..exits import OK, StartError, UsageError

BROWSE_HINT = "pip install 'nianbao[browse]'"


def metadata_path() -> Path:
    """Return the path of the Datasette metadata shipped with nianbao (written for a file named nianbao.sqlite)."""
    from importlib import resources

    return Path(str(resources.files("storage") / "browse" / "metadata.json"))


def metadata_for(database: str) -> dict:
    """Return the shipped metadata with its database key renamed to `database` (Datasette's name for a file)."""
    meta = json.loads(metadata_path().read_text(encoding="utf-8"))
    meta["databases"] = {database: next(iter(meta["databases"].values()))}
    return meta


def add_browse_parser(sub: argparse._SubParsersAction, make: Callable[..., argparse.ArgumentParser],
                      default_db: str) -> None:  # fmt: skip
    """Add `nianbao browse` to the command parsers."""
    br = make(sub, "browse", "open the store in Datasette (a web browser over SQLite) with table and column "
              f"descriptions, facets and queries ({BROWSE_HINT})")  # fmt: skip
    br.add_argument("--db", default=default_db, help="SQLAlchemy URL of a SQLite store (must exist)")
    br.add_argument("--metadata-path", action="store_true", help="print the path of the shipped metadata and exit")
    br.add_argument("--port", type=int, default=8001, help="the port Datasette listens on (127.0.0.1)")
    br.set_defaults(func=cmd_browse)


def cmd_browse(args: argparse.Namespace) -> int:
    """Run `datasette FILE --metadata …` in place of this process, or print the metadata's path."""
    if args.metadata_path:
        print(metadata_path())
        return OK
    url = make_url(args.db)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise UsageError(f"--db {args.db}: Datasette opens SQLite files only (export a PostgreSQL store first)")
    path = Path(url.database)
    if not path.is_file():
        raise UsageError(f"--db {args.db}: no such SQLite file")
    datasette = shutil.which("datasette", path=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    if datasette is None:
        raise StartError(f"Datasette is not installed: {BROWSE_HINT}")
    fd, meta = tempfile.mkstemp(prefix="nianbao-datasette-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(metadata_for(path.stem), fh, ensure_ascii=False)
    argv = [datasette, "serve", str(path), "--metadata", meta, "--port", str(args.port)]
    print(f"nianbao: serving {path} at http://127.0.0.1:{args.port}/ (Ctrl-C to stop)", file=sys.stderr)
    os.execv(datasette, argv)
    return OK
