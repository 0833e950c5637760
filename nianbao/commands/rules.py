"""`nianbao rules`: every check id with its severity and meaning, from `extractors.RULES` (where checks are defined)."""

from __future__ import annotations

import argparse
from typing import Any

from ..exits import OK
from ..output import print_table


def rule_rows() -> list[tuple[str, str, str, str]]:
    """Return (id, severities, where it runs, meaning) per rule, in the registry's order."""
    from extractors import RULES

    def scope(rule: Any) -> str:
        value = rule.scope
        return "+".join(value) if isinstance(value, tuple | list) else str(value)

    return [(r.id, "/".join(r.severities), scope(r), r.meaning) for r in RULES.values()]


def cmd_rules(args: argparse.Namespace) -> int:
    """Print the rules as a table (or Markdown); severities: E error, W warning, I information."""
    rows = rule_rows()
    header = ("rule", "severity", "checked", "meaning")
    if args.markdown:
        print("| " + " | ".join(header) + " |\n|---|---|---|---|")
        for r in rows:
            print("| " + " | ".join(cell.replace("|", "\\|") for cell in r) + " |")
    else:
        print_table([header, *rows])
        print("\nseverity: E error, W warning, I information; checked: per document (record) or across stored reports")
    return OK
