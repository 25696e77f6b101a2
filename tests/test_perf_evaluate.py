"""bridge eval perf's checks on the tiny engine and a tiny corpus: the report's shape and the
Witten-Bell baseline's arithmetic."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from perf_corpus import write_corpus

from engines.notes import Note
from engines.perf.data import load_perf_corpus
from engines.perf.engine import PerfEngine
from engines.perf.evaluate import evaluate, format_report, in_key, polyphony, scale_of
from engines.perf.ngram import WittenBell


def test_witten_bell_is_a_distribution_and_learns() -> None:
    seqs = [np.array([1, 2, 3, 1, 2, 3, 1, 2, 3])] * 5
    model = WittenBell.fit(seqs, order=3, vocab=6, bos=5)
    nll = model.nll(np.array([1, 2, 3, 1]))
    assert nll[-1] < 0.2  # after "2 3", "1" is near certain
    # each position's distribution sums to one over the vocabulary
    for history in ([], [1], [1, 2], [4, 4]):
        total = sum(np.exp(-model.nll(np.array([*history, w]))[-1]) for w in range(6))
        assert total == pytest.approx(1.0)


def test_polyphony_and_key_measures() -> None:
    notes = [Note(60, 0, 2, 80), Note(64, 0, 2, 80), Note(67, 2, 2, 80)]
    assert polyphony(notes, 4) == {"sounding": 1.5, "chord": 1.5}
    assert in_key([Note(61, 0, 1, 80), Note(60, 0, 1, 80)], scale_of(0, "major")) == 0.5


def test_evaluate_reports_every_check_with_a_bar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIDGE_CACHE", str(tmp_path / "cache"))
    corpus = load_perf_corpus(str(write_corpus(tmp_path / "midi", files=70)), workers=1)
    assert corpus.pieces("test"), "the tiny corpus needs a test piece"
    report = evaluate(PerfEngine.tiny(), corpus, samples=3, order=3)
    for check in [*report["checks"].values(), *report["musician"].values()]:
        assert "bar" in check and isinstance(check["passed"], bool)
    nll = report["checks"]["nll"]
    # an untrained model is no better than chance; the n-gram learned the tiny corpus
    assert nll["model_nll_per_event"] > nll["ngram_nll_per_event"]
    assert not nll["passed"]
    assert len(report["musician"]["keys"]["by_key"]) == 24
    assert "nll" in format_report(report)
