"""Every document with a gold record extracts to that record, field by field; scores are pinned."""

from __future__ import annotations

import json

import pytest

from extractors import extract

from .conftest import CORPUS, ROOT, need_shared
from .goldcmp import compare
from .quality_gate import GATE_FILE, corpus_hash, doc_hash, load_gate

GOLD = sorted((CORPUS / "gold").glob("*.json")) if CORPUS.is_dir() else []


@pytest.mark.parametrize("gold_path", GOLD, ids=[p.stem for p in GOLD])
def test_record_equals_gold(gold_path):
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    record = extract(CORPUS / gold["source"])
    score = compare(record, gold)
    print(f"\n{gold_path.stem}: {score.matched}/{score.total} = {score.value:.4f}")
    assert not score.diffs, "\n".join(f"{p}: got {g!r}, gold {w!r}" for p, g, w in score.diffs[:40])


def test_quality_gate_floors_hold():
    """No pinned document scores below its floor; a document whose bytes changed is reported, not compared."""
    need_shared()
    gate = load_gate()
    assert gate["documents"], f"{GATE_FILE.relative_to(ROOT)} pins no document"
    lowered = []
    for name, pin in gate["documents"].items():
        gold_path = CORPUS / "gold" / f"{name}.json"
        if not gold_path.exists():
            lowered.append(f"{name}: gold record disappeared")
            continue
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        if doc_hash(gold_path, CORPUS / gold["source"]) != pin["sha256"]:
            lowered.append(f"{name}: gold or source changed since pinned; re-pin with python -m tests.quality_gate --pin")
            continue
        score = compare(extract(CORPUS / gold["source"]), gold)
        print(f"{name}: {score.value:.4f} (floor {pin['floor']:.4f})")
        if score.value < pin["floor"]:
            lowered.append(f"{name}: {score.value:.4f} < floor {pin['floor']:.4f}")
    assert not lowered, "\n".join(lowered)
    # A gold record added, removed or changed anywhere in the corpus must be pinned, not pass unseen.
    assert corpus_hash(CORPUS) == gate["corpus_sha256"], "the corpus changed since pinned: re-pin"
