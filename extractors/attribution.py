"""Attribution: the body that issued a report, its region (GB/T 2260) and a stable key for it.

Pure: names and codes in, a typed `Attribution` out (no pages, no database). Precedence:

1. **The site's region** (the scope): the registry row's code; else the first six characters of the
   page's `SiteIDCode` where they are digits and a known code; else the site's name (`SiteName`) where
   it names one region. A `SiteIDCode` inside the registry's region and more specific than it refines
   it; one outside it is listed as ambiguous and ignored.
2. **The body's region**: the body's own name (the report's agency, else the issuer its title names) is
   read as a chain of region names (`淮安市` › `洪泽区` › `高良涧街道`), each resolved inside the one before
   and inside the scope, most specific first. A name that resolves inside the site's region wins over the
   site's code (a district or township report hosted on a city or county site). Only where the body's
   name names no region do the breadcrumb's unit, the column's unit and the 索引号's organ code (a
   unified social credit code: its characters 3–8) place it.
3. **Never a guess.** A name two regions share within the scope, a name that resolves outside (or above)
   the site's region, or evidence that disagrees (two regions neither of which holds the other) keeps the
   less specific code (the common region, at least the site's) and is listed in `ambiguous` with its
   source text. Without a site region the name is resolved nationwide, and an ambiguous one leaves the
   code null.

The body's canonical name drops the prefixes of the regions above its own (`淮安市洪泽区人民政府` →
`洪泽区人民政府`) and qualifies an unqualified level word (`区统计局` in 洪泽区 → `洪泽区统计局`); its
`body_key` is `REGION|NAME` with the governing-body forms folded (see `bodies`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from .bodies import make_body_key, name_key, title_issuer, unit_name
from .regions import Region, longest_name, lookup, named

_CONNECTOR = re.compile(r"人民政府|政府")
_LEVEL_WORD = re.compile(r"^(街道|区|县|市|州|旗|盟|镇|乡)(?!政府|人民政府)")
_USCC = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}(\d{6})[0-9A-HJ-NPQRTUWXY]{10}$")
_SITE_SOURCES = ("registry", "site_id_code", "site_name")


@dataclass(frozen=True, slots=True)
class Evidence:
    """What is known of a report's issuer: the record's own names, the site's registry row, the page's marks."""

    agency: str | None = None
    """The reporting body as the report names itself (the record's `agency`)."""
    title: str | None = None
    """The report's title (its issuer part is read where the agency is missing)."""
    site_region_code: str | None = None
    """The registry row's GB/T 2260 code of the site (None for a URL crawl)."""
    site_region_name: str | None = None
    """The registry row's region name."""
    site_id_code: str | None = None
    """The page's `<meta name="SiteIDCode">` (政府网站标识码: 6-digit region code + 4-digit serial)."""
    site_name: str | None = None
    """The page's `<meta name="SiteName">`."""
    breadcrumb_unit: str | None = None
    """The unit (organ) the page's breadcrumb names, e.g. 淮安市洪泽区人民政府."""
    column: str | None = None
    """The column (栏目) the document was listed in; read only where it names a unit."""
    index_organ_code: str | None = None
    """The organ-code part of the page's 索引号 (before its first `/`)."""


@dataclass(slots=True)
class AttributionAmbiguity:
    """Evidence the attribution did not follow because it could mean more than one region or disagrees."""

    key: str
    """What it was about: `region_code` (the body's region) or `site_region` (the site's)."""
    source: str
    """Which evidence: agency, title, breadcrumb, column, index_organ, site_id_code or site_name."""
    text: str
    """Its source text, as found."""
    candidates: list[str] = field(default_factory=list)
    """The region codes it could mean (at most ten)."""
    reason: str = ""
    """Why it was not followed, in English."""

    def to_dict(self) -> dict[str, Any]:
        """Return the ambiguity as JSON: every key."""
        return {"key": self.key, "source": self.source, "text": self.text, "candidates": list(self.candidates),
                "reason": self.reason}  # fmt: skip

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AttributionAmbiguity:
        """Return the ambiguity read from its JSON."""
        return cls(str(data.get("key") or ""), str(data.get("source") or ""), str(data.get("text") or ""),
                   list(data.get("candidates") or []), str(data.get("reason") or ""))  # fmt: skip


@dataclass(slots=True)
class AttributionBasis:
    """How a record's body and region were decided (the record's `attribution`)."""

    region_from: str | None = None
    """The evidence that decided `region_code`: registry, site_id_code, site_name, agency, title, breadcrumb,
    column or index_organ; null where no region is known."""
    body_from: str | None = None
    """Where the body's name came from: agency, title, breadcrumb or column; null where none was found."""
    site_region_code: str | None = None
    """The site's region (registry row, else SiteIDCode, else SiteName): the scope the body was placed in."""
    ambiguous: list[AttributionAmbiguity] = field(default_factory=list)
    """Evidence not followed (a shared name, a region outside the site's, a disagreement), with its text."""

    def to_dict(self) -> dict[str, Any]:
        """Return the basis as JSON: every key."""
        return {"region_from": self.region_from, "body_from": self.body_from, "site_region_code": self.site_region_code,
                "ambiguous": [a.to_dict() for a in self.ambiguous]}  # fmt: skip

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AttributionBasis:
        """Return the basis read from its JSON."""
        return cls(data.get("region_from"), data.get("body_from"), data.get("site_region_code"),
                   [AttributionAmbiguity.from_dict(a) for a in data.get("ambiguous") or []])  # fmt: skip


@dataclass(slots=True)
class Attribution:
    """The issuing body of a report, its region and its key, with how they were decided."""

    body: str | None
    """The body's canonical name (compact, the parents' prefixes dropped), or None where no name was found."""
    body_key: str | None
    """`REGION|NAME`: the region code and the canonical name, governing-body forms folded; None without a name."""
    region_code: str | None
    """The body's GB/T 2260 code: 6 digits, or 9 for a township; None where nothing places it."""
    region_name: str | None
    """The region's name (the registry's where the region is the site's, else province › … › township)."""
    basis: AttributionBasis
    """Which evidence decided, and what was left ambiguous."""

    def record_fields(self) -> dict[str, Any]:
        """Return the keys a record gains: body, body_key, region_code, region_name (where known), attribution."""
        out: dict[str, Any] = {"body": self.body, "body_key": self.body_key, "region_code": self.region_code,
                               "region_name": self.region_name, "attribution": self.basis.to_dict()}  # fmt: skip
        return {k: v for k, v in out.items() if v is not None}

    def apply(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Return a copy of a record dict with the attribution's keys set (region keys removed where unknown)."""
        out = dict(record)
        found = self.record_fields()
        for key in ("body", "body_key", "region_code", "region_name"):
            if key not in found:
                out.pop(key, None)
        out.update(found)  # keys the record had keep their place
        return out


@dataclass(frozen=True, slots=True)
class _Found:
    """One piece of evidence read as a region: where it came from, its text, what it resolved to."""

    source: str
    text: str
    region: Region | None
    ambiguity: AttributionAmbiguity | None = None
    above: bool = False


# -- reading names --------------------------------------------------------------------------------
def _token_at(name: str, i: int) -> str | None:
    """Return the longest division name that starts at `name[i]`, or None."""
    for length in range(min(longest_name(), len(name) - i), 1, -1):
        if named(name[i : i + length]):
            return name[i : i + length]
    return None


def region_chain(name: str) -> list[tuple[int, int, str]]:
    """Return the division names a body's name starts with, as (start, end, name); `人民政府` between two skipped.

    `南京市鼓楼区人民政府华侨路街道办事处` gives 南京市, 鼓楼区, 华侨路街道; `区统计局` gives [].
    """
    out: list[tuple[int, int, str]] = []
    i = 0
    while i < len(name):
        token = _token_at(name, i)
        if token is None and out:
            m = _CONNECTOR.match(name, i)
            if m and (token := _token_at(name, m.end())) is not None:
                i = m.end()
        if token is None:
            break
        out.append((i, i + len(token), token))
        i += len(token)
    return out


def _compatible(region: Region, scope: Region | None) -> bool:
    """True where `region` holds the scope or lies inside it (always, without a scope)."""
    return scope is None or region.contains(scope) or scope.contains(region)


def _resolve(source: str, text: str, scope: Region | None) -> _Found:
    """Return what a name places: its chain of region names resolved inside each other and the scope."""
    name = name_key(text) or ""
    current: Region | None = None
    for _start, _end, token in region_chain(name):
        everywhere = named(token)
        options = [r for r in everywhere if current is None or (current.contains(r) and r != current)]
        options = [r for r in options if _compatible(r, scope)]
        if len(options) == 1:
            current = options[0]
            continue
        if not options:
            if current is None and scope is not None:
                why = "names a region outside the site's region"
                return _Found(source, text, None, _ambiguity(source, text, everywhere, why))
            break
        why = "a name several regions share" + (" within the site's region" if scope is not None else "")
        return _Found(source, text, current, _ambiguity(source, text, options, why))
    above = current is not None and scope is not None and current != scope and current.contains(scope)
    return _Found(source, text, current, None, above)


def _ambiguity(source: str, text: str, regions: Any, reason: str, what: str = "region_code") -> AttributionAmbiguity:
    codes = [r.full_code for r in regions][:10]
    return AttributionAmbiguity(key=what, source=source, text=text, candidates=codes, reason=reason)


def _organ_region(organ_code: str | None) -> Region | None:
    """Return the region of a unified social credit code (its characters 3–8), or None for another code."""
    m = _USCC.match((organ_code or "").strip().upper())
    return lookup(m.group(1)) if m else None


def _site_id_region(site_id_code: str | None) -> Region | None:
    """Return the region of a 政府网站标识码 (its first six characters where they are digits), or None."""
    head = (site_id_code or "").strip()[:6]
    return lookup(head) if re.fullmatch(r"\d{6}", head) else None


# -- deciding -------------------------------------------------------------------------------------
def _scope(ev: Evidence, ambiguous: list[AttributionAmbiguity]) -> tuple[Region | None, str | None]:
    """Return the site's region and the evidence that gave it (see the module's precedence, step 1)."""
    site = lookup(ev.site_region_code) if ev.site_region_code else None
    from_sid = _site_id_region(ev.site_id_code)
    if site is not None:
        if from_sid is not None and from_sid != site:
            if site.contains(from_sid):
                return from_sid, "site_id_code"
            if not from_sid.contains(site):
                why = "the site's identification code names another region than its registry row"
                ambiguous.append(_ambiguity("site_id_code", ev.site_id_code or "", [from_sid], why, "site_region"))
        return site, "registry"
    if from_sid is not None:
        return from_sid, "site_id_code"
    if ev.site_name:
        found = _resolve("site_name", ev.site_name, None)
        if found.ambiguity is not None:
            ambiguous.append(AttributionAmbiguity("site_region", "site_name", ev.site_name,
                                                  found.ambiguity.candidates, found.ambiguity.reason))  # fmt: skip
        elif found.region is not None:
            return found.region, "site_name"
    return None, None


def _common(regions: list[Region], floor: Region | None) -> Region | None:
    """Return the most specific known region holding every one of `regions` (at least `floor` where given)."""
    codes = [r.code for r in regions] + ([floor.code] if floor is not None else [])
    for cut in (9, 6, 4, 2):
        heads = {c[:cut] for c in codes if len(c) >= cut}
        if len(heads) == 1 and all(len(c) >= cut for c in codes):
            found = lookup(heads.pop())
            if found is not None:
                return found
    return floor


def _place(primary: _Found | None, others: list[_Found], scope: Region | None,
           ambiguous: list[AttributionAmbiguity]) -> tuple[Region | None, str | None]:  # fmt: skip
    """Return the body's region and the evidence that decided it (steps 2 and 3), or (None, None)."""
    inside = [f for f in others if f.region is not None and not f.above and f.ambiguity is None]
    if primary is not None:
        chosen: _Found | None = primary
    else:
        deepest = sorted(inside, key=lambda f: -len(f.region.code))  # type: ignore[union-attr]
        chosen = deepest[0] if deepest else None
    if chosen is None or chosen.region is None:
        return None, None
    clash = [f for f in inside if not (f.region.contains(chosen.region) or chosen.region.contains(f.region))]  # type: ignore[union-attr]
    if not clash:
        return chosen.region, chosen.source
    for f in [chosen, *clash]:
        why = "the evidence names regions neither of which holds the other"
        ambiguous.append(_ambiguity(f.source, f.text, [f.region], why))
    common = _common([chosen.region, *(f.region for f in clash)], scope)  # type: ignore[misc]
    return common, ("site" if common == scope else chosen.source)


def _canonical(name: str, region: Region | None) -> str:
    """Return a body's name without the prefixes of regions above `region`, its level word qualified."""
    if region is None:
        return name
    cut = 0
    chain = region_chain(name)
    for (_start, _end, token), (following, _e, _t) in pairwise(chain):
        # A region above the body's, followed by another region name: a prefix to drop.
        if region not in named(token) and any(r.contains(region) for r in named(token)):
            cut = following
            continue
        break
    name = name[cut:] or name
    m = _LEVEL_WORD.match(name)
    if m and not region_chain(name) and region.name.endswith(m.group(1)) and len(region.name) > len(m.group(1)):
        name = region.name[: -len(m.group(1))] + name
    return name


def _region_name(region: Region) -> str:
    """Return province › … › the region's own name, run together (`江苏省淮安市洪泽区`)."""
    parts = [r.name for cut in (2, 4, 6, 9) if cut <= len(region.code) and (r := lookup(region.code[:cut]))]
    return "".join(p for p in parts if p not in ("市辖区", "县"))


def attribute(ev: Evidence) -> Attribution:
    """Return the body, region and body key of a report from its evidence (precedence: see the module)."""
    ambiguous: list[AttributionAmbiguity] = []
    scope, scope_from = _scope(ev, ambiguous)
    names = [("agency", ev.agency), ("title", title_issuer(ev.title))]
    primary: _Found | None = None
    for source, text in names:
        if not text:
            continue
        found = _resolve(source, text, scope)
        if found.ambiguity is not None:
            ambiguous.append(found.ambiguity)
        if found.above:
            why = "names a region above the site's region"
            ambiguous.append(_ambiguity(source, text, [found.region], why))
        elif found.region is not None and found.ambiguity is None:
            primary = found
            break
        elif found.region is not None and primary is None:
            primary = found  # the part of an ambiguous chain that did resolve
            break
    others = []
    for source, text in (("breadcrumb", ev.breadcrumb_unit), ("column", unit_name(ev.column))):
        if text:
            others.append(_resolve(source, text, scope))
    organ = _organ_region(ev.index_organ_code)
    if organ is not None:
        if _compatible(organ, scope):
            others.append(_Found("index_organ", ev.index_organ_code or "", organ, None,
                                 scope is not None and organ != scope and organ.contains(scope)))  # fmt: skip
        else:
            why = "the 索引号's organ code names a region outside the site's region"
            ambiguous.append(_ambiguity("index_organ", ev.index_organ_code or "", [organ], why))
    region, region_from = _place(primary, others, scope, ambiguous)
    if region is None or not (scope is None or scope.contains(region)):
        region, region_from = scope, scope_from
    elif region == scope and region_from not in _SITE_SOURCES and primary is None:
        region_from = scope_from
    if region_from == "site":
        region_from = scope_from
    body, body_from = _body_name(ev)
    canonical = _canonical(name_key(body) or "", region) if body else None
    code = region.full_code if region is not None else None
    if region is not None and region == scope and ev.site_region_name and scope_from == "registry":
        region_name: str | None = ev.site_region_name
    else:
        region_name = _region_name(region) if region is not None else None
    basis = AttributionBasis(region_from if region is not None else None, body_from,
                             scope.full_code if scope is not None else None, ambiguous)  # fmt: skip
    return Attribution(canonical or None, make_body_key(code, canonical), code, region_name, basis)


def _body_name(ev: Evidence) -> tuple[str | None, str | None]:
    """Return the issuing body's name as found and where: the agency, the title's issuer, the breadcrumb's unit."""
    for source, text in (("agency", ev.agency), ("title", title_issuer(ev.title)),
                         ("breadcrumb", unit_name(ev.breadcrumb_unit)), ("column", unit_name(ev.column))):  # fmt: skip
        if name_key(text):
            return text, source
    return None, None


def evidence_of(record: Mapping[str, Any], page: Mapping[str, Any] | None = None) -> Evidence:
    """Return the evidence a record dict and a page's marks hold (`page`: site_id_code, site_name,
    breadcrumb_unit, index_organ_code; the record gives agency, title, region_code/name, column)."""
    page = page or {}
    before = record.get("attribution") or {}
    site_code = before.get("site_region_code") if isinstance(before, Mapping) else None
    return Evidence(
        agency=record.get("agency"),
        title=record.get("title"),
        site_region_code=site_code or record.get("region_code"),
        site_region_name=None if site_code else record.get("region_name"),
        site_id_code=page.get("site_id_code"),
        site_name=page.get("site_name"),
        breadcrumb_unit=page.get("breadcrumb_unit"),
        column=record.get("column"),
        index_organ_code=page.get("index_organ_code"),
    )


def attribute_record(record: Mapping[str, Any], page: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return a record dict with `body`, `body_key`, `region_code`, `region_name` and `attribution` set.

    The record's own `region_code`/`region_name` are taken as the site's (the crawl's context); `page`
    holds the page's marks (see `evidence_of`). Without either, the agency's name alone places the body
    where it is unambiguous nationwide.
    """
    return attribute(evidence_of(record, page)).apply(record)
