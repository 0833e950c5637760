"""`extractors.rules.RULES` is the one truth about check ids: the code uses only its ids, emits only its
severities, and docs/rules.md and docs/record-schema.md keep up with the code."""

from __future__ import annotations

import ast
import re
from importlib import import_module
from pathlib import Path

import pytest

import extractors
from extractors import RULES, Rule, extract
from extractors import checks as checks_module
from extractors.api import CONTEXT_KEYS
from extractors.labels import (
    PROACTIVE_ROWS_2019,
    PROACTIVE_ROWS_2021,
    REQUEST_COLUMNS,
    REQUEST_ROWS,
    REVIEW_COLUMNS,
    REVIEW_GROUPS,
)
from extractors.rules import FAMILIES, lookup, markdown
from extractors.sections import SECTION_KEYS
from storage.store import COMPUTED_KEYS

from .conftest import CORPUS, DOCUMENTS, ROOT, SHARED

RULE_LITERAL = re.compile(r"""["']([A-Z][A-Z0-9]*-\d\d)["']""")
NOT_RULE_IDS = re.compile(r"^(?:UTF|UCS|ISO|GB)-")  # encodings and standards that look like rule ids
SOURCE_DIRS = ("extractors", "storage")
CHECKS_PY = ROOT / "extractors" / "checks.py"
VALIDATE_PY = ROOT / "storage" / "validate.py"
DEADLINES_PY = ROOT / "extractors" / "deadlines.py"
# A published date after every deadline, so that the timeliness rules run on every fixture.
LATE = {"published_at": "2099-12-31"}
# `storage` exports its function `validate`, which hides the module of that name from attribute access.
validate_module = import_module("storage.validate")


def _literals(path: Path) -> set[str]:
    """Return the rule-id-like string literals in one source file."""
    return {m for m in RULE_LITERAL.findall(path.read_text(encoding="utf-8")) if not NOT_RULE_IDS.match(m)}


def _fixture_documents() -> list[Path]:
    """Return the fixture documents the severity test extracts (HTML and text: quick to read)."""
    return sorted([*DOCUMENTS.glob("*/input.html"), *DOCUMENTS.glob("*/input.txt")])


def _corpus_documents() -> list[Path]:
    """Return the text-like documents of ../shared/corpus where it is present, else []."""
    if not CORPUS.is_dir():
        return []
    found = [*CORPUS.glob("seeds/*.txt"), *CORPUS.glob("real/*.txt"), *CORPUS.glob("real/*.html")]
    return sorted(p for p in found if not p.name.startswith("NEGATIVE_"))


def _record() -> dict:
    """Return a real record with every context key set (what a crawl gives the store)."""
    context = {key: f"context {key}" for key in CONTEXT_KEYS}
    context["published_at"] = "2021-01-20"
    return extract(DOCUMENTS / "seed000_html" / "input.html", context=context)


# -- the registry itself ----------------------------------------------------------------------------
def test_registry_is_keyed_by_id_and_ordered_by_family():
    assert all(key == rule.id for key, rule in RULES.items())
    order = list(FAMILIES)
    families = [order.index(r.family) for r in RULES.values()]
    assert families == sorted(families)
    assert extractors.RULES is RULES and {"RULES", "Rule"} <= set(extractors.__all__)


def test_rule_refuses_inconsistent_fields():
    with pytest.raises(ValueError):
        Rule("T3-99", "T2", ("E",), "record", "a T3 id in family T2", "x")
    with pytest.raises(ValueError):
        Rule("T3-99", "T3", ("X",), "record", "an unknown severity", "x")
    with pytest.raises(ValueError):
        Rule("T3-99", "T3", (), "record", "implemented without severities", "x")
    with pytest.raises(ValueError):
        Rule("T3-99", "T3", ("E",), "none", "scope none but implemented", "x")


def test_every_format_spec_rule_is_listed():
    spec = SHARED / "spec" / "format-spec.md"
    if not spec.is_file():
        pytest.skip(f"format-spec not found at {spec}")
    section = spec.read_text(encoding="utf-8").split("## 8.", 1)[1].split("\n## 9.", 1)[0]
    assert set(re.findall(r"^\| ([A-Z][A-Z0-9]*-\d\d) \|", section, re.M)) == set(RULES)


# -- the code uses only registered ids --------------------------------------------------------------
def test_every_rule_literal_in_the_source_is_registered():
    unknown = {}
    for folder in SOURCE_DIRS:
        for path in (ROOT / folder).rglob("*.py"):
            missing = _literals(path) - set(RULES)
            if missing:
                unknown[str(path.relative_to(ROOT))] = sorted(missing)
    assert not unknown, f"rule ids not in extractors.rules.RULES: {unknown}"


def test_every_implemented_rule_is_in_the_code_that_checks_it():
    shared = _literals(DEADLINES_PY)  # TIME-01…03, decided in one place for both
    in_checks, in_validate = _literals(CHECKS_PY) | shared, _literals(VALIDATE_PY) | shared
    for rule in RULES.values():
        assert (rule.id in in_checks) == rule.in_record, f"{rule.id}: scope {rule.scope!r} vs extractors/checks.py"
        assert (rule.id in in_validate) == rule.in_store, f"{rule.id}: scope {rule.scope!r} vs storage/validate.py"


def _rule_ids_in(node: ast.AST) -> set[str]:
    """Return the rule-id string constants anywhere under `node`."""
    strings = (n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str))
    return {s for s in strings if RULE_LITERAL.fullmatch(f'"{s}"') and not NOT_RULE_IDS.match(s)}


def _assigned(node: ast.AST, name: str) -> bool:
    """Return True where `node` is an assignment that binds `name` (alone or in a tuple)."""
    if not isinstance(node, ast.Assign):
        return False
    return any(isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.id == name for n in ast.walk(node))


def _resolve(name: str, scope: ast.AST, functions: dict[str, ast.FunctionDef], depth: int = 0) -> set[str]:
    """Return the rule ids a variable `name` can hold in `scope`: what its assignments hold, a few hops away.

    An assignment from a call of a function of the same module counts the ids that function returns.
    """
    found: set[str] = set()
    if depth > 3:
        return found
    for node in ast.walk(scope):
        if not _assigned(node, name):
            continue
        found |= _rule_ids_in(node.value)
        for sub in ast.walk(node.value):
            if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id in functions:
                found |= _returned_ids(functions[sub.func.id], functions, depth + 1)
            elif isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load) and sub.id != name:
                found |= _resolve(sub.id, scope, functions, depth + 1)
    return found


def _returned_ids(function: ast.FunctionDef, functions: dict[str, ast.FunctionDef], depth: int) -> set[str]:
    """Return the rule ids `function` can return, following calls of the known `functions` it returns."""
    found: set[str] = set()
    if depth > 3:
        return found
    for ret in (r.value for r in ast.walk(function) if isinstance(r, ast.Return) and r.value is not None):
        found |= _rule_ids_in(ret)
        for call in ast.walk(ret):
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in functions:
                found |= _returned_ids(functions[call.func.id], functions, depth + 1)
    return found


def _calls(path: Path, func: str, severity_arg: int) -> list[tuple[set[str], str | None]]:
    """Return (rule ids, constant severity or None) for every call of `func` in `path`."""
    module = checks_module if path == CHECKS_PY else validate_module
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}
    # The deadlines (TIME-01…03) are decided in one module that both checkers call.
    shared = {f.name: f for f in ast.parse(DEADLINES_PY.read_text(encoding="utf-8")).body
              if isinstance(f, ast.FunctionDef)}  # fmt: skip
    functions = {**own, **shared}
    out = []
    for scope in own.values():
        for node in ast.walk(scope):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == func):
                continue
            arg = node.args[0]
            if isinstance(arg, ast.Subscript) and isinstance(arg.value, ast.Name):
                ids = set(getattr(module, arg.value.id))  # a tuple of ids indexed at run time
            elif isinstance(arg, ast.Name):
                ids = _resolve(arg.id, scope, functions)
            else:
                ids = _rule_ids_in(arg)
            assert ids, f"{path.name}:{node.lineno}: {func} with a rule id that cannot be traced to a literal"
            sev = node.args[severity_arg] if len(node.args) > severity_arg else None
            out.append((ids, sev.value if isinstance(sev, ast.Constant) else None))
    return out


def test_severities_written_in_the_code_are_the_registered_ones():
    """A literal severity is one the rule lists; a rule whose calls all have literal severities lists no other."""
    calls = [*_calls(CHECKS_PY, "_fail", 2), *_calls(VALIDATE_PY, "_finding", 1)]
    assert len(calls) > 30
    written: dict[str, set[str]] = {}
    computed: set[str] = set()
    for ids, severity in calls:
        for rule_id in ids:
            if severity is None:
                computed.add(rule_id)
            else:
                assert severity in RULES[rule_id].severities, f"{rule_id} emits {severity}"
                written.setdefault(rule_id, set()).add(severity)
    for rule_id, seen in written.items():
        if rule_id not in computed:
            assert set(RULES[rule_id].severities) == seen, rule_id


# -- what real records emit ---------------------------------------------------------------------------
@pytest.mark.parametrize("path", _fixture_documents(), ids=lambda p: p.parent.name)
def test_fixture_checks_use_registered_rules_and_severities(path):
    for check in extract(path, context=LATE)["checks"]:
        rule = RULES.get(check["rule"])
        assert rule is not None and rule.in_record, check
        assert check["severity"] in rule.severities, check


def test_corpus_checks_use_registered_rules_and_severities():
    paths = _corpus_documents()
    if not paths:
        pytest.skip(f"corpus not found at {CORPUS}")
    seen = set()
    for path in paths:
        for check in extract(path, context=LATE)["checks"]:
            assert check["severity"] in lookup(check["rule"], "record").severities, (path.name, check)
            seen.add(check["rule"])
    assert {"NUM-02", "STR-05", "T3-02", "TIME-01", "TIME-02", "TIME-03"} <= seen


def test_fail_and_finding_refuse_unknown_ids():
    with pytest.raises(ValueError, match="unknown rule id"):
        checks_module._fail("T3-99", "total", "E")
    with pytest.raises(ValueError, match="not a record rule"):
        checks_module._fail("XY-01", "total", "E")
    assert checks_module._fail("T3-01", "total", "E", 1, 2).to_dict() == {
        "rule": "T3-01", "where": "total", "severity": "E", "expected": 1, "found": 2,
    }  # fmt: skip
    cur = {"year": 2023, "agency": "某局", "region_code": "110101", "report_id": 1}
    with pytest.raises(ValueError, match="unknown rule id"):
        validate_module._finding("XY-99", "W", None, cur, "x", None, None)
    with pytest.raises(ValueError, match="not a store rule"):
        validate_module._finding("T3-01", "E", None, cur, "x", None, None)
    assert validate_module._finding("TIME-01", "W", None, cur, "published_at", None, None).rule == "TIME-01"


def test_validate_descriptions_come_from_the_registry():
    assert set(validate_module.RULES) == {r.id for r in RULES.values() if r.in_store}
    assert all(validate_module.RULES[k] == RULES[k].meaning for k in validate_module.RULES)


# -- docs ---------------------------------------------------------------------------------------------
def test_docs_rules_md_is_generated_from_the_registry():
    committed = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == markdown(), "docs/rules.md is stale: python -m extractors.rules --markdown > docs/rules.md"


def test_record_schema_md_names_every_key_of_the_code():
    doc = (ROOT / "docs" / "record-schema.md").read_text(encoding="utf-8")
    record = _record()
    keys = {
        *record,
        "requests_raw",
        *CONTEXT_KEYS,
        *COMPUTED_KEYS,
        "supersedes_id",
        "first_seen",
        *SECTION_KEYS,
        *record["table_formats"],
        *(s.key for s in (*PROACTIVE_ROWS_2019, *PROACTIVE_ROWS_2021, *REQUEST_ROWS)),
        *(c for s in (*PROACTIVE_ROWS_2019, *PROACTIVE_ROWS_2021) for c, _ in s.columns),
        *REQUEST_COLUMNS,
        *REVIEW_GROUPS,
        *REVIEW_COLUMNS,
        *(k for c in record["checks"] for k in c),
        "expected",
        "found",
        "message",
        "column",
    }
    missing = sorted(k for k in keys if f"`{k}`" not in doc)
    assert not missing, f"docs/record-schema.md does not name: {missing}"
    for kind in ("report", "source", "unchanged", "error"):
        assert f"| `{kind}` |" in doc, f"crawl feed kind {kind} undocumented"
