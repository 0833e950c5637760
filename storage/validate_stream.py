"""The cross-year and timeliness rules over a whole store, region by region, in memory flat in the number of reports.

The rules compare each reporting entity's reports year by year (`validate.validate_records`). An entity's key
starts with its region code (`REGION|NAME`), so the store is read ordered by body key: once the reading has
moved past a region, every report of that region's entities has been read, and they are checked and let go.
Reports without a body key come first (their entity, if the attribution finds one now, can be in any region),
and a region that a known alias of another region points to is held to the end. Memory then holds one region's
reports, not the store's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from .bodies import aliases
from .keys import attributed, entity_key
from .store import Store
from .validate import Compared, Finding, validate_records


class Unordered(RuntimeError):
    """A report of a region already checked turned up later in the reading (the store's order was broken)."""


def iter_findings(store: Store, region: str | None = None, compared: Compared | None = None) -> Iterator[Finding]:
    """Yield the findings of `validate.validate` over the store's latest reports, one region's entities at a time
    (sorted within the region as `validate` sorts them). `compared`, where given, is filled in as `validate` does.

    Raises Unordered where a region's reports did not come together (then use `validate`, which holds them all).
    """
    known = {alias: body.body_key for body in store.bodies(region) for alias in aliases(body)}
    records = store.reports(region=region, latest_only=True, by_body=True)
    yield from findings_by_region(records, known, compared)


def findings_by_region(
    records: Iterable[dict[str, Any]], known: dict[str, str] | None = None, compared: Compared | None = None
) -> Iterator[Finding]:
    """Yield the findings of `validate.validate_records` over `records` ordered by body key (those without one
    first), checking each region's entities as soon as the records have moved past the region."""
    known = known or {}
    compared = compared if compared is not None else Compared()
    held = {_region(target) for alias, target in known.items() if _region(alias) != _region(target)}
    waiting: dict[str, list[dict[str, Any]]] = defaultdict(list)
    done: set[str] = set()
    reading: str | None = None
    for rec in records:
        body_key = rec.get("body_key")
        key = entity_key(known.get(body_key or "", body_key)) if body_key else _entity(rec, known)
        if key is None:
            yield from validate_records([rec], known, compared)  # no entity: only its own timeliness
            continue
        place = _region(key)
        if place in done:
            raise Unordered(f"reports of region {place!r} came after the region was checked")
        waiting[place].append(rec)
        now = _region(body_key) if body_key else None
        if now != reading:
            if reading is not None and reading not in held and reading in waiting:
                done.add(reading)
                yield from validate_records(waiting.pop(reading), known, compared)
            reading = now
    for place in sorted(waiting):
        yield from validate_records(waiting[place], known, compared)


def _entity(rec: dict[str, Any], known: dict[str, str]) -> str | None:
    """Return the entity of a record without a body key (attributed now), or None."""
    body_key = attributed(rec).get("body_key")
    return entity_key(known.get(body_key or "", body_key)) if body_key else None


def _region(key: str) -> str:
    """Return the region code a body or entity key starts with ('' for none)."""
    return key.partition("|")[0]
