"""Shared paths and fixtures for the test suite."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
DOCUMENTS = ROOT / "fixtures" / "documents"


def need_shared() -> None:
    """Skip the calling test where ../shared (the corpus beside the checkout) is absent."""
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS}: clone the project with shared/ beside it")


@pytest.fixture
def corpus() -> Path:
    need_shared()
    return CORPUS


@pytest.fixture
def sqlite_store(tmp_path: Path):
    """A migrated SQLite store in a temporary folder."""
    from storage import Store

    s = Store(f"sqlite:///{tmp_path / 'db.sqlite'}", blob_root=tmp_path / "blobs")
    s.migrate()
    yield s
    s.close()


def _backends() -> tuple[str, ...]:
    from .databases import BACKENDS

    return BACKENDS


@pytest.fixture(params=_backends())
def backend_db_url(request: pytest.FixtureRequest, tmp_path: Path):
    """The URL of a fresh database on each backend (SQLite, PostgreSQL), skipped where one is unreachable."""
    from .databases import BackendUnavailable, backend_url

    try:
        with backend_url(request.param, tmp_path) as u:
            yield u
    except BackendUnavailable as exc:
        pytest.skip(str(exc))
