"""Extractors: any annual-report document (HTML, PDF, DOCX, DOC, WPS, XLS, text) → a checked record.

This package's public API is what it exports here; its modules are its own business.

- `extract` returns the record as its JSON object, `extract_record` as a typed `Record` (`typed_record`,
  `typed_tables`); `record_schema()` is the JSON Schema of the record, generated from those classes.
- Every failure is an `ExtractionError` whose class says what failed (`NotAReport`, `TooLarge`, `Bomb`,
  `Unreadable`, `Corrupt`, `Encrypted`, `Unsupported`, `NoText`, `ConverterMissing`).
- The key lists (`TABLES`, `SECTION_KEYS`, `REQUEST_ROWS`, `REQUEST_COLUMNS`, …) are defined once, by the
  typed classes; `table_cells` reads the cells of any record dict.
- `RULES` (`extractors.rules`) defines every check id a record's `checks` or `nianbao validate` can name.
- Helpers other packages need: `text_sha256`, `compact`, `is_government_level`, `sniff_carrier`, `decode_text`, …
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .api import extract, extract_record, read
    from .attribution import (
        Attribution,
        AttributionAmbiguity,
        AttributionBasis,
        Evidence,
        attribute,
        attribute_record,
    )
    from .bodies import (
        entity_of,
        fold_governing_body,
        fold_office,
        make_body_key,
        name_key,
        title_issuer,
        unit_name,
    )
    from .deadlines import level_deadline, publication_deadline
    from .errors import (
        BlankTemplate,
        Bomb,
        ConverterMissing,
        Corrupt,
        Encrypted,
        ExtractionError,
        NotAReport,
        NoText,
        TooLarge,
        Unreadable,
        Unsupported,
    )
    from .json_schema import record_schema
    from .layout import CellSpec, TableLayout, check_cells, failing_cells, record_layouts, table_layout, wide_cells
    from .limits import DEFAULT_MAX_BYTES
    from .metadata import is_government_level
    from .normalize import compact, normalized_text, text_sha256
    from .readers.encoding import canonical as canonical_charset
    from .readers.encoding import decode as decode_text
    from .readers.office import soffice, to_docx
    from .rules import RULES, Rule
    from .rules import lookup as lookup_rule
    from .sniff import CARRIERS, OLE_MAGIC
    from .sniff import sniff as sniff_carrier
    from .typed_ambiguity import Ambiguity, ambiguous_cells
    from .typed_record import (
        ATTRIBUTION_KEYS,
        CHECK_KEYS,
        CONTEXT_KEYS,
        PROVENANCE_KEYS,
        SECTION_KEYS,
        SOURCE_KEYS,
        TABLES,
        Check,
        Provenance,
        Record,
        Sections,
        Source,
        table_cells,
    )
    from .typed_tables import (
        OUTCOME_ROWS,
        PROACTIVE_COLUMNS,
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
        is_raw_key,
        raw_key,
    )

__all__ = [
    "ATTRIBUTION_KEYS",
    "CARRIERS",
    "CHECK_KEYS",
    "CONTEXT_KEYS",
    "DEFAULT_MAX_BYTES",
    "OLE_MAGIC",
    "OUTCOME_ROWS",
    "PROACTIVE_COLUMNS",
    "PROVENANCE_KEYS",
    "REQUEST_COLUMNS",
    "REQUEST_ROWS",
    "REQUEST_ROWS_2021",
    "REVIEW_COLUMNS",
    "REVIEW_GROUPS",
    "RULES",
    "SECTION_KEYS",
    "SOURCE_KEYS",
    "TABLES",
    "Ambiguity",
    "Attribution",
    "AttributionAmbiguity",
    "AttributionBasis",
    "BlankTemplate",
    "Bomb",
    "Cell",
    "CellSpec",
    "Check",
    "ConverterMissing",
    "Corrupt",
    "Encrypted",
    "Evidence",
    "ExtractionError",
    "NoText",
    "NotAReport",
    "Proactive2019",
    "Proactive2021",
    "Provenance",
    "Record",
    "RequestRow",
    "Requests",
    "ReviewGroup",
    "ReviewLitigation",
    "Rule",
    "Sections",
    "Source",
    "TableLayout",
    "TooLarge",
    "Unreadable",
    "Unsupported",
    "ambiguous_cells",
    "attribute",
    "attribute_record",
    "canonical_charset",
    "check_cells",
    "compact",
    "decode_text",
    "entity_of",
    "extract",
    "extract_record",
    "failing_cells",
    "fold_governing_body",
    "fold_office",
    "is_government_level",
    "is_raw_key",
    "level_deadline",
    "lookup_rule",
    "make_body_key",
    "name_key",
    "normalized_text",
    "publication_deadline",
    "raw_key",
    "read",
    "record_layouts",
    "record_schema",
    "sniff_carrier",
    "soffice",
    "table_cells",
    "table_layout",
    "text_sha256",
    "title_issuer",
    "to_docx",
    "unit_name",
    "wide_cells",
]

# Names are imported on first use: `python -m extractors.rules` must find its module not yet imported,
# and `from extractors import RULES` need not load the document readers.
_HOMES = {
    "Ambiguity": ".typed_ambiguity",
    "ambiguous_cells": ".typed_ambiguity",
    "Attribution": ".attribution",
    "AttributionAmbiguity": ".attribution",
    "AttributionBasis": ".attribution",
    "Evidence": ".attribution",
    "attribute": ".attribution",
    "attribute_record": ".attribution",
    "entity_of": ".bodies",
    "fold_governing_body": ".bodies",
    "fold_office": ".bodies",
    "make_body_key": ".bodies",
    "name_key": ".bodies",
    "title_issuer": ".bodies",
    "unit_name": ".bodies",
    "ATTRIBUTION_KEYS": ".typed_record",
    "level_deadline": ".deadlines",
    "publication_deadline": ".deadlines",
    "extract": ".api",
    "extract_record": ".api",
    "read": ".api",
    "CellSpec": ".layout",
    "TableLayout": ".layout",
    "check_cells": ".layout",
    "failing_cells": ".layout",
    "table_layout": ".layout",
    "record_layouts": ".layout",
    "wide_cells": ".layout",
    "DEFAULT_MAX_BYTES": ".limits",
    "ExtractionError": ".errors",
    "NotAReport": ".errors",
    "BlankTemplate": ".errors",
    "TooLarge": ".errors",
    "Bomb": ".errors",
    "Unreadable": ".errors",
    "Corrupt": ".errors",
    "Encrypted": ".errors",
    "Unsupported": ".errors",
    "NoText": ".errors",
    "ConverterMissing": ".errors",
    "RULES": ".rules",
    "Rule": ".rules",
    "record_schema": ".json_schema",
    "Record": ".typed_record",
    "Sections": ".typed_record",
    "Check": ".typed_record",
    "Source": ".typed_record",
    "Provenance": ".typed_record",
    "TABLES": ".typed_record",
    "SECTION_KEYS": ".typed_record",
    "CONTEXT_KEYS": ".typed_record",
    "CHECK_KEYS": ".typed_record",
    "SOURCE_KEYS": ".typed_record",
    "PROVENANCE_KEYS": ".typed_record",
    "table_cells": ".typed_record",
    "Cell": ".typed_tables",
    "Proactive2019": ".typed_tables",
    "Proactive2021": ".typed_tables",
    "RequestRow": ".typed_tables",
    "Requests": ".typed_tables",
    "ReviewGroup": ".typed_tables",
    "ReviewLitigation": ".typed_tables",
    "REQUEST_COLUMNS": ".typed_tables",
    "REQUEST_ROWS": ".typed_tables",
    "REQUEST_ROWS_2021": ".typed_tables",
    "OUTCOME_ROWS": ".typed_tables",
    "REVIEW_GROUPS": ".typed_tables",
    "REVIEW_COLUMNS": ".typed_tables",
    "PROACTIVE_COLUMNS": ".typed_tables",
    "raw_key": ".typed_tables",
    "is_raw_key": ".typed_tables",
    "text_sha256": ".normalize",
    "normalized_text": ".normalize",
    "compact": ".normalize",
    "is_government_level": ".metadata",
    "CARRIERS": ".sniff",
    "OLE_MAGIC": ".sniff",
    "to_docx": ".readers.office",
    "soffice": ".readers.office",
}
# Exported under another name than in their module: public name → (module, name there).
_RENAMED = {
    "lookup_rule": (".rules", "lookup"),
    "decode_text": (".readers.encoding", "decode"),
    "canonical_charset": (".readers.encoding", "canonical"),
    "sniff_carrier": (".sniff", "sniff"),  # `extractors.sniff` is the module
}


def __getattr__(name: str) -> Any:
    """Return the exported `name` from its module, imported on first use."""
    home, there = _HOMES.get(name), name
    if home is None and name in _RENAMED:
        home, there = _RENAMED[name]
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home, __name__), there)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """Return the module's names with the lazily imported exports."""
    return sorted({*globals(), *__all__})
