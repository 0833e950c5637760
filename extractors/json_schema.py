"""The JSON Schema (draft 2020-12) of the record, generated at run time from the typed classes.

Every key, type and description comes from the classes of `typed_record` and `typed_tables`: a
property's description is the docstring under its field, a cell's type is its column's kind, rule ids
are those of `rules.RULES`. `nianbao schema` prints it; tests/test_record_schema.py validates every
bundled document's record and a store's JSONL export against it.
"""

from __future__ import annotations

import ast
import functools
import inspect
import sys
import types
from dataclasses import fields, is_dataclass
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from .attribution import AttributionAmbiguity, AttributionBasis
from .rules import RULES
from .sniff import CARRIERS
from .typed_ambiguity import AMBIGUITY_REASONS, Ambiguity
from .typed_record import ATTRIBUTION_KEYS, CONTEXT_KEYS, Check, Provenance, Record, Sections, Source
from .typed_tables import (
    PROACTIVE_CLASSES,
    RAW_SUFFIX,
    REVIEW_GROUPS,
    RequestRow,
    Requests,
    ReviewGroup,
    ReviewLitigation,
    column_kind,
)
from .values import Kind

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "urn:nianbao:record"
FORMATS = ("2019", "2021")
_NULL = {"type": "null"}
_VALUE = {Kind.COUNT: "integer", Kind.SIGNED: "integer", Kind.MONEY: "number"}
_JSON_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean"}


@functools.cache
def _module_docs(module: str) -> dict[str, dict[str, str]]:
    """Return class name → field name → the docstring written under the field, for one module's source."""
    tree = ast.parse(inspect.getsource(sys.modules[module]))
    docs: dict[str, dict[str, str]] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        found = docs.setdefault(node.name, {})
        for field, doc in zip(node.body, node.body[1:], strict=False):
            is_doc = (
                isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant) and isinstance(doc.value.value, str)
            )
            if isinstance(field, ast.AnnAssign) and isinstance(field.target, ast.Name) and is_doc:
                found[field.target.id] = inspect.cleandoc(doc.value.value)  # type: ignore[attr-defined]
    return docs


def field_docs(cls: type) -> dict[str, str]:
    """Return field name → the docstring under the field in the class's source (its description)."""
    return _module_docs(cls.__module__).get(cls.__name__, {})


def _doc(obj: Any) -> str:
    """Return the first paragraph of an object's docstring, on one line."""
    return " ".join((inspect.getdoc(obj) or "").split("\n\n")[0].split())


def _ref(cls: type) -> dict[str, Any]:
    return {"$ref": f"#/$defs/{cls.__name__}"}


def _type(hint: Any, *, nullable: bool = True) -> dict[str, Any]:
    """Return the schema of a field's annotation; `nullable` False drops None (a key absent where None)."""
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        null = nullable and len(options) < len(args)
        if all(a in _JSON_TYPES for a in options):
            names = list(dict.fromkeys(_JSON_TYPES[a] for a in options))
            if names == ["integer", "number"]:
                names = ["number"]
            return {"type": [*names, "null"] if null else names[0] if len(names) == 1 else names}
        return {"anyOf": [_type(a) for a in options] + ([_NULL] if null else [])}
    if origin is Literal:
        return {"enum": list(args)}
    if origin is list:
        return {"type": "array", "items": _type(args[0])}
    if hint is Any:
        return {}
    if is_dataclass(hint):
        return _ref(hint)  # type: ignore[arg-type]
    return {"type": _JSON_TYPES[hint]}


def _object(cls: type, skip: tuple[str, ...] = (), omit_none: bool = False) -> dict[str, Any]:
    """Return the schema of a dataclass written field by field (its keys absent where None if `omit_none`)."""
    hints, docs = get_type_hints(cls), field_docs(cls)
    props: dict[str, Any] = {}
    required: list[str] = []
    for f in fields(cls):
        if f.name in skip:
            continue
        optional = omit_none and f.default is None
        props[f.name] = {**_type(hints[f.name], nullable=not optional), "description": docs.get(f.name, "")}
        if not optional:
            required.append(f.name)
    return {
        "type": "object",
        "description": _doc(cls),
        "properties": props,
        "required": required,
        "additionalProperties": False,
    }


def _row(cls: type) -> dict[str, Any]:
    """Return the schema of a row of table 二 or a group of table 四: each column's value and `<column>_raw`."""
    docs = field_docs(cls)
    props: dict[str, Any] = {}
    for column in cls.COLUMNS:  # type: ignore[attr-defined]
        props[column] = {"type": [_VALUE[column_kind(cls, column)], "null"], "description": docs.get(column, "")}
        props[column + RAW_SUFFIX] = {
            "type": "string",
            "description": f"The cell's text where it was not simply the number ({column}).",
        }
    return {
        "type": "object",
        "description": _doc(cls),
        "properties": props,
        "required": list(cls.COLUMNS),
        "additionalProperties": False,
    }


def _rows(cls: type, rows: dict[str, Any], items: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the schema of a table of optional rows: row key → `items` (or the row class's schema)."""
    docs = field_docs(cls)
    after = f" {items['description']}" if items and "description" in items else ""
    props = {
        row: {**(items or _ref(row_cls)), "description": docs.get(row, "") + after} for row, row_cls in rows.items()
    }
    return {"type": "object", "description": _doc(cls), "properties": props, "additionalProperties": False}


def _list_of_7(kind: str) -> dict[str, Any]:
    columns = ", ".join(RequestRow.COLUMNS)
    return {
        "type": "array",
        "items": {"type": [kind, "null"]},
        "minItems": 7,
        "maxItems": 7,
        "description": f"One entry per column, in this order: {columns}.",
    }


def _record() -> dict[str, Any]:
    """Return the schema of the record's top level: its fields, the keys derived from them and the store's."""
    schema = _object(Record, skip=("provenance",))
    props, hints = schema["properties"], get_type_hints(Record)
    for key in (*CONTEXT_KEYS, *ATTRIBUTION_KEYS):  # absent where None
        props[key] = {**_type(hints[key], nullable=False), "description": props[key]["description"]}
        schema["required"].remove(key)
    schema["required"].remove("checks")
    schema["required"] += ["format", "table_formats", "checks"]
    props["format"] = {"enum": [*FORMATS, "mixed", None], "description": _doc(Record.format)}
    formats = {
        "proactive": {"enum": [*FORMATS, None], "description": "The format of table 二; null where not found."},
        "requests": {"enum": [*FORMATS, None], "description": "The format of table 三; null where not found."},
    }
    props["table_formats"] = {
        "type": "object",
        "description": _doc(Record.table_formats),
        "properties": formats,
        "required": ["proactive", "requests"],
        "additionalProperties": False,
    }
    raws = _rows(Requests, dict.fromkeys(Requests.ROWS, RequestRow), _list_of_7("string"))["properties"]
    props["requests_raw"] = {
        "type": "object",
        "description": _doc(Requests.raws),
        "properties": raws,
        "additionalProperties": False,
    }
    props["carrier"]["enum"] = list(CARRIERS)
    props["text_sha256"]["pattern"] = "^[0-9a-f]{64}$"
    props.update(_object(Provenance)["properties"])  # the store's keys: present in every exported record
    props["export"] = _EXPORTED_TEXT  # the text export's sidecar only
    return schema


_EXPORTED_TEXT = {
    "type": "object",
    "description": "Only in a text export's `.json` sidecar: what its `NNN_<hash16>.txt` holds, how it is named.",
    "properties": {
        "file": {"type": "string", "description": "The `.txt` file's name, `NNN_<hash16>.txt`."},
        "text_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$",
                        "description": "The recipe applied to the file; hash16 is its first 16 hex digits."},
        "hashed": {"enum": ["document", "sections"], "description": "`document`: the file holds the document's "
                   "extracted text (the hash is the record's `text_sha256`); `sections`: the title and six parts."},
        "recipe": {"type": "string", "description": "How to recompute `text_sha256` from the file."},
    },
    "required": ["file", "text_sha256", "hashed", "recipe"],
    "additionalProperties": False,
}  # fmt: skip


def record_schema() -> dict[str, Any]:
    """Return the JSON Schema of a record: what `extract` returns and what the store's exports add to it."""
    schema = {"$schema": DIALECT, "$id": SCHEMA_ID, "title": "nianbao report record", **_record()}
    defs: dict[str, Any] = {
        "Sections": _object(Sections),
        "Check": _object(Check, omit_none=True),
        "Source": _object(Source),
        "Requests": _rows(Requests, dict.fromkeys(Requests.ROWS, RequestRow), _list_of_7("integer")),
        "ReviewLitigation": {
            **_rows(ReviewLitigation, dict.fromkeys(REVIEW_GROUPS, ReviewGroup)),
            "required": list(REVIEW_GROUPS),
        },
        "ReviewGroup": _row(ReviewGroup),
        "AttributionBasis": _object(AttributionBasis),
        "AttributionAmbiguity": _object(AttributionAmbiguity),
        "Ambiguity": _object(Ambiguity),
    }
    defs["Ambiguity"]["properties"]["reason"]["enum"] = list(AMBIGUITY_REASONS)
    defs["Check"]["properties"]["cause"]["enum"] = ["parse"]
    defs["Check"]["properties"]["rule"]["enum"] = [r.id for r in RULES.values() if r.in_record]
    for cls in PROACTIVE_CLASSES.values():
        defs[cls.__name__] = _rows(cls, cls.ROWS)
        for row_cls in cls.ROWS.values():
            defs[row_cls.__name__] = _row(row_cls)
    schema["$defs"] = defs
    return schema
