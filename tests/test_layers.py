"""The one-way walk of docs/architecture.md: each folder imports only the folders below it."""

from __future__ import annotations

import ast
from pathlib import Path

from .conftest import ROOT

ALLOWED = {
    "extractors": set(),
    "storage": {"extractors"},
    "crawler": {"extractors", "storage"},
    "nianbao": {"extractors", "storage", "crawler"},
}
"""Project packages each package may import (besides itself)."""


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module and n.level == 0}
    return {name.split(".")[0] for name in names}


def test_each_folder_imports_only_the_folders_below_it():
    crossings = {}
    for package, allowed in ALLOWED.items():
        for path in (ROOT / package).rglob("*.py"):
            wrong = (_imports(path) & set(ALLOWED)) - allowed - {package}
            if wrong:
                crossings[str(path.relative_to(ROOT))] = sorted(wrong)
    assert not crossings, f"imports against the one-way walk: {crossings}"


def test_extractors_know_nothing_of_scrapy_or_sql():
    offenders = {}
    for path in (ROOT / "extractors").rglob("*.py"):
        wrong = _imports(path) & {"scrapy", "twisted", "sqlalchemy", "alembic", "parsel"}
        if wrong:
            offenders[str(path.relative_to(ROOT))] = sorted(wrong)
    assert not offenders, offenders
