"""The VAE engine at tiny size: training, checkpoint round trip, every verb, its errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from engines import load_engine
from engines.corpus import load_corpus
from engines.notes import HOLD, NOTE_ON_BASE, OFF, Note, notes_to_tokens
from engines.vae.data import (
    ATTRIBUTES,
    density,
    quartile_indices,
    register,
    sounding_pitch,
    syncopation,
    transpose_slices,
    two_bar_slices,
)
from engines.vae.engine import VaeEngine, slerp
from engines.vae.evaluate import evaluate, format_report, spearman
from engines.vae.model import VaeConfig, VaeModel
from engines.vae.train import TrainOptions, train_vae

TINY = VaeConfig(embed=8, enc_hidden=16, latent=8, dec_hidden=16, dec_layers=2)
A = [Note(60 + i, i * 0.5, 0.5, 90) for i in range(16)]
B = [Note(72 - i, i * 0.5, 0.25, 110) for i in range(8)]


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """One intra-op thread, as the daemon runs: these small batches gain nothing from two,
    and two threads spin against whatever else holds the other core."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def corpus():
    return load_corpus("folk", limit_files=1, progress=False)


@pytest.fixture(scope="module")
def trained(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("vae")
    options = TrainOptions(
        epochs=1, batch_size=64, eval_every=10, valid_limit=64, attribute_limit=400, threads=1
    )
    record = train_vae(corpus.subset(150), out, TINY, options, device="cpu", progress=False)
    return out, record


@pytest.fixture(scope="module")
def engine(trained):
    return VaeEngine.load(trained[0], device="cpu")


def test_every_config_builds_runs_and_round_trips(tmp_path):
    for config in (TINY, VaeConfig(embed=8, enc_hidden=8, latent=4, dec_hidden=8, dec_layers=1)):
        engine = VaeEngine.from_config(config)
        x = torch.randint(0, NOTE_ON_BASE + 128, (3, config.steps))
        logits, mean, logvar = engine.model(x)
        assert logits.shape == (3, config.steps, NOTE_ON_BASE + 128)
        assert mean.shape == logvar.shape == (3, config.latent)
        engine.attributes = {"density": torch.ones(config.latent)}
        engine.save(tmp_path / "ck")
        again = VaeEngine.load(tmp_path / "ck", device="cpu")
        assert again.config == config
        assert torch.equal(again.attributes["density"], torch.ones(config.latent))
        assert again.encode(A) == engine.encode(A)


def test_input_dropout_hides_previous_tokens_in_training_only():
    torch.manual_seed(0)
    model = VaeModel(TINY)
    x = torch.randint(0, 130, (4, TINY.steps))
    z = torch.randn(4, TINY.latent)
    plain = model.decode_teacher(z, x)
    assert torch.equal(plain, model.decode_teacher(z, x, 0.0))
    assert not torch.allclose(plain, model.decode_teacher(z, x, 0.5))


def test_fast_decoder_matches_teacher_forcing():
    torch.manual_seed(0)
    engine = VaeEngine.from_config(TINY)
    z = torch.randn(4, TINY.latent)
    tokens = engine.decoder(z, TINY.steps)
    logits = engine.model.decode_teacher(z, tokens)
    assert torch.equal(logits.argmax(-1), tokens)


def test_training_keeps_best_checkpoint_and_attributes(trained):
    out, record = trained
    meta = json.loads((out / "config.json").read_text())
    assert meta["engine"] == "vae"
    assert meta["extra"]["training"]["best"]["valid_kl"] > 0
    assert set(record["attributes"]) == set(ATTRIBUTES)
    from safetensors.torch import load_file

    keys = load_file(str(out / "model.safetensors")).keys()
    assert {f"extra.attribute.{n}" for n in ATTRIBUTES} <= set(keys)
    assert load_engine(str(out), device="cpu").name == "vae"


def test_encode_decode_shapes_and_greedy_is_deterministic(engine):
    z = engine.encode(A)
    assert len(z) == TINY.latent and all(isinstance(v, float) for v in z)
    notes = engine.decode(z)
    assert notes == engine.decode(z, temperature=0)
    assert all(isinstance(n, Note) and 0 <= n.start and n.end <= 8.0 for n in notes)
    assert engine.decode(z, 1.0, seed=3) == engine.decode(z, 1.0, seed=3)


def test_sample_and_interpolate_are_reproducible(engine):
    s = engine.sample(3, temperature=1.0, seed=7)
    assert len(s) == 3 and s == engine.sample(3, temperature=1.0, seed=7)
    morph = engine.interpolate(A, B, steps=6, temperature=0.8, seed=1)
    assert len(morph) == 6
    assert morph == engine.interpolate(A, B, steps=6, temperature=0.8, seed=1)
    greedy = engine.interpolate(A, B, steps=2, temperature=None)
    assert greedy[0] == engine.decode(engine.encode(A), velocity=90)
    assert greedy[1] == engine.decode(engine.encode(B), velocity=110)
    assert all(n.end <= 8.0 for m in morph for n in m)


def test_attribute_verb(engine):
    moved = engine.attribute(A, "density", 1.5, seed=1)
    assert all(isinstance(n, Note) for n in moved)
    assert engine.attribute(A, "register", 0.0) == engine.decode(engine.encode(A), velocity=90)


def test_long_input_is_cut_and_chords_are_one_voice(engine):
    long = A + [Note(80, 8.0 + i, 1.0) for i in range(8)]
    assert engine.encode(long) == engine.encode(A)
    chordal = A + [Note(50, 0.0, 4.0)]  # lower note under the first: the highest wins
    assert engine.encode(chordal) == engine.encode(A)


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda e: e.encode([]), "empty"),
        (lambda e: e.encode([Note(60, 9.0, 1.0)]), "no notes in its first 8 beats"),
        (lambda e: e.interpolate(A, B, steps=1), "steps must be 2..64"),
        (lambda e: e.interpolate(A, B, steps=65), "steps must be 2..64"),
        (lambda e: e.interpolate([], B), "melody a is empty"),
        (lambda e: e.attribute(A, "loudness"), "density, register, syncopation"),
        (lambda e: e.attribute(A, "density", float("nan")), "amount"),
        (lambda e: e.decode([0.0, 1.0]), f"must have {TINY.latent} numbers, got 2"),
        (lambda e: e.decode([float("inf")] * TINY.latent), "finite"),
        (lambda e: e.decode([3.4e38] * TINY.latent), r"within -100..100, got 3.4e\+38"),
        (lambda e: e.decode([0.0] * (TINY.latent - 1) + [-101]), r"-100..100, got -101"),
        (lambda e: e.decode([float("nan")] * TINY.latent), r"-100..100, got nan"),
        (lambda e: e.sample(0), "n must be"),
        (lambda e: e.sample(2, temperature=-1), "temperature must be > 0"),
        (lambda e: e.encode([Note(200, 0.0, 1.0)]), "pitch must be 0..127"),
    ],
)
def test_errors_speak_to_performers(engine, call, words):
    with pytest.raises(ValueError, match=words):
        call(engine)


def test_slices_restrike_tied_notes_and_skip_silence():
    tune = np.array([NOTE_ON_BASE + 60] + [HOLD] * 19 + [OFF] + [HOLD] * 11 + [HOLD] * 32)
    tune = np.concatenate([tune, [NOTE_ON_BASE + 62] + [HOLD] * 31]).astype(np.uint8)
    slices = two_bar_slices([tune])
    # bar 0-1 sounds 20 of 32 steps; bar 1-2 is silent; bar 2-3 and 3-4 only half / fully
    assert slices[0][0] == NOTE_ON_BASE + 60
    second = two_bar_slices([np.concatenate([[NOTE_ON_BASE + 64], [HOLD] * 47]).astype(np.uint8)])
    assert second[1][0] == NOTE_ON_BASE + 64  # tied over the bar line: re-struck
    assert list(sounding_pitch(np.array([HOLD, NOTE_ON_BASE + 5, HOLD, OFF]))) == [-1, 5, 5, -1]
    assert all((sounding_pitch(s) >= 0).mean() >= 0.5 for s in slices)


def test_attributes_and_quartiles():
    grid = np.array([notes_to_tokens([Note(60, 0.25, 0.25), Note(64, 1.0, 1.0)], 32)])
    assert density(grid)[0] == 2 and register(grid)[0] == 62 and syncopation(grid)[0] == 0.5
    values = np.array([0, 0, 0, 0, 0, 0, 1, 2], dtype=float)
    low, high = quartile_indices(values, np.random.default_rng(0))
    assert len(low) == len(high) == 2 and set(high) == {6, 7} and set(values[low]) == {0}
    x = transpose_slices(np.stack([grid[0]] * 50).astype(np.uint8), np.random.default_rng(0), 3)
    shifts = register(x) - 62
    assert shifts.min() >= -3 and shifts.max() <= 3 and len(set(shifts)) > 1


def test_slerp_endpoints_and_parallel_fallback():
    a, b = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 2.0])
    pts = slerp(a, b, torch.linspace(0, 1, 3))
    assert torch.allclose(pts[0], a) and torch.allclose(pts[-1], b, atol=1e-6)
    assert torch.allclose(slerp(a, 2 * a, torch.tensor([0.5]))[0], 1.5 * a)


def test_spearman():
    assert spearman(range(5), [0, 1, 1, 3, 4]) == pytest.approx(0.9746794)
    assert spearman(range(4), [2, 2, 2, 2]) == 0.0


def test_evaluate_reports_every_bar(engine, corpus):
    report = evaluate(engine, corpus, recon_limit=64, pairs=4, attribute_melodies=4, samples=8)
    text = format_report(report)
    for name in report["bars"]:
        assert name in text
    assert ("PASS" in text) or ("FAIL" in text)
    assert report["kl_per_example"]["latent"] == TINY.latent


def test_model_kl_and_shapes():
    model = VaeModel(TINY)
    x = torch.randint(0, 130, (2, 32))
    mean, logvar = model.encode(x)
    h, c = model.initial_state(mean)
    assert h.shape == c.shape == (TINY.dec_layers, 2, TINY.dec_hidden)


@pytest.mark.slow
def test_shipped_checkpoint_meets_its_bars_on_a_small_held_out_set(corpus):
    """The shipped checkpoint on the small corpus's test tunes (the full run is `bridge eval
    vae`, a few minutes): reconstruction, morph smoothness and the two steered attributes."""
    from engines import default_checkpoint

    if not (default_checkpoint("vae") / "config.json").is_file():
        pytest.skip("no shipped VAE checkpoint")
    engine = load_engine("vae", device="cpu")
    report = evaluate(engine, corpus, recon_limit=300, pairs=20, attribute_melodies=50, samples=64)
    assert report["reconstruction"]["accuracy"] >= 0.9
    assert report["interpolation"]["spearman_mean"] >= 0.85
    for name in ("density", "register"):
        assert report["attributes"][name]["plus_raises"] >= 0.8
        assert report["attributes"][name]["minus_lowers"] >= 0.8
    assert report["kl_per_example"]["mean"] >= 10


def test_a_morph_ends_on_the_melodies_given_at_any_temperature(engine):
    """The ends of a morph are decoded greedily: the melodies' reconstructions."""
    a = [Note(60 + p, i * 0.5, 0.5, 90) for i, p in enumerate((0, 2, 4, 5, 7, 9, 11, 12))]
    b = [Note(72 - p, i * 1.0, 1.0, 70) for i, p in enumerate((0, 1, 3, 5, 7, 8, 10, 12))]
    for temperature in (0.5, 1.0, 1.5):
        morph = engine.interpolate(a, b, steps=4, temperature=temperature, seed=9)
        assert morph[0] == engine.reconstruct(a)
        assert morph[-1] == engine.reconstruct(b)


def test_a_melody_octaves_away_is_heard_in_the_models_register(engine):
    middle = [Note(60 + p, i * 0.5, 0.5, 90) for i, p in enumerate((0, 2, 4, 5, 7, 5, 4, 2))]
    want = engine.reconstruct(middle)
    assert want
    for octaves in (-2, 2):
        moved = [Note(n.pitch + 12 * octaves, n.start, n.duration, 90) for n in middle]
        got = engine.reconstruct(moved)
        assert [(n.pitch % 12, n.start) for n in got] == [(n.pitch % 12, n.start) for n in want]
        mean = sum(n.pitch for n in got) / len(got)
        assert abs(mean - sum(n.pitch for n in moved) / len(moved)) < 12  # stays down/up there
        morph = engine.interpolate(middle, moved, steps=3)
        assert morph[-1] == got


def test_musician_checks_run_on_written_melodies(engine):
    from engines.vae import checks

    result = checks.run_checks(engine)
    names = [c["name"] for c in result["checks"]]
    assert "reconstruction, eighth notes" in names
    assert "morph ends equal the melodies' reconstructions, T=1" in names
    ends = next(c for c in result["checks"] if c["name"].startswith("morph ends"))
    assert ends["passed"]
