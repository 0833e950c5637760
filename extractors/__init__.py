"""Extractors: any annual-report document (HTML, PDF, DOCX, DOC, WPS, XLS, text) → a checked record."""

from .api import extract, read
from .errors import ExtractionError

__all__ = ["ExtractionError", "extract", "read"]
