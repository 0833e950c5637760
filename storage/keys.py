"""Keys that group reports: normalised agency, body key, version key, entity key; date parsing for provenance.

Name folding lives in one place, `extractors.bodies` (and the attribution, `extractors.attribution`).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from extractors import attribute_record, entity_of, name_key
from extractors import is_government_level as _is_government_level

_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")


def agency_key(agency: str | None) -> str | None:
    """Return the agency name in matching form (NFKC, no spaces or quotes), or None when there is none."""
    return name_key(agency)


def is_government_level(agency: str | None) -> bool:
    """Return True for a 本级政府 report (see `extractors.is_government_level`)."""
    return _is_government_level(agency)


def attributed(record: dict[str, Any]) -> dict[str, Any]:
    """Return the record with its body, body_key and region set: as it is where it carries a `body_key` or
    has no agency or title to place, else attributed from its agency and region code (`extractors.attribute_record`)."""
    if record.get("body_key") or not (record.get("agency") or record.get("title")):
        return record
    return attribute_record(record)


def body_key_of(record: dict[str, Any]) -> str | None:
    """Return the record's `body_key` (computed from its agency and region where it has none), or None."""
    return attributed(record).get("body_key")


def entity_key(body_key: str | None) -> str | None:
    """Return the reporting entity across years: the body, a government's office folded into it.

    `XX区人民政府办公室` and `XX区人民政府` are one entity here, so that XY-05 can flag the years where a
    region's 汇总 report and its office's own report are mixed. The body key already folds a region's
    governing body under its names (`平潭综合实验区管委会`, `平潭综合实验区`; `XX街道办事处`, `XX街道`) and
    the parent region's prefix (`淮安市洪泽区人民政府`, `洪泽区人民政府`), so a body that names itself one
    way one year and the other way the next is still compared.
    """
    return entity_of(body_key)


def version_key(body_key: str | None, year: int | None) -> str | None:
    """Return `body_key|year` (`REGION|NAME|YEAR`), or None without a body key or a year.

    Two reports with one version key are versions of one report (a re-publication with changes).
    """
    if not body_key or year is None:
        return None
    return f"{body_key}|{int(year)}"


def parse_datetime(value: Any) -> datetime | None:
    """Return a naive datetime from a date, datetime, epoch number or text like `2025-03-10 15:35`.

    Text that holds no recognisable date gives None; so does None.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), UTC).replace(tzinfo=None)
    m = _DATE.search(str(value))
    if not m:
        return None
    y, mo, d, hh, mm, ss = m.groups()
    try:
        return datetime(int(y), int(mo), int(d), int(hh or 0), int(mm or 0), int(ss or 0))
    except ValueError:
        return None


def utc_datetime(value: Any) -> datetime:
    """Return an aware UTC datetime for a fetch time (now where `value` is None or unreadable)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), UTC)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None:
            return utc_datetime(parsed)
    return datetime.now(UTC)


def iso(value: datetime | None) -> str | None:
    """Return a datetime as ISO 8601 text (naive values are taken as UTC), or None."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
