"""Assemble the typed report record (docs/record-schema.md) from a read document."""

from __future__ import annotations

from . import checks as C
from .metadata import find_agency, find_title, find_year
from .model import Document, Paragraph
from .normalize import nfkc, text_sha256
from .prose import proactive_numbers, request_numbers
from .sections import find_sections
from .tables import Doubt, TableResult, parse_tables
from .typed_ambiguity import CANDIDATES_MAX, Ambiguity, clip
from .typed_record import Record, Sections
from .typed_tables import (
    PROACTIVE_CLASSES,
    REQUEST_COLUMNS,
    REQUEST_ROWS,
    REQUEST_ROWS_2021,
    REVIEW_COLUMNS,
    REVIEW_GROUPS,
    Cell,
    Proactive2019,
    Proactive2021,
    RequestRow,
    Requests,
    ReviewGroup,
    ReviewLitigation,
)
from .values import Cell as Parsed


def _value(cell: Parsed | None) -> int | float | None:
    return None if cell is None else cell.value


def _raw_if_unclean(cell: Parsed | None) -> str | None:
    """Return the raw text where it was not simply the number (a unit, a sign word, an annotation)."""
    if cell is None or cell.value is None or not cell.raw:
        return None
    plain = cell.raw.replace(",", "").strip()
    if plain == str(cell.value):
        return None
    try:
        if float(plain) == cell.value and "." in plain:
            return None
    except ValueError:
        pass
    return cell.raw


def _cell(parsed: Parsed | None) -> Cell:
    """Return the record's cell of a parsed one: its value, and its text where that was not simply the number."""
    return Cell(_value(parsed), _raw_if_unclean(parsed))


def _entry(path: str, doubt: Doubt) -> Ambiguity:
    """Return the record's `ambiguous` entry of a cell the table parser left null."""
    return Ambiguity(path, clip(doubt.source_text), list(doubt.candidates)[:CANDIDATES_MAX], doubt.reason)


def _proactive(t: TableResult) -> tuple[Proactive2019 | Proactive2021, list[Ambiguity]]:
    """Return table 二 in the class of its format, and the entries of its ambiguous cells."""
    table = PROACTIVE_CLASSES["2021" if t.format == "2021" else "2019"]
    rows = {key: table.ROWS[key](*(_cell(c) for c in cells)) for key, cells in t.rows.items()}
    ambiguous = [_entry(f"proactive.{d.row}.{table.ROWS[d.row].COLUMNS[d.index]}", d) for d in t.ambiguous]
    return table(**rows), ambiguous  # type: ignore[arg-type]


def _requests(t: TableResult) -> tuple[Requests, list[Ambiguity]]:
    """Return table 三 (a 2021 table's （六） row derived from its sub-rows where missing) and its ambiguous cells."""
    order = list(REQUEST_ROWS)
    if t.format == "2021":
        subs = [[_value(c) for c in t.rows[k]] for k in REQUEST_ROWS_2021 if k in t.rows]
        if "other_handling" not in t.rows and subs:
            derived = [None if all(s[i] is None for s in subs) else sum(s[i] or 0 for s in subs) for i in range(7)]
            t.rows["other_handling"] = [Parsed(v, "", True) for v in derived]
    else:
        order = [k for k in order if k not in REQUEST_ROWS_2021]
    found = [key for key in order if key in t.rows]
    rows = {key: RequestRow(*[_cell(c) for c in t.rows[key]]) for key in found}
    ambiguous = [_entry(f"requests.{d.row}.{REQUEST_COLUMNS[d.index]}", d) for d in t.ambiguous]
    return Requests("2021" if t.format == "2021" else "2019", **rows), ambiguous  # type: ignore[arg-type]


def _review(t: TableResult) -> tuple[ReviewLitigation, list[Ambiguity]]:
    """Return table 四 (15 cells: three groups of five) and the entries of its ambiguous cells."""
    cells = t.rows["review_litigation"]
    groups = [ReviewGroup(*(_cell(cells[g * 5 + c]) for c in range(5))) for g in range(len(REVIEW_GROUPS))]
    ambiguous = [
        _entry(f"review_litigation.{REVIEW_GROUPS[d.index // 5]}.{REVIEW_COLUMNS[d.index % 5]}", d)
        for d in t.ambiguous
    ]
    return ReviewLitigation(*groups), ambiguous


def is_blank_template(record: Record) -> bool:
    """Return True for the blank report form: no agency, no year, a table found and every cell of every table found
    empty (a document showing no table is no form)."""
    if record.agency or record.year is not None:
        return False
    tables = [t for t in (record.proactive, record.requests, record.review_litigation) if t is not None]
    return bool(tables) and all(value is None for t in tables for value in _table_values(t))


def _table_values(table: Proactive2019 | Proactive2021 | Requests | ReviewLitigation) -> list[int | float | None]:
    """Return every cell value of a typed table."""
    if isinstance(table, Requests):
        return [v for row in table.values().values() for v in row]
    return [v for row in table.to_dict().values() for k, v in row.items() if not k.endswith("_raw")]


def build_record(doc: Document, *, published_at: str | None = None, attachments: int = 0,
                 from_report_page: bool = False) -> Record:  # fmt: skip
    """Return the typed record of a read document: metadata, sections, the three tables and failed checks.

    `published_at` only feeds the timeliness checks; the caller sets the record's context keys. What the crawl knew of
    where the document stood only says where a missing table or part may be (`checks.check_structure`): `attachments`,
    the documents a page links; `from_report_page`, a report page linked the document.
    """
    text = doc.text()
    folded = nfkc(text)
    lines = [b.text for b in doc.blocks[:60] if isinstance(b, Paragraph)]
    title = find_title(lines, doc.title)
    year = find_year(title, folded)
    agency = find_agency(title, lines, folded)
    sections = find_sections(text, folded)
    prose_text = nfkc(sections.get("overview") or text[:6000])
    tables = parse_tables(doc.blocks, request_numbers(prose_text), proactive_numbers(prose_text))

    ambiguous: list[Ambiguity] = []
    missing: dict[str, list[str]] = {}
    extra: dict[str, tuple[list[str], list[str]]] = {}
    proactive = requests = review = None
    if tables.proactive is not None:
        proactive, amb = _proactive(tables.proactive)
        ambiguous += amb
        missing["proactive"] = tables.proactive.missing
        extra["proactive"] = (tables.proactive.extra_rows, tables.proactive.extra_columns)
    if tables.requests is not None:
        requests, amb = _requests(tables.requests)
        ambiguous += amb
        missing["requests"] = tables.requests.missing
        extra["requests"] = (tables.requests.extra_rows, tables.requests.extra_columns)
    if tables.review is not None:
        review, amb = _review(tables.review)
        ambiguous += amb
    record = Record(
        title=title,
        year=year,
        agency=agency,
        sections=Sections(**sections),
        proactive=proactive,
        requests=requests,
        review_litigation=review,
        ambiguous=ambiguous,
        carrier=doc.carrier,
        text_sha256=text_sha256(folded),
    )
    amb_set = {a.cell for a in ambiguous}
    found = C.check_structure(record, missing, extra, doc.pictures, doc.read_pictures, attachments, from_report_page)
    if proactive is not None:
        placed = tables.proactive.inferred if tables.proactive is not None else set()
        found += C.blame_placed(C.check_proactive(proactive, agency), placed)
    found += C.check_tables_three_four(requests, review, amb_set, prose_text, *tables.placed())
    found += C.check_text(record.sections, record.format)
    received = requests.values().get("new_received") if requests is not None else None
    total = received[6] if received and "requests.new_received.total" not in amb_set else None
    found += C.check_scope(agency, record.sections.overview, total)
    found += C.check_time(year, published_at, agency, folded[:6000])
    record.checks = found
    return record
