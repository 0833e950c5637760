"""Errors are types: each failure raises the `ExtractionError` subclass that names it, with its reason unchanged,
so callers tell a non-report from a bomb by `except NotAReport`, never by the text."""

from __future__ import annotations

import io
import pickle
import zipfile
from pathlib import Path

import pytest

import extractors
from extractors import (
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
    extract,
)
from extractors.readers import office

from .test_bad_input import CASES, LIBREOFFICE

ROOT = Path(__file__).resolve().parents[1]
NEGATIVE = (
    ROOT
    / "nianbao"
    / "demo"
    / "corpus"
    / "real"
    / "NEGATIVE_pingtan_zone_2014_letter_in_nianbao_column_not_a_report.txt"
)
HTML = ROOT / "fixtures" / "documents" / "seed000_html" / "input.html"

# tests/test_bad_input.py's bad documents → the class each must raise (its reason is checked there).
KINDS: dict[str, type[ExtractionError]] = {
    "empty": NoText,
    "truncated_pdf": Corrupt,
    "encrypted_pdf": Encrypted,
    "zip_bomb_docx": Bomb,
    "lying_zip_bomb_docx": Corrupt,
    "random_pdf": Unsupported,
    "random_doc": Unsupported,
    "news_html": NotAReport,
    "ole_garbage_doc": Corrupt,
    "ole_unconvertible_doc": Unreadable,
    "gridspan_docx": TooLarge,
    "span_tables_html": TooLarge,
    "merge_bomb_xlsx": TooLarge,
}


def _raised(source, **kwargs) -> ExtractionError:
    with pytest.raises(ExtractionError) as info:
        extract(source, **kwargs)
    return info.value


def test_the_hierarchy():
    assert issubclass(Bomb, TooLarge)
    assert all(issubclass(k, Unreadable) for k in (Corrupt, Encrypted, Unsupported, NoText))
    assert not issubclass(NotAReport, Unreadable) and not issubclass(ConverterMissing, Unreadable)
    assert all(issubclass(k, ExtractionError) for k in extractors.errors.ERRORS)


@pytest.mark.parametrize(
    "case", [pytest.param(k, marks=[LIBREOFFICE] if "ole_unconvertible" in k else [], id=k) for k in KINDS]
)
def test_each_bad_document_raises_its_kind(case, tmp_path):
    assert set(KINDS) == set(CASES)
    error = _raised(CASES[case][0](tmp_path))
    assert type(error) is KINDS[case], f"{case}: {type(error).__name__}: {error.reason}"


def test_not_a_report_keeps_its_reason():
    error = _raised(NEGATIVE)
    assert type(error) is NotAReport
    assert error.reason == "not an annual report (no report title, parts or tables found)"
    assert error.source == NEGATIVE.name


def test_size_limits_and_missing_files(tmp_path):
    error = _raised(HTML, max_bytes=100)
    assert type(error) is TooLarge and error.reason == f"file is {HTML.stat().st_size} bytes, over the 100-byte limit"
    error = _raised(HTML.read_bytes(), max_bytes=100)
    assert type(error) is TooLarge and error.reason.startswith("document is ")
    error = _raised(tmp_path / "nothing.pdf")
    assert type(error) is Unreadable and error.reason == "cannot read: No such file or directory"


def test_formats_that_are_not_read(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("photo.jpg", b"\xff\xd8")
    error = _raised(buffer.getvalue(), name="photos.zip")
    assert type(error) is Unsupported and error.reason == "zip archive that is neither DOCX nor XLSX"
    error = _raised(b"  \n ")
    assert type(error) is NoText and error.reason == "empty file"


def test_missing_libreoffice_is_not_the_documents_fault(monkeypatch):
    monkeypatch.setattr(office, "soffice", lambda: None)
    error = _raised(ROOT / "fixtures" / "documents" / "seed000_doc" / "input.doc")
    assert type(error) is ConverterMissing
    assert error.reason.startswith("LibreOffice (soffice) is not installed")


def test_errors_keep_class_reason_and_source_through_pickle():
    error = TooLarge("document is 9 bytes, over the 1-byte limit", source="a.pdf")
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is TooLarge and (again.reason, again.source, str(again)) == (error.reason, "a.pdf", str(error))
