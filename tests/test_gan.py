"""The GAN bar generator at tiny size: chord names, data, engine verbs, checkpoints,
evaluation and a few training steps."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import torch

from engines.gan.chords import Triad, parse_chord, parse_chords
from engines.gan.data import (
    REST,
    BarCorpus,
    bar_grid,
    chord_of_weights,
    load_bars,
    transpose_examples,
)
from engines.gan.engine import MAX_CHORDS, GanEngine
from engines.gan.model import GanConfig
from engines.notes import Note

TINY = GanConfig(z_dim=8, g_channels=16, cond_channels=8, d_channels=8)

# name -> (root pitch class, minor)
CHORDS = {
    "C": (0, False),
    "Cm": (0, True),
    "C#": (1, False),
    "Db": (1, False),
    "F#m": (6, True),
    "Bb": (10, False),
    "Bbm": (10, True),
    "Ebm7": (3, True),
    "G7": (7, False),
    "Am7": (9, True),
    "Cmaj7": (0, False),
    "CM7": (0, False),
    "CΔ7": (0, False),
    "Dm7b5": (2, True),
    "Bdim": (11, True),
    "Bø7": (11, True),
    "Caug": (0, False),
    "C+": (0, False),
    "Csus4": (0, False),
    "G7sus4": (7, False),
    "E5": (4, False),
    "C6": (0, False),
    "Am6": (9, True),
    "D9": (2, False),
    "F13": (5, False),
    "Cadd9": (0, False),
    "G7b9": (7, False),
    "E7#9": (4, False),
    "Cmin7": (0, True),
    "C-7": (0, True),
    "CmMaj7": (0, True),
    "C/E": (0, False),
    "Am/G": (9, True),
    "F#m7/C#": (6, True),
    "Cb": (11, False),
    "E#": (5, False),
}


@pytest.mark.parametrize(("name", "triad"), CHORDS.items(), ids=list(CHORDS))
def test_chord_names_read_as_triads(name: str, triad: tuple[int, bool]) -> None:
    assert parse_chord(name) == Triad(*triad)


@pytest.mark.parametrize("bad", ["H", "cm", "Cx", "N.C.", "", "C#b", "Cmm7", "C/", "4", "Xm"])
def test_unknown_chord_names_raise_naming_them(bad: str) -> None:
    with pytest.raises(ValueError, match="unknown chord"):
        parse_chord(bad)
    with pytest.raises(ValueError, match=f"chord 2 of 3: unknown chord {bad!r}"):
        parse_chords(["C", bad, "G"])


def test_triad_tones_and_names() -> None:
    assert Triad(0, False).pitch_classes == (0, 4, 7)
    assert Triad(9, True).pitch_classes == (9, 0, 4)
    assert [Triad.from_index(i).name for i in (0, 13, 22)] == ["C", "C#m", "Bbm"]
    assert Triad(11, True).transpose(2) == Triad(1, True)


# --- data ------------------------------------------------------------------------------------


def test_bar_grid_holds_notes_and_marks_onsets() -> None:
    pitch, onset = bar_grid([(0, 1, 60), (1, 1.5, 60), (2, 4.5, 64), (2, 3, 55)])
    assert pitch.tolist() == [60] * 6 + [REST] * 2 + [64] * 8
    assert np.flatnonzero(onset).tolist() == [0, 4, 8]


def test_chord_of_weights_needs_a_clear_triad() -> None:
    w = np.zeros(12)
    w[[0, 4, 7]] = 1.0
    assert chord_of_weights(w) == Triad(0, False).index
    w[[2, 5, 11]] = 1.0  # C major and G7 tones equally: no clear triad
    assert chord_of_weights(w) == -1
    assert chord_of_weights(np.zeros(12)) == -1


def toy_corpus() -> BarCorpus:
    rng = np.random.default_rng(0)
    pieces = []
    for p in range(12):
        n = 6
        pitch = rng.integers(60, 80, size=(n, 16)).astype(np.int16)
        onset = rng.random((n, 16)) < 0.4
        onset[:, 0] = True
        chord = rng.integers(0, 24, size=(n, 2)).astype(np.int16)
        chord[0, 1] = -1  # one bar without a clear chord
        follows = np.array([False] + [True] * (n - 1))
        pieces.append(
            (f"toy/{p}", {"pitch": pitch, "onset": onset, "chord": chord, "follows": follows})
        )
    return BarCorpus.from_pieces(pieces)


def test_examples_pair_each_bar_with_the_bar_before(tmp_path: Path) -> None:
    corpus = toy_corpus()
    ex = corpus.examples()
    assert len(ex) == 12 * 5  # the first bar of each piece has no chord in its second half
    i = ex.bar_index[0]
    assert (ex.prev_pitch[0] == corpus.pitch[i - 1]).all()
    corpus.save(tmp_path / "bars.npz")
    again = BarCorpus.load(tmp_path / "bars.npz")
    assert again.names == corpus.names and (again.pitch == corpus.pitch).all()


def test_transposition_moves_melody_prev_and_chords_together() -> None:
    ex = toy_corpus().examples()
    shifted, ok = transpose_examples(ex, np.full(len(ex), 5), 48, 84)
    assert ok.all()
    delta = shifted.pitch.astype(int) - ex.pitch.astype(int)
    assert set(np.unique(delta % 12)) == {5}
    assert ((shifted.chord % 12 - ex.chord % 12) % 12 == 5).all()
    assert (shifted.chord // 12 == ex.chord // 12).all()
    # a shift that leaves the range is taken an octave away (same key)
    high, ok = transpose_examples(ex, np.full(len(ex), 11), 48, 84)
    assert ok.all() and high.pitch.max() <= 84


def test_load_bars_parses_chorales_caches_and_skips_a_corrupt_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import engines.gan.data as data

    monkeypatch.setenv("BRIDGE_CACHE", str(tmp_path))
    bad = tmp_path / "broken.mxl"
    bad.write_bytes(b"not a score")
    real = list(data._bach_jobs(2))
    monkeypatch.setattr(data, "_bach_jobs", lambda limit: [("bach/broken.mxl", str(bad)), *real])
    with caplog.at_level(logging.WARNING, logger="engines.gan.data"):
        corpus = load_bars(("bach",), limit_files=2, progress=False, workers=1)
    assert "bach/broken.mxl" in caplog.text
    assert corpus.n_bars > 5 and (corpus.chord >= 0).any()
    assert list(tmp_path.glob("gan-bars-*.npz"))
    assert load_bars(("bach",), limit_files=2, progress=False).n_bars == corpus.n_bars


# --- engine ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine() -> GanEngine:
    return GanEngine.from_config(TINY, device="cpu", seed=0)


PREV = [Note(60, 0, 1, 80), Note(64, 1, 1, 90), Note(67, 2, 2, 100)]


def test_bars_one_bar_per_chord_reproducible(engine: GanEngine) -> None:
    notes = engine.bars(["C", "Am", "F", "G7"], prev=PREV, seed=3)
    assert notes == engine.bars(["C", "Am", "F", "G7"], prev=PREV, seed=3)
    assert notes, "a random generator wrote four empty bars"
    for n in notes:
        bar = int(n.start // 4)
        assert 0 <= bar < 4 and n.end <= 4 * (bar + 1) + 1e-9
        assert TINY.low <= n.pitch <= TINY.high and n.velocity == 90
    starts = [n.start for n in notes]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)  # monophonic
    assert engine.bar("C", prev=PREV, seed=3) == [n for n in notes if n.start < 4]


def test_bars_rejects_bad_requests_in_words(engine: GanEngine) -> None:
    with pytest.raises(ValueError, match="1..256 chords"):
        engine.bars([])
    with pytest.raises(ValueError, match="got 257"):
        engine.bars(["C"] * (MAX_CHORDS + 1))
    with pytest.raises(ValueError, match="unknown chord 'Hm'"):
        engine.bars(["C", "Hm"])
    with pytest.raises(ValueError, match="prev must be one bar"):
        engine.bars(["C"], prev=[Note(60, 4.5, 1)])
    with pytest.raises(ValueError, match="temperature"):
        engine.bars(["C"], temperature=0)


def test_prev_out_of_range_is_folded_by_octaves(engine: GanEngine) -> None:
    rows, onset = engine.prev_grid([Note(24, 0, 2), Note(108, 2, 2)])
    assert {int(r) + TINY.low for r in rows} == {48, 84}
    assert onset.tolist().count(True) == 2


def test_grid_decoding_holds_and_restrikes(engine: GanEngine) -> None:
    rest = TINY.rest
    rows = np.array([12] * 4 + [12] * 4 + [rest] * 4 + [16] * 4)
    onset = np.zeros(16, dtype=bool)
    onset[4] = True  # the same pitch struck again
    notes = engine.grid_to_notes(rows, onset, offset_beats=8.0, velocity=70)
    assert notes == [Note(60, 8.0, 1.0, 70), Note(60, 9.0, 1.0, 70), Note(64, 11.0, 1.0, 70)]


def test_checkpoint_round_trip(engine: GanEngine, tmp_path: Path) -> None:
    import engines

    engine.save(tmp_path / "gan")
    loaded = engines.load_engine(tmp_path / "gan", "cpu")
    assert isinstance(loaded, GanEngine) and loaded.config == TINY
    assert loaded.bars(["Dm7", "G7", "C"], seed=11) == engine.bars(["Dm7", "G7", "C"], seed=11)


# --- evaluation and training -----------------------------------------------------------------


def test_evaluate_reports_every_check(engine: GanEngine) -> None:
    from engines.gan.evaluate import evaluate, format_report

    result = evaluate(engine, toy_corpus(), n_bars=60, split="train", seed=0)
    assert result["generated"]["bars"] == result["real"]["bars"] == 60
    assert set(result["checks"]) >= {"distinct bars", "continuity", "chord-tone ratio vs real"}
    report = format_report(result)
    assert report.count("PASS") + report.count("FAIL") == len(result["checks"])


class RootPlayer(GanEngine):
    """Plays the root of each half bar's chord in quarter notes: follows the chords."""

    def generate(self, chords, prev_rows, prev_onset, z):  # type: ignore[no-untyped-def]
        root = np.asarray(chords) % 12  # [B, n, 2]
        rows = (root - self.config.low) % 12 + 12  # that pitch class, an octave up
        rows = np.repeat(rows, 8, axis=-1)  # [B, n, 16]
        onset = np.zeros(rows.shape, dtype=bool)
        onset[..., ::4] = True
        return rows, onset


class Deaf(RootPlayer):
    """Plays the same bar whatever the chords."""

    def generate(self, chords, prev_rows, prev_onset, z):  # type: ignore[no-untyped-def]
        return super().generate(np.zeros_like(np.asarray(chords)), prev_rows, prev_onset, z)


def test_the_random_chord_check_tells_a_chord_follower_from_a_deaf_generator() -> None:
    from engines.gan.evaluate import evaluate

    model = GanEngine.from_config(TINY, "cpu").model
    check = "chord-tone ratio vs random chords"
    follower = evaluate(RootPlayer(model, torch.device("cpu")), toy_corpus(), n_bars=60)
    assert follower["generated"]["chord_tone_ratio"] == 1.0
    assert follower["random_chords"]["chord_tone_ratio_given"] == 1.0  # it follows them too
    assert follower["random_chords"]["chord_tone_ratio"] < 0.5  # but they are not the real ones
    assert follower["checks"][check]
    deaf = evaluate(Deaf(model, torch.device("cpu")), toy_corpus(), n_bars=60)
    assert deaf["random_chords"]["chord_tone_ratio"] == deaf["generated"]["chord_tone_ratio"]
    assert not deaf["checks"][check]


def test_train_a_few_steps_saves_a_loadable_checkpoint(tmp_path: Path) -> None:
    from engines.gan.train import TrainOptions, train_gan

    options = TrainOptions(steps=6, batch_size=8, eval_every=3, eval_bars=20, threads=1)
    record = train_gan(toy_corpus(), tmp_path / "g", TINY, options, device="cpu", progress=False)
    assert len(record["evals"]) == 2 and record["steps_run"] == 6
    assert GanEngine.load(tmp_path / "g", device="cpu").bars(["C", "G"], seed=1) is not None


def test_one_progression_runs_traced_and_writes_what_the_batch_path_writes(
    engine: GanEngine,
) -> None:
    assert isinstance(engine.single_generator(), torch.jit.ScriptModule)
    chords = np.array([[[0, 0], [21, 21], [5, 5]]])  # C, Am, F
    prev_rows = np.full((1, 16), TINY.rest)
    prev_onset = np.zeros((1, 16), dtype=bool)
    z = engine.noise(3, seed=4)[None]
    one = engine.generate(chords, prev_rows, prev_onset, z)  # traced
    two = engine.generate(  # the same progression twice: the eager batch path
        chords.repeat(2, 0), prev_rows.repeat(2, 0), prev_onset.repeat(2, 0), z.repeat(2, 1, 1)
    )
    for mine, theirs in zip(one, two, strict=True):
        assert (mine[0] == theirs[0]).all() and (mine[0] == theirs[1]).all()


def test_without_tracing_the_generator_runs_eagerly_with_the_same_bars(
    engine: GanEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_trace(*args: object, **kwargs: object) -> object:
        raise RuntimeError("TorchScript is not here")

    monkeypatch.setattr(torch.jit, "trace", no_trace)
    eager = GanEngine(engine.model, engine.device)
    assert eager.single_generator() is engine.model.generator
    assert eager.bars(["Dm", "G7", "C"], seed=2) == engine.bars(["Dm", "G7", "C"], seed=2)


# --- major and minor: the third ------------------------------------------------------------
# The shipped model of 2026-12-02 wrote F# over Dm: its chord input was the root and quality
# one-hots alone, from which no linear layer can read the third (the quality bit pushes every
# root the same way). The labels and their transposition were right; these tests pin both.


def test_transposed_labels_keep_the_melody_on_the_same_chord_tones() -> None:
    """A melody spelling each label's triad is still on root, third, fifth of its label after
    transposition into every key: the quality goes with the root."""
    rng = np.random.default_rng(1)
    chord = rng.integers(0, 24, size=(48, 2)).astype(np.int16)
    tones = np.array([Triad.from_index(int(c)).pitch_classes for c in chord[:, 0]])
    pitch = np.repeat(60 + tones, [6, 5, 5], axis=1).astype(np.int16)  # [48, 16]
    chord[:, 1] = chord[:, 0]
    ex = toy_corpus().examples().take(np.zeros(48, dtype=int))
    ex.pitch, ex.chord = pitch, chord
    for shift in range(-6, 6):
        moved, ok = transpose_examples(ex, np.full(48, shift), 48, 84)
        assert ok.all()
        for row, c in zip(moved.pitch, moved.chord, strict=True):
            triad = Triad.from_index(int(c[0]))
            assert [int(p) % 12 for p in row[[0, 6, 11]]] == list(triad.pitch_classes)
        assert (moved.chord // 12 == ex.chord // 12).all()


def test_parsed_chords_match_the_data_labels() -> None:
    """parse_chord's index is what chord_of_weights labels the same triad with."""
    for index in range(24):
        w = np.zeros(12)
        w[list(Triad.from_index(index).pitch_classes)] = 1.0
        assert chord_of_weights(w) == index == parse_chord(Triad.from_index(index).name).index
    assert parse_chord("Dm").index == 14 and Triad.from_index(14).pitch_classes == (2, 5, 9)


def _third_readout_residual(x: np.ndarray) -> float:
    """Largest error of the best linear readout (with bias) of "pitch class k is the chord's
    third" from the chord input x [24, features]."""
    target = np.zeros((24, 12))
    for i in range(24):
        target[i, Triad.from_index(i).pitch_classes[1]] = 1.0
    a = np.concatenate([x, np.ones((24, 1))], axis=1)
    coef = np.linalg.lstsq(a, target, rcond=None)[0]
    return float(np.abs(a @ coef - target).max())


def test_the_chord_input_tells_the_third_linearly() -> None:
    from engines.gan.model import CHORD_DIM, chord_vector

    index = torch.arange(24)
    x = chord_vector(torch.stack([index, index], 1))[:, :CHORD_DIM].numpy()  # first half bar
    # root and quality one-hots alone (the old input): F and F# weigh 0.5 over D and Dm alike
    assert _third_readout_residual(x[:, :14]) == pytest.approx(0.5, abs=1e-6)
    assert _third_readout_residual(x) < 1e-6
    tones = x[:, 14:]
    for i in range(24):
        assert np.flatnonzero(tones[i]).tolist() == sorted(Triad.from_index(i).pitch_classes)
    d, dm = tones[Triad(2, False).index], tones[Triad(2, True).index]
    assert np.flatnonzero(d != dm).tolist() == [5, 6]  # F and F#, nothing else


def test_the_critic_marks_the_chords_own_third() -> None:
    from engines.gan.model import bar_image

    model = GanEngine.from_config(TINY, "cpu").model
    rows = torch.tensor([[62 - TINY.low] * 4 + [65 - TINY.low] * 4 + [66 - TINY.low] * 4
                         + [69 - TINY.low] * 4])  # D, F, F#, A  # fmt: skip
    bar = bar_image(rows, torch.zeros(1, 16, dtype=torch.bool), TINY)
    prev = bar_image(torch.full((1, 16), TINY.rest), torch.zeros(1, 16, dtype=torch.bool), TINY)
    for chord, third_at in (("Dm", 4), ("D", 8)):
        index = parse_chord(chord).index
        feats = model.discriminator.step_features(bar, prev, torch.tensor([[index, index]]))
        roles = feats[0, 16:, TINY.rows + 1 + 14 : TINY.rows + 1 + 17]  # root, third, fifth
        assert roles[:, 0].nonzero().flatten().tolist() == [0, 1, 2, 3]
        assert roles[:, 1].nonzero().flatten().tolist() == list(range(third_at, third_at + 4))
        assert roles[:, 2].nonzero().flatten().tolist() == [12, 13, 14, 15]


class ThirdPlayer(GanEngine):
    """Plays root, third, fifth, root in quarter notes; ``major_third`` plays the major
    third whatever the chord's quality (the shipped model's mistake over minor chords)."""

    major_third = False

    def generate(self, chords, prev_rows, prev_onset, z):  # type: ignore[no-untyped-def]
        c = np.asarray(chords)[..., :1]  # [B, n, 1]
        root = c % 12
        third = root + (4 if self.major_third else 4 - c // 12)
        tones = np.concatenate([root, third, root + 7, root], -1) + 60 - self.config.low
        rows = np.repeat(tones, 4, axis=-1)
        onset = np.zeros(rows.shape, dtype=bool)
        return rows, onset


class MajorThirdPlayer(ThirdPlayer):
    major_third = True


def test_the_chord_checks_catch_a_major_third_over_minor_chords() -> None:
    from engines.gan.evaluate import chord_checks, third_counts, wrong_third_rates

    model = GanEngine.from_config(TINY, "cpu").model
    good = chord_checks(ThirdPlayer(model, torch.device("cpu")))
    assert good["wrong_third_rate"] == good["wrong_third_rate_minor"] == 0.0
    assert not good["more_wrong_than_right"]
    assert min(good["chord_tones_alone"]["no bar before"].values()) == 1.0
    bad = chord_checks(MajorThirdPlayer(model, torch.device("cpu")))
    assert bad["wrong_third_rate_minor"] == 0.25  # one note start in four
    assert 0 < bad["wrong_third_rate"] < 0.25
    assert len(bad["more_wrong_than_right"]) == 12
    assert all(name.endswith("m") for name in bad["more_wrong_than_right"])
    assert bad["chord_tones_alone"]["after its arpeggio"]["Dm"] == 0.75
    # counting: F# over D is right, over Dm wrong; F the other way round
    pitch = np.array([[62, 65, 66, 69] + [REST] * 12])
    starts = np.zeros((1, 16), dtype=bool)
    starts[0, :4] = True
    d, dm = parse_chord("D").index, parse_chord("Dm").index
    assert third_counts(pitch, starts, np.array([[d, d]]))[d].tolist() == [4, 1, 1]
    assert third_counts(pitch, starts, np.array([[dm, dm]]))[dm].tolist() == [4, 1, 1]
    assert wrong_third_rates(third_counts(pitch, starts, np.array([[dm, dm]]))) == {
        "wrong_third_rate": 0.25,
        "wrong_third_rate_minor": 0.25,
    }


def _shipped_chord_checks() -> dict:
    from engines import default_checkpoint
    from engines.gan.evaluate import chord_checks

    if not (default_checkpoint("gan") / "config.json").is_file():
        pytest.skip("no shipped GAN checkpoint")
    return chord_checks(GanEngine.load(default_checkpoint("gan"), device="cpu"))


@pytest.mark.slow
def test_shipped_checkpoint_writes_minor_chords_as_minor() -> None:
    """The shipped checkpoint passes the wrong-third checks of `bridge eval gan` (they need
    no corpus: the progressions are written in the evaluation)."""
    from engines.gan.evaluate import MAX_WRONG_THIRDS

    result = _shipped_chord_checks()
    assert result["wrong_third_rate"] <= MAX_WRONG_THIRDS
    assert result["wrong_third_rate_minor"] <= MAX_WRONG_THIRDS
    assert result["more_wrong_than_right"] == []


@pytest.mark.slow
def test_shipped_checkpoint_spells_every_triad_alone() -> None:
    """Each of the 24 triads alone, with no bar before and after its arpeggio, gets at least
    0.6 of its note starts on chord tones, and every triad gets its own third somewhere."""
    from engines.gan.evaluate import MIN_TRIAD_CHORD_TONES

    result = _shipped_chord_checks()
    for ratios in result["chord_tones_alone"].values():
        assert min(ratios.values()) >= MIN_TRIAD_CHORD_TONES, ratios
    assert [name for name, n in result["thirds"].items() if n["right"] == 0] == []
