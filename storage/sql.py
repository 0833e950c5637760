"""Portable SQL helpers: insert-unless-present, and which database errors a retry cures."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, bindparam, column, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

_RETRY_SQLSTATES = {"40001", "40P01", "55P03"}  # serialization failure, deadlock, lock not available


def insert_ignore_many(
    s: Session, table: Any, rows: list[dict[str, Any]], conflict: list[str] | None, returning: tuple[Any, ...]
) -> list[Any]:
    """Insert `rows` (one multi-row statement a few hundred rows at a time), skipping those that would break a
    unique key; return the `returning` columns of the rows inserted (in no particular order)."""
    if not rows:
        return []
    dialect = s.get_bind().dialect.name
    names = tuple(rows[0])
    if dialect == "postgresql" and _one_shape(table, names, rows):
        result = s.execute(_from_json(table, names, tuple(conflict) if conflict else None, returning), {"rows": rows})
        return list(result) if returning else []
    if dialect in ("postgresql", "sqlite"):
        stmt = _insert_ignore(dialect, table, tuple(conflict) if conflict else None, returning)
        if not returning:
            s.execute(stmt, rows)
            return []
        return list(s.execute(stmt, rows))
    out = []
    for values in rows:
        try:
            with s.begin_nested():
                s.execute(insert(table).values(**values))
        except IntegrityError:
            continue
        key = [table.c[k] == values[k] for k in conflict or values]
        out.append(s.execute(select(*returning).where(*key)).one())
    return out


def _one_shape(table: Any, names: tuple[str, ...], rows: list[dict[str, Any]]) -> bool:
    """True where every row has the keys `names` and no JSON column is None (a VALUES list stores JSON `null`
    there, json_to_recordset SQL NULL): the rows `_from_json` inserts as a VALUES list would."""
    wanted = set(names)
    nulls = [n for n in names if isinstance(table.c[n].type, JSON)]
    return all(r.keys() == wanted and all(r[n] is not None for n in nulls) for r in rows)


@lru_cache(maxsize=32)
def _insert_ignore(dialect: str, table: Any, conflict: tuple[str, ...] | None, returning: tuple[Any, ...]) -> Any:
    """Return `INSERT INTO table … ON CONFLICT DO NOTHING [RETURNING …]` for PostgreSQL or SQLite, built once."""
    ins = (postgresql if dialect == "postgresql" else sqlite).insert(table)
    stmt = ins.on_conflict_do_nothing(index_elements=list(conflict) if conflict else None)
    return stmt.returning(*returning) if returning else stmt


@lru_cache(maxsize=32)
def _from_json(table: Any, names: tuple[str, ...], conflict: tuple[str, ...] | None, returning: tuple[Any, ...]) -> Any:
    """Return `INSERT INTO table (names) SELECT … FROM json_to_recordset(:rows) ON CONFLICT DO NOTHING [RETURNING …]`.

    PostgreSQL takes a batch's rows as one JSON parameter: a multi-row VALUES of a few hundred rows carries
    thousands of placeholders, and psycopg parses a query that long again at every execution (under a profiler,
    half the client time of a batch's statements). The engine's JSON serializer writes the rows: a JSON column's
    value is kept as that text, verbatim, and a datetime goes as its `str()`, which PostgreSQL reads as the same
    instant. The rows come out in their order, so ids are handed out as a VALUES list hands them out."""
    rows = (
        func.json_to_recordset(bindparam("rows", type_=JSON))
        .table_valued(*(column(n, table.c[n].type) for n in names))
        .render_derived(with_types=True)
    )
    stmt = postgresql.insert(table).from_select(list(names), select(*rows.c))
    stmt = stmt.on_conflict_do_nothing(index_elements=conflict)
    return stmt.returning(*returning) if returning else stmt


def error_line(exc: BaseException) -> str:
    """Return `Type: first line` of an exception (the type alone where it says nothing): of a failed store call, the
    database driver's own error where SQLAlchemy wraps one."""
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return f"{type(orig).__name__}: {lines[0]}" if lines else type(orig).__name__


def upsert(s: Session, model: Any, values: dict[str, Any], conflict: list[str]) -> None:
    """Insert a row, or update the row holding the same `conflict` key with the other `values`."""
    changed = {k: v for k, v in values.items() if k not in conflict}
    dialect = s.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        ins = (postgresql if dialect == "postgresql" else sqlite).insert(model.__table__).values(**values)
        s.execute(ins.on_conflict_do_update(index_elements=conflict, set_=changed))
        return
    key = {k: values[k] for k in conflict}
    row = s.execute(select(model).filter_by(**key)).scalar_one_or_none()
    if row is None:
        s.add(model(**values))
    else:
        for name, value in changed.items():
            setattr(row, name, value)


def retryable(exc: DBAPIError) -> bool:
    """Return True for errors a retry can cure: a lost insert race, a deadlock, a busy database."""
    if exc.connection_invalidated:
        return True
    state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    message = str(exc.orig).lower()
    if isinstance(exc, IntegrityError):
        return state == "23505" or "unique constraint" in message
    return state in _RETRY_SQLSTATES or "database is locked" in message or "database is busy" in message


def missing_table(exc: DBAPIError) -> bool:
    """Return True where the error says a table does not exist (an unmigrated database)."""
    state = getattr(exc.orig, "sqlstate", None)
    return state == "42P01" or "no such table" in str(exc.orig).lower()
