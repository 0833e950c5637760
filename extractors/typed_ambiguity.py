"""An entry of the record's `ambiguous` list: a cell the document does not settle, with its evidence.

Written in the JSON as `{"cell": …, "source_text": …, "candidates": […], "reason": …}`. The cell itself
is null in the record; the entry says which text it came from and which readings were considered, so a
reader can settle it by looking, never by trusting a guess. `ambiguous_cells` reads the cell paths of
any record dict, older ones (a plain list of paths) included.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

AMBIGUITY_REASONS = {
    "glued": "a text dump glued the row's digits together and the arithmetic accepts more than one cut",
    "detached": "a value row printed away from its label, whose place the table's arithmetic does not confirm",
    "short_row": "the row holds fewer values than columns, so which column a value belongs to is unknown",
    "long_row": "a grid cell holds several numbers, more than the row has columns, so which is the column's is unknown",
    "ocr": "an OCR reading the table's arithmetic does not confirm (its reading, then the engine's alternatives)",
    "unconfirmed": "an OCR reading no arithmetic checks (table 二), kept in its cell (reading, then alternatives)",
    "formula": "a workbook formula saved without its value that the reader does not compute (its text is in the row)",
    "legacy": "a record stored before entries carried their text: only the cell is known",
}
"""Every `reason` an entry may give, with what it means (docs/record-schema.md lists the same)."""
SOURCE_TEXT_MAX = 400
"""The longest `source_text` kept, in characters (a longer text is cut, ending with …)."""
CANDIDATES_MAX = 50
"""The most candidates an entry lists (a long glued run has many cuts; the first ones considered are kept)."""


@dataclass(slots=True)
class Ambiguity:
    """A cell the document does not settle: which one, the text it came from and the readings considered."""

    cell: str
    """The cell, as `proactive.ROW.COLUMN`, `requests.ROW.COLUMN` or `review_litigation.GROUP.COLUMN`."""
    source_text: str | None = None
    """The document's text the cell was read from (the row's label and values as printed); null where unknown."""
    candidates: list[Any] = field(default_factory=list)
    """The readings considered for the cell, in the order considered (at most CANDIDATES_MAX): numbers, or null for
    "no value printed there"; may be empty."""
    reason: str = "legacy"
    """Why the cell is unsettled: `glued`, `detached`, `short_row`, `long_row`, `ocr`, `unconfirmed`, `formula` or
    `legacy` (AMBIGUITY_REASONS)."""

    def to_dict(self) -> dict[str, Any]:
        """Return the entry as JSON: cell, source_text, candidates, reason."""
        return {"cell": self.cell, "source_text": self.source_text, "candidates": list(self.candidates),
                "reason": self.reason}  # fmt: skip

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | str) -> Ambiguity:
        """Return the entry read from its JSON; a bare path (a record stored before entries) is a `legacy` entry."""
        if isinstance(data, str):
            return cls(data)
        return cls(str(data.get("cell") or ""), data.get("source_text"), list(data.get("candidates") or []),
                   str(data.get("reason") or "legacy"))  # fmt: skip


def clip(text: str | None) -> str | None:
    """Return `text` on one line, at most SOURCE_TEXT_MAX characters (cut with …), or None where empty."""
    if not text:
        return None
    one = " ".join(text.split())
    return one if len(one) <= SOURCE_TEXT_MAX else one[: SOURCE_TEXT_MAX - 1] + "…"


def ambiguous_cells(record: Mapping[str, Any]) -> list[str]:
    """Return the cell paths a record dict lists in `ambiguous`, entries and older bare paths alike."""
    out: list[str] = []
    for entry in record.get("ambiguous") or []:
        if isinstance(entry, Mapping):
            if entry.get("cell"):
                out.append(str(entry["cell"]))
        elif isinstance(entry, str):
            out.append(entry)
    return out
