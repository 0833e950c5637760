"""The one error type every extractor raises for a document it cannot read."""

from __future__ import annotations


class ExtractionError(Exception):
    """A document could not be turned into a record; `reason` says why in one line."""

    def __init__(self, reason: str, *, source: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.source = source

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}" if self.source else self.reason
