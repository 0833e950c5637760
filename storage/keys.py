"""Keys that group reports: normalised agency, version key, entity key; date parsing for provenance."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from extractors import compact
from extractors import is_government_level as _is_government_level

_GOV_OFFICE = re.compile(r"(人民政府)(办公室|办公厅)$")
# A region's government under its other names: "平潭综合实验区管委会", "XX区人民政府", "XX街道办事处" → the region.
_GOVERNING_BODY = re.compile(
    r"(?<=[省市区县旗盟州镇乡道])(?:人民政府|党工委管委会|工委管委会|管委会|管理委员会|办事处)$"
)
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")


def agency_key(agency: str | None) -> str | None:
    """Return the agency name in matching form (NFKC, no spaces or quotes), or None when there is none."""
    if not agency:
        return None
    key = compact(agency)
    return key or None


def is_government_level(agency: str | None) -> bool:
    """Return True for a 本级政府 report (see `extractors.is_government_level`)."""
    return _is_government_level(agency)


def entity_key(agency: str | None, region_code: str | None) -> str | None:
    """Return the reporting entity across years: region plus agency, a government's office folded into it.

    `XX区人民政府办公室` and `XX区人民政府` are one entity here, so that XY-05 can flag the years where a
    region's 汇总 report and its office's own report are mixed. A region's governing body is the region
    under any of its names (`平潭综合实验区管委会`, `平潭综合实验区`; `XX街道办事处`, `XX街道`), so
    a report that names itself one way one year and the other way the next is still compared.
    """
    key = agency_key(agency)
    if key is None:
        return None
    government = _GOVERNING_BODY.sub("", _GOV_OFFICE.sub(r"\1", key)) or key
    return f"{region_code or ''}|{government}"


def version_key(agency: str | None, year: int | None, region_code: str | None) -> str | None:
    """Return `region|agency|year` with the agency normalised, or None without agency or year.

    Two reports with one version key are versions of one report (a re-publication with changes).
    """
    key = agency_key(agency)
    if key is None or year is None:
        return None
    return f"{region_code or ''}|{key}|{int(year)}"


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
