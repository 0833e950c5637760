"""`nianbao schema`: the JSON Schema of the record, generated from the typed classes of `extractors`."""

from __future__ import annotations

import argparse
import json

from ..exits import OK


def cmd_schema(args: argparse.Namespace) -> int:
    """Print the JSON Schema (draft 2020-12) that every record `extract` returns and every export holds; return 0."""
    from extractors import record_schema

    print(json.dumps(record_schema(), ensure_ascii=False, indent=None if args.compact else 1))
    return OK
