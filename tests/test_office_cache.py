"""LibreOffice conversions kept by the hash of the file they were made from (`NIANBAO_OFFICE_CACHE`)."""

from __future__ import annotations

import hashlib
import subprocess

import pytest

from extractors import extract
from extractors.readers import office

from .conftest import DOCUMENTS


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(office.CACHE_ENV, str(tmp_path / "office"))
    return tmp_path / "office"


def _no_soffice(*args, **kwargs):
    raise AssertionError("LibreOffice was started for a file converted before")


@pytest.mark.libreoffice
def test_a_file_converted_once_is_read_again_without_libreoffice(cache, monkeypatch):
    data = (DOCUMENTS / "seed002_doc" / "input.doc").read_bytes()
    first = extract(data)
    assert (cache / f"{hashlib.sha256(data).hexdigest()}.docx").is_file()
    assert not list(cache.glob("*.part"))
    monkeypatch.setattr(subprocess, "run", _no_soffice)
    assert extract(data) == first


@pytest.mark.libreoffice
def test_a_file_libreoffice_cannot_convert_is_not_kept(cache):
    got = office.to_docx({"bad": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600})
    assert isinstance(got["bad"], office.Unreadable)
    assert not cache.exists() or not list(cache.iterdir())


def test_without_libreoffice_a_kept_conversion_is_not_used(cache, monkeypatch):
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 a doc"
    cache.mkdir()
    (cache / f"{hashlib.sha256(data).hexdigest()}.docx").write_bytes(b"PK kept")
    monkeypatch.setattr(office, "soffice", lambda: None)
    assert isinstance(office.to_docx({"a": data})["a"], office.ConverterMissing)


def test_a_cache_that_cannot_be_written_only_goes_unused(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    office._keep(blocker / "office", b"doc", b"docx")
    assert office._cached(blocker / "office", b"doc") is None
