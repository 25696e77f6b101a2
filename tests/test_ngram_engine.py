"""The n-gram engine: verbs, determinism, request checks, checkpoints, streams, training and the
shipped checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import engines
from engines.corpus import load_corpus
from engines.ngram.engine import NgramEngine, NgramSession, pick
from engines.ngram.model import NgramModel
from engines.ngram.train import train_ngram
from engines.notes import (
    BOS,
    HOLD,
    NOTE_ON_BASE,
    VOCAB_SIZE,
    Note,
    notes_to_tokens,
    tokens_to_notes,
)
from engines.params import PRIMER_8

PRIMER = [Note(60, 0, 1, 80), Note(62, 1, 0.5, 100), Note(64, 1.5, 0.5, 90)]
C_MAJOR = [Note(p, i, 1, 96) for i, p in enumerate([60, 62, 64, 65, 67, 65, 64, 62])]
C_MAJOR_PCS = {0, 2, 4, 5, 7, 9, 11}


@pytest.fixture(scope="module")
def engine() -> NgramEngine:
    return NgramEngine.tiny()


def test_the_engine_is_registered_and_declares_its_verb() -> None:
    assert "ngram" in engines.available_engines()
    assert engines.engine_class("ngram") is NgramEngine
    (verb,) = NgramEngine.verbs
    assert verb.name == "continue" and verb.method == "continue_" and verb.reply == "notes"
    assert [p.name for p in verb.params] == ["temperature", "steps", "seed", "top_p", "notes",
                                            "variations"]  # fmt: skip
    assert verb.bench == ("steps", 32, "notes", *PRIMER_8)
    assert [p.name for p in NgramEngine.stream_params] == ["temperature", "seed", "notes", "top_p"]
    assert [p.name for p in NgramEngine.stream_set_params] == ["temperature"]


def test_continue_is_reproducible_with_a_seed(engine: NgramEngine) -> None:
    a = engine.continue_(PRIMER, steps=48, temperature=1.2, seed=9)
    assert a, "a trigram of scales plays something in 48 steps"
    assert a == engine.continue_(PRIMER, steps=48, temperature=1.2, seed=9)
    assert a != engine.continue_(PRIMER, steps=48, temperature=1.2, seed=10)
    values = {"temperature": 1.2, "steps": 48, "seed": 9, "top_p": None, "notes": PRIMER}
    assert engine.call("continue", values) == a


def test_continuation_lies_after_the_primer_bar(engine: NgramEngine) -> None:
    for seed in range(5):
        notes = engine.continue_(PRIMER, steps=32, seed=seed)
        for n in notes:
            assert 0 <= n.start < 8 and n.end <= 8 + 1e-9 and n.duration > 0
            assert n.velocity == 90  # the primer's mean velocity
    assert all(n.velocity == 100 for n in engine.continue_([], steps=32, seed=0))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"temperature": -1.0}, "temperature must be > 0"),
        ({"temperature": 0.0}, "temperature must be > 0"),
        ({"temperature": float("nan")}, "temperature must be a finite number"),
        ({"steps": 0}, "steps must be 1..1024"),
        ({"steps": 1025}, "steps must be 1..1024"),
        ({"top_p": 0.0}, "top_p must be in"),
        ({"top_p": 1.5}, "top_p must be in"),
        ({"notes": [Note(200, 0, 1)]}, "pitch must be 0..127, got 200"),
        ({"notes": [Note(60, 0, 0)]}, "duration must be > 0"),
        ({"notes": [Note(60, 2000, 1)]}, "the most is 1024 beats"),
    ],
)
def test_bad_requests_are_clear_errors(engine: NgramEngine, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        engine.continue_(**kwargs)


def test_top_p_keeps_only_the_likeliest_and_bos_is_never_a_step() -> None:
    p = np.full(VOCAB_SIZE, 0.1 / (VOCAB_SIZE - 2))
    p[NOTE_ON_BASE + 60], p[BOS] = 0.5, 0.4
    rng = np.random.default_rng(0)
    draws = [pick(p, 3.0, None, rng.random(VOCAB_SIZE)) for _ in range(300)]
    assert BOS not in draws and len(set(draws)) > 10
    assert {pick(p, 3.0, 1e-6, rng.random(VOCAB_SIZE)) for _ in range(50)} == {NOTE_ON_BASE + 60}


def test_sampling_draws_from_the_tempered_distribution() -> None:
    p = np.zeros(VOCAB_SIZE)
    p[[HOLD, NOTE_ON_BASE + 60, NOTE_ON_BASE + 64]] = [0.6, 0.3, 0.1]
    rng = np.random.default_rng(1)
    for temperature in (1.0, 0.5):
        q = p ** (1 / temperature)
        q /= q.sum()
        n = 4000
        draws = np.array([pick(p, temperature, None, rng.random(VOCAB_SIZE)) for _ in range(n)])
        for token in (HOLD, NOTE_ON_BASE + 60, NOTE_ON_BASE + 64):
            assert abs(np.mean(draws == token) - q[token]) < 4 * np.sqrt(q[token] / n) + 1e-3


def test_checkpoint_round_trip(engine: NgramEngine, tmp_path: Path) -> None:
    folder = engine.save(tmp_path / "ngram")
    meta = json.loads((folder / "config.json").read_text())
    assert meta["format"] == 1 and meta["engine"] == "ngram"
    assert meta["config"] == {"order": 3}
    assert meta["extra"]["corpus"] == "synthetic scales" and meta["extra"]["trained"]
    loaded = engines.load_engine(folder, "cpu")
    assert isinstance(loaded, NgramEngine) and loaded.model.order == 3
    for seed in range(3):
        assert loaded.continue_(PRIMER, seed=seed) == engine.continue_(PRIMER, seed=seed)
    tokens = notes_to_tokens(C_MAJOR)
    assert np.array_equal(loaded.token_nll(tokens), engine.token_nll(tokens))
    assert loaded.checkpoint()["parameters"] == engine.model.size > 0
    with pytest.raises(ValueError, match="is for engine 'ngram', not 'rnn'"):
        engines.engine_class("rnn").load(folder, "cpu")


def _play(engine: NgramEngine, session: NgramSession, steps: int) -> list[int]:
    out = []
    for _ in range(steps):
        token = session.sample()
        engine.advance([session], [token])
        out.append(token)
    return out


def test_a_stream_plays_what_continue_replies_and_snapshots_rewind_it(
    engine: NgramEngine,
) -> None:
    values = {"temperature": 1.1, "seed": 4, "top_p": 0.95}
    primer = engine.grid_tokens(PRIMER)
    assert len(primer) == 16  # padded to a whole bar
    session = engine.open_session(values, primer)
    first = _play(engine, session, 64)
    again = engine.continue_(PRIMER, steps=64, temperature=1.1, seed=4, top_p=0.95)
    assert engine.continue_(PRIMER, steps=64, temperature=1.1, seed=5, top_p=0.95) != again
    assert tokens_to_notes(first, velocity=90) == again
    mark = session.snapshot()
    ahead = _play(engine, session, 64)
    session.restore(mark)
    assert _play(engine, session, 64) == ahead
    session.restore(mark)
    session.set({"temperature": 0.3})  # a rewind and a new temperature change what follows
    assert _play(engine, session, 64) != ahead


def test_a_session_does_not_depend_on_the_sessions_beside_it(engine: NgramEngine) -> None:
    primer = engine.grid_tokens(PRIMER)

    def values(seed: int) -> dict:
        return {"seed": seed, "temperature": 0.5 + seed / 4}

    alone = engine.open_session(values(1), primer)
    alone_tokens = _play(engine, alone, 64)
    crowd = [engine.open_session(values(s), primer) for s in range(5)]
    played: list[list[int]] = [[] for _ in crowd]
    for step in range(64):
        tokens = [s.sample() for s in crowd]
        for out, t in zip(played, tokens, strict=True):
            out.append(t)
        # the others change partners: some steps some of them advance alone
        if step % 3 == 0:
            engine.advance(crowd, tokens)
        else:
            engine.advance(crowd[:2], tokens[:2])
            engine.advance(crowd[2:], tokens[2:])
    assert played[1] == alone_tokens
    assert np.array_equal(crowd[1].probs, alone.probs)  # type: ignore[arg-type]


def test_batched_distributions_are_the_model_probs(engine: NgramEngine) -> None:
    tokens = notes_to_tokens(C_MAJOR)
    histories = [tokens[:i] for i in (0, 1, 2, 5, 17)]
    batch = engine.model.next_probs([[BOS, *h] for h in histories])
    for row, h in zip(batch, histories, strict=True):
        assert np.array_equal(row, engine.model.probs(h))
        assert row.sum() == pytest.approx(1.0, abs=1e-9)


def test_tiny_is_deterministic_and_warms_up() -> None:
    a, b = NgramEngine.tiny(seed=3), NgramEngine.tiny(seed=3)
    assert a.continue_(PRIMER, seed=0) == b.continue_(PRIMER, seed=0)
    a.warm_up()


def test_train_ngram_on_a_tiny_slice(tmp_path: Path) -> None:
    corpus = load_corpus("folk", limit_files=1, progress=False)
    engine = train_ngram(corpus, tmp_path / "ck", order=3, limit=60, corpus_name="folk slice")
    train = corpus.subset(60).tunes("train")
    assert engine.info["corpus"] == "folk slice (60 tunes)"
    assert engine.info["training"]["corpus_tunes"] == {"train": len(train)}
    assert engine.info["trained"]
    loaded = engines.load_engine(tmp_path / "ck", "cpu")
    fresh = NgramModel.fit(train, 3)
    assert np.array_equal(loaded.token_nll(train[0]), fresh.token_nll(train[0]))
    assert loaded.continue_(C_MAJOR, seed=2) == engine.continue_(C_MAJOR, seed=2)


def in_key_share(engine: NgramEngine, seeds: int = 50) -> float:
    notes = [n for s in range(seeds) for n in engine.continue_(C_MAJOR, steps=32, seed=s)]
    return sum(n.pitch % 12 in C_MAJOR_PCS for n in notes) / max(len(notes), 1)


def test_the_shipped_checkpoint_continues_c_major_in_key() -> None:
    shipped = engines.load_engine("ngram", "cpu")
    assert isinstance(shipped, NgramEngine) and shipped.model.order >= 3
    assert "folk" in shipped.checkpoint()["corpus"]
    notes = shipped.continue_(C_MAJOR, steps=32, seed=0)
    assert notes and all(40 <= n.pitch <= 100 for n in notes)
    # measured: 86.9% of 518 notes over seeds 0..49, 32 steps after two bars of C major
    assert in_key_share(shipped) > 0.75
