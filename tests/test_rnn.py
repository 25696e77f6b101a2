"""The RNN continuator at tiny size: verbs, determinism, the fast step, checkpoints, training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import engines
from engines.corpus import Corpus
from engines.notes import BOS, HOLD, NOTE_ON_BASE, OFF, VOCAB_SIZE, Note
from engines.rnn.engine import MAX_PRIMER_NOTES, RnnEngine
from engines.rnn.model import RnnConfig
from engines.rnn.step import REPEAT_FREE, RULES, note_run, note_runs, pick, shape, shape_rows
from engines.rnn.train import TrainOptions, train_rnn

TINY = RnnConfig(embed=16, hidden=32, layers=2)
PRIMER = [Note(67, 0, 1, 80), Note(71, 1, 0.5, 100), Note(74, 1.5, 0.5, 90)]


@pytest.fixture(scope="module")
def engine() -> RnnEngine:
    return RnnEngine.from_config(TINY, "cpu", seed=1)


def test_continue_is_reproducible_with_a_seed(engine: RnnEngine) -> None:
    a = engine.continue_(PRIMER, steps=48, temperature=1.2, seed=9)
    assert a == engine.continue_(PRIMER, steps=48, temperature=1.2, seed=9)
    assert a != engine.continue_(PRIMER, steps=48, temperature=1.2, seed=10)


def test_continuation_lies_after_the_primer_bar(engine: RnnEngine) -> None:
    notes = engine.continue_(PRIMER, steps=32, seed=3)
    assert notes, "an untrained model at temperature 1 plays something in 32 steps"
    for n in notes:
        assert 0 <= n.start < 8 and n.end <= 8 + 1e-9 and n.duration > 0
        assert n.velocity == 90  # the primer's mean velocity
        assert 0 <= n.pitch <= 127


def test_top_p_keeps_only_the_likeliest(engine: RnnEngine) -> None:
    likeliest = int(engine.stream(seed=0).logits.argmax())  # type: ignore[union-attr]
    tokens = {engine.stream(seed=s).sample(3.0, top_p=1e-6) for s in range(8)}
    assert tokens == {likeliest}
    assert len({engine.stream(seed=s).sample(3.0) for s in range(8)}) > 1


TOKENS = [NOTE_ON_BASE + 64, 0, 0, 1, NOTE_ON_BASE + 66] + [0] * 14 + [NOTE_ON_BASE + 70]


def test_fast_step_matches_the_model() -> None:
    exact = RnnEngine.from_config(TINY, "cpu", seed=1, int8=False)
    stream = exact.stream(seed=0)
    stream.feed(TOKENS)
    x = torch.tensor([[BOS, *TOKENS]])
    logits, (h, c) = exact.model(x, torch.arange(x.shape[1])[None])
    assert torch.allclose(stream.logits, logits[:, -1], atol=1e-5)  # type: ignore[arg-type]
    for mine, theirs in zip(stream.h + stream.c, list(h) + list(c), strict=True):
        assert torch.allclose(mine, theirs, atol=1e-5)


def test_int8_steps_stay_close_to_float32(engine: RnnEngine) -> None:
    assert engine.stepper.int8, "on x86 CPUs the serving path steps with int8 weights"
    exact = RnnEngine(engine.model, engine.device, int8=False)
    a, b = engine.stream(seed=0), exact.stream(seed=0)
    for t in TOKENS:
        a.feed([t])
        b.feed([t])
        pa = torch.softmax(a.logits, -1)  # type: ignore[arg-type]
        pb = torch.softmax(b.logits, -1)  # type: ignore[arg-type]
        assert float((pa - pb).abs().sum()) / 2 < 0.02  # total variation distance


def test_a_batch_of_streams_steps_like_each_alone(engine: RnnEngine) -> None:
    streams = [engine.stream(seed=s) for s in range(3)]
    for s, t in zip(streams, TOKENS[:3], strict=True):
        s.feed([t])
    tokens = torch.tensor([NOTE_ON_BASE + 60, 0, 1])
    positions = torch.tensor([s.position for s in streams])
    h = [torch.cat([s.h[k] for s in streams]) for k in range(TINY.layers)]
    c = [torch.cat([s.c[k] for s in streams]) for k in range(TINY.layers)]
    logits, _, _ = engine.stepper(tokens, positions, h, c)
    for i, s in enumerate(streams):
        s.feed([int(tokens[i])])
        # int8 activations are scaled per batch, so rows agree closely, not exactly
        pa, pb = torch.log_softmax(logits[i], -1), torch.log_softmax(s.logits[0], -1)  # type: ignore[index]
        assert float((pa - pb).abs().max()) < 0.05


def test_token_nll_agrees_with_the_stream() -> None:
    engine = RnnEngine.from_config(TINY, "cpu", seed=1, int8=False)
    tokens = [NOTE_ON_BASE + 60, 0, NOTE_ON_BASE + 62, 1, 0, NOTE_ON_BASE + 64]
    nll = engine.token_nll(tokens)
    stream = engine.stream(seed=0)
    total = 0.0
    for t in tokens:
        total -= float(torch.log_softmax(stream.logits, -1)[0, t])  # type: ignore[arg-type]
        stream.feed([t])
    assert nll.shape == (6,) and abs(nll.sum() - total) < 1e-3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"steps": 0}, "steps must be 1..1024"),
        ({"steps": 1025}, "steps must be 1..1024"),
        ({"temperature": 0.0}, "temperature must be > 0"),
        ({"temperature": float("nan")}, "temperature must be a finite number"),
        ({"top_p": 1.5}, "top_p must be in"),
        ({"notes": [Note(128, 0, 1)]}, "pitch must be 0..127"),
        ({"notes": [Note(60, 0, 0)]}, "duration must be > 0"),
        ({"notes": [Note(60, 2000, 1)]}, "the most is 1024 beats"),
        ({"notes": [Note(60, i / 4, 0.25) for i in range(MAX_PRIMER_NOTES + 1)]}, "the most is"),
    ],
)
def test_bad_requests_are_clear_errors(engine: RnnEngine, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        engine.continue_(**kwargs)


def test_checkpoint_round_trip(engine: RnnEngine, tmp_path: Path) -> None:
    engine.save(tmp_path / "rnn")
    loaded = engines.load_engine(tmp_path / "rnn", "cpu")
    assert isinstance(loaded, RnnEngine) and loaded.config == TINY
    assert loaded.continue_(PRIMER, seed=4) == engine.continue_(PRIMER, seed=4)


def test_loading_refuses_another_engine_and_unknown_names(tmp_path: Path) -> None:
    from engines.checkpoint import read_config

    RnnEngine.from_config(TINY).save(tmp_path / "x")
    with pytest.raises(ValueError, match="is for engine 'rnn', not 'vae'"):
        read_config(tmp_path / "x", "vae", RnnConfig)
    with pytest.raises(ValueError, match=r"lstm: neither an engine \(.*rnn"):
        engines.load_engine("lstm", "cpu")


def test_the_shipped_checkpoint_loads_and_continues() -> None:
    shipped = engines.load_engine("rnn", "cpu")
    assert shipped.config.hidden == 512 and shipped.config.layers == 2
    notes = shipped.continue_(PRIMER, steps=32, seed=0)
    assert notes and all(40 <= n.pitch <= 100 for n in notes)


def test_training_lowers_the_validation_loss(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    scale = [0, 2, 4, 5, 7, 9, 11, 12]
    tunes, names = [], []
    for i in range(120):  # scales up and down on eighth notes, in random keys
        root = 55 + int(rng.integers(0, 12))
        pitches = [root + s for s in scale + scale[::-1]]
        tunes.append(np.array([t for p in pitches for t in (NOTE_ON_BASE + p, 0)], np.uint8))
        names.append(f"scale-{i}")
    corpus = Corpus.from_tunes(names, tunes)
    record = train_rnn(
        corpus,
        tmp_path / "ck",
        RnnConfig(embed=16, hidden=48, layers=1),
        TrainOptions(epochs=6, batch_size=8, seq_len=32, lr=1e-2),
        device="cpu",
        progress=False,
    )
    losses = [e["valid_nll_per_step"] for e in record["epochs"]]
    # uniform guessing costs log(131) = 4.9 nats; a scale is nearly predictable
    assert losses[-1] < losses[0] and losses[-1] < 2.0
    assert (tmp_path / "ck" / "model.safetensors").is_file()
    assert record["best_epoch"] == int(np.argmin(losses)) + 1


def test_the_step_is_compiled(engine: RnnEngine) -> None:
    """TorchScript runs a whole primer or continuation in one call; eager mode (the
    fallback where TorchScript is missing) is correct but several times slower."""
    assert isinstance(engine.stepper.core, torch.jit.ScriptModule)


@pytest.mark.parametrize("top_p", [None, 0.8])
def test_generate_draws_what_sampling_step_by_step_draws(
    engine: RnnEngine, top_p: float | None
) -> None:
    a, b = engine.stream(seed=5), engine.stream(seed=5)
    a.feed(TOKENS)
    b.feed(TOKENS)
    at_once = a.generate(24, 1.3, top_p)
    assert at_once == [b.sample(1.3, top_p) for _ in range(24)]
    assert a.position == b.position
    assert torch.allclose(a.logits, b.logits)  # type: ignore[arg-type]


def test_feeding_at_once_agrees_with_feeding_one_by_one() -> None:
    exact = RnnEngine.from_config(TINY, "cpu", seed=2, int8=False)
    a, b = exact.stream(seed=0), exact.stream(seed=0)
    a.feed(TOKENS)
    for t in TOKENS:
        b.feed([t])
    assert a.position == b.position == len(TOKENS) + 1
    for mine, theirs in zip([a.logits, *a.h, *a.c], [b.logits, *b.h, *b.c], strict=True):
        assert torch.allclose(mine, theirs, atol=1e-5)  # type: ignore[arg-type]


def test_gumbel_max_draws_from_the_tempered_softmax() -> None:
    logits = torch.tensor([[2.0, 1.0, 0.0, -1.0, -3.0]])
    g = torch.Generator().manual_seed(0)
    n = 20000
    for temperature in (1.0, 1.5):
        u = torch.rand(n, 5, generator=g)
        tokens = pick(logits.expand(n, -1), temperature, 1.0, u, -1, 0, RULES)
        freq = torch.bincount(tokens, minlength=5).float() / n
        assert torch.allclose(freq, torch.softmax(logits[0] / temperature, -1), atol=0.015)
    # top-p 0.8 keeps the likeliest tokens that reach 0.8: here the first two (0.64, 0.24)
    tokens = pick(logits.expand(n, -1), 1.0, 0.8, torch.rand(n, 5, generator=g), -1, 0, RULES)
    assert set(tokens.tolist()) == {0, 1}


def test_below_temperature_one_rhythm_keeps_its_odds_and_pitch_sharpens() -> None:
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(1, VOCAB_SIZE, generator=g) * 2
    plain = torch.softmax(logits[0], -1)
    on = slice(NOTE_ON_BASE, NOTE_ON_BASE + 128)
    for temperature in (0.5, 0.1):
        p = torch.softmax(shape(logits, temperature, -1, 0, RULES)[0], -1)
        # hold, rest, "a note starts" and BOS: the odds of temperature 1
        assert torch.allclose(p[:NOTE_ON_BASE], plain[:NOTE_ON_BASE], atol=1e-6)
        assert torch.allclose(p[on].sum(), plain[on].sum(), atol=1e-6)
        # which pitch, given a note starts: the tempered softmax
        want = torch.softmax(logits[0, on] / temperature, -1)
        assert torch.allclose(p[on] / p[on].sum(), want, atol=1e-6)
    # at 1 and above: a plain tempered softmax
    p = torch.softmax(shape(logits, 1.5, -1, 0, RULES)[0], -1)
    assert torch.allclose(p, torch.softmax(logits[0] / 1.5, -1), atol=1e-6)


def test_below_temperature_one_a_repeated_pitch_is_penalised_the_longer_it_runs() -> None:
    logits = torch.zeros(1, VOCAB_SIZE)
    pitch = 60
    logits[0, NOTE_ON_BASE + pitch] = 3.0
    p = [
        torch.softmax(shape(logits, 0.5, pitch, run, RULES)[0], -1)[NOTE_ON_BASE + pitch]
        for run in (1, REPEAT_FREE - 1, REPEAT_FREE, REPEAT_FREE + 2)
    ]
    assert p[0] == p[1] > p[2] > p[3]
    # note-ons count, rests and holds do not break a run
    last, run = -1, 0
    for t in (NOTE_ON_BASE + 60, HOLD, OFF, NOTE_ON_BASE + 60, NOTE_ON_BASE + 62):
        last, run = note_run(last, run, t, NOTE_ON_BASE)
        if t == NOTE_ON_BASE + 60:
            assert last == 60
    assert (last, run) == (62, 1)


def test_without_torchscript_the_step_runs_eagerly_with_the_same_tokens(
    engine: RnnEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_script(obj: object) -> object:
        raise RuntimeError("TorchScript is not here")

    monkeypatch.setattr(torch.jit, "script", no_script)
    eager = RnnEngine(engine.model, engine.device, int8=engine.int8)
    assert not isinstance(eager.stepper.core, torch.jit.ScriptModule)
    assert eager.continue_(PRIMER, steps=24, seed=3) == engine.continue_(PRIMER, steps=24, seed=3)


def test_a_primer_octaves_away_is_answered_the_same_octaves_away(engine: RnnEngine) -> None:
    """The model hears every primer in its own register (whole octaves, so key and shape
    stay) and its answer moves back: a low or high primer gets the middle one's answer."""
    middle = [Note(60 + p, i * 0.5, 0.5, 90) for i, p in enumerate((0, 2, 4, 5, 7, 5, 4, 2))]
    want = engine.continue_(middle, steps=48, temperature=0.5, seed=3)
    assert want
    for octaves in (-2, -1, 1, 2):
        moved = [Note(n.pitch + 12 * octaves, n.start, n.duration, n.velocity) for n in middle]
        got = engine.continue_(moved, steps=48, temperature=0.5, seed=3)
        # the same notes, moved (a random model's pitch past 0..127 folds back by octaves)
        assert [(n.pitch % 12, n.start, n.duration) for n in got] == [
            (n.pitch % 12, n.start, n.duration) for n in want
        ]
        assert any(g.pitch == w.pitch + 12 * octaves for g, w in zip(got, want, strict=True))


def test_musician_checks_score_written_primers(engine: RnnEngine) -> None:
    from engines import written
    from engines.rnn import checks

    p = written.primer(2, "minor", "low", "eighth")
    assert len(p.notes) == 16 and p.notes[0].pitch == 38
    assert all(n.pitch % 12 in p.scale for n in p.notes)
    res = checks.score(engine, [p], 0.5, seeds=2)
    assert res["replies"] == 2 and 0 <= res["in_key"] <= 1
    assert checks.longest_run([Note(60, i, 1, 90) for i in range(9)]) == 9


def test_shape_rows_and_note_runs_agree_row_for_row_with_one_stream() -> None:
    logits = torch.randn(4, VOCAB_SIZE, generator=torch.Generator().manual_seed(2))
    runs = [(-1, 0), (60, REPEAT_FREE + 1), (61, 1), (62, REPEAT_FREE)]
    last = torch.tensor([r[0] for r in runs])
    run = torch.tensor([r[1] for r in runs])
    for temperature in (0.5, 1.0, 1.5):
        rows = shape_rows(logits, temperature, last, run, RULES)
        for i, (lt, rn) in enumerate(runs):
            assert torch.equal(
                rows[i : i + 1], shape(logits[i : i + 1], temperature, lt, rn, RULES)
            )
    tokens = torch.tensor([NOTE_ON_BASE + 5, NOTE_ON_BASE + 60, HOLD, OFF])
    new_last, new_run = note_runs(last, run, tokens, NOTE_ON_BASE)
    expect = [
        note_run(lt, rn, int(t), NOTE_ON_BASE) for (lt, rn), t in zip(runs, tokens, strict=True)
    ]
    assert list(zip(new_last.tolist(), new_run.tolist(), strict=True)) == expect


@pytest.mark.parametrize(("temperature", "top_p"), [(1.0, None), (0.6, 0.9), (1.3, 0.8)])
def test_float_variations_step_as_one_batch_each_the_draws_of_its_seed(
    temperature: float, top_p: float | None
) -> None:
    """With float weights variations are one batched generate: row k draws seed S+k's noise,
    so it continues as a lone stream of that seed does (the tiny model's rounding agrees), and
    the first rows do not change with how many there are."""
    floats = RnnEngine.from_config(TINY, "cpu", seed=1, int8=False)
    assert not floats.stepper.int8
    five = floats.continue_(PRIMER, 32, temperature, seed=9, top_p=top_p, variations=5)
    assert five[:2] == floats.continue_(PRIMER, 32, temperature, 9, top_p, variations=2)
    assert five == [floats.continue_(PRIMER, 32, temperature, 9 + k, top_p) for k in range(5)]
    assert len({tuple(melody) for melody in five}) > 1


def test_int8_variations_are_each_the_reply_of_its_seed(engine: RnnEngine) -> None:
    three = engine.continue_(PRIMER, 24, 0.8, seed=40, variations=3)
    assert three == [engine.continue_(PRIMER, 24, 0.8, seed=40 + k) for k in range(3)]
