import json
import math

import numpy as np
import pytest

from engines.corpus import load_corpus
from engines.ngram.model import NgramModel
from engines.notes import NOTE_ON_BASE, VOCAB_SIZE, Note
from engines.rnn.engine import RnnEngine
from engines.rnn.evaluate import (
    choose_primers,
    estimate_key,
    evaluate,
    format_report,
    key_name,
    scale_pitch_classes,
)
from engines.rnn.model import RnnConfig


@pytest.fixture(scope="module")
def folk():
    return load_corpus("folk", limit_files=1, progress=False)


def melody(pitches, durations=None):
    durations = durations or [1.0] * len(pitches)
    starts = np.concatenate([[0.0], np.cumsum(durations)[:-1]])
    return [Note(p, float(s), float(d)) for p, s, d in zip(pitches, starts, durations, strict=True)]


def test_key_of_a_c_major_scale():
    assert estimate_key(melody([60, 62, 64, 65, 67, 69, 71, 72])) == (0, "major")


def test_key_of_an_a_minor_melody():
    notes = melody([69, 72, 76, 74, 72, 71, 68, 69, 64, 69], [2, 1, 1, 1, 1, 1, 1, 2, 1, 3])
    assert estimate_key(notes) == (9, "minor")
    assert key_name(9, "minor") == "A minor"


def test_key_follows_transposition():
    notes = melody([60, 62, 64, 65, 67, 69, 71, 72], [2, 1, 1, 1, 2, 1, 1, 2])
    for shift in range(12):
        moved = [Note(n.pitch + shift, n.start, n.duration) for n in notes]
        assert estimate_key(moved) == (shift % 12, "major")


def test_scales():
    assert scale_pitch_classes(0, "major") == {0, 2, 4, 5, 7, 9, 11}
    assert scale_pitch_classes(9, "minor") == {9, 11, 0, 2, 4, 5, 7, 8}  # with G#


def test_primers_are_long_enough_and_chosen_by_seed(folk):
    tunes = folk.tunes("train")[:60]
    chosen = choose_primers(tunes, 10, 64, 32, seed=0)
    assert len(chosen) == 10 and chosen == sorted(chosen)
    assert chosen == choose_primers(tunes, 10, 64, 32, seed=0)
    assert chosen != choose_primers(tunes, 10, 64, 32, seed=1)
    assert all(len(tunes[i]) >= 96 for i in chosen)


def test_an_untrained_engine_is_near_uniform_and_loses_to_the_ngram(folk):
    engine = RnnEngine.from_config(RnnConfig(embed=16, hidden=32, layers=1), "cpu")
    r = evaluate(engine, folk, n_continuations=4, max_tunes=5, check_seeds=1)
    json.dumps(r)  # plain types only
    names = [c["name"] for c in r["musician"]["checks"]]
    assert "in key, worst major key, T=1" in names and "empty replies, T=0.1" in names
    assert r["data"]["test_tunes"] == 5 and r["data"]["test_notes"] > 0
    nll = r["nll"]
    assert abs(nll["model"]["per_step"] - math.log(VOCAB_SIZE)) < 0.5
    assert nll["ngram"]["per_step"] < nll["model"]["per_step"]
    assert nll["model"]["per_note"] > nll["model"]["per_step"]
    assert nll["improvement_per_note"] < 0 and nll["passed"] is False
    c = r["continuations"]
    assert c["n"] == 4 and c["major_keys"] + c["minor_keys"] == 4
    for who in ("real", "model", "ngram"):
        assert 0 <= c[who]["in_key"] <= 1 and 0 <= c[who]["silent"] <= 1
        assert 0 <= c[who]["notes_per_bar"] <= 16
    assert c["real"]["in_key"] > 0.6  # folk tunes mostly stay in key
    assert r["seconds"]["total"] >= r["seconds"]["nll"] > 0
    report = format_report(r)
    assert "FAIL" in report and "notes in primer's key" in report


class Sharper:
    """A stand-in engine: the n-gram with every NLL scaled, to exercise the pass bar."""

    name = "sharper"

    def __init__(self, model: NgramModel, scale: float) -> None:
        self.model, self.scale = model, scale

    def token_nll(self, tokens):
        return self.model.token_nll(tokens) * self.scale

    def continue_(self, notes, steps, temperature, seed):
        return self.model.continue_(notes, steps=steps, temperature=temperature, seed=seed)


@pytest.mark.parametrize("scale, passed", [(0.85, True), (0.95, False)])
def test_the_pass_bar_is_ten_percent_per_note(folk, scale, passed):
    ngram = NgramModel.fit(folk.tunes("train"), 5)
    r = evaluate(Sharper(ngram, scale), folk, n_continuations=2, max_tunes=3, check_seeds=0)
    assert r["nll"]["improvement_per_note"] == pytest.approx(1 - scale)
    assert r["nll"]["passed"] is passed
    assert ("PASS" in format_report(r)) is passed


def test_real_continuations_are_the_bars_after_the_primer(folk):
    # evaluate() counts real notes from tokens after primer_bars: check one tune by hand
    tune = folk.tunes("test")[0]
    ons = int(np.count_nonzero(tune[64:96] >= NOTE_ON_BASE))
    r = evaluate(
        Sharper(NgramModel.fit(folk.tunes("train")[:20], 2), 1.0),
        folk,
        n_continuations=1,
        max_tunes=1,
        check_seeds=0,
    )
    assert r["continuations"]["n"] == 1
    assert r["continuations"]["real"]["notes"] == ons
