"""The recipe of README "Checking an exported file's name", run on every exported file: the name's hash16 is
recomputed from the .txt alone, with hashlib and unicodedata (not nianbao's own code), and the .json beside it
says what was hashed."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from extractors import ExtractionError, extract, record_schema
from storage import Store, export

from .conftest import ROOT

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed: pip install -e '.[test]'")

SAMPLES = (ROOT / "nianbao" / "demo" / "corpus", ROOT / "nianbao" / "demo" / "documents")
NOT_DOCUMENTS = {"meta.json", "expected.json", "README.md", "SOURCES.md"}


def recipe(path: Path) -> str:
    """README's recipe: NFKC, whitespace runs to one space, ends stripped, SHA-256 of the UTF-8."""
    text = path.read_text(encoding="utf-8")
    return hashlib.sha256(re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip().encode("utf-8")).hexdigest()


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("names")
    store = Store(f"sqlite:///{root / 'nianbao.sqlite'}")
    store.migrate()
    for n, doc in enumerate(p for folder in SAMPLES for p in sorted(folder.rglob("*")) if p.is_file()):
        if doc.name in NOT_DOCUMENTS:
            continue
        try:
            record = extract(doc)
        except ExtractionError:  # the negative sample; DOC/WPS without LibreOffice
            continue
        store.add(doc.read_bytes(), record, {"url": f"https://example.gov.cn/{n}"})
    yield store, root
    store.close()


def test_every_exported_name_is_recomputed_from_its_file(stored) -> None:
    store, root = stored
    out = root / "text"
    result = export(store, "text", out)
    files = sorted(out.glob("*.txt"))
    assert len(files) == result.reports >= 10
    records = {r["seq"]: r for r in store.reports()}
    validator = jsonschema.Draft202012Validator(record_schema())
    for path in files:
        seq, hash16 = path.stem.split("_")
        digest = recipe(path)
        assert hash16 == digest[:16], path.name
        side = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        assert side["export"]["file"] == path.name and side["export"]["text_sha256"] == digest
        assert side["export"]["hashed"] == "document"  # every sample's document text is read again
        assert digest == records[int(seq)]["text_sha256"] == side["text_sha256"]  # …so the name is the report's hash
        assert not list(validator.iter_errors(side)), path.name  # the sidecar is still a valid record


def test_a_document_that_cannot_be_read_again_falls_back_to_the_parts_and_says_so(stored, tmp_path: Path) -> None:
    _, root = stored
    copy = tmp_path / "copy"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("text"))
    moved = Store(f"sqlite:///{copy / 'nianbao.sqlite'}")
    victim = next(moved.reports())
    for sha in victim["documents"]:
        for blob in (copy / "blobs").rglob(f"{sha}*"):
            blob.unlink()
    out = tmp_path / "text"
    export(moved, "text", out)
    [path] = out.glob(f"{victim['seq']:03d}_*.txt")
    side = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert side["export"]["hashed"] == "sections"
    assert path.stem.split("_")[1] == recipe(path)[:16] != victim["text_sha256"][:16]
    moved.close()


def test_a_re_export_keeps_verified_files_and_drops_stale_names(stored, tmp_path: Path) -> None:
    store, _ = stored
    out = tmp_path / "text"
    export(store, "text", out)
    first = next(iter(sorted(out.glob("*.txt"))))
    stale = out / f"{first.stem.split('_')[0]}_{'0' * 16}.txt"
    stale.write_text("an older export of other text\n", encoding="utf-8")
    before = first.stat().st_mtime_ns
    export(store, "text", out)
    assert not stale.exists() and first.stat().st_mtime_ns == before  # verified by its hash, not rewritten


def test_documents_read_again_in_worker_processes_give_the_same_files(stored, tmp_path: Path) -> None:
    from storage.textfiles import write_text_files

    store, _ = stored
    alone, shared = tmp_path / "alone", tmp_path / "shared"
    n = write_text_files(store, store.reports(), alone, workers=1)
    assert n > 10 and write_text_files(store, store.reports(), shared, workers=2, serial_first=0) == n
    files = sorted(p.name for p in alone.iterdir())
    assert files == sorted(p.name for p in shared.iterdir())
    assert all((alone / name).read_bytes() == (shared / name).read_bytes() for name in files)
    assert sum(json.loads((alone / name).read_text())["export"]["hashed"] == "document"
               for name in files if name.endswith(".json")) > 10  # fmt: skip


def test_export_workers_are_a_whole_number(monkeypatch: pytest.MonkeyPatch) -> None:
    from storage.textfiles import export_workers

    monkeypatch.setenv("NIANBAO_EXPORT_WORKERS", "3")
    assert export_workers() == 3 and export_workers("1") == 1
    for bad in ("0", "two", "-1"):
        with pytest.raises(ValueError):
            export_workers(bad)


def test_a_bad_worker_count_is_an_export_error_and_one_line_of_the_cli(stored, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from storage import ExportError

    store, root = stored
    monkeypatch.setenv("NIANBAO_EXPORT_WORKERS", "none")
    with pytest.raises(ExportError, match="NIANBAO_EXPORT_WORKERS"):
        export(store, "text", tmp_path / "text")
    for argv in (["export", "--format", "text", "--out", str(tmp_path / "t"), "--db", f"sqlite:///{root / 'nianbao.sqlite'}"],
                 ["demo", "--port", "0", "--data", str(tmp_path / "demo")]):  # fmt: skip
        run = subprocess.run([sys.executable, "-m", "nianbao.cli", *argv], cwd=tmp_path, capture_output=True, text=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)  # fmt: skip
        assert run.returncode == 2 and run.stderr.strip().splitlines() == [
            "nianbao: NIANBAO_EXPORT_WORKERS: write a whole number of processes, 1 or more"], (argv, run.stderr)
        assert not (tmp_path / "demo").exists()  # the demo stopped before crawling
