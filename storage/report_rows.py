"""Finding or creating the reports of a batch of documents, linking each document, and numbering versions.

A record is the report of its normalised text (`text_sha256`): a text already stored is that report; a new
text whose body and year (`version_key`) already has a report with the same three tables is that report in
another form (an HTML page and a PDF of it); any other new text is a new report. New reports are created
under the row lock of the `report_seq` counter, so `seq` stays dense and versions are linked one writer at a
time; the versions of every body and year that gained a report are renumbered once per batch.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from extractors import TABLES, is_raw_key, text_sha256

from .keys import attributed, parse_datetime, version_key
from .models import Counter, Report, ReportDocument
from .records import record_text
from .sources import SourceFields
from .sql import insert_ignore_many

COMPUTED_KEYS = ("sources", "source_details", "raw_sha256", "documents", "seq", "report_id", "version", "is_latest")
"""Record keys the store computes when reading (provenance); never stored from a record handed in."""
_REP = Report.__table__
_CTR = Counter.__table__
# The batch's statements are built once: building one costs more than running it from SQLAlchemy's cache.
_COUNTER = select(_CTR.c.value).where(_CTR.c.name == "report_seq").with_for_update()
_COUNTER_SET = update(_CTR).where(_CTR.c.name == "report_seq").values(value=bindparam("value"))
_BY_TEXT = select(_REP.c.id, _REP.c.seq, _REP.c.version, _REP.c.text_sha256).where(
    _REP.c.text_sha256.in_(bindparam("hashes", expanding=True))
)
_VERSIONS = (
    select(_REP.c.id, _REP.c.seq, _REP.c.version, _REP.c.record, _REP.c.version_key)
    .where(_REP.c.version_key.in_(bindparam("vkeys", expanding=True)))
    .order_by(_REP.c.id)
)
_VERSION_ROWS = select(_REP.c.id, _REP.c.seq, _REP.c.published_at, _REP.c.version_key, _REP.c.version,
                       _REP.c.supersedes_id, _REP.c.is_latest).where(
    _REP.c.version_key.in_(bindparam("vkeys", expanding=True)))  # fmt: skip
_CLEAR_LATEST = (
    update(_REP).where(_REP.c.version_key.in_(bindparam("vkeys", expanding=True)), _REP.c.is_latest)
    .values(is_latest=False)
)  # fmt: skip
_RELINK = (
    update(_REP)
    .where(_REP.c.id == bindparam("b_id"))
    .values(version=bindparam("b_version"), supersedes_id=bindparam("b_supersedes_id"),
            is_latest=bindparam("b_is_latest"))
)  # fmt: skip


@dataclass(frozen=True)
class Wanted:
    """A record to store, with the URL and the document (id and hash) it was read from."""

    record: dict[str, Any]
    src: SourceFields
    doc_id: int
    sha256: str


@dataclass
class Linked:
    """The report a record was found or stored as; `id` of a new report is known once the batch is inserted."""

    status: str
    """`new`, `new_version` or `known` (see `AddResult.report`)."""
    seq: int
    version: int
    id: int | None = None
    row: dict[str, Any] | None = field(default=None, repr=False)
    """The values of a new report's row (None for a report already stored)."""


def link_reports(s: Session, wanted: list[Wanted], now: datetime) -> list[Linked]:
    """Return the report of every wanted record, in order, creating the new ones and linking every document."""
    if not wanted:
        return []
    hashes = [w.record.get("text_sha256") or text_sha256(record_text(w.record)) for w in wanted]
    known = _by_text(s, hashes)
    counter: int | None = None
    if any(h not in known for h in hashes):
        # Report creation is serialised by the counter's row lock; look again once it is held.
        counter = s.execute(_COUNTER).scalar_one()
        known.update(_by_text(s, [h for h in hashes if h not in known]))
    out: list[Linked] = []
    created: list[Linked] = []
    fresh = {i: _attributed(w.record, w.src) for i, (w, h) in enumerate(zip(wanted, hashes, strict=True))
             if h not in known}  # fmt: skip
    vkeys = {i: version_key(rec.get("body_key"), _int(rec.get("year"))) for i, rec in fresh.items()}
    versions = _stored_versions(s, {v for v in vkeys.values() if v is not None})
    for i, (w, text_hash) in enumerate(zip(wanted, hashes, strict=True)):
        found = known.get(text_hash)
        if found is None:
            record, vkey = fresh[i], vkeys[i]
            found = next((linked for rec, linked in versions.get(vkey, ()) if same_tables(rec, record)), None)
            if found is None:
                assert counter is not None
                counter += 1
                new = _new(record, w, text_hash, counter, vkey, now)
                new.status = "new_version" if versions.get(vkey) else "new"
                created.append(new)
                if vkey is not None:
                    versions.setdefault(vkey, []).append((record, new))
                known[text_hash] = new
                out.append(new)
                continue
            known[text_hash] = found
        out.append(Linked("known", found.seq, found.version, found.id, found.row))
    if created:
        _insert(s, created, counter, versions)
    for linked in out:
        if linked.row is not None:  # a report new in this batch: its id and version are known now
            linked.id, linked.version = linked.row["id"], linked.row["version"]
    links = {(r.id, w.doc_id): dict(report_id=r.id, document_id=w.doc_id, first_seen=now)
             for r, w in zip(out, wanted, strict=True)}  # fmt: skip
    insert_ignore_many(s, ReportDocument.__table__, [links[k] for k in sorted(links)], None, ())
    return out


def _by_text(s: Session, hashes: list[str]) -> dict[str, Linked]:
    """Return the stored reports of these text hashes, by hash."""
    if not hashes:
        return {}
    rows = s.execute(_BY_TEXT, {"hashes": list(dict.fromkeys(hashes))})
    return {r.text_sha256: Linked("known", r.seq, r.version, r.id) for r in rows}


def _stored_versions(s: Session, vkeys: set[str]) -> dict[str, list[tuple[dict[str, Any], Linked]]]:
    """Return the record and report of every stored version of these bodies and years, oldest first, by key."""
    out: dict[str, list[tuple[dict[str, Any], Linked]]] = {}
    if not vkeys:
        return out
    for r in s.execute(_VERSIONS, {"vkeys": sorted(vkeys)}):
        out.setdefault(r.version_key, []).append((r.record, Linked("known", r.seq, r.version, r.id)))
    return out


def _new(record: dict[str, Any], w: Wanted, text_hash: str, seq: int, vkey: str | None, now: datetime) -> Linked:
    """Return the report a new record will be: its row's values, numbered `seq`, version 1 until renumbered."""
    severities = Tally(str(c.get("severity") or "") for c in record.get("checks") or [] if isinstance(c, dict))
    stored = {k: v for k, v in record.items() if k not in COMPUTED_KEYS}
    stored["text_sha256"] = text_hash
    stored["raw_sha256"] = w.sha256  # the document this record was read from
    row = dict(
        text_sha256=text_hash,
        seq=seq,
        record=stored,
        title=record.get("title"),
        year=_int(record.get("year")),
        agency=record.get("agency"),
        region_code=record.get("region_code"),
        region_name=record.get("region_name"),
        body=record.get("body"),
        body_key=record.get("body_key"),
        site=record.get("site") or w.src.site,
        format=record.get("format"),
        published_at=parse_datetime(record.get("published_at") or w.src.published_at or w.src.list_date),
        errors=severities["E"],
        warnings=severities["W"],
        infos=severities["I"],
        first_seen=now,
        version_key=vkey,
        version=1,
        is_latest=vkey is None,
        supersedes_id=None,
    )
    return Linked("new", seq, 1, None, row)


def _insert(s: Session, created: list[Linked], counter: int | None, versions: dict[str, Any]) -> None:
    """Insert the new reports, move the counter on, and renumber the versions of every body and year they joined."""
    alone = {vkey for vkey, rows in versions.items() if len(rows) == 1 and rows[0][1].row is not None}
    for linked in created:
        if linked.row["version_key"] in alone:  # the first report of its body and year: latest, version 1
            linked.row["is_latest"] = True
    inserted = insert_ignore_many(s, _REP, [c.row for c in created], None, (_REP.c.id, _REP.c.text_sha256))
    ids = {r.text_sha256: r.id for r in inserted}
    for linked in created:
        linked.id = linked.row["id"] = ids[linked.row["text_sha256"]]
    s.execute(_COUNTER_SET, {"value": counter})
    renumber = sorted({c.row["version_key"] for c in created if c.row["version_key"] is not None} - alone)
    if renumber:
        numbers = _relink_versions(s, renumber)
        for linked in created:
            if linked.id in numbers:
                linked.version = linked.row["version"] = numbers[linked.id]


def _relink_versions(s: Session, vkeys: list[str]) -> dict[int, int]:
    """Number the reports of each version key, link each to the one before, mark the last latest.

    Versions follow publication dates where every version has one, else the order of discovery.
    Returns the version number of every report of these keys, by report id.
    """
    by_key: dict[str, list[Any]] = defaultdict(list)
    for r in s.execute(_VERSION_ROWS, {"vkeys": vkeys}):
        by_key[r.version_key].append(r)
    # Clear the flag first: the partial unique index allows one latest per key at every statement.
    s.execute(_CLEAR_LATEST, {"vkeys": vkeys})
    numbers: dict[int, int] = {}
    changes = []
    for rows in by_key.values():
        if all(r.published_at is not None for r in rows):
            rows.sort(key=lambda r: (r.published_at, r.seq))
        else:
            rows.sort(key=lambda r: r.seq)
        previous = None
        for number, r in enumerate(rows, 1):
            numbers[r.id] = number
            latest = number == len(rows)
            if (r.version, r.supersedes_id) != (number, previous) or latest:
                changes.append({"b_id": r.id, "b_version": number, "b_supersedes_id": previous, "b_is_latest": latest})
            previous = r.id
    # The latest rows go last, once every flag of their key is clear.
    changes.sort(key=lambda c: c["b_is_latest"])
    s.execute(_RELINK, changes)
    return numbers


def _attributed(record: dict[str, Any], src: SourceFields) -> dict[str, Any]:
    """Return the record attributed (body, body_key, region): as handed in where it carries a body key, else
    from its agency with the source's site region where the record has none (see `keys.attributed`)."""
    if not record.get("region_code") and src.region_code:
        record = {**record, "region_code": src.region_code, "region_name": src.region_name}
    elif not record.get("region_name") and src.region_name and src.region_code in (None, record.get("region_code")):
        record = {**record, "region_name": src.region_name}
    return attributed(record)


def _cells(table: Any) -> Any:
    """Return a table without the raw texts kept beside unclean values (they differ between carriers)."""
    if not isinstance(table, dict):
        return table
    return {row: {k: v for k, v in cols.items() if not is_raw_key(k)} if isinstance(cols, dict) else cols
            for row, cols in table.items()}  # fmt: skip


def same_tables(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """True where two records carry the same three tables, cell for cell, and at least one table."""
    if not any(b.get(t) for t in TABLES):
        return False
    return all(_cells(a.get(t)) == _cells(b.get(t)) for t in TABLES)


def _int(value: Any) -> int | None:
    """Return `value` as an int, or None where it is empty or no integer."""
    try:
        return int(value) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None
