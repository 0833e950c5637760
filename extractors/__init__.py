"""Extractors: any annual-report document (HTML, PDF, DOCX, DOC, WPS, XLS, text) → a checked record.

`RULES` (`extractors.rules`) defines every check id a record's `checks` or `nianbao validate` can name.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .api import extract, read
    from .errors import ExtractionError
    from .rules import RULES, Rule

__all__ = ["RULES", "ExtractionError", "Rule", "extract", "read"]
# Names are imported on first use: `python -m extractors.rules` must find its module not yet imported,
# and `from extractors import RULES` need not load the document readers.
_HOMES = {"extract": ".api", "read": ".api", "ExtractionError": ".errors", "RULES": ".rules", "Rule": ".rules"}


def __getattr__(name: str) -> Any:
    """Return the exported `name` from its module, imported on first use."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """Return the module's names with the lazily imported exports."""
    return sorted({*globals(), *__all__})
