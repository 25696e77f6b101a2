"""The harmonizer: its data, model, engine verbs, live steps, checks and shipped checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from engines import load_engine
from engines.harmony import checks
from engines.harmony.data import REST, Chorales, load_chorales, split_chorales
from engines.harmony.engine import HarmonyEngine, octave_shift
from engines.harmony.grid import melody_tokens, tokens_to_notes
from engines.harmony.model import HOLD, NOTE_BASE, HarmonyConfig, HarmonyModel
from engines.harmony.train import Pieces, TrainOptions, loss_of, make_batch, train_harmony
from engines.harmony.verbs import MELODY_8
from engines.notes import Note

MELODY = [Note(*MELODY_8[i : i + 4]) for i in range(0, len(MELODY_8), 4)]
TINY = HarmonyConfig(embed=8, enc_hidden=8, dec_hidden=16, head_hidden=8)


@pytest.fixture(scope="module")
def chorales(tmp_path_factory: pytest.TempPathFactory) -> Chorales:
    """Three files of the corpus parsed (two are four-voice chorales), in a private cache."""
    cache = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BRIDGE_CACHE", str(cache))
        return load_chorales(limit_files=3, workers=1, progress=False)


def test_parser_reads_four_voices_on_the_grid(chorales: Chorales) -> None:
    assert len(chorales) >= 2 and all(n.startswith("bach/") for n in chorales.names)
    for i in range(len(chorales)):
        pitch, onset, pos = chorales.piece(i)
        assert pitch.shape[1] == onset.shape[1] == 4 and len(pos) == len(pitch)
        sounding = pitch >= 0
        # soprano above alto above tenor above bass, nearly always; no onset in silence
        assert (pitch[:, 0] >= pitch[:, 3])[sounding.all(1)].mean() > 0.99
        assert not (onset & ~sounding).any()
        assert 0 <= pos.min() and pos.max() < 20
    assert chorales.key.shape == (len(chorales), 2)


def test_cache_is_reused_and_a_truncated_one_rebuilt(tmp_path, monkeypatch, caplog) -> None:
    monkeypatch.setenv("BRIDGE_CACHE", str(tmp_path))
    first = load_chorales(limit_files=2, workers=1, progress=False)
    (path,) = tmp_path.glob("harmony-chorales-*.npz")
    assert load_chorales(limit_files=2, progress=False).names == first.names
    path.write_bytes(path.read_bytes()[:200])  # a run killed while writing
    with caplog.at_level("WARNING"):
        again = load_chorales(limit_files=2, workers=1, progress=False)
    assert "rebuilding the chorale cache" in caplog.text
    assert again.names == first.names and np.array_equal(again.pitch, first.pitch)


def test_split_is_fixed_and_keeps_tunes_together(chorales: Chorales) -> None:
    split = split_chorales(chorales)
    assert split == split_chorales(chorales)
    assert sorted(sum(split.values(), [])) == sorted(chorales.names)
    # the same tune twice (a second harmonisation, transposed) lands in one split
    twin = Chorales.from_pieces(
        [(n, {"pitch": p, "onset": o, "pos": s}) for n, (p, o, s) in
         [("a", chorales.piece(0)), ("b", (np.where(chorales.piece(0)[0] >= 0,
                                                    chorales.piece(0)[0] + 2, REST),
                                           *chorales.piece(0)[1:]))]],
        keys=[np.zeros(2), np.zeros(2)],
    )  # fmt: skip
    s = split_chorales(twin)
    assert any(set(v) == {"a", "b"} for v in s.values())


def test_tiny_model_trains_and_round_trips(chorales: Chorales, tmp_path: Path) -> None:
    pieces = Pieces.of(chorales, TINY)
    rng = np.random.default_rng(0)
    opts = TrainOptions(seq_len=16, batch_size=4)
    torch.manual_seed(0)
    model = HarmonyModel(TINY)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    batch = make_batch(pieces, TINY, opts, rng)
    assert batch["target"].shape == (4, 3, 16) and batch["soprano"].shape == (4, 16)
    assert batch["first"].shape == (4, 3)
    # crops from a piece's start tell the decoder so; the others give it the step before
    starts = make_batch(pieces, TINY, TrainOptions(seq_len=16, batch_size=4, p_start=1.0), rng)
    assert (starts["first"] == TINY.mask).all()
    inner = make_batch(pieces, TINY, TrainOptions(seq_len=16, batch_size=8, p_start=0.0), rng)
    assert (inner["first"] != TINY.mask).any()
    model.eval()  # no dropout while comparing
    first = loss_of(model, batch)[0].detach().item()
    for _ in range(15):
        loss, _ = loss_of(model, batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss_of(model, batch)[0].detach().item() < first
    engine = HarmonyEngine(model, torch.device("cpu"))
    engine.save(tmp_path / "ck", {"note": "x"})
    again = load_engine(str(tmp_path / "ck"), "cpu")
    assert isinstance(again, HarmonyEngine) and again.config == TINY
    assert again.harmonize(MELODY) == engine.harmonize(MELODY)


def test_training_run_saves_a_checkpoint_with_its_split(chorales: Chorales, tmp_path) -> None:
    opts = TrainOptions(seq_len=16, batch_size=4, max_steps=4, eval_every=2, max_minutes=2)
    record = train_harmony(chorales, tmp_path / "run", TINY, opts)
    meta = json.loads((tmp_path / "run" / "config.json").read_text())
    assert meta["engine"] == "harmony" and meta["extra"]["split"] == split_chorales(chorales)
    assert [h["step"] for h in record["history"]] == [2, 4]
    # the voices' pitch limits come from the data
    assert tuple(meta["config"]["voice_low"]) != HarmonyConfig().voice_low


def test_fast_harmonizer_matches_teacher_forcing() -> None:
    torch.manual_seed(1)
    engine = HarmonyEngine.from_config(TINY, seed=1)
    engine.fast.strict = False  # the model's own choices, without the rule on parallels
    engine.fast.chords = None  # and each voice's likeliest token, not the likeliest chord
    sop = torch.tensor(melody_tokens(MELODY, 64, TINY))
    pos = torch.arange(64) % 8
    given = torch.full((3, 64), TINY.mask)
    given[2, :8] = NOTE_BASE + 43 - TINY.low  # a given bass, G2, for two beats
    given[2, 1:8] = HOLD
    out = engine.fast.harmonize(sop, pos, given)
    assert torch.equal(out[2, :8], given[2, :8])
    logits = engine.model(sop[None], pos[None], given[None], torch.tensor([False]), out[None])
    logits = logits[0] + torch.where(engine.model.allowed[1:], 0.0, float("-inf"))[:, None]
    free = given == TINY.mask
    # greedy = teacher forcing's argmax wherever HOLD was allowed (after a sounding note)
    prev = torch.cat([torch.full((3, 1), TINY.mask), out[:, :-1]], dim=1)
    check = free & (prev >= NOTE_BASE) | free & (prev == HOLD)
    assert torch.equal(logits.argmax(-1)[check], out[check])


def test_no_parallel_fifths_or_octaves_are_written() -> None:
    from engines.harmony.evaluate import voices_grid

    engine = HarmonyEngine.from_config(TINY, seed=2)
    tunes = [MELODY, [Note(n.pitch + 5, n.start, n.duration) for n in MELODY]]
    for strict, expect_none in ((False, False), (True, True)):
        engine.fast.strict = strict
        found = sum(checks.parallels(voices_grid(engine.harmonize(m, 1.0, seed=s), 64, engine))[0]
                    for m in tunes for s in range(4))  # fmt: skip
        assert (found == 0) == expect_none
    # greedy, chords chosen on beats: the rule holds there too
    assert all(checks.parallels(voices_grid(engine.harmonize(m), 64, engine))[0] == 0
               for m in tunes)  # fmt: skip


def test_the_rule_forbids_each_parallel_move_and_no_other() -> None:
    from engines.harmony.choose import forbidden

    pitch_of = HarmonyEngine.from_config(TINY).fast.pitch_of
    rng = np.random.default_rng(1)

    def parallel(k: int, before: list[int], now: list[int], p: int) -> bool:
        """Voice k (0 alto, 1 tenor, 2 bass) moving to p, in fifths or octaves with a voice
        decided before it (soprano, then bass, then tenor) that moves the same way."""
        mine = before[k + 1]
        for j in (0, 3, 2)[: 3 - k]:
            a, c = before[j], now[j]
            if min(p, mine, a, c) < 0 or c == a or (p > mine) != (c > a) or p == mine:
                continue
            up = 1 if j > k + 1 else -1  # the interval from the lower voice up
            if (up * (mine - a)) % 12 in (0, 7) and (up * (p - c)) % 12 == (up * (mine - a)) % 12:
                return True
        return False

    found = 0
    for _ in range(150):
        k = int(rng.integers(3))
        before = [int(p) if rng.random() > 0.1 else -1 for p in rng.integers(40, 80, 4)]
        now = rng.integers(40, 80, (4, 4))
        now[rng.random((4, 4)) < 0.2] = -1
        got = forbidden(pitch_of, k, before, now)
        want = [[parallel(k, before, row, p) for p in pitch_of.tolist()] for row in now.tolist()]
        assert got.tolist() == want
        found += int(got.sum())
    assert found


def test_chord_choice_one_wide_is_greedy_and_widening_changes_beats_only() -> None:
    from engines.harmony.choose import ChordChoice

    engine = HarmonyEngine.from_config(TINY, seed=3)
    sop = torch.tensor(melody_tokens(MELODY, 64, TINY))
    pos = torch.arange(64) % 8
    given = torch.full((3, 64), TINY.mask)
    fast = engine.fast
    fast.chords = None
    greedy = fast.harmonize(sop, pos, given)
    fast.chords = ChordChoice(fast, (1, 1, 1))  # one candidate per voice: the greedy path
    assert torch.equal(fast.harmonize(sop, pos, given), greedy)
    fast.chords = ChordChoice(fast, (6, 6, 6))
    chosen = fast.harmonize(sop, pos, given)
    changed = (chosen != greedy).any(0).nonzero().flatten()
    assert len(changed) and int(changed[0]) % TINY.steps_per_beat == 0  # first change on a beat


def test_chord_choice_names_chords_as_the_checks_do() -> None:
    from engines.harmony.choose import NO_CHORD, QUALITIES, ChordChoice

    choice = ChordChoice(HarmonyEngine.from_config(TINY).fast)
    rng = np.random.default_rng(0)
    rows = rng.integers(40, 80, size=(300, 4))
    rows[rng.random((300, 4)) < 0.1] = -1
    rows[0] = [-1, -1, -1, -1]
    for row, got in zip(rows, choice.labels(rows), strict=True):
        want = checks.chord_label(row.tolist())
        assert got == (NO_CHORD if want is None else want[0] * 3 + QUALITIES.index(want[1]))


def test_harmonize_returns_four_voices_soprano_as_given(tiny_harmony: HarmonyEngine) -> None:
    voices = tiny_harmony.call("harmonize", {"notes": MELODY, "temperature": None,
                                             "seed": None, "alto": (), "tenor": (),
                                             "bass": ()})  # fmt: skip
    assert len(voices) == 4 and voices[0] == MELODY
    for v in voices[1:]:
        assert v and all(isinstance(n, Note) and n.end <= 32 + 1e-9 for n in v)
        assert all(a.end <= b.start + 1e-9 for a, b in zip(v, v[1:], strict=False))
    assert tiny_harmony.harmonize(MELODY) == voices  # greedy: the same every time


def test_seeds_reproduce_and_differ(tiny_harmony: HarmonyEngine) -> None:
    a = tiny_harmony.harmonize(MELODY, temperature=1.5, seed=7)
    assert a == tiny_harmony.harmonize(MELODY, temperature=1.5, seed=7)
    assert a != tiny_harmony.harmonize(MELODY, temperature=1.5, seed=8)


def test_a_given_bass_is_kept_and_a_short_one_continued(tiny_harmony: HarmonyEngine) -> None:
    bass = [Note(43, 0, 2, 80), Note(48, 2, 2, 80), Note(50, 4, 4, 80)]  # 8 of 32 beats
    voices = tiny_harmony.harmonize(MELODY, bass=bass)
    assert voices[3][:3] == bass
    assert voices[3][3:] and all(n.start >= 8 for n in voices[3][3:])
    assert voices[3][-1].end == pytest.approx(32)
    alto = [Note(62, i, 1, 80) for i in range(32)]
    assert tiny_harmony.harmonize(MELODY, alto=alto)[1] == alto


def test_bad_input_in_a_performers_words(tiny_harmony: HarmonyEngine) -> None:
    with pytest.raises(ValueError, match="melody is empty"):
        tiny_harmony.harmonize([])
    with pytest.raises(ValueError, match="pitch must be 0..127"):
        tiny_harmony.harmonize([Note(130, 0, 1)])
    with pytest.raises(ValueError, match="temperature"):
        tiny_harmony.harmonize(MELODY, temperature=-1)
    with pytest.raises(ValueError, match="bass is empty|duration"):
        tiny_harmony.harmonize(MELODY, bass=[Note(40, 0, 0)])


def test_chords_in_the_melody_keep_their_highest_note(tiny_harmony: HarmonyEngine) -> None:
    chordal = [*MELODY, *(Note(n.pitch - 4, n.start, n.duration, n.velocity) for n in MELODY)]
    assert tiny_harmony.harmonize(chordal) == tiny_harmony.harmonize(MELODY)


def test_a_melody_out_of_range_is_heard_by_octaves(tiny_harmony: HarmonyEngine) -> None:
    assert octave_shift([67, 72]) == 0 and octave_shift([43, 48]) == 24
    assert octave_shift([96, 100]) == -24
    low = [Note(n.pitch - 24, n.start, n.duration, n.velocity) for n in MELODY]
    voices, moved = tiny_harmony.harmonize(MELODY), tiny_harmony.harmonize(low)
    assert moved[0] == low
    for v, w in zip(voices[1:], moved[1:], strict=True):
        assert [n.pitch - 24 for n in v] == [n.pitch for n in w]


def test_live_steps_are_causal_and_snapshot(tiny_harmony: HarmonyEngine) -> None:
    state = tiny_harmony.open_live()
    chords = [tiny_harmony.harmonize_step(state, n.pitch, n.duration) for n in MELODY[:8]]
    assert all(len(c) == 3 and all(0 <= p <= 127 for p in c) for c in chords)
    snap = state.copy()
    after = [tiny_harmony.harmonize_step(state, p, 1.0) for p in (67, 69)]
    assert [tiny_harmony.harmonize_step(snap, p, 1.0) for p in (67, 69)] == after
    # causal: what came before decides, what follows cannot change it
    again = tiny_harmony.open_live()
    assert [tiny_harmony.harmonize_step(again, n.pitch, n.duration) for n in MELODY[:8]] == chords
    with pytest.raises(ValueError, match="pitch must be 0..127"):
        tiny_harmony.harmonize_step(state, 200)


def test_grid_round_trip() -> None:
    c = HarmonyConfig()
    notes = [Note(60, 0, 1), Note(62, 1, 0.5), Note(64, 2, 2)]
    tokens = melody_tokens(notes, 8, c, legato=False)
    assert tokens_to_notes(tokens, c) == notes
    assert tokens_to_notes(melody_tokens(notes, 8, c), c)[1] == Note(62, 1, 1)  # legato


def test_checks_count_what_a_teacher_marks() -> None:
    # S-B in parallel fifths (C-F -> D-G), then contrary motion
    p = np.array([[67, 64, 60, 48], [69, 65, 62, 50], [67, 64, 60, 52]])
    count, total = checks.parallels(p)
    assert count >= 1 and total == 12
    assert checks.crossings(np.array([[60, 62, 55, 48]])) == (1, 3)
    assert checks.chord_label([67, 64, 60, 48]) == (0, "major")
    assert checks.chord_label([69, 65, 62, 50]) == (2, "minor")
    assert checks.chord_label([65, 59, 55, 43]) == (7, "major")  # G7 is G
    assert checks.chord_label([72, 67, 60, 52]) == (0, "major")  # C in first inversion
    assert checks.chord_label([72, 64, 57, 45]) == (9, "minor")  # A minor, third doubled
    assert checks.chord_label([71, 65, 62, 50]) == (11, "diminished")  # vii6 in C
    assert checks.chord_label([69, 65, 59, 50]) == (11, "diminished")  # B half-diminished 7
    assert checks.chord_label([72, 65, 57, 50]) == (2, "minor")  # ii7 (D F A C)
    assert checks.chord_label([71, 65, 56, 50]) == (2, "diminished")  # dim7: root in the bass
    assert checks.chord_label([76, 72, 69, 53]) == (5, "major")  # F major 7 is F
    assert checks.chord_label([74, 64, 60, 48]) == (0, "major")  # C with a passing D
    assert checks.chord_label([67, 60, 55, 48]) is None  # a bare fifth names no chord
    assert checks.chord_label([-1, -1, -1, -1]) is None
    assert checks.estimate_key([Note(p, i, 1) for i, p in enumerate((60, 62, 64, 65, 67, 60))]) == (
        0,
        False,
    )
    assert checks.in_range(np.array([[72, 76, 60, 36]])) == (1, 3)  # alto and bass out


@pytest.mark.slow
def test_shipped_checkpoint_keeps_the_voices_in_range_on_held_out_chorales() -> None:
    from engines import default_checkpoint
    from engines.harmony.evaluate import evaluate_chorales

    if not (default_checkpoint("harmony") / "config.json").is_file():
        pytest.skip("no shipped harmony checkpoint")
    engine = load_engine("harmony", "cpu")
    report = evaluate_chorales(engine, load_chorales(progress=False))  # the bar's 35
    got = {c["name"]: c for c in report["checks"]}
    assert got["ranges"]["value"] >= 0.99
    assert got["nll"]["pass"]
    assert got["chords"]["bach"] == 1.0  # Bach's chords, labelled twice, agree
