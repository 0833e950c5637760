"""The quality gate: per-document score floors and corpus hashes, pinned in quality_gate.json.

`python -m tests.quality_gate --pin` scores every gold document and writes the file; a floor is
never lowered unless `--allow-lower` is given, so a regression cannot be pinned in silently. The
corpus's gold records are under `documents`; the derived documents of fixtures/derived/ (hand-read
gold kept in the repository, tests/derived_gold.py) under `derived`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from pathlib import Path
from typing import Any

GATE_FILE = Path(__file__).resolve().parent / "quality_gate.json"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FIXTURE_SETS = ("ofd", "ocr")
"""Folders of fixtures/ whose cases (an input.* beside an expected.json) are pinned under "fixtures" as set/case."""


def floor6(value: float) -> float:
    """Return `value` cut (never rounded up) to 6 decimals: a pinned floor its own score always meets."""
    return math.floor(value * 1_000_000) / 1_000_000


def corpus_hash(corpus: Path) -> str:
    """Return the SHA-256 over every gold record of `corpus` with its source document, in name order."""
    h = hashlib.sha256()
    for gold_path in sorted((corpus / "gold").glob("*.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        h.update(doc_hash(gold_path, corpus / gold["source"]).encode())
    return h.hexdigest()


def doc_hash(gold: Path, source: Path) -> str:
    """Return the SHA-256 over a gold record's bytes and its source document's bytes."""
    h = hashlib.sha256()
    for p in (gold, source):
        h.update(p.read_bytes() if p.exists() else b"")
        h.update(b"\0")
    return h.hexdigest()


def load_gate() -> dict[str, Any]:
    """Return the pinned gate (empty where the file does not exist yet)."""
    if not GATE_FILE.exists():
        return {"corpus_sha256": "", "documents": {}}
    return json.loads(GATE_FILE.read_text(encoding="utf-8"))


def pin(corpus: Path, allow_lower: bool) -> int:
    """Score every gold document and write the gate; return the exit status."""
    from extractors import extract

    from .goldcmp import compare

    old = load_gate()["documents"]
    docs: dict[str, Any] = {}
    status = 0
    for gold_path in sorted((corpus / "gold").glob("*.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        h = doc_hash(gold_path, corpus / gold["source"])
        value = floor6(compare(extract(corpus / gold["source"]), gold).value)
        floor = value
        prev = old.get(gold_path.stem)
        if prev and prev["sha256"] == h and value < prev["floor"] and not allow_lower:
            print(f"{gold_path.stem}: {value} is below the pinned floor {prev['floor']}; keeping the floor")
            floor, status = prev["floor"], 1
        docs[gold_path.stem] = {"floor": floor, "sha256": h}
        print(f"{gold_path.stem}: {value}")
    derived, lowered = pin_derived(load_gate().get("derived") or {}, allow_lower)
    status = max(status, lowered)
    fixtures, lowered = pin_fixtures(load_gate().get("fixtures") or {}, allow_lower)
    status = max(status, lowered)
    gate = {"corpus_sha256": corpus_hash(corpus), "derived": derived, "documents": docs, "fixtures": fixtures}
    GATE_FILE.write_text(json.dumps(gate, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return status


def pin_derived(old: dict[str, Any], allow_lower: bool) -> tuple[dict[str, Any], int]:
    """Score every derived document of fixtures/derived/; return its pins and 1 where a floor was kept."""
    from extractors import extract

    from .derived_gold import gold_paths, load
    from .goldcmp import compare

    pins: dict[str, Any] = {}
    status = 0
    for gold_path in gold_paths():
        gold, doc = load(gold_path)
        name = doc.stem
        h = doc_hash(gold_path, doc)
        value = floor6(compare(extract(doc), gold).value)
        floor, prev = value, old.get(name)
        if prev and prev["sha256"] == h and value < prev["floor"] and not allow_lower:
            print(f"derived {name}: {value} is below the pinned floor {prev['floor']}; keeping the floor")
            floor, status = prev["floor"], 1
        pins[name] = {"floor": floor, "sha256": h}
        print(f"derived {name}: {value}")
    return pins, status


def fixture_cases() -> dict[str, tuple[Path, Path]]:
    """Return the pinned fixture cases: "<set>/<case>" → (its expected.json, its input document)."""
    cases = {}
    for name in FIXTURE_SETS:
        for expected in sorted((FIXTURES / name).glob("*/expected.json")):
            cases[f"{name}/{expected.parent.name}"] = (expected, next(expected.parent.glob("input.*")))
    return cases


def pin_fixtures(old: dict[str, Any], allow_lower: bool) -> tuple[dict[str, Any], int]:
    """Score every case of FIXTURE_SETS against its expected.json; return its pins and 1 where a floor was kept."""
    from extractors import extract

    from .goldcmp import compare

    scores = {
        name: (floor6(compare(extract(src), json.loads(exp.read_text(encoding="utf-8"))).value), doc_hash(exp, src))
        for name, (exp, src) in fixture_cases().items()
    }
    return keep_floors(scores, old, allow_lower, "fixture")


def keep_floors(
    scores: dict[str, tuple[float, str]], old: dict[str, Any], allow_lower: bool, label: str
) -> tuple[dict[str, Any], int]:
    """Return the pins of `scores` (name → value, hash) and 1 where a higher floor pinned on the same bytes was kept."""
    pins: dict[str, Any] = {}
    status = 0
    for name, (value, h) in scores.items():
        prev = old.get(name)
        kept = bool(prev and prev["sha256"] == h and value < prev["floor"] and not allow_lower)
        pins[name] = {"floor": prev["floor"] if kept and prev else value, "sha256": h}
        status = max(status, int(kept))
        print(f"{label} {name}: {value}" + (f" is below the pinned floor {pins[name]['floor']}; kept" if kept else ""))
    return pins, status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pin", action="store_true", required=True)
    parser.add_argument("--allow-lower", action="store_true")
    parser.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "corpus")
    args = parser.parse_args()
    return pin(args.corpus, args.allow_lower)


if __name__ == "__main__":
    sys.exit(main())
