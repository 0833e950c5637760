"""The report record as typed classes, and the key lists of its top level.

`extract_record` returns a `Record`; `Record.to_dict()` is the JSON object of docs/record-schema.md
(what `extract` returns) and `Record.from_dict` reads one back. The crawl's context and the store's
provenance are absent keys, never nulls. `table_cells` reads a record dict's cells, however incomplete
(what a store may hold), by the same conventions as the typed tables (`typed_tables`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal, get_args, get_type_hints

from .attribution import AttributionBasis
from .typed_ambiguity import Ambiguity
from .typed_tables import (
    PROACTIVE_CLASSES,
    RAW_SUFFIX,
    REQUEST_COLUMNS,
    Proactive2019,
    Proactive2021,
    Requests,
    ReviewLitigation,
    field_names,
    is_raw_key,
)

CONTEXT = {"context": True}
"""Field metadata of a key the caller's context sets (`extract(..., context=…)`); absent where None."""
ATTRIBUTED = {"attributed": True}
"""Field metadata of a key the attribution sets (`extractors.attribute_record`); absent where None."""


# -- the rest of the record -------------------------------------------------------------------------
@dataclass(slots=True)
class Sections:
    """The text of the six parts, heading included (tables as tab-separated lines); None where not found."""

    overview: str | None = None
    """一、总体情况 (also 工作基本情况, 总体工作情况, 基本情况, 概述, …)."""
    proactive: str | None = None
    """二、主动公开政府信息情况."""
    requests: str | None = None
    """三、收到和处理政府信息公开申请情况."""
    review_litigation: str | None = None
    """四、政府信息公开行政复议、行政诉讼情况."""
    problems: str | None = None
    """五、存在的主要问题及改进情况 (also 政府信息公开工作存在的主要问题及改进情况, …和改进措施)."""
    other: str | None = None
    """六、其他需要报告的事项."""

    def items(self) -> Iterator[tuple[str, str | None]]:
        """Yield (part key, text or None) in report order."""
        for name in SECTION_KEYS:
            yield name, getattr(self, name)

    def to_dict(self) -> dict[str, str | None]:
        """Return the parts as JSON: all six keys, in report order."""
        return dict(self.items())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Sections:
        """Return the parts read from their JSON (unknown keys are left out)."""
        return cls(**{k: data.get(k) for k in SECTION_KEYS})


@dataclass(slots=True)
class Check:
    """One failed rule of a record (its id is listed in docs/rules.md)."""

    rule: str
    """The rule id, e.g. `T3-02`."""
    where: str
    """Where the rule failed: a column, row, group, part or table key, or `TABLE.ROW`, `GROUP.COLUMN` (per rule)."""
    severity: Literal["E", "W", "I"]
    """E (error), W (warning) or I (information)."""
    expected: Any = None
    """What the rule expected, where it computes one: a number, a list of 7, or a text such as `<= 2025-01-31`."""
    found: Any = None
    """What the report has: a number, a text (the raw cell), a list or an object (a row)."""
    message: str | None = None
    """A short English explanation."""
    column: str | None = None
    """The column key, for the rules on one cell of table 二."""
    cause: str | None = None
    """`parse` where the failure reads a cell whose row the parser placed by inference (a value row printed away
    from its label): the error may be the extraction's, not the publisher's, and the severity is lowered to W."""

    def to_dict(self) -> dict[str, Any]:
        """Return the check as JSON: rule, where, severity, then each other key that is set."""
        out: dict[str, Any] = {"rule": self.rule, "where": self.where, "severity": self.severity}
        if self.expected is not None:
            out["expected"] = self.expected
        if self.found is not None:
            out["found"] = self.found
        if self.message is not None:
            out["message"] = self.message
        if self.column is not None:
            out["column"] = self.column
        if self.cause is not None:
            out["cause"] = self.cause
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Check:
        """Return the check read from its JSON."""
        return cls(**{k: data.get(k) for k in CHECK_KEYS})


@dataclass(slots=True)
class Source:
    """One URL the store found a report at, with what the crawl knew when it fetched it."""

    url: str
    """The URL."""
    raw_sha256: str
    """SHA-256 of the bytes fetched there."""
    fetched_at: str | None = None
    """When it was last fetched (ISO 8601, UTC)."""
    http_status: int | None = None
    """The HTTP status of that fetch."""
    site: str | None = None
    """The crawl registry's site id."""
    list_title: str | None = None
    """The title of the link the crawler followed."""
    list_date: str | None = None
    """The date the list page gave the link."""
    column: str | None = None
    """The site's column (栏目) the link was listed in."""
    published_at: str | None = None
    """The publication date the crawl found."""

    def to_dict(self) -> dict[str, Any]:
        """Return the source as JSON: every key, null where unknown."""
        return {name: getattr(self, name) for name in SOURCE_KEYS}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Source:
        """Return the source read from its JSON."""
        return cls(**{k: data.get(k) for k in SOURCE_KEYS})  # type: ignore[arg-type]


@dataclass(slots=True)
class Provenance:
    """What the store adds to a record it keeps (any such key in an incoming record is dropped and recomputed)."""

    report_id: int
    """The report's id in the store."""
    seq: int
    """The order of first discovery (1, 2, …); export file names are `NNN_<hash16>` with NNN = seq."""
    raw_sha256: str | None
    """SHA-256 of the bytes (as downloaded) the record was read from."""
    documents: list[str] = field(default_factory=list)
    """SHA-256 of every document that carries this report: the record's own first, then the others."""
    sources: list[str] = field(default_factory=list)
    """Every URL the report was found at, first fetched first."""
    source_details: list[Source] = field(default_factory=list)
    """One entry per URL."""
    version: int = 1
    """The report's version among reports of the same agency, year and region (a re-publication)."""
    is_latest: bool = True
    """True for the latest version (and for a report without agency or year, which has no versions)."""
    supersedes_id: int | None = None
    """`report_id` of the version before."""
    first_seen: str | None = None
    """When the store first held the report (ISO 8601, UTC)."""

    def to_dict(self) -> dict[str, Any]:
        """Return the provenance keys as JSON."""
        out = {name: getattr(self, name) for name in PROVENANCE_KEYS}
        out["source_details"] = [s.to_dict() for s in self.source_details]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Provenance | None:
        """Return the provenance read from a stored record's JSON, or None for a record fresh from `extract`."""
        if "report_id" not in data:
            return None
        values = {k: data[k] for k in PROVENANCE_KEYS if k in data}
        values["source_details"] = [Source.from_dict(s) for s in data.get("source_details") or []]
        return cls(**values)


@dataclass(slots=True)
class Record:
    """One annual report (政府信息公开工作年度报告), as docs/record-schema.md describes its JSON."""

    title: str | None
    """The report's title as published (the best title-like line near the top, else the HTML <title> or PDF title)."""
    year: int | None
    """The report year (the year the figures cover), not the publication year."""
    agency: str | None
    """The reporting body as the report names itself."""
    sections: Sections
    """The text of the six parts."""
    proactive: Proactive2019 | Proactive2021 | None
    """Table 二 (主动公开政府信息情况); None where not found. Its class is its format."""
    requests: Requests | None
    """Table 三 (收到和处理政府信息公开申请情况); None where not found."""
    review_litigation: ReviewLitigation | None
    """Table 四 (行政复议、行政诉讼情况); None where not found."""
    ambiguous: list[Ambiguity]
    """Cells the document does not settle, each with the text it came from and the readings considered; such a
    cell is null."""
    carrier: str
    """What was read: pdf, docx, xlsx, doc, wps, xls, rtf, html, text or markdown (decided from the bytes)."""
    text_sha256: str
    """SHA-256 (hex) of the document's normalised text: the report's identity."""
    checks: list[Check] = field(default_factory=list)
    """One entry per failed rule, structure first, then tables 二, 三, 四, text and timeliness."""
    source_url: str | None = field(default=None, metadata=CONTEXT)
    """The URL the document was fetched from."""
    published_at: str | None = field(default=None, metadata=CONTEXT)
    """The publication date, as the caller passed it or the HTML page's <meta name="PubDate"> gives it."""
    site: str | None = field(default=None, metadata=CONTEXT)
    """The crawl registry's site id."""
    region_code: str | None = field(default=None, metadata=CONTEXT)
    """The GB/T 2260 code of the issuing body's region (6 digits, 9 for a township): the site's as the crawl
    passes it, the body's once attributed (a district's report on a city site carries the district's code)."""
    region_name: str | None = field(default=None, metadata=CONTEXT)
    """The region's name."""
    list_title: str | None = field(default=None, metadata=CONTEXT)
    """The title of the link the crawler followed."""
    column: str | None = field(default=None, metadata=CONTEXT)
    """The site's column (栏目) the link was listed in."""
    body: str | None = field(default=None, metadata=ATTRIBUTED)
    """The issuing body's canonical name (compact, the parent regions' prefixes dropped: 洪泽区人民政府)."""
    body_key: str | None = field(default=None, metadata=ATTRIBUTED)
    """`REGION|NAME`, one per body across years and namings (人民政府/政府/管委会/办事处 forms folded)."""
    attribution: AttributionBasis | None = field(default=None, metadata=ATTRIBUTED)
    """How body and region_code were decided: the deciding evidence, the site's region, what stayed ambiguous."""
    provenance: Provenance | None = None
    """What the store added (its keys sit at the top level of the JSON); None for a record fresh from `extract`."""

    @property
    def table_formats(self) -> dict[str, str | None]:
        """The format of table 二 and of table 三, each "2019", "2021" or null where the table was not found."""
        return {
            "proactive": self.proactive.FORMAT if self.proactive is not None else None,
            "requests": self.requests.format if self.requests is not None else None,
        }

    @property
    def format(self) -> str | None:
        """The record's format: the one of tables 二 and 三 where they agree or one was found, "mixed", or null."""
        seen = {f for f in self.table_formats.values() if f}
        if not seen:
            return None
        return seen.pop() if len(seen) == 1 else "mixed"

    def to_dict(self) -> dict[str, Any]:
        """Return the record as the JSON object of docs/record-schema.md (what `extract` returns)."""
        out: dict[str, Any] = {
            "title": self.title,
            "year": self.year,
            "format": self.format,
            "agency": self.agency,
            "sections": self.sections.to_dict(),
            "proactive": self.proactive.to_dict() if self.proactive is not None else None,
            "requests": self.requests.values() if self.requests is not None else None,
            "review_litigation": self.review_litigation.to_dict() if self.review_litigation is not None else None,
            "table_formats": self.table_formats,
            "ambiguous": [a.to_dict() for a in self.ambiguous],
            "carrier": self.carrier,
            "text_sha256": self.text_sha256,
        }
        raws = self.requests.raws() if self.requests is not None else None
        if raws:
            out["requests_raw"] = raws
        out["checks"] = [c.to_dict() for c in self.checks]
        for key in CONTEXT_KEYS:
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.body is not None:
            out["body"] = self.body
        if self.body_key is not None:
            out["body_key"] = self.body_key
        if self.attribution is not None:
            out["attribution"] = self.attribution.to_dict()
        if self.provenance is not None:
            out.update(self.provenance.to_dict())
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Record:
        """Return the record read from its JSON (as `extract` returns it or the store exports it).

        Keys the record does not define are left out, so `from_dict(d).to_dict() == d` holds exactly for
        records that keep to docs/record-schema.md.
        """
        formats = data.get("table_formats") or {}
        pro, req, rl = data.get("proactive"), data.get("requests"), data.get("review_litigation")
        pro_cls = PROACTIVE_CLASSES.get(formats.get("proactive") or "", Proactive2019)
        return cls(
            title=data.get("title"),
            year=data.get("year"),
            agency=data.get("agency"),
            sections=Sections.from_dict(data.get("sections") or {}),
            proactive=pro_cls.from_dict(pro) if isinstance(pro, Mapping) else None,
            requests=Requests.from_dict(req, formats.get("requests"), data.get("requests_raw"))
            if isinstance(req, Mapping)
            else None,
            review_litigation=ReviewLitigation.from_dict(rl) if isinstance(rl, Mapping) else None,
            ambiguous=[Ambiguity.from_dict(a) for a in data.get("ambiguous") or []],
            carrier=data.get("carrier") or "",
            text_sha256=data.get("text_sha256") or "",
            checks=[Check.from_dict(c) for c in data.get("checks") or []],
            **{k: data.get(k) for k in CONTEXT_KEYS},
            body=data.get("body"),
            body_key=data.get("body_key"),
            attribution=AttributionBasis.from_dict(basis)
            if isinstance(basis := data.get("attribution"), Mapping)
            else None,
            provenance=Provenance.from_dict(data),
        )


# -- the record's key lists, one definition each (the classes above) ------------------------------------
_TABLE_CLASSES = {Proactive2019, Proactive2021, Requests, ReviewLitigation}
TABLES = tuple(name for name, hint in get_type_hints(Record).items() if _TABLE_CLASSES & {*get_args(hint)})
"""The record's three table keys, in report order (二, 三, 四): proactive, requests, review_litigation."""
SECTION_KEYS = field_names(Sections)
"""The six part keys, in report order."""
CONTEXT_KEYS = tuple(f.name for f in fields(Record) if f.metadata.get("context"))
"""The keys `extract(..., context=…)` copies onto a record (the crawl's context)."""
ATTRIBUTION_KEYS = tuple(f.name for f in fields(Record) if f.metadata.get("attributed"))
"""The keys the attribution adds to a record (besides region_code and region_name): body, body_key, attribution."""
CHECK_KEYS = field_names(Check)
"""The keys a `checks` entry may have, in the order they are written."""
SOURCE_KEYS = field_names(Source)
"""The keys of each `source_details` entry."""
PROVENANCE_KEYS = field_names(Provenance)
"""The keys the store adds to a record."""


def table_cells(record: Mapping[str, Any]) -> Iterator[tuple[str, str, str, Any, str | None]]:
    """Yield (table, row, column, value, raw) for every cell of tables 二, 三 and 四 of a record dict.

    `raw` is the cell's text where the record keeps it beside the value (`<column>_raw`), else None; table
    三's raw texts (`requests_raw`) are not read. Any row key is read, so incomplete or older records
    (what a store may hold) give every cell they have.
    """
    for table in TABLES:
        data = record.get(table)
        if not isinstance(data, Mapping):
            continue
        for row, cells in data.items():
            if isinstance(cells, list):
                for column, value in zip(REQUEST_COLUMNS, cells, strict=False):
                    yield table, row, column, value, None
            elif isinstance(cells, Mapping):
                for column, value in cells.items():
                    if is_raw_key(column) or isinstance(value, dict | list):
                        continue
                    raw = cells.get(column + RAW_SUFFIX)
                    yield table, row, column, value, None if raw is None else str(raw)
