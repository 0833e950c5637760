"""The bodies obliged to publish a 年报: learnt from sightings (a platform's units, a 公布情况 notice's names,
the registry's organisers, a user's CSV) and merged into the `bodies` table.

Each sighting's name is placed with `extractors.attribution` (the name inside the site's region) and keyed
as the reports are (`REGION|NAME`, the governing-body forms folded). A government's 办公室/办公厅 is the
government here: its report is the 本级政府's (titled as the government's, issued by its office), so an
office's sighting lands on the government's key and adds the office's name to the government's names.

Merging, in order: a sighting whose 年报 column (`column_url`) is a known body's is that body (a rename
keeps the key and adds the new name); else the body whose key, or one of whose former names' keys, is the
sighting's key (a body named only under its former name in an earlier notice is that same body); a name
written as renamed (`区文化和旅游局（原区文化广电体育局）`) links the new name and the former one. Where a
sighting joins two known bodies, the older one (first learnt) keeps its key and takes the other's names and
evidence. Names and evidence are appended without duplicates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from extractors import Evidence, attribute, fold_governing_body, fold_office, make_body_key, name_key
from extractors.attribution import region_chain
from extractors.regions import lookup

from .models import Body

LEVELS = ("government", "department", "township", "other")
"""A body's level: 本级政府, 部门, 乡镇街道, or other."""
KINDS = ("registry", "platform", "notice", "user", "report")
"""Where knowledge of a body came from (an evidence entry's `kind`)."""

_FORMER = re.compile(r"^(?P<name>.+?)[（(]\s*原(?:名|称|名称)?[:：]?\s*(?P<former>[^()（）]+?)\s*[)）]$")
_TOWNSHIP = re.compile(r"(?:镇|乡|街道|苏木)(?:人民政府|政府|办事处)?$")
_GOVERNMENT = re.compile(r"(?:人民政府|政府)$")
_DEPARTMENT = re.compile(
    r"(?:局|委员会|委|办公室|办公厅|办|中心|厅|署|院|所|队|站|处|室|部|会|馆|社|团|集团|公司|大学|学校|医院)$"
)


@dataclass(frozen=True, slots=True)
class BodySighting:
    """One sighting of a body obliged to publish: a unit a platform lists, a name in a 公布情况 notice, a
    registry row, a user's CSV row."""

    name: str
    """The body's name as printed."""
    kind: str
    """`platform`, `notice`, `registry` or `user`."""
    url: str | None = None
    """The page it was seen on."""
    site: str | None = None
    """The crawl's site id (the registry's site_key for registry rows)."""
    site_region_code: str | None = None
    """The GB/T 2260 code of the site it was seen on (the scope its name is placed in)."""
    column_url: str | None = None
    """Its 年报 column, where a platform links one."""
    year: int | None = None
    """For a notice: the report year it is about."""
    date: str | None = None
    """For a notice: its publication date, YYYY-MM-DD."""
    report_url: str | None = None
    """For a notice: the report it links for this body, if any."""


@dataclass(frozen=True, slots=True)
class Placed:
    """A name placed in its region: the key the reports of that body carry, its canonical name and level."""

    body_key: str
    """`REGION|NAME` (an office folded into its government)."""
    name: str
    """The canonical name (parents' prefixes dropped; a government's office as the government)."""
    seen: str
    """The canonical name as seen (an office's name kept)."""
    region_code: str | None
    """The body's GB/T 2260 code, or None where its name places it nowhere."""
    level: str
    """One of `LEVELS`, from the name."""


@dataclass(slots=True)
class _Index:
    """The bodies known in this transaction, found by key, by former names' keys and by 年报 column."""

    bodies: dict[int, Body] = field(default_factory=dict)
    """The bodies by `id()` (the session's objects; a list's `in` made loading n bodies n² comparisons)."""
    by_key: dict[str, Body] = field(default_factory=dict)
    by_alias: dict[str, Body] = field(default_factory=dict)
    by_column: dict[str, Body] = field(default_factory=dict)

    def add(self, body: Body) -> None:
        self.bodies[id(body)] = body
        self.by_key[body.body_key] = body
        for alias in aliases(body):
            self.by_alias.setdefault(alias, body)
        if body.column_url:
            self.by_column[body.column_url] = body

    def drop(self, body: Body) -> None:
        del self.bodies[id(body)]
        for table in (self.by_key, self.by_alias, self.by_column):
            for k in [k for k, v in table.items() if v is body]:
                del table[k]


# -- names ----------------------------------------------------------------------------------------
def split_former(name: str) -> tuple[str, list[str]]:
    """Return (name, former names) of a name written as renamed (`新名（原旧名）`); else (name, [])."""
    m = _FORMER.match(name.strip())
    if not m:
        return name.strip(), []
    return m.group("name").strip(), [n for n in re.split(r"[、，,;；]", m.group("former")) if n.strip()]


def classify(name: str, region_code: str | None) -> str:
    """Return the level of a body from its canonical name: `government` (a region's 人民政府/政府/管委会/办事处,
    its office), `township` (a 镇/乡/街道 body), `department` (局/委/办/中心 …) or `other`."""
    key = fold_office(name_key(name) or "")
    folded = fold_governing_body(key)
    chain = region_chain(folded)
    names_region = bool(chain) and chain[-1][1] == len(folded)
    if _TOWNSHIP.search(key) or (names_region and region_code is not None and len(region_code) == 9):
        return "township"
    if names_region or _GOVERNMENT.search(key):
        return "government"
    if _DEPARTMENT.search(key):
        return "department"
    return "other"


@lru_cache(maxsize=4096)  # a sighting's name is placed when the bodies are loaded and when it is merged
def place(name: str, site_region_code: str | None) -> Placed | None:
    """Return a printed name placed inside the site's region (see `extractors.attribution`), or None for no name."""
    found = attribute(Evidence(agency=name, site_region_code=site_region_code))
    if not found.body:
        return None
    canonical = found.body
    key = make_body_key(found.region_code, fold_office(canonical))
    if key is None:
        return None
    level = classify(canonical, found.region_code)
    return Placed(key, fold_office(canonical), canonical, found.region_code, level)


def government_key(region_code: str | None) -> str | None:
    """Return the body key of a region's government (`320813|洪泽区`), or None for a code the table lacks."""
    region = lookup(region_code) if region_code else None
    return make_body_key(region.full_code, region.name) if region is not None else None


def parent_of(level: str, region_code: str | None) -> str | None:
    """Return the body key of the government a body belongs to: its region's for a department, the county's for
    a township, the region above's for a government; None where the table does not know the region."""
    if not region_code:
        return None
    if level == "government":
        code = region_code.ljust(6, "0")
        above = code[:6] if len(region_code) == 9 else (code[:4] + "00" if code[4:6] != "00" else code[:2] + "0000")
        return government_key(above) if above != code else None
    if level == "township":
        return government_key(region_code[:6]) if len(region_code) == 9 else None
    return government_key(region_code)


def aliases(body: Body) -> set[str]:
    """Return the keys of every name a body was seen under (its own key included)."""
    out = {body.body_key}
    for name in body.names or []:
        key = make_body_key(body.region_code, fold_office(name_key(str(name)) or ""))
        if key:
            out.add(key)
    return out


# -- merging --------------------------------------------------------------------------------------
def _evidence(s: BodySighting) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": s.kind, "url": s.url, "year": s.year, "date": s.date, "name": s.name}
    if s.report_url:
        out["report_url"] = s.report_url
    if s.column_url:
        out["column_url"] = s.column_url
    if s.site:
        out["site"] = s.site
    return out


def _append(items: list[Any] | None, new: Iterable[Any]) -> list[Any]:
    out = list(items or [])
    for item in new:
        if item not in out:
            out.append(item)
    return out


def _snapshot(body: Body) -> tuple[Any, ...]:
    return (body.name, body.level, body.region_code, body.parent_key, body.site_key, body.column_url,
            tuple(map(str, body.names or [])), len(body.evidence or []), body.retired_year)  # fmt: skip


def _load(session: Session, sightings: list[BodySighting] | None = None) -> _Index:
    """Return the index of the known bodies: all of them, or only those `sightings` can be (`_matches`): a body is
    found by a key or alias, which start with its region code, or by its 年报 column."""
    query = select(Body).order_by(Body.id)
    if sightings is not None:
        regions: set[str | None] = set()
        columns = {s.column_url for s in sightings if s.column_url}
        for s in sightings:
            printed, former = split_former(s.name)
            for name in (printed, *former):
                if (placed := place(name, s.site_region_code)) is not None:
                    regions.add(placed.region_code)
        where = [Body.region_code.in_([r for r in regions if r is not None])]
        if None in regions:
            where.append(Body.region_code.is_(None))
        if columns:
            where.append(Body.column_url.in_(columns))
        query = query.where(or_(*where))
    index = _Index()
    for body in session.scalars(query):
        index.add(body)
    return index


def _absorb(session: Session, index: _Index, keep: Body, other: Body) -> None:
    """Move `other`'s names and evidence into `keep` and delete `other`."""
    index.drop(other)
    keep.names = _append(keep.names, other.names or [])
    keep.evidence = _append(keep.evidence, other.evidence or [])
    keep.column_url = keep.column_url or other.column_url
    keep.site_key = keep.site_key or other.site_key
    if keep.retired_year is None:
        keep.retired_year = other.retired_year
    session.delete(other)
    session.flush()
    index.add(keep)


def _matches(index: _Index, placed: Placed, former: list[Placed], column_url: str | None) -> list[Body]:
    """Return the known bodies a sighting is (the column's first), oldest first after it, without repeats."""
    found: list[Body] = []
    if column_url and column_url in index.by_column:
        found.append(index.by_column[column_url])
    for key in [placed.body_key, *(f.body_key for f in former)]:
        body = index.by_key.get(key) or index.by_alias.get(key)
        if body is not None and body not in found:
            found.append(body)
    return found


def _merge(session: Session, index: _Index, sighting: BodySighting, now: datetime,
           level: str | None = None) -> Body | None:  # fmt: skip
    """Return the body a sighting is, created or updated (None where its name places no body)."""
    printed, former_names = split_former(sighting.name)
    placed = place(printed, sighting.site_region_code)
    if placed is None:
        return None
    former = [p for n in former_names if (p := place(n, sighting.site_region_code)) is not None]
    found = _matches(index, placed, former, sighting.column_url)
    if not found:
        body = Body(body_key=placed.body_key, name=placed.name, level=level or placed.level,
                    region_code=placed.region_code, parent_key=parent_of(level or placed.level, placed.region_code),
                    site_key=sighting.site, column_url=sighting.column_url,
                    names=_append([], [*(f.seen for f in former), placed.name, placed.seen]),
                    evidence=[_evidence(sighting)], retired_year=None, updated_at=now)  # fmt: skip
        session.add(body)
        session.flush()
        index.add(body)
        return body
    keep = found[0] if sighting.column_url and found[0].column_url == sighting.column_url else min(found, key=_age)
    for other in found:
        if other is not keep:
            _absorb(session, index, keep, other)
    renamed = bool(former) or (sighting.column_url is not None and keep.column_url == sighting.column_url)
    current = sighting.kind != "notice"  # a notice may be of an earlier year: it never renames a body
    keep.names = _append(keep.names, [*(f.seen for f in former), placed.name, placed.seen])
    keep.evidence = _append(keep.evidence, [_evidence(sighting)])
    if current and (renamed or keep.body_key == placed.body_key):
        keep.name = placed.name
    if level is not None:
        keep.level = level
    elif current and renamed and keep.level == "other":
        keep.level = placed.level
    if sighting.column_url and current:
        keep.column_url = sighting.column_url
    keep.site_key = keep.site_key or sighting.site
    if keep.parent_key is None:
        keep.parent_key = parent_of(keep.level, keep.region_code)
    index.add(keep)
    return keep


def _age(body: Body) -> int:
    return body.id or 0


def learn(session: Session, sightings: Iterable[BodySighting], now: datetime) -> int:
    """Merge sightings into the `bodies` table (see the module); return how many bodies were added or changed."""
    sightings = list(sightings)
    index = _load(session, sightings)
    before = {b.body_key: _snapshot(b) for b in index.bodies.values()}
    touched: dict[int, Body] = {}
    for sighting in sightings:
        body = _merge(session, index, sighting, now)
        if body is not None:
            touched[id(body)] = body
    changed = 0
    for body in touched.values():
        if id(body) not in index.bodies:
            continue
        if before.get(body.body_key) != _snapshot(body):
            body.updated_at = now
            changed += 1
    return changed


# -- the registry and the user's CSV ----------------------------------------------------------------
def _field(row: Any, name: str) -> Any:
    return row.get(name) if isinstance(row, Mapping) else getattr(row, name, None)


def sightings_from_sites(rows: Iterable[Any]) -> list[BodySighting]:
    """Return a registry sighting for each site whose organiser (主办单位) is a 本级政府 or 部门 body.

    `rows` are `sites` rows or mappings with `site_key`, `organiser`, `region_code` and `start_urls`; a
    government portal's organiser (often the government's 办公室) is the government.
    """
    out: list[BodySighting] = []
    for row in rows:
        # Without an organiser column (the crawler's CSV), a site named as a body (淮安市人民政府) is that body.
        organiser = str(_field(row, "organiser") or _field(row, "name") or "").strip()
        if not organiser:
            continue
        code = _field(row, "region_code")
        if classify(organiser, code) not in ("government", "department"):
            continue
        urls = list(_field(row, "start_urls") or [])
        out.append(BodySighting(name=organiser, kind="registry", url=urls[0] if urls else None,
                                site=_field(row, "site_key"), site_region_code=code))  # fmt: skip
    return out


@dataclass(frozen=True, slots=True)
class UserRow:
    """One row of a user's bodies CSV (`nianbao bodies import`)."""

    action: str
    """`add`, `rename` or `retire`."""
    name: str
    """The body's name (for `rename`: its former name)."""
    new_name: str | None = None
    """For `rename`: its new name."""
    level: str | None = None
    """For `add`: one of `LEVELS`, where the name alone would classify it otherwise."""
    region_code: str | None = None
    """The region the name is placed in (the body's, or a region holding it)."""
    year: int | None = None
    """For `retire`: the first year it no longer has to publish; for `rename`: the year of the change (a note)."""
    column_url: str | None = None
    """Its 年报 column, where known."""
    line: int = 0
    """The CSV line (for messages)."""


def apply_user_rows(session: Session, rows: Iterable[UserRow], now: datetime, source: str | None = None) -> list[str]:
    """Apply a user's rows (add, rename, retire); return one problem line per row not applied (empty when all were).

    A rename or retire names a known body (by any of its names, in `region_code`); an unknown one is a problem,
    never a new body.
    """
    index = _load(session)
    problems: list[str] = []
    for row in rows:
        where = f"line {row.line}: " if row.line else ""
        if row.action not in ("add", "rename", "retire"):
            problems.append(f"{where}unknown action {row.action!r} (add, rename or retire)")
            continue
        if row.level and row.level not in LEVELS:
            problems.append(f"{where}unknown level {row.level!r} ({', '.join(LEVELS)})")
            continue
        placed = place(row.name, row.region_code)
        if placed is None:
            problems.append(f"{where}no body name")
            continue
        if placed.region_code is None:
            problems.append(f"{where}{row.name!r} names no region: give region_code")
            continue
        sighting = BodySighting(name=row.name, kind="user", url=source, site_region_code=row.region_code,
                                column_url=row.column_url or None, year=row.year)  # fmt: skip
        if row.action == "add":
            _merge(session, index, sighting, now, level=row.level or None)
            continue
        known = _matches(index, placed, [], None)
        if not known:
            problems.append(f"{where}no known body {row.name!r} in {placed.region_code}")
            continue
        body = known[0]
        if row.action == "retire":
            if row.year is None:
                problems.append(f"{where}retire needs year (the first year it no longer publishes)")
                continue
            body.retired_year = row.year
            body.evidence = _append(body.evidence, [_evidence(sighting)])
            body.updated_at = now
            continue
        if not row.new_name:
            problems.append(f"{where}rename needs new_name")
            continue
        renamed = BodySighting(name=f"{row.new_name}（原{row.name}）", kind="user", url=source,
                               site_region_code=row.region_code, column_url=row.column_url or None,
                               year=row.year)  # fmt: skip
        merged = _merge(session, index, renamed, now, level=row.level or None)
        if merged is not None:
            merged.updated_at = now
    return problems


def listing(session: Session, region: str | None = None) -> list[Body]:
    """Return the bodies whose region code starts with `region` (a code prefix; all without one), by key."""
    query = select(Body).order_by(Body.region_code, Body.level, Body.body_key)
    if region:
        query = query.where(Body.region_code.like(f"{code_prefix(region)}%"))
    return list(session.scalars(query))


def code_prefix(region: str) -> str:
    """Return the prefix a region code matches by: `320800` → `3208`, `320000` → `32`, `320813` as is."""
    region = region.strip()
    return re.sub(r"(00)+$", "", region) if len(region) <= 6 else region
