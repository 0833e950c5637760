"""Finding stored reports by what a user has in hand: a seq, a text-hash prefix, an export name or a URL."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from .models import Report, ReportDocument, Source
from .reading import with_sources
from .sources import url_sha256
from .store import Store

MIN_PREFIX = 4
"""The shortest text-hash prefix taken as one (shorter hex matches too many); digits are tried as a seq first."""


class NotFound(ValueError):
    """A reference that names no stored report, or several (the message says which)."""


def _queries(ref: str) -> list[tuple[str, Select[tuple[Report]]]]:
    """Return the readings of `ref`, each as (how it is read, for messages; the SELECT of the reports it names,
    latest first), in the order they are tried: all digits is a seq, then a hash prefix."""
    ref = ref.strip()
    base = select(Report).order_by(Report.is_latest.desc(), Report.seq)
    if re.match(r"(?i)^[a-z][a-z0-9+.-]*://", ref):
        docs = select(Source.document_id).where(Source.url_sha256 == url_sha256(ref))
        ids = select(ReportDocument.report_id).where(ReportDocument.document_id.in_(docs))
        return [("URL", base.where(Report.id.in_(ids)))]
    stem = re.fullmatch(r"(\d+)_([0-9a-f]{16})(?:\.txt|\.json)?", ref, re.IGNORECASE)
    if stem:
        return [("export name", base.where(Report.seq == int(stem.group(1))))]
    found = []
    if ref.isdigit() and len(ref) <= 12:
        found.append(("seq", base.where(Report.seq == int(ref))))
    if re.fullmatch(r"[0-9a-fA-F]+", ref) and len(ref) >= MIN_PREFIX:
        found.append(("text-hash prefix", base.where(Report.text_sha256.like(ref.lower() + "%"))))
    if found:
        return found
    raise NotFound(f"{ref!r}: not a seq, a text-hash prefix ({MIN_PREFIX}+ hex digits), an export name "
                       "(NNN_<hash16>) or a URL")  # fmt: skip


def find_report(store: Store, ref: str) -> dict[str, Any]:
    """Return the one stored report `ref` names, with provenance (as `Store.reports` yields it).

    `ref` is a seq (`12`), a prefix of the text SHA-256 (`9f3a…`, at least 4 hex digits), an exported file's
    name (`012_9f3a…`) or a URL the report was fetched from. Of several versions the latest is taken.
    Raises `NotFound` where `ref` names no report or several that are not versions of one.
    """
    readings = _queries(ref)
    with Session(store.engine) as s:
        for reading in readings:
            found = list(s.scalars(reading[1].limit(20)))
            if found:
                how = reading[0]
                break
        else:
            raise NotFound(f"no stored report has the {' or '.join(how for how, _ in readings)} {ref}")
        keys = {r.version_key or r.id for r in found}
        if len(keys) > 1:
            listed = ", ".join(f"{r.seq} ({r.agency or '?'} {r.year or '?'})" for r in found[:5])
            raise NotFound(f"the {how} {ref} names {len(found)} reports: {listed}; give a longer one or the seq")
        return next(with_sources(s, found[:1]))
