"""The perf engine's event representation: round trips, normalisation, MIDI files, corpora."""

from __future__ import annotations

import logging
import random
from pathlib import Path

import numpy as np
import pytest
from perf_corpus import write_corpus

from engines.notes import Note, write_midi
from engines.perf import data
from engines.perf.events import (
    BOS,
    NOTE_OFF,
    SHIFT,
    TICKS_PER_BEAT,
    VELOCITY,
    events_to_notes,
    normalise,
    notes_to_events,
    quantize,
    read_midi_poly,
    write_midi_poly,
)


def random_notes(seed: int, count: int = 200) -> list[Note]:
    """Overlapping chords and lines at performed (unquantised) times and velocities."""
    rng = random.Random(seed)
    return [
        Note(
            rng.randrange(21, 109), rng.uniform(0, 40), rng.uniform(0.02, 3), rng.randrange(1, 128)
        )
        for _ in range(count)
    ]


@pytest.mark.parametrize("seed", range(4))
def test_events_round_trip_exactly_up_to_the_resolution(seed: int) -> None:
    notes = normalise(random_notes(seed))
    assert events_to_notes(notes_to_events(notes)) == notes
    for n in notes:  # times on the 1/96-beat grid, velocities at bin centres
        assert n.start * TICKS_PER_BEAT == pytest.approx(round(n.start * TICKS_PER_BEAT))
        assert n.duration >= 1 / TICKS_PER_BEAT


def test_quantize_moves_a_note_by_at_most_half_a_tick_and_two_velocities() -> None:
    for n in random_notes(7):
        q = quantize(n)
        assert abs(q.start - n.start) <= 0.5 / TICKS_PER_BEAT + 1e-9
        assert abs(q.velocity - n.velocity) <= 2


def test_midi_file_round_trip(tmp_path: Path) -> None:
    notes = random_notes(1)
    write_midi_poly(notes, tmp_path / "a.mid")
    back = read_midi_poly(tmp_path / "a.mid")
    assert back == normalise(notes)
    assert events_to_notes(notes_to_events(back)) == back


def test_long_gaps_are_several_shifts_of_at_most_a_beat() -> None:
    tokens = notes_to_events([Note(60, 0, 1, 80), Note(62, 10.5, 1, 80)])
    shifts = [t - SHIFT + 1 for t in tokens if SHIFT <= t < VELOCITY]
    assert max(shifts) == TICKS_PER_BEAT and sum(shifts) == 11.5 * TICKS_PER_BEAT
    assert all(0 <= t < BOS for t in tokens)


def test_chords_share_one_instant_and_offs_come_first() -> None:
    tokens = notes_to_events([Note(60, 0, 1, 80), Note(64, 0, 1, 80), Note(60, 1, 1, 80)])
    # velocity, on 60, on 64, shift a beat, off 60, off 64, on 60 (re-struck), shift, off 60
    assert tokens == [
        VELOCITY + 19,
        60,
        64,
        SHIFT + 95,
        NOTE_OFF + 60,
        NOTE_OFF + 64,
        60,
        SHIFT + 95,
        NOTE_OFF + 60,
    ]


def test_overlapping_notes_of_one_pitch_end_where_the_next_starts() -> None:
    out = normalise([Note(60, 0, 4, 80), Note(60, 1, 1, 90), Note(64, 0.5, 1, 70)])
    assert out == [Note(60, 0, 1, 79), Note(64, 0.5, 1, 71), Note(60, 1, 1, 91)]


def test_two_notes_of_one_pitch_at_one_instant_become_the_longer_and_louder() -> None:
    assert normalise([Note(60, 0, 1, 50), Note(60, 0, 2, 30)]) == [Note(60, 0, 2, 51)]


def test_zero_length_notes_get_the_minimum_length() -> None:
    assert normalise([Note(60, 1, 0, 80)]) == [Note(60, 1, 1 / TICKS_PER_BEAT, 79)]


@pytest.mark.parametrize(
    "note,words",
    [
        (Note(128, 0, 1, 80), "pitch must be 0..127"),
        (Note(-1, 0, 1, 80), "pitch must be 0..127"),
        (Note(60, 0, 1, 0), "velocity must be 1..127"),
        (Note(60, 0, 1, 200), "velocity must be 1..127"),
        (Note(60, -1, 1, 80), "start at 0 beats or later"),
        (Note(60, 0, -1, 80), "duration must be 0 beats or more"),
        (Note(60, 0, float("nan"), 80), "duration"),
        (Note(60, 200_000, 1, 80), "the most is beat 100000"),
    ],
)
def test_notes_out_of_range_are_refused_in_a_performers_words(note: Note, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        normalise([note])


def test_midi_corpus_parses_caches_and_rebuilds_a_truncated_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("BRIDGE_CACHE", str(tmp_path / "cache"))
    folder = write_corpus(tmp_path / "midi", files=6)
    (folder / "broken.mid").write_bytes(b"MThd\x00\x00\x00\x06garbage")
    write_midi([Note(60, 0, 1, 80), Note(60, 150_000, 1, 80)], folder / "huge.mid")
    with caplog.at_level(logging.WARNING):
        corpus = data.load_perf_corpus(str(folder), workers=1)
    assert len(corpus) == 6
    assert any("broken.mid" in r.message and "corrupt" in r.message for r in caplog.records)
    assert any("huge.mid" in r.message and "absurd" in r.message for r in caplog.records)
    first = corpus.piece(0)
    assert events_to_notes(first) == normalise(read_midi_poly(folder / corpus.names[0]))
    path = data.corpus_cache_path(str(folder))
    assert path.exists()
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])  # a copy cut short
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        again = data.load_perf_corpus(str(folder), workers=1)
    assert any("damaged" in r.message for r in caplog.records)
    assert np.array_equal(again.events, corpus.events)
    assert data.PerfCorpus.load(path).names == corpus.names  # rebuilt whole


def test_score_parsing_merges_parts_and_reads_dynamics() -> None:
    from music21 import chord, dynamics, note, stream

    top, bottom = stream.Part(), stream.Part()
    top.append(dynamics.Dynamic("ff"))
    top.append([note.Note("E5", quarterLength=1), note.Note("D5", quarterLength=1)])
    tied = [note.Note("C3", quarterLength=1), note.Note("C3", quarterLength=1)]
    from music21 import tie

    tied[0].tie, tied[1].tie = tie.Tie("start"), tie.Tie("stop")
    bottom.append([*tied, chord.Chord(["G3", "B3"], quarterLength=1)])
    score = stream.Score([top, bottom])
    notes = sorted(data.score_notes(score), key=lambda n: (n.start, n.pitch))
    assert [(n.pitch, n.start, n.duration) for n in notes] == [
        (48, 0, 2),
        (76, 0, 1),
        (74, 1, 1),
        (55, 2, 1),
        (59, 2, 1),
    ]
    assert {n.velocity for n in notes if n.pitch > 70} != {data.DEFAULT_VELOCITY}
    assert {n.velocity for n in notes if n.pitch < 70} == {data.DEFAULT_VELOCITY}


def test_transposition_keeps_pitches_in_range() -> None:
    piece = np.array(notes_to_events([Note(125, 0, 1, 80), Note(2, 0, 1, 80)]))
    rng = np.random.default_rng(0)
    for _ in range(20):
        out = data.random_transpose(piece, rng, 6)
        assert events_to_notes(out)[0].pitch in range(0, 6) and len(events_to_notes(out)) == 2


def test_a_parsed_corpus_file_is_read_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIDGE_CACHE", str(tmp_path / "cache"))
    folder = write_corpus(tmp_path / "midi", files=3)
    built = data.load_perf_corpus(str(folder), workers=1)
    copied = tmp_path / "elsewhere.npz"
    copied.write_bytes(data.corpus_cache_path(str(folder)).read_bytes())
    assert data.load_perf_corpus(str(copied)).names == built.names
    with pytest.raises(ValueError, match="cannot read the parsed corpus"):
        data.load_perf_corpus(str(tmp_path / "missing.npz"))


def test_decoder_never_makes_a_zero_length_note() -> None:
    from engines.perf.events import Decoder

    d = Decoder()
    events = []
    for t in [VELOCITY + 19, 76, NOTE_OFF + 76, 76, SHIFT + 47, NOTE_OFF + 76, 60, NOTE_OFF + 60]:
        events += d.push(t)
    events += d.close()
    assert events == [(0.0, "on", 76, 79), (0.5, "off", 76, 0), (0.5, "on", 60, 79),
                      (0.5 + 1 / 96, "off", 60, 0)]  # fmt: skip
    assert all(n.duration > 0 for n in d.notes())
